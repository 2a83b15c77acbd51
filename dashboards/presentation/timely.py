"""Timely figures as the restricted pages show them: cells, tables, chart specs and sentences.

The numbers come from ``indicators.queries`` already disclosure-controlled for the viewer (a
suppressed number is ``"c"``); this module only writes them down, so nothing here can show
what the viewer may not see. A period without a figure is a gap with its reason
(``indicators.registry.STATUS_DESCRIPTIONS``), never a zero, in the table, the chart (a
break in the line) and the sentences alike.

The published figures they sit beside are the public dashboard's (``dashboards.published``),
for the LA, its region, England and its statistical neighbours' median, at 31 March of each
published year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dashboards.presentation.charts import ChartSection
from dashboards.presentation.formatting import UNIT_LABELS, UNIT_SUFFIXES, csv_number, format_value
from dashboards.presentation.tables import Cell, Column, Row, RowGroup, Table, value_cell
from dashboards.published.queries import SeriesRow, Value
from indicators.disclosure import SUPPRESSED, Suppression
from indicators.queries import BreakdownTable, Point
from indicators.registry import STATUS_DESCRIPTIONS, Indicator, Kind, Status, Unit
from submissions.extract.canonical import FORMAT_LABELS

#: What a suppressed timely number means (the tables' hidden text and the symbols key).
SUPPRESSED_MEANING = (
    "Suppressed: a count of 1 to 4, a figure worked out from one, or a figure that would let "
    "one be worked out, is not shown outside the local authority (disclosure control)"
)
#: Short words for a period without a figure; the long reason is STATUS_DESCRIPTIONS.
STATUS_LABELS = {
    Status.INSUFFICIENT_HISTORY: "Not enough history",
    Status.INCOMPLETE_FOLLOW_UP: "Follow-up not complete",
    Status.NO_DATA: "No data",
    Status.NO_POPULATION: "No population estimate",
}
NO_CASES = "No cases"
NO_CASES_MEANING = "Nothing to divide by: no cases in the denominator in this period"
#: The timely series' label on charts and in tables.
TIMELY = "Timely figure"

_ABBREVIATED_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                       "Nov", "Dec")  # fmt: skip


_TABLE_NAMES = {
    "child": "children",
    "referral": "referrals (child in need episodes)",
    "assessment": "assessments",
    "cin_plan": "child in need plans",
    "s47_enquiry": "section 47 enquiries",
    "cp_plan": "child protection plans",
    "cla_episode": "episodes of care (looked after)",
    "missing_episode": "missing and away episodes",
}


def source_text(indicator: Indicator) -> str:
    """ "Worked out from the extract's referrals, from CIN census XML, Ofsted Annex A or the
    DfE API payload." """
    tables = [_TABLE_NAMES.get(table, table) for table in indicator.source_tables]
    formats = [FORMAT_LABELS.get(f, f) for f in indicator.source_formats]
    listed = ", ".join(formats[:-1]) + (" or " if len(formats) > 1 else "") + formats[-1]
    return f"Worked out from the extract's {' and '.join(tables)}, sent as {listed}."


def decimals(indicator: Indicator) -> int:
    """Counts are whole numbers; every other timely value has one decimal place."""
    return 0 if indicator.unit is Unit.COUNT else 1


def month(day: date) -> str:
    """ "Mar 2026": a period end on a chart axis."""
    return f"{_ABBREVIATED_MONTHS[day.month - 1]} {day.year}"


def long_date(day: date) -> str:
    """ "31 March 2026" (GOV.UK style: no leading zero)."""
    return f"{day.day} {day:%B %Y}"


def period_label(indicator: Indicator, end: date) -> str:
    """What one value of the series describes: "12 months to March 2026" for events in a
    rolling year, "At 31 March 2026" for a snapshot at the period end."""
    if indicator.kind is Kind.SNAPSHOT:
        return f"At {long_date(end)}"
    return f"12 months to {end:%B %Y}"


#: What an empty cell shows (an en dash).
DASH = "\u2013"


def number(point: Point | None) -> Decimal | None:
    """The point's value when it is a number that may be shown (not a gap, not ``c``)."""
    if point is None or point.status != Status.OK or not isinstance(point.value, Decimal):
        return None
    return point.value


def _the(label: str) -> str:
    """ "the 12 months to March 2026", "31 March 2026" (a snapshot's label starts "At")."""
    return label[3:] if label.startswith("At ") else f"the {label}"


def in_sentence(label: str) -> str:
    """A period label inside a sentence: "at 31 March 2026", "12 months to March 2026"."""
    return label[:1].lower() + label[1:]


def has_number(point: Point | None) -> bool:
    return number(point) is not None


