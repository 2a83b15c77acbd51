"""Downloads of the restricted dashboards: the figures a viewer sees, as CSV and XLSX.

An export is built only from what ``indicators.queries`` returns for the viewer (``Series``,
``BreakdownTable``, ``PortfolioRow``), never from the stored values, so it shows exactly what the
page shows: a DfE role's numbers are disclosure-controlled (``indicators.disclosure``), an LA's
own users see their LA's numbers as stored. Nothing here can bypass suppression.

**Rows** are in the Explore Education Statistics (EES) tidy format, one row per LA, period and
group, the same columns in every table (``COLUMNS``):

* ``time_period`` and ``time_identifier``. Every figure is for a rolling 12-month period ending
  on a month end. EES has no identifier for a rolling year, so the row is labelled by the
  month its period ends in, in the EES monthly convention (``time_period`` the 4-digit year,
  ``time_identifier`` the month's name: "2026", "March" is the 12 months to 31 March 2026);
  ``period_start`` and ``period_end`` give the exact dates. The cover sheet says so.
* ``geographic_level`` "Local authority", ``country_code``/``country_name`` (England),
  ``region_code``/``region_name`` (the LA's region: London for a London borough),
  ``old_la_code`` (the 3-digit DfE code), ``new_la_code`` (the current GSS code), ``la_name``.
* ``as_of``: the extract date of the submission the figure comes from.
* ``indicator``, ``indicator_title``, ``unit`` (from ``indicators.registry``).
* ``breakdown_topic``, ``breakdown``: "Total", "Total" for the LA's figure, else the dimension
  ("Sex") and the group ("Female").
* ``numerator``, ``denominator``, ``value``, ``status`` and ``suppression``. Numbers use the
  GSS symbols EES uses: ``c`` suppressed, ``x`` not available (a period without a figure,
  ``status`` says why), ``z`` not applicable (a count has no denominator).
  ``suppression`` is "suppressed" or empty: whether a row is hidden, never why. Told which
  rows were hidden only to protect another, an attacker would know those hold no count of 1
  to 4, and could then recover a hidden count from the total
  (``tests/indicators/test_disclosure.py``).

The breakdown rows of a period add up to the LA's figure for that period, which is in the
series rows (one row each, so the CSV has no duplicate rows as EES requires).

**Formats.** CSV: one file of every table's rows, through ``portal.spreadsheets`` (byte order
mark, formula guard). XLSX: a "Cover" sheet (what the file holds, the LAs, the as-of dates and
submissions, whether small numbers are suppressed and the rule in words, the symbols, and each
indicator's definition and caveats), then one sheet per table ("Series", "Breakdowns",
"Portfolio"). Text cells, including LA names and group names, are control-character free and
formula-guarded (a leading apostrophe before ``=``, ``+``, ``-``, ``@``, tab, carriage return)
and stored as strings; only our own numbers are stored as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Final, Protocol

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from dashboards.presentation import timely
from dashboards.presentation.formatting import csv_number
from indicators import queries
from indicators.disclosure import SUPPRESSED, Disclosed, Hidden, Suppression
from indicators.queries import BreakdownTable, Point, PortfolioLine, Series
from indicators.registry import (
    NOT_A_PERFORMANCE_MEASURE,
    REGISTRY,
    STATUS_DESCRIPTIONS,
    Indicator,
    Unit,
)
from portal import spreadsheets
from portal.access import Action, local_authorities_for
from portal.models import Region
from portal.spreadsheets import formula_safe
from submissions.extract.canonical import FORMAT_LABELS

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from portal.models import LocalAuthority, User
    from submissions.models import Submission

__all__ = [
    "COLUMNS",
    "XLSX_CONTENT_TYPE",
    "Export",
    "Sheet",
    "UnknownPeriod",
    "csv_lines",
    "indicator_export",
    "la_export",
    "portfolio_export",
    "write_xlsx",
]

XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Every table's columns, in order (EES tidy format; see the module docstring).
COLUMNS: Final = (
    "time_period",
    "time_identifier",
    "period_start",
    "period_end",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "as_of",
    "indicator",
    "indicator_title",
    "unit",
    "breakdown_topic",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "status",
    "suppression",
)

#: The GSS symbols (as EES uses them) for a number that is not shown.
NOT_AVAILABLE: Final = "x"
NOT_APPLICABLE: Final = "z"
TOTAL: Final = "Total"
#: ``suppression`` for a hidden row: whether, never why (module docstring).
SUPPRESSED_ROW: Final = "suppressed"
#: ``status`` of a portfolio LA without figures for the indicator, or for the period.
NO_SUBMISSION: Final = "no_submission"
NO_FIGURE: Final = "no_figure"
ENGLAND_CODE: Final = "E92000001"

DIMENSION_LABELS: Final = {
    "age_band": "Age band",
    "sex": "Sex",
    "ethnicity": "Ethnicity group",
    "disability": "Disability",
}

SUPPRESSION_RULE: Final = (
    "Counts of 1 to 4, and any percentage, rate or ratio whose numerator or denominator is 1 "
    "to 4, are shown as c, the whole row (numerator, denominator and value) together. Zero is "
    "shown. Where the groups of a breakdown add up to the local authority's figure and that "
    "figure is shown, the smallest other groups are hidden with them, one at a time, until no "
    "hidden number can be worked out from the shown ones and the total, even by someone who "
    "knows this rule; failing that, every group is hidden. Where that figure is itself hidden, "
    "groups of no children are hidden too. This file does not say which hidden rows are small."
)
UNSUPPRESSED_WARNING: Final = (
    "You may see the child-level records of a local authority, so its figures are as computed, "
    "small numbers included. Do not publish or share them outside the local authority "
    "without applying the suppression rule below."
)
TIME_PERIODS: Final = (
    "Every figure is for a rolling 12-month period ending on a month end. The rows are "
    "labelled in the Explore Education Statistics monthly convention by the month the period "
    "ends in: time_period is its year and time_identifier its month (2026, March: the 12 "
    "months to 31 March 2026). period_start and period_end give the exact dates."
)
SYMBOLS: Final = (
    ("c", "Suppressed: a small number, or hidden so that a small number cannot be derived."),
    ("x", "Not available: no figure for this period (the status column says why)."),
    ("z", "Not applicable: a count has no denominator."),
)

Value = str | int | Decimal


@dataclass(frozen=True)
class Sheet:
    """One table: its name (the XLSX sheet) and its rows (``COLUMNS``)."""

    name: str
    rows: list[tuple[Value, ...]]


@dataclass(frozen=True)
class Export:
    """What a download holds: its tables and the cover sheet's (heading, text) lines."""

    title: str
    filename: str  # without extension; built from our own values only
    sheets: list[Sheet]
    cover: list[tuple[str, str]] = field(default_factory=list)


