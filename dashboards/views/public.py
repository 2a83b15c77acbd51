"""The public dashboard: the published annual figures, open to everyone without signing in.

Three pages and their CSV downloads:

* ``index``: the indicators by National Framework outcome and enabler, and an LA chooser;
* ``indicator``: one indicator over time (LA, region, England, statistical neighbours), by
  region and across all LAs (or the LA and its ten neighbours), each chart with a GOV.UK table
  of the same figures, a text summary and a CSV download;
* ``la_summary``: every indicator's latest figure for one LA with its trend and comparators.

Speed: the part of a page that depends only on the data and the URL (everything inside
``<main>`` and the breadcrumbs) is rendered once and kept in Django's cache (Redis in
production, shared by every worker) as a ``Fragment``. The layout around it is rendered per
request, because it carries this request's CSP nonce and, for a signed-in visitor, their own
navigation; whole-page caching (``cache_page``) would replay both to other people. Cached
entries carry the data version they were built from, so reloaded figures show within a minute
(see ``_read_data_version``).
Anonymous responses say ``Cache-Control: public, max-age=300``; signed-in ones are made
``no-store`` by ``portal.middleware.NoStoreForSignedInMiddleware``.

A page is stored only once every query parameter has been checked against the data, so a
visitor cannot fill the cache with made-up variants; unknown indicators, LAs and years are 404s.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar, cast

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from dashboards.models import PublishedIndicator, PublishedValue, Unit
from dashboards.published import catalogue as published
from portal.models import LocalAuthority, StatisticalNeighbour
from portal.spreadsheets import formula_safe

T = TypeVar("T")

#: How long a rendered fragment or query result is kept. The data version in every key makes a
#: reload visible sooner; this bounds how long unused entries occupy the cache.
CACHE_SECONDS = 60 * 60
#: How long browsers and shared proxies may reuse an anonymous page.
BROWSER_MAX_AGE = 5 * 60
#: How often the data version is read from the database (per cache, not per request).
VERSION_SECONDS = 60
_VERSION_KEY = "dashboards:data-version"

VIEW_ALL = "all"
VIEW_NEIGHBOURS = "neighbours"

# What a unit's figures are called in axis titles, captions and summaries.
UNIT_LABELS = {
    Unit.PERCENT: "percentage",
    Unit.RATE_PER_10K: "rate per 10,000 children",
    Unit.COUNT: "number",
    Unit.MONTHS: "months",
    Unit.SCORE: "score",
    Unit.RATIO: "ratio",
    Unit.CURRENCY: "pounds",
}
# Figures that need their unit spelled out in a sentence ("67 per 10,000 children").
UNIT_SUFFIXES = {Unit.RATE_PER_10K: " per 10,000 children", Unit.MONTHS: " months"}
TREND_SYMBOLS = {
    published.Trend.UP: ("↑", "Up"),
    published.Trend.DOWN: ("↓", "Down"),
    published.Trend.SAME: ("→", "No change"),
    published.Trend.NOT_COMPARABLE: ("", "Cannot compare"),
}
MISSING_MEANING = "Nothing was published for this area and year."
# The symbols the tables may show, with what they mean (the "What the symbols mean" details).
SYMBOLS = [
    *published.SUPPRESSION_EXPLANATIONS.items(),
    (published.MISSING_DISPLAY, MISSING_MEANING),
]


# ---------------------------------------------------------------------------------------------
# Caching
# ---------------------------------------------------------------------------------------------


def _read_data_version() -> str:
    """A token that changes when ``load_published_data`` adds, removes or reloads figures.

    The loader keeps no version of its own, so this is read from the data: the highest value
    and indicator ids (new rows get new ids) and the indicators' period lists. It is cached for
    ``VERSION_SECONDS``, so at most one small query a minute reaches the database. A reload that
    only revises figures in place keeps the ids; its pages refresh within ``CACHE_SECONDS``.
    """
    highest = PublishedValue.objects.aggregate(Max("pk"))["pk__max"]
    indicators = PublishedIndicator.objects.aggregate(Max("pk"))["pk__max"]
    # A stable digest (not hash(), which differs between processes sharing the cache).
    periods = json.dumps(list(PublishedIndicator.objects.values_list("key", "periods")))
    version = f"{highest}-{indicators}-{hashlib.sha256(periods.encode()).hexdigest()[:12]}"
    cache.set(_VERSION_KEY, version, VERSION_SECONDS)
    return version


def cached(name: str, args: Iterable[object] | None, build: Callable[[], T]) -> T:
    """``build()``, kept in the cache under ``name`` and ``args`` with the data version it was
    built from, and rebuilt when the version has moved on.

    One cache round trip on a hit: the entry and the current version are fetched together.
    Only what ``build`` returns is stored, so a key made from a request that turns out to be
    invalid (``build`` raises ``Http404``) never fills the cache. ``args=None``: not cached.
    """
    if args is None:
        return build()
    key = ":".join(["dashboards", name, *(str(arg) for arg in args)])
    found = cache.get_many([_VERSION_KEY, key])
    version = found.get(_VERSION_KEY) or _read_data_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return cast(T, entry[1])
    value = build()
    cache.set(key, (version, value), CACHE_SECONDS)
    return value


@dataclass(frozen=True)
class Fragment:
    """The cacheable part of a page: it depends on the data and the URL, never on the visitor."""

    title: str
    html: str
    breadcrumbs: str = ""
    charts: bool = False


# What a valid query parameter can look like. A request with anything else cannot name a real
# page, so it skips the cache and is refused by the full check (a 404) without a cache key.
_PARAMETER_SHAPES = {
    "la": re.compile(r"[0-9]{3}"),
    "period": re.compile(r"[0-9]{4}"),
    "view": re.compile(f"{VIEW_ALL}|{VIEW_NEIGHBOURS}"),
    "table": re.compile(r"[a-z]{1,10}"),
}


def request_key(request: HttpRequest, *names: str) -> list[str] | None:
    """The named query parameters as a cache key, checked for shape only (which is all a cache
    hit needs: only pages built from fully checked parameters are ever stored)."""
    values = [request.GET.get(name, "") for name in names]
    for name, value in zip(names, values, strict=True):
        if value and not _PARAMETER_SHAPES[name].fullmatch(value):
            return None
    return values


def _page(request: HttpRequest, fragment: Fragment, **context: Any) -> HttpResponse:
    """The fragment inside the site layout, cacheable by browsers and proxies when anonymous."""
    response = render(request, "dashboards/page.html", {"fragment": fragment, **context})
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    return response


def _breadcrumbs(*trail: tuple[str, str]) -> str:
    links = [("Home", reverse("home")), ("Published figures", reverse("dashboards:index"))]
    return render_to_string(
        "dashboards/includes/breadcrumbs.html", {"breadcrumbs": [*links, *trail]}
    )


# ---------------------------------------------------------------------------------------------
# Tables: one structure renders as the GOV.UK table and as its CSV download
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column heading; ``csv`` are the CSV columns it becomes (a trend becomes three)."""

    label: str
    csv: tuple[str, ...]
    numeric: bool = True