def figure_text(indicator: Indicator, point: Point | None, unit: bool = False) -> str:
    """A timely value as shown: "24.0%", "67.1" ("67.1 per 10,000 children" with ``unit``),
    ``c``, or the words for why there is none."""
    if point is None:
        return "No figure"
    if point.suppression is not Suppression.NONE:
        return SUPPRESSED
    if point.status != Status.OK:
        return STATUS_LABELS.get(Status(point.status), point.status)
    if not isinstance(point.value, Decimal):
        return NO_CASES
    text = format_value(point.value, indicator.unit, decimals(indicator))
    return text + (UNIT_SUFFIXES.get(indicator.unit, "") if unit else "")  # type: ignore[call-overload]


def _meaning(point: Point | None) -> str:
    if point is None:
        return "No figure was computed for this period"
    if point.suppression is not Suppression.NONE:
        # One meaning for every ``c``: saying which hide another would give them away.
        return SUPPRESSED_MEANING
    if point.status != Status.OK:
        return STATUS_DESCRIPTIONS[Status(point.status)]
    if not isinstance(point.value, Decimal):
        return NO_CASES_MEANING
    return ""


def _csv(number: object, places: int = 0) -> str:
    if isinstance(number, Decimal):
        return csv_number(number, places)
    return "" if number is None else str(number)


def figure_cell(indicator: Indicator, point: Point | None) -> Cell:
    """A timely value's cell; a gap or ``c`` carries its meaning for screen readers."""
    text = figure_text(indicator, point)
    meaning = _meaning(point)
    number = _csv(point.value, decimals(indicator)) if point is not None else ""
    return Cell(text, (number if not meaning else text,), meaning=meaning)


def count_cell(number: int | str | None) -> Cell:
    if number is None:
        return Cell("", ("",))
    if number == SUPPRESSED:
        return Cell(SUPPRESSED, (SUPPRESSED,), meaning=SUPPRESSED_MEANING)
    return Cell(f"{number:,}", (str(number),))


def chart_number(indicator: Indicator, point: Point | None) -> float | None:
    if point is None or not isinstance(point.value, Decimal) or point.status != Status.OK:
        return None
    return float(csv_number(point.value, decimals(indicator)))


def number_format(indicator: Indicator) -> dict[str, Any]:
    return {
        "prefix": "",
        "suffix": "%" if indicator.unit is Unit.PERCENT else "",
        "decimals": decimals(indicator),
    }


def _axis_title(indicator: Indicator) -> str:
    return UNIT_LABELS[indicator.unit].capitalize()  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# The monthly series beside the published figures


@dataclass(frozen=True)
class Comparators:
    """The published figures an indicator sits beside, by year ending 31 March, and the names
    of the places (``la``, ``region``, ``neighbours`` labels)."""

    rows: dict[int, SeriesRow]
    la: str
    region: str
    neighbours: str
    decimals: int


def _published_cell(value: Value | None, places: int) -> Cell:
    if value is None:
        return Cell("", ("",))
    return value_cell(value, places)


def _published_number(value: Value | None, places: int) -> float | None:
    if value is None or value.value is None:
        return None
    return float(csv_number(value.value, places))


def series_section(
    indicator: Indicator,
    la_name: str,
    points: Sequence[Point],
    published: Comparators | None,
    csv_url: str,
) -> ChartSection:
    """Month by month: the timely rolling values, and at each 31 March the published figures
    for the LA, its region, England and its neighbours (points on the same chart, columns in
    the same table)."""
    places = decimals(indicator)
    labels = [month(point.period_end) for point in points]
    published_rows = [
        published.rows.get(point.period_end.year)
        if published is not None and point.period_end.month == 3
        else None
        for point in points
    ]
    columns = [Column("Numerator", ("numerator",)), Column("Denominator", ("denominator",))]
    if indicator.unit in (Unit.COUNT, Unit.RATE_PER_10K):
        columns = [Column("Children", ("numerator",))]
    columns.insert(0, Column(TIMELY, ("value",)))
    series: list[dict[str, Any]] = [
        {
            "label": f"{la_name} ({TIMELY.lower()})",
            "role": "timely",
            "values": [chart_number(indicator, point) for point in points],
        }
    ]
    if published is not None:
        places = published.decimals
        for label, role, pick in (
            (f"{published.la} (published)", "la", lambda r: r.la),
            (published.region, "region", lambda r: r.region),
            ("England", "england", lambda r: r.england),
            (published.neighbours, "neighbours", lambda r: r.neighbours),
        ):
            columns.append(Column(f"{label}, published", (f"published_{role}",)))
            series.append(
                {
                    "label": f"{label} (published)" if role != "la" else label,
                    "role": role,
                    "pointsOnly": True,
                    "values": [
                        _published_number(pick(row), places) if row else None
                        for row in published_rows
                    ],
                }
            )
    rows = []
    for point, row in zip(points, published_rows, strict=True):
        cells = [figure_cell(indicator, point)]
        if indicator.unit in (Unit.COUNT, Unit.RATE_PER_10K):
            cells.append(count_cell(point.numerator))
        else:
            cells += [count_cell(point.numerator), count_cell(point.denominator)]
        if published is not None:
            cells += [
                _published_cell(pick(row) if row else None, published.decimals)
                for pick in (
                    lambda r: r.la,
                    lambda r: r.region,
                    lambda r: r.england,
                    lambda r: r.neighbours,
                )
            ]
        label = period_label(indicator, point.period_end)
        rows.append(Row(label, tuple(cells), (point.period_end.isoformat(),)))
    table = Table(
        caption=f"{indicator.title}: {la_name}, month by month",
        header=Column("Period", ("period_end",), numeric=False),
        columns=tuple(columns),
        groups=(RowGroup("", tuple(rows)),),
    )
    names = ", ".join(s["label"] for s in series)
    return ChartSection(
        id="month-by-month",
        heading="Month by month",
        summary=series_summary(indicator, la_name, points, published),
        label=(
            f"Line chart: {indicator.title}, {names}. The table after the chart gives every figure."
        ),
        chart={
            "kind": "line",
            "labels": labels,
            "series": series,
            "highlight": None,
            "axisTitle": _axis_title(indicator),
            "format": number_format(indicator),
        },
        table=table,
        csv_url=csv_url,
        table_collapsed=len(rows) > 13,
    )