# --- rows ------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """A text cell: control characters dropped (one before ``=`` would hide the formula from
    the guard, and XML cannot hold them), then formula-guarded."""
    return formula_safe(ILLEGAL_CHARACTERS_RE.sub("", value))


def _number(number: int | Decimal | Hidden | None, if_blank: str, decimals: int = 0) -> Value:
    if number is None:
        return if_blank
    if isinstance(number, str):
        return SUPPRESSED
    if isinstance(number, Decimal):
        return Decimal(csv_number(number, decimals))
    return number


class _Shown(Protocol):
    """A figure as the viewer may see it: a ``queries.Point`` or a ``disclosure.Disclosed``."""

    @property
    def numerator(self) -> int | Hidden | None: ...

    @property
    def denominator(self) -> int | Hidden | None: ...

    @property
    def value(self) -> Decimal | Hidden | None: ...

    @property
    def suppression(self) -> Suppression: ...


_NOTHING = Disclosed(None, None, None, Suppression.NONE)


@dataclass(frozen=True)
class _Place:
    """The geography columns of one LA (its region looked up once for the whole export)."""

    cells: tuple[str, ...]

    @classmethod
    def of(cls, la: LocalAuthority, regions: dict[int, Region]) -> _Place:
        region = regions[la.region_id]
        return cls(
            (
                "Local authority",
                ENGLAND_CODE,
                "England",
                region.code,
                _text(region.name),
                la.code,
                la.ons_code,
                _text(la.name),
            )
        )


def _regions() -> dict[int, Region]:
    return Region.objects.in_bulk()


def _row(
    place: _Place,
    as_of: date | None,
    indicator_id: str,
    period: tuple[date, date] | None,
    group: tuple[str, str],
    shown: _Shown,
    status: str,
) -> tuple[Value, ...]:
    """One tidy row: ``group`` is (breakdown_topic, breakdown)."""
    indicator = REGISTRY.get(indicator_id)
    count = indicator is not None and indicator.unit is Unit.COUNT
    start, end = period if period is not None else (None, None)
    return (
        str(end.year) if end else "",
        f"{end:%B}" if end else "",
        start.isoformat() if start else "",
        end.isoformat() if end else "",
        *place.cells,
        as_of.isoformat() if as_of else "",
        indicator_id,
        _text(indicator.title) if indicator else "",
        indicator.unit.value if indicator else "",
        _text(group[0]),
        _text(group[1]),
        _number(shown.numerator, NOT_AVAILABLE),
        _number(shown.denominator, NOT_APPLICABLE if count else NOT_AVAILABLE),
        _number(shown.value, NOT_AVAILABLE, 0 if count else 1),
        _text(status),
        SUPPRESSED_ROW if shown.suppression is not Suppression.NONE else "",
    )


def _period(point: Point) -> tuple[date, date]:
    return point.period_start, point.period_end


def series_rows(place: _Place, series: Iterable[Series]) -> list[tuple[Value, ...]]:
    """Every point of each series, as the viewer may see it (one row per period)."""
    return [
        _row(place, s.as_of, s.indicator_id, _period(p), (TOTAL, TOTAL), p, p.status)
        for s in series
        for p in s.points
    ]


def breakdown_rows(
    place: _Place, series: Series, point: Point, tables: Iterable[BreakdownTable]
) -> list[tuple[Value, ...]]:
    """The groups of each breakdown table of ``series``'s figure for ``point``'s period."""
    return [
        _row(
            place,
            series.as_of,
            series.indicator_id,
            _period(point),
            (DIMENSION_LABELS.get(table.dimension, table.dimension), row.category),
            row.figure,
            point.status,
        )
        for table in tables
        for row in table.rows
    ]


def portfolio_rows(
    indicator_ids: Sequence[str], lines: Iterable[PortfolioLine], regions: dict[int, Region]
) -> list[tuple[Value, ...]]:
    """For each LA, each indicator's latest figure and the one 12 months before (those
    stored); an indicator without either gets one row saying why."""
    out = []
    for line in lines:
        place = _Place.of(line.local_authority, regions)
        as_of = line.submission.as_of if line.submission else None
        for key in indicator_ids:
            points = [p for p in reversed(line.figures[key]) if p is not None]
            if not points:
                status = NO_SUBMISSION if line.submission is None else NO_FIGURE
                out.append(_row(place, as_of, key, None, (TOTAL, TOTAL), _NOTHING, status))
            for point in points:
                out.append(_row(place, as_of, key, _period(point), (TOTAL, TOTAL), point,
                                point.status))  # fmt: skip
    return out


# --- the cover sheet -------------------------------------------------------------------------


def _day(day: date) -> str:
    """A date as GOV.UK writes it: 1 April 2024."""
    return f"{day.day} {day:%B %Y}"


def _submission_line(la: LocalAuthority, submission: Submission | None) -> tuple[str, str]:
    name = f"{la.name} ({la.code})"
    if submission is None:
        return name, "No accepted submission yet."
    accepted = submission.accepted_at
    when = f", accepted {_day(timezone.localdate(accepted))}" if accepted else ""
    return name, f"Extract of {_day(submission.as_of)} (submission {submission.pk}{when})."


def _definition(indicator: Indicator) -> list[tuple[str, str]]:
    lines = [
        (f"{indicator.title} ({indicator.id})", indicator.definition),
        ("Numerator", indicator.numerator),
        ("Denominator", indicator.denominator or "None (a count)."),
        ("Unit", indicator.unit.value),
        ("Data source", ", ".join(FORMAT_LABELS[f] for f in indicator.source_formats)),
    ]
    lines += [("Caveat", caveat) for caveat in indicator.caveats]
    if indicator.published is not None:
        lines.append(("Published comparator", indicator.published.description))
    return lines


def _cover(
    title: str,
    sources: Sequence[tuple[LocalAuthority, Submission | None]],
    indicator_ids: Iterable[str],
    unsuppressed: Sequence[LocalAuthority],
) -> list[tuple[str, str]]:
    """The cover sheet's lines: what the file holds, where its figures come from, whether
    small numbers are suppressed (``unsuppressed``: the LAs whose figures are as stored), the
    symbols and statuses, and each indicator's definition and caveats."""
    if unsuppressed:
        names = ", ".join(f"{la.name} ({la.code})" for la in unsuppressed)
        small_numbers = f"{UNSUPPRESSED_WARNING} Not suppressed: {names}."
    else:
        small_numbers = "Suppressed: you see these figures as the DfE sees them."
    lines = [
        (title, ""),
        ("Prepared", f"{_day(timezone.localdate())}, {timezone.localtime():%H:%M}"),
        ("Geography", "Local authority (England)"),
        *(_submission_line(la, submission) for la, submission in sources),
        ("Small numbers", small_numbers),
        ("Suppression rule", SUPPRESSION_RULE),
        ("Time periods", TIME_PERIODS),
        *(("Symbol " + symbol, meaning) for symbol, meaning in SYMBOLS),
        *((f"Status {status.value}", text) for status, text in STATUS_DESCRIPTIONS.items()),
        (f"Status {NO_SUBMISSION}", "The local authority has no figures for this indicator."),
        (f"Status {NO_FIGURE}", "The local authority has no figure for this period."),
        ("Use", NOT_A_PERFORMANCE_MEASURE),
        ("", ""),
        ("Definitions", ""),
    ]
    for indicator_id in dict.fromkeys(indicator_ids):
        if indicator_id in REGISTRY:
            lines += [*_definition(REGISTRY[indicator_id]), ("", "")]
    return [(_text(heading), _text(text)) for heading, text in lines]