@dataclass(frozen=True)
class Cell:
    """A table cell as shown (``text``) and as CSV fields (``csv``).

    ``meaning`` explains a suppression symbol to screen readers; ``symbol`` is a trend arrow,
    hidden from them because ``text`` says the same in words; ``note`` is shown under the
    figure (a joint return's).
    """

    text: str
    csv: tuple[str, ...]
    meaning: str = ""
    symbol: str = ""
    note: str = ""
    numeric: bool = True


@dataclass(frozen=True)
class Row:
    """A row: its header (``csv``: the header's CSV fields), cells, and an optional link and tag."""

    header: str
    cells: tuple[Cell, ...]
    csv: tuple[str, ...]
    href: str = ""
    tag: str = ""


@dataclass(frozen=True)
class RowGroup:
    """Rows under an optional sub-heading (a ``<tbody>`` with a rowgroup header)."""

    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Table:
    """A table: its caption, the row-header column, the other columns and the rows."""

    caption: str
    header: Column
    columns: tuple[Column, ...]
    groups: tuple[RowGroup, ...]

    @property
    def row_count(self) -> int:
        return sum(len(group.rows) for group in self.groups)


def _plain(number: Decimal, decimals: int) -> str:
    """A number for CSV: rounded as the tables show it, without separators or units."""
    return f"{number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"