def latest_with_number(points: Sequence[Point]) -> Point | None:
    """The latest period with a figure that can be shown (not a gap, not ``c``)."""
    return next((p for p in reversed(points) if has_number(p)), None)


def year_before(points: Sequence[Point], point: Point) -> Point | None:
    target = point.period_end.replace(year=point.period_end.year - 1)
    return next(
        (p for p in points if (p.period_end.year, p.period_end.month) ==
         (target.year, target.month)),
        None,
    )  # fmt: skip


def change_text(indicator: Indicator, now: Point | None, before: Point | None) -> str:
    """ "up 2.1 percentage points", "down 0.4", "no change", or "" when either side has no
    number (a gap or ``c``: a difference with a suppressed figure would reveal it)."""
    latest, earlier = number(now), number(before)
    if latest is None or earlier is None:
        return ""
    difference = latest - earlier
    if difference == 0:
        return "no change"
    unit = " percentage points" if indicator.unit is Unit.PERCENT else ""
    size = format_value(abs(difference), Unit.RATIO, decimals(indicator))
    return f"{'up' if difference > 0 else 'down'} {size}{unit}"


def series_summary(
    indicator: Indicator, la_name: str, points: Sequence[Point], published: Comparators | None
) -> str:
    """The chart's headline in words: the latest figure, its change over 12 months, and the
    latest published figures beside it."""
    if not points:
        return f"There are no timely figures for {la_name} yet."
    latest = latest_with_number(points)
    last = points[-1]
    if latest is None:
        return (
            f"No figure can be shown for {la_name} for any period: "
            f"{_meaning(last).rstrip('.').lower() or 'no figure'}."
        )
    text = (
        f"For {_the(period_label(indicator, latest.period_end))}, {la_name}'s timely "
        f"figure was {figure_text(indicator, latest, unit=True)}"
    )
    change = change_text(indicator, latest, year_before(points, latest))
    text += f", {change} on a year before." if change else "."
    if latest is not last:
        text += f" There is no figure for later periods ({figure_text(indicator, last).lower()})."
    if published is not None and published.rows:
        year = max(published.rows)
        row = published.rows[year]
        if row.la.value is not None:
            text += (
                f" The latest published figure, for the year to 31 March {year}, was "
                f"{row.la.display} for {published.la} and {row.england.display} for England."
            )
    return text


# ---------------------------------------------------------------------------------------------
# Timely against published


@dataclass(frozen=True)
class Agreement:
    """One year to 31 March that both the timely series and the published figures cover."""

    year: int
    timely: Point
    published: Value
    difference: str


def agreement(
    indicator: Indicator, points: Sequence[Point], published: Comparators | None
) -> list[Agreement]:
    """For each 31 March in the timely series with a published figure for the LA that year:
    both, and the difference (timely minus published, blank when either has no number)."""
    if published is None:
        return []
    rows = []
    for point in points:
        row = published.rows.get(point.period_end.year)
        if point.period_end.month != 3 or row is None:
            continue
        difference = ""
        timely_value = number(point)
        if timely_value is not None and row.la.value is not None:
            delta = timely_value - row.la.value
            places = max(decimals(indicator), published.decimals)
            sign = "+" if delta > 0 else ""
            difference = sign + format_value(delta, Unit.RATIO, places)
            if indicator.unit is Unit.PERCENT:
                difference += " percentage points"
        rows.append(Agreement(point.period_end.year, point, row.la, difference))
    return rows