# --- what each download holds ----------------------------------------------------------------


class UnknownPeriod(LookupError):
    """The period asked for is not one of the series' period ends (the view answers 404)."""


def _breakdown_period(series: Series, period_end: date | None) -> Point | None:
    """The point whose breakdowns a download holds: ``period_end``'s, else the one the
    indicator page shows by default (the latest with a figure, else the latest)."""
    if period_end is not None:
        return next((p for p in series.points if p.period_end == period_end), None)
    latest = timely.latest_with_number(series.points)
    return latest or (series.points[-1] if series.points else None)


def _la_export(
    user: User | AnonymousUser,
    la: LocalAuthority,
    indicator_id: str | None,
    period_end: date | None,
    title: str,
    filename: str,
) -> Export:
    order = {key: n for n, key in enumerate(REGISTRY)}
    all_series = sorted(
        queries.series_for_la(user, la, indicator_id),
        key=lambda s: (order.get(s.indicator_id, len(order)), s.indicator_id),
    )
    if period_end is not None and not any(
        p.period_end == period_end for s in all_series for p in s.points
    ):
        raise UnknownPeriod(period_end)
    place = _Place.of(la, _regions())
    breakdowns = []
    for series in all_series:
        indicator = REGISTRY.get(series.indicator_id)
        point = _breakdown_period(series, period_end)
        if point is not None and indicator is not None and indicator.breakdowns:
            tables = queries.breakdowns(user, la, series.indicator_id, point.period_end)
            breakdowns += breakdown_rows(place, series, point, tables)
    submission = all_series[0].submission if all_series else None
    indicator_ids = [s.indicator_id for s in all_series] or ([indicator_id] if indicator_id else [])
    unsuppressed = [la] if queries.sees_unsuppressed(user, la) else []
    return Export(
        title=title,
        filename=filename + (f"-{submission.as_of:%Y-%m-%d}" if submission else ""),
        sheets=[Sheet("Series", series_rows(place, all_series)), Sheet("Breakdowns", breakdowns)],
        cover=_cover(title, [(la, submission)], indicator_ids, unsuppressed),
    )