def _value_cell(value: published.Value, decimals: int) -> Cell:
    if value.value is not None:
        return Cell(value.display, (_plain(value.value, decimals),), note=value.note)
    return Cell(value.display, (value.display,), meaning=value.explanation or MISSING_MEANING)


def _number(value: published.Value, decimals: int) -> float | None:
    """A figure for a chart, rounded as the table shows it (so tooltips and table agree)."""
    if value.value is None:
        return None
    return float(_plain(value.value, decimals))


def csv_text(table: Table) -> str:
    """The table as CSV: one header row, then every row of every group."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*table.header.csv, *(name for column in table.columns for name in column.csv)])
    for group in table.groups:
        for row in group.rows:
            fields = [*row.csv, *(field for cell in row.cells for field in cell.csv)]
            writer.writerow([formula_safe(field) for field in fields])
    # A byte-order mark so Excel reads the file as UTF-8 (the pound sign).
    return "\ufeff" + out.getvalue()


def _csv_response(download: tuple[str, str]) -> HttpResponse:
    """A (file name, CSV text) download, cacheable like the pages."""
    filename, text = download
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    return response


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSection:
    """A chart with its heading, text summary, accessible name, table and CSV link.

    ``chart`` is the spec ``charts.js`` draws (passed with ``json_script``); ``controls`` names
    a template of controls shown under the heading.
    """

    id: str
    heading: str
    summary: str
    label: str
    chart: dict[str, Any]
    table: Table
    csv_url: str
    controls: str = ""
    table_collapsed: bool = False

    @property
    def chart_id(self) -> str:
        return f"{self.id}-data"


def _format(meta: published.IndicatorMeta) -> dict[str, Any]:
    return {
        "prefix": "£" if meta.unit == Unit.CURRENCY else "",
        "suffix": "%" if meta.unit == Unit.PERCENT else "",
        "decimals": meta.decimals,
    }


def _bar_spec(
    meta: published.IndicatorMeta,
    names: Sequence[str],
    values: Sequence[published.Value],
    highlight: int | None,
    reference: int | None = None,
) -> dict[str, Any]:
    return {
        "kind": "bar",
        "labels": list(names),
        "series": [
            {
                "label": meta.title,
                "role": "la",
                "values": [_number(v, meta.decimals) for v in values],
            }
        ],
        "highlight": highlight,
        "reference": reference,
        "axisTitle": UNIT_LABELS[Unit(meta.unit)].capitalize(),
        "format": _format(meta),
    }


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------


def _say(value: published.Value, meta: published.IndicatorMeta, unit: bool = False) -> str:
    """A figure in a sentence: "22.6%", "67" ("67 per 10,000 children" with ``unit``, for its
    first mention), "not published (c: ...)"."""
    if value.value is not None:
        return value.display + (UNIT_SUFFIXES.get(Unit(meta.unit), "") if unit else "")
    if value.suppression:
        return f"not published ({value.suppression}: {value.explanation.lower()})"
    return "not available"


def _spread(points: Sequence[published.Point], meta: published.IndicatorMeta) -> str:
    """ "ranged from 12.0% in X to 30.1% in Y" over the points that have a number."""
    numbered = [point for point in points if point.value.value is not None]
    if len(numbered) < 2:
        return ""
    low = min(numbered, key=lambda point: point.value.value or 0)
    high = max(numbered, key=lambda point: point.value.value or 0)
    return (
        f"ranged from {_say(low.value, meta)} in {low.geography.name} "
        f"to {_say(high.value, meta)} in {high.geography.name}"
    )


# ---------------------------------------------------------------------------------------------
# Shared look-ups (cached)
# ---------------------------------------------------------------------------------------------


def _groups() -> list[published.Group]:
    return cached("groups", [], published.indicator_groups)


def _local_authorities() -> list[tuple[str, str, str]]:
    return cached("las", [], published.local_authorities)


def _la_choices(empty_label: str) -> list[tuple[str, Any]]:
    """The LA chooser's options, grouped by region (``<optgroup>``), after an empty option."""
    by_region: dict[str, list[tuple[str, str]]] = {}
    for code, name, region in _local_authorities():
        by_region.setdefault(region, []).append((code, name))
    return [("", empty_label), *sorted(by_region.items())]