def agreement_table(indicator: Indicator, la_name: str, rows: Sequence[Agreement]) -> Table:
    places = decimals(indicator)
    return Table(
        caption=f"{indicator.title}: {la_name}'s timely figure against its published figure",
        header=Column("Year", ("year_ending",), numeric=False),
        columns=(
            Column("Timely figure, from the extract", ("timely",)),
            Column("Published figure", ("published",)),
            Column("Difference (timely minus published)", ("difference",)),
        ),
        groups=(
            RowGroup(
                "",
                tuple(
                    Row(
                        f"Year to 31 March {row.year}"
                        if indicator.kind is Kind.PERIOD
                        else f"At 31 March {row.year}",
                        (
                            figure_cell(indicator, row.timely),
                            value_cell(row.published, places),
                            Cell(row.difference or DASH, (row.difference,)),
                        ),
                        (f"{row.year}-03-31",),
                    )
                    for row in rows
                ),
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Breakdowns

DIMENSION_NAMES = {
    "age_band": "Age band",
    "sex": "Sex",
    "ethnicity": "Ethnic group",
    "disability": "Disability",
}


def breakdown_section(
    indicator: Indicator, la_name: str, end: date, table: BreakdownTable, csv_url: str
) -> ChartSection:
    """One dimension's groups as a bar chart and a table (``c`` where suppressed)."""
    name = DIMENSION_NAMES.get(table.dimension, table.dimension)
    counts_only = indicator.unit is Unit.COUNT

    def point(figure: Any) -> Point:
        return Point(end, end, Status.OK, figure.numerator, figure.denominator, figure.value,
                     figure.suppression)  # fmt: skip

    points = [point(row.figure) for row in table.rows]

    def cells_for(p: Point) -> tuple[Cell, ...]:
        if counts_only:
            return (figure_cell(indicator, p),)
        return (count_cell(p.numerator), count_cell(p.denominator), figure_cell(indicator, p))

    columns = (
        (Column("Number", ("value",)),)
        if counts_only
        else (
            Column("Numerator", ("numerator",)),
            Column("Denominator", ("denominator",)),
            Column(UNIT_LABELS[indicator.unit].capitalize(), ("value",)),  # type: ignore[index]
        )
    )
    rows = [
        Row(row.category, cells_for(p), (row.category,))
        for row, p in zip(table.rows, points, strict=True)
    ]
    if table.total is not None:
        rows.append(Row("All children", cells_for(point(table.total)), ("All",)))
    shown = [(row.category, p) for row, p in zip(table.rows, points, strict=True) if has_number(p)]
    hidden = sum(p.suppression is not Suppression.NONE for p in points)
    summary = _breakdown_summary(indicator, name, shown, hidden)
    return ChartSection(
        id=f"by-{table.dimension.replace('_', '-')}",
        heading=f"By {name.lower()}",
        summary=summary,
        label=(
            f"Bar chart: {indicator.title} by {name.lower()}, "
            f"{in_sentence(period_label(indicator, end))}. The table after the chart gives every "
            "figure."
        ),
        chart={
            "kind": "bar",
            "labels": [row.category for row in table.rows],
            "series": [
                {
                    "label": indicator.title,
                    "role": "la",
                    "values": [chart_number(indicator, p) for p in points],
                }
            ],
            "highlight": None,
            "reference": None,
            "axisTitle": _axis_title(indicator),
            "format": number_format(indicator),
        },
        table=Table(
            caption=f"{indicator.title} by {name.lower()}: {la_name}, "
            f"{in_sentence(period_label(indicator, end))}",
            header=Column(name, ("category",), numeric=False),
            columns=columns,
            groups=(RowGroup("", tuple(rows)),),
        ),
        csv_url=csv_url,
    )


def _breakdown_summary(
    indicator: Indicator, name: str, shown: Sequence[tuple[str, Point]], hidden: int
) -> str:
    if not shown:
        text = f"No group's figure by {name.lower()} can be shown for this period."
    else:
        low = min(shown, key=lambda item: item[1].value)  # type: ignore[arg-type, return-value]
        high = max(shown, key=lambda item: item[1].value)  # type: ignore[arg-type, return-value]
        text = (
            f"By {name.lower()}, figures ranged from {figure_text(indicator, low[1])} "
            f"({low[0]}) to {figure_text(indicator, high[1])} ({high[0]})."
            if low is not high
            else f"Only {high[0]} has a figure that can be shown: "
            f"{figure_text(indicator, high[1])}."
        )
    if hidden:
        text += (
            f" {hidden} {'group is' if hidden == 1 else 'groups are'} shown as c "
            "(suppressed: small numbers)."
        )
    return text