def la_export(user: User | AnonymousUser, la: LocalAuthority) -> Export:
    """An LA dashboard: every indicator's series (in registry order), and the breakdowns of
    the period its indicator page shows by default. ``OutOfScope`` when ``user`` may not see
    the LA's dashboard."""
    title = f"Timely indicators: {la.name} ({la.code})"
    return _la_export(user, la, None, None, title, f"timely-indicators-{la.code}")


def indicator_export(
    user: User | AnonymousUser, la: LocalAuthority, indicator_id: str, period_end: date | None
) -> Export:
    """One indicator of an LA, as its page shows it: the series, and the breakdowns for the
    period ending ``period_end`` (None: the page's default). ``OutOfScope`` as ``la_export``;
    ``UnknownPeriod`` when ``period_end`` is not one of the series' period ends."""
    title = f"{REGISTRY[indicator_id].title}: {la.name} ({la.code})"
    return _la_export(user, la, indicator_id, period_end, title, f"timely-{indicator_id}-{la.code}")


def portfolio_export(
    user: User | AnonymousUser, indicator_ids: Sequence[str], region: Region | None = None
) -> Export:
    """The portfolio of the LAs in ``user``'s scope (current LAs, of ``region`` only when
    given: a region, or Inner or Outer London), alphabetically: for each, each indicator's
    latest figure and the one 12 months before; every LA listed, with figures or not."""
    lines = queries.portfolio_lines(
        user, indicator_ids, region_code=region.code if region else None
    )
    child_level = set(
        local_authorities_for(user, Action.VIEW_CHILD_LEVEL).values_list("pk", flat=True)
    )
    named = f": {REGISTRY[indicator_ids[0]].title}" if len(indicator_ids) == 1 else ""
    title = f"Portfolio{named}" + (f", {region.name}" if region else "")
    stamp = "-".join(
        ["portfolio", *(indicator_ids if named else []), *([region.code] if region else [])]
    )
    return Export(
        title=title,
        filename=f"{stamp}-{timezone.localdate():%Y-%m-%d}",
        sheets=[Sheet("Portfolio", portfolio_rows(indicator_ids, lines, _regions()))],
        cover=_cover(
            title,
            [(line.local_authority, line.submission) for line in lines],
            indicator_ids,
            [line.local_authority for line in lines if line.local_authority.pk in child_level],
        ),
    )