def _meta(key: str) -> published.IndicatorMeta:
    """The indicator's metadata; 404 unless it is one of the loaded indicators."""
    known = {item.key for group in _groups() for head in group.headings for item in head.indicators}
    if key not in known:
        raise Http404("No such indicator.")
    meta = cached("meta", [key], lambda: published.get_indicator(key))
    if meta is None:
        raise Http404("No such indicator.")
    return meta


@dataclass(frozen=True)
class LaProfile:
    """What pages say about an LA besides its figures."""

    code: str
    name: str
    region: str  # the region it is compared with: Inner or Outer London for London boroughs
    neighbours: tuple[str, ...]


def _profile(code: str) -> LaProfile:
    """The LA's profile; 404 unless it is a current LA (the ones the chooser offers)."""
    if code not in {la[0] for la in _local_authorities()}:
        raise Http404("No such local authority.")

    def build() -> LaProfile:
        name, sub_region, region = LocalAuthority.objects.values_list(
            "name", "sub_region__name", "region__name"
        ).get(code=code)
        # Neighbours from the latest model loaded, closest first.
        links = StatisticalNeighbour.objects.filter(la__code=code).order_by("-model_year", "rank")
        rows = list(links.values_list("model_year", "neighbour__name"))
        neighbours = tuple(other for year, other in rows if year == rows[0][0])
        return LaProfile(code, name, sub_region or region, neighbours)

    return cached("la", [code], build)


# ---------------------------------------------------------------------------------------------
# Home page
# ---------------------------------------------------------------------------------------------


class ChooseLocalAuthorityForm(forms.Form):
    """The LA chooser of the home and LA summary pages (a GET form that leads to the summary)."""

    la = forms.ChoiceField(
        label="Local authority",
        choices=lambda: _la_choices("Select a local authority"),
        error_messages={
            "required": "Select a local authority",
            "invalid_choice": "Select a local authority from the list",
        },
    )


def _index_fragment(form: ChooseLocalAuthorityForm) -> Fragment:
    html = render_to_string("dashboards/index.html", {"groups": _groups(), "form": form})
    return Fragment(title="Published figures", html=html)


@login_not_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The indicators by outcome and enabler; ``?la=CODE`` (the chooser) opens that LA's summary."""
    if "la" in request.GET:
        form = ChooseLocalAuthorityForm(request.GET)
        if form.is_valid():
            return redirect("dashboards:la_summary", la_code=form.cleaned_data["la"])
        # Not cached: it shows this visitor's mistake.
        return _page(request, _index_fragment(form), form=form)
    fragment = cached("index", [], lambda: _index_fragment(ChooseLocalAuthorityForm()))
    return _page(request, fragment)


# ---------------------------------------------------------------------------------------------
# Indicator page
# ---------------------------------------------------------------------------------------------


def _end_year(period: str) -> str:
    """The year a period ends in, used in URLs: "2025" for "2025" and for "2024/25"."""
    return str(int(period[:4]) + 1) if "/" in period else period


class IndicatorQuery(forms.Form):
    """The indicator page's query string: which LA, which year for comparisons, which LAs."""

    la = forms.ChoiceField(
        label="Local authority",
        required=False,
        choices=lambda: _la_choices("None (England and regions only)"),
    )
    period = forms.ChoiceField(label="Year for the comparisons", required=False)
    view = forms.ChoiceField(
        label="Compare with", required=False, widget=forms.RadioSelect, choices=[]
    )

    def __init__(
        self, meta: published.IndicatorMeta, data: dict[str, str], la_name: str = ""
    ) -> None:
        super().__init__(data)
        # Newest first; the URL names a period by the year it ends in ("2025" for "2024/25").
        self.periods = {_end_year(period): period for period in reversed(meta.periods)}
        cast(forms.ChoiceField, self.fields["period"]).choices = list(self.periods.items())
        neighbours = f"{la_name} and its 10 statistical neighbours" if la_name else "Neighbours"
        cast(forms.ChoiceField, self.fields["view"]).choices = [
            (VIEW_ALL, "All local authorities"),
            (VIEW_NEIGHBOURS, neighbours),
        ]

    def resolve(self) -> tuple[str, str, str]:
        """(LA code or "", period label, view), after ``is_valid``: defaults filled in."""
        la = self.cleaned_data["la"]
        period = self.periods.get(
            self.cleaned_data["period"], next(iter(self.periods.values()), "")
        )
        view = self.cleaned_data["view"] if la else VIEW_ALL
        return la, period, view or VIEW_ALL


def _query(request: HttpRequest, meta: published.IndicatorMeta) -> tuple[str, str, str]:
    form = IndicatorQuery(meta, request.GET.dict())
    if not form.is_valid():
        raise Http404("No such local authority, year or view.")
    return form.resolve()


def _indicator_url(key: str, la: str = "", period: str = "", view: str = "", csv: str = "") -> str:
    name = "dashboards:indicator_csv" if csv else "dashboards:indicator"
    query = {"la": la, "period": _end_year(period) if period else "", "view": view, "table": csv}
    query = {field: value for field, value in query.items() if value and value != VIEW_ALL}
    url = reverse(name, kwargs={"key": key})
    return f"{url}?{urlencode(query)}" if query else url


def _national_series(meta: published.IndicatorMeta) -> list[tuple[str, published.Value]]:
    """England's figure for every period (for the page without an LA)."""
    series = []
    for period in meta.periods:
        points = published.regional_comparison(meta.key, period)
        england = next(
            (p.value for p in points if p.geography.code == published.NATIONAL_CODE), None
        )
        series.append((period, england or published.NO_DATA))
    return series


def _over_time_section(meta: published.IndicatorMeta, la: LaProfile | None) -> ChartSection:
    """The time series: the LA against its region, England and its neighbours' median."""
    unit = UNIT_LABELS[Unit(meta.unit)]
    neighbours_label = (
        "Statistical neighbours (total)"
        if meta.sn_aggregation == "sum"
        else "Statistical neighbours (median)"
    )
    columns: list[tuple[str, str]]  # (label, chart role)
    if la is None or meta.national_only:
        rows = [(period, [england]) for period, england in _national_series(meta)]
        columns = [("England", "england")]
        subject = "England"
        spoken = ["England"]
    else:
        series = published.time_series(meta.key, la.code)
        rows = [(r.period, [r.la, r.region, r.england, r.neighbours]) for r in series.rows]
        columns = [
            (la.name, "la"),
            (la.region, "region"),
            ("England", "england"),
            (neighbours_label, "neighbours"),
        ]
        subject = la.name
        spoken = [la.name, la.region, "England", "its statistical neighbours"]
    first, last = (meta.periods[0], meta.periods[-1]) if meta.periods else ("", "")
    years = last if first == last else f"{first} to {last}"
    table = Table(
        caption=f"{meta.title}: {subject} over time, {years} ({unit})",
        header=Column("Year", ("Year",), numeric=False),
        columns=tuple(Column(label, (label,)) for label, _ in columns),
        groups=(
            RowGroup(
                "",
                tuple(
                    Row(period, tuple(_value_cell(v, meta.decimals) for v in values), (period,))
                    for period, values in rows
                ),
            ),
        ),
    )
    chart = {
        "kind": "line",
        "labels": [period for period, _ in rows],
        "series": [
            {
                "label": label,
                "role": role,
                "values": [_number(v[i], meta.decimals) for _, v in rows],
            }
            for i, (label, role) in enumerate(columns)
        ],
        "highlight": None,
        "axisTitle": unit.capitalize(),
        "format": _format(meta),
    }
    return ChartSection(
        id="over-time",
        heading="Over time",
        summary=_over_time_summary(meta, subject, spoken, rows),
        label=(
            f"Line chart: {meta.title}, {years}, for "
            + ", ".join(name for name, _ in columns)
            + ". The table after the chart gives every figure."
        ),
        chart=chart,
        table=table,
        csv_url=_indicator_url(meta.key, la.code if la else "", csv="series"),
    )