# --- writing ---------------------------------------------------------------------------------


def _csv_cell(cell: Value) -> str:
    return f"{cell:f}" if isinstance(cell, Decimal) else str(cell)


def csv_lines(export: Export) -> Iterator[str]:
    """Every table's rows in one tidy CSV (``portal.spreadsheets``: byte order mark, formula
    guard), line by line."""
    rows = ([_csv_cell(c) for c in row] for sheet in export.sheets for row in sheet.rows)
    return spreadsheets.csv_lines(COLUMNS, rows)


def _cells(sheet: WriteOnlyWorksheet, values: Iterable[Value]) -> list[Cell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Decimal) else value)
        if isinstance(value, str):
            cell.data_type = "s"  # a string, whatever it looks like
        cells.append(cell)
    return cells


def write_xlsx(export: Export, out: IO[bytes]) -> None:
    """The cover sheet and one sheet per table, written to ``out`` (openpyxl write-only)."""
    workbook = Workbook(write_only=True)
    cover = workbook.create_sheet("Cover")
    cover.column_dimensions["A"].width = 40
    cover.column_dimensions["B"].width = 120
    for heading, text in export.cover:
        cover.append(_cells(cover, (heading, text)))
    for table in export.sheets:
        sheet = workbook.create_sheet(table.name)
        sheet.append(_cells(sheet, COLUMNS))
        for row in table.rows:
            sheet.append(_cells(sheet, row))
    workbook.save(out)