def _over_time_summary(
    meta: published.IndicatorMeta,
    subject: str,
    names: Sequence[str],
    rows: Sequence[tuple[str, Sequence[published.Value]]],
) -> str:
    """ "In 2025, Barnsley's figure was 24.0%, compared with 22.6% for England, ... ." """
    if not rows:
        return f"No figures have been published for {subject}."
    period, values = rows[-1]
    text = f"In {period}, {subject}'s figure was {_say(values[0], meta, unit=True)}"
    comparisons = [
        f"{_say(value, meta)} for {name}" for name, value in zip(names[1:], values[1:], strict=True)
    ]
    if comparisons:
        text += ", compared with " + ", ".join(comparisons[:-1])
        text += (" and " if len(comparisons) > 1 else "") + comparisons[-1]
    text += "."
    if len(rows) > 1:
        earlier_period, earlier = rows[-2]
        text += f" In {earlier_period} it was {_say(earlier[0], meta)}."
    return text


def _regions_section(
    meta: published.IndicatorMeta, period: str, la: LaProfile | None
) -> ChartSection:
    """England and every region for one year; the LA's region is marked."""
    points = published.regional_comparison(meta.key, period)
    unit = UNIT_LABELS[Unit(meta.unit)]
    names = [point.geography.name for point in points]
    marked = names.index(la.region) if la and la.region in names else None
    england = next(
        (i for i, p in enumerate(points) if p.geography.code == published.NATIONAL_CODE), None
    )
    table = Table(
        caption=f"{meta.title}: England and regions, {period} ({unit})",
        header=Column("Area", ("Area",), numeric=False),
        columns=(Column(meta.period_type_label + " " + period, (period,)),),
        groups=(
            RowGroup(
                "",
                tuple(
                    Row(
                        point.geography.name,
                        (_value_cell(point.value, meta.decimals),),
                        (point.geography.name,),
                        tag=f"{la.name}'s region" if la and i == marked else "",
                    )
                    for i, point in enumerate(points)
                ),
            ),
        ),
    )
    england_value = points[england].value if england is not None else published.NO_DATA
    summary = f"In {period}, England's figure was {_say(england_value, meta, unit=True)}."
    spread = _spread([p for p in points if p.geography.code != published.NATIONAL_CODE], meta)
    if spread:
        summary += f" Across regions it {spread}."
    if la and marked is not None:
        summary += (
            f" In {la.region}, {la.name}'s region, it was {_say(points[marked].value, meta)}."
        )
    return ChartSection(
        id="regions",
        heading=f"By region, {period}",
        summary=summary,
        label=f"Bar chart: {meta.title} for England and each region, {period}. "
        "The table after the chart gives every figure.",
        chart=_bar_spec(meta, names, [p.value for p in points], marked, england),
        table=table,
        csv_url=_indicator_url(meta.key, la.code if la else "", period, csv="regions"),
        controls="dashboards/includes/period_form.html",
    )


def _las_section(
    meta: published.IndicatorMeta, period: str, la: LaProfile, view: str
) -> ChartSection:
    """Every LA (or the LA and its ten neighbours) for one year, the LA marked."""
    neighbours_only = view == VIEW_NEIGHBOURS
    points = published.all_las(meta.key, period, la.code, neighbours_only)
    unit = UNIT_LABELS[Unit(meta.unit)]
    selected = next((i for i, point in enumerate(points) if point.selected), None)
    columns = [Column("Region", ("Region",), numeric=False)]
    columns.append(Column(meta.period_type_label + " " + period, (period,)))
    if neighbours_only:
        columns.append(Column("Neighbour rank (1 is closest)", ("Neighbour rank",)))

    def cells(point: published.Point) -> tuple[Cell, ...]:
        found: tuple[Cell, ...] = (Cell(point.region_name, (point.region_name,), numeric=False),)
        found += (_value_cell(point.value, meta.decimals),)
        if neighbours_only:
            rank = str(point.neighbour_rank or "")
            found += (Cell(rank or "Selected", (rank,)),)
        return found

    scope = (
        f"{la.name} and its statistical neighbours" if neighbours_only else "All local authorities"
    )
    table = Table(
        caption=f"{meta.title}: {scope}, {period} ({unit}), lowest to highest",
        header=Column("Local authority", ("Local authority", "LA code"), numeric=False),
        columns=tuple(columns),
        groups=(
            RowGroup(
                "",
                tuple(
                    Row(
                        point.geography.name,
                        cells(point),
                        (point.geography.name, point.geography.code),
                        tag="Selected" if point.selected else "",
                    )
                    for point in points
                ),
            ),
        ),
    )
    own = points[selected].value if selected is not None else published.NO_DATA
    summary = f"In {period}, {la.name}'s figure was {_say(own, meta, unit=True)}."
    others = [point for point in points if not point.selected]
    numbers = [point.value.value for point in others if point.value.value is not None]
    spread = _spread(others, meta)
    if spread:
        median = statistics.median(numbers)
        median_text = published.format_value(median, meta.unit, meta.decimals)
        group = "its statistical neighbours" if neighbours_only else "the other local authorities"
        summary += (
            f" Among {group} with a figure ({len(numbers)}), figures {spread}; "
            f"the middle value was {median_text}."
        )
    missing = len(others) - len(numbers)
    if missing:
        summary += f" {missing} had no published figure (see the table)."
    return ChartSection(
        id="local-authorities",
        heading=f"{scope}, {period}",
        summary=summary,
        label=f"Bar chart: {meta.title}, {scope.lower()}, {period}, lowest to highest, with "
        f"{la.name} marked. The table after the chart gives every figure.",
        chart=_bar_spec(
            meta, [p.geography.name for p in points], [p.value for p in points], selected
        ),
        table=table,
        csv_url=_indicator_url(meta.key, la.code, period, view, csv="las"),
        controls="dashboards/includes/view_form.html",
        table_collapsed=not neighbours_only,
    )


def _sections(
    meta: published.IndicatorMeta, la: LaProfile | None, period: str, view: str
) -> dict[str, ChartSection]:
    """The indicator page's chart sections by name (``series``, ``regions``, ``las``)."""
    over_time = _over_time_section(meta, la)
    sections = {"series": over_time}
    if meta.national_only:
        return sections
    sections["regions"] = _regions_section(meta, period, la)
    if la:
        sections["las"] = _las_section(meta, period, la, view)
    return sections


def _indicator_fragment(
    meta: published.IndicatorMeta, la: LaProfile | None, period: str, view: str
) -> Fragment:
    sections = _sections(meta, la, period, view)
    # The page's own controls show the current choices: a bound, valid form does that.
    query = IndicatorQuery(
        meta,
        {"la": la.code if la else "", "period": _end_year(period) if period else "", "view": view},
        la_name=la.name if la else "",
    )
    query.is_valid()
    context = {
        "meta": meta,
        "la": la,
        "period": period,
        "view": view,
        "query": query,
        "sections": list(sections.values()),
        "symbols": SYMBOLS,
        "action": reverse("dashboards:indicator", kwargs={"key": meta.key}),
    }
    trail = (
        [(f"{la.name}: summary", reverse("dashboards:la_summary", args=[la.code]))] if la else []
    )
    return Fragment(
        title=f"{meta.title}: {la.name if la else 'England'}",
        html=render_to_string("dashboards/indicator.html", context),
        breadcrumbs=_breadcrumbs(*trail),
        charts=True,
    )


@login_not_required
@require_safe
def indicator(request: HttpRequest, key: str) -> HttpResponse:
    """One indicator: over time, by region and across LAs, with definitions and caveats."""

    def build() -> Fragment:
        meta = _meta(key)
        la_code, period, view = _query(request, meta)
        la = _profile(la_code) if la_code else None
        return _indicator_fragment(meta, la, period, view)

    args = request_key(request, "la", "period", "view")
    return _page(request, cached("indicator", args and [key, *args], build))


@login_not_required
@require_safe
def indicator_csv(request: HttpRequest, key: str) -> HttpResponse:
    """One of the indicator page's tables (``?table=series|regions|las``) as CSV."""

    def build() -> tuple[str, str]:
        meta = _meta(key)
        la_code, period, view = _query(request, meta)
        la = _profile(la_code) if la_code else None
        name = request.GET.get("table", "")
        sections = _sections(meta, la, period, view)
        if name not in sections:
            raise Http404("No such table.")
        parts = [key, name, la_code, _end_year(period) if name != "series" else ""]
        if name == "las" and view == VIEW_NEIGHBOURS:
            parts.append("neighbours")
        return "-".join(p for p in parts if p) + ".csv", csv_text(sections[name].table)

    args = request_key(request, "la", "period", "view", "table")
    return _csv_response(cached("indicator-csv", args and [key, *args], build))


# ---------------------------------------------------------------------------------------------
# LA summary page
# ---------------------------------------------------------------------------------------------


def _summary_tables(la: LaProfile) -> list[Table]:
    """One table per outcome or enabler, a row group per heading, a row per indicator."""
    rows = published.la_summary(la.code)
    columns = (
        Column("Year", ("Year",), numeric=False),
        Column(la.name, (la.name,)),
        Column("Trend", ("Previous year", f"{la.name}, previous year", "Trend"), numeric=False),
        Column(la.region, (la.region,)),
        Column("England", ("England",)),
        Column("Statistical neighbours", ("Statistical neighbours (median or total)",)),
    )
    header = Column(
        "Indicator", ("Outcome or enabler", "Theme", "Indicator", "Unit"), numeric=False
    )
    tables: dict[str, dict[str, list[Row]]] = {}
    for row in rows:
        item = row.indicator
        symbol, word = TREND_SYMBOLS[row.trend]
        if row.trend != published.Trend.NOT_COMPARABLE and row.previous_period:
            word += f" from {row.previous.display} in {row.previous_period}"
        previous = (
            _plain(row.previous.value, item.decimals)
            if row.previous.value is not None
            else row.previous.display
        )
        trend = Cell(
            word,
            (row.previous_period or "", previous, row.trend.value),
            symbol=symbol,
            numeric=False,
        )
        cells = (
            Cell(row.period or "", (row.period or "",), numeric=False),
            _value_cell(row.la, item.decimals),
            trend,
            _value_cell(row.region, item.decimals),
            _value_cell(row.england, item.decimals),
            _value_cell(row.neighbours, item.decimals),
        )
        tables.setdefault(row.group, {}).setdefault(row.heading, []).append(
            Row(
                item.title,
                cells,
                (row.group, row.heading, item.title, UNIT_LABELS[Unit(item.unit)]),
                href=_indicator_url(item.key, la.code),
            )
        )
    return [
        Table(
            caption=group,
            header=header,
            columns=columns,
            groups=tuple(RowGroup(heading, tuple(items)) for heading, items in headings.items()),
        )
        for group, headings in tables.items()
    ]


def _la_fragment(la: LaProfile) -> Fragment:
    context = {
        "la": la,
        "tables": _summary_tables(la),
        "symbols": SYMBOLS,
        "form": ChooseLocalAuthorityForm(initial={"la": la.code}),
        "csv_url": reverse("dashboards:la_summary_csv", args=[la.code]),
    }
    return Fragment(
        title=f"{la.name}: summary of published figures",
        html=render_to_string("dashboards/la_summary.html", context),
        breadcrumbs=_breadcrumbs(),
    )


@login_not_required
@require_safe
def la_summary(request: HttpRequest, la_code: str) -> HttpResponse:
    """Every indicator's latest figure for one LA, with its trend, region, England and
    statistical neighbours."""
    args = [la_code] if _PARAMETER_SHAPES["la"].fullmatch(la_code) else None
    return _page(request, cached("la-summary", args, lambda: _la_fragment(_profile(la_code))))


@login_not_required
@require_safe
def la_summary_csv(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA summary as one CSV (every group's rows, with their group and theme)."""

    def build() -> tuple[str, str]:
        la = _profile(la_code)
        tables = _summary_tables(la)
        if not tables:
            raise Http404("No published figures.")
        combined = Table(
            caption=la.name,
            header=tables[0].header,
            columns=tables[0].columns,
            groups=tuple(group for table in tables for group in table.groups),
        )
        return f"summary-{la.code}.csv", csv_text(combined)

    args = [la_code] if _PARAMETER_SHAPES["la"].fullmatch(la_code) else None
    return _csv_response(cached("la-summary-csv", args, build))
