"""The public dashboard: the published annual figures, open to everyone without signing in.

Three pages and their CSV downloads:

* ``index``: the indicators by National Framework outcome and enabler, and an LA chooser;
* ``indicator``: one indicator over time (LA, region, England, statistical neighbours), by
  region, across all LAs (or the LA and its ten neighbours; by region and name unless the
  reader asks for the order by figure) and against child poverty (a scatter), each chart with
  a GOV.UK table of the same figures, a text summary and a CSV download; with an LA, its
  local context (child poverty, free school meals);
* ``la_summary``: every indicator's latest figure for one LA with its trend and comparators,
  and its local context.

Every page says where its figures come from and when: the publication and file, the date its
publisher released it and when this service last updated its copy (the index and summary list
every file). The indicator page also says how to read the figure (``IndicatorSpec.guidance``).

Every view here is ``login_not_required`` (``dashboards.urls.public``). The tables, charts and
sentences come from ``dashboards.presentation``, shared with the restricted pages.

Speed: the part of a page that depends only on the data and the URL (everything inside
``<main>`` and the breadcrumbs) is rendered once and kept in the public cache
(``dashboards.cache``) as a ``Fragment``; the layout around it is rendered per request.
Anonymous responses say ``Cache-Control: public, max-age=300``; signed-in ones are made
``no-store`` by ``portal.middleware.NoStoreForSignedInMiddleware``.

A page is stored only once every query parameter has been checked against the data, so a
visitor cannot fill the cache with made-up variants; unknown indicators, LAs and years are 404s.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from dashboards.cache import BROWSER_MAX_AGE, Fragment, cached, request_key
from dashboards.models import Unit
from dashboards.presentation.charts import ChartSection, bar_spec, line_spec, scatter_spec
from dashboards.presentation.formatting import UNIT_LABELS, csv_number, format_value
from dashboards.presentation.summaries import over_time_summary, say, spread
from dashboards.presentation.tables import (
    SYMBOLS,
    TREND_SYMBOLS,
    Cell,
    Column,
    Row,
    RowGroup,
    Table,
    csv_text,
    value_cell,
)
from dashboards.published import downloads, queries
from dashboards.published.catalogue import (
    CONTEXT_SOURCE,
    ENABLER_LEADERS,
    ENABLER_MULTI_AGENCY,
    GROUP_NOTES,
    NATIONAL_CODE,
    OFSTED_LEADERSHIP_KEYS,
)
from portal.reference import comparison_group
from portal.spreadsheets import attachment, csv_text_download

VIEW_ALL = "all"
VIEW_NEIGHBOURS = "neighbours"

# What a valid query parameter can look like. A request with anything else cannot name a real
# page, so it skips the cache and is refused by the full check (a 404) without a cache key.
_PARAMETER_SHAPES = {
    "la": re.compile(r"[0-9]{3}"),
    "period": re.compile(r"[0-9]{4}"),
    "view": re.compile(f"{VIEW_ALL}|{VIEW_NEIGHBOURS}"),
    "order": re.compile(queries.Order.VALUE),
    "table": re.compile(r"[a-z]{1,10}"),
}


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


def _csv_response(download: tuple[str, str]) -> HttpResponse:
    """A (file name, CSV text) download, cacheable like the pages."""
    response = csv_text_download(*download)
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    return response


def _zip_response(filename: str, body: bytes) -> HttpResponse:
    """A zip download, cacheable like the pages."""
    response = attachment(HttpResponse(body, content_type="application/zip"), filename)
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    return response


# ---------------------------------------------------------------------------------------------
# Shared look-ups (cached)
# ---------------------------------------------------------------------------------------------


def _groups() -> list[queries.Group]:
    return cached("groups", [], queries.indicator_groups)


def _sources() -> list[queries.SourceFile]:
    """The files the figures come from, with their release and last-updated dates."""
    return cached("sources", [], queries.sources)


def _local_authorities() -> list[tuple[str, str, str]]:
    return cached("las", [], queries.local_authorities)


def _la_choices(empty_label: str) -> list[tuple[str, Any]]:
    """The LA chooser's options, grouped by region (``<optgroup>``), after an empty option."""
    by_region: dict[str, list[tuple[str, str]]] = {}
    for code, name, region in _local_authorities():
        by_region.setdefault(region, []).append((code, name))
    return [("", empty_label), *sorted(by_region.items())]


def _meta(key: str) -> queries.IndicatorMeta:
    """The indicator's metadata; 404 unless it is one of the loaded indicators."""
    known = {item.key for group in _groups() for head in group.headings for item in head.indicators}
    if key not in known:
        raise Http404("No such indicator.")
    meta = cached("meta", [key], lambda: queries.get_indicator(key))
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
        group = comparison_group(code)
        if group is None:  # removed from the reference data since the chooser was cached
            raise Http404("No such local authority.")
        neighbours = tuple(place.name for place in group.neighbours)
        return LaProfile(code, group.la.name, group.region.name, neighbours)

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


def _index_groups() -> list[tuple[queries.Group, str]]:
    """The outcomes and enablers with what the page says beyond their indicators.

    In the DfE dashboard's order: the multi-agency enabler, which has no indicators yet, comes
    first among the enablers, with its note that they are in development.
    """
    groups = _groups()
    first_enabler = next((i for i, group in enumerate(groups) if not group.is_outcome), len(groups))
    multi_agency = queries.Group(ENABLER_MULTI_AGENCY, is_outcome=False, headings=())
    ordered = [*groups[:first_enabler], multi_agency, *groups[first_enabler:]]
    return [(group, GROUP_NOTES.get(group.title, "")) for group in ordered]


def _index_fragment(form: ChooseLocalAuthorityForm) -> Fragment:
    context = {"groups": _index_groups(), "form": form, "sources": _sources()}
    html = render_to_string("dashboards/index.html", context)
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
    return _page(request, index_fragment())


def index_fragment() -> Fragment:
    """The home page as every visitor without a chooser mistake sees it (cached)."""
    return cached("index", [], lambda: _index_fragment(ChooseLocalAuthorityForm()))


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
    order = forms.ChoiceField(label="Order", required=False, widget=forms.RadioSelect, choices=[])

    def __init__(
        self, meta: queries.IndicatorMeta, data: dict[str, str], la_name: str = ""
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
        # The default order ranks nobody; ordering by value is there for those who ask.
        by_place = (
            "The local authority, then its neighbours, most similar first"
            if data.get("view") == VIEW_NEIGHBOURS
            else "By region, then name"
        )
        cast(forms.ChoiceField, self.fields["order"]).choices = [
            ("", by_place),
            (queries.Order.VALUE.value, "By figure, lowest to highest"),
        ]

    def resolve(self) -> tuple[str, str, str, queries.Order]:
        """(LA code or "", period label, view, order), after ``is_valid``: defaults filled in."""
        la = self.cleaned_data["la"]
        period = self.periods.get(
            self.cleaned_data["period"], next(iter(self.periods.values()), "")
        )
        view = self.cleaned_data["view"] if la else VIEW_ALL
        return la, period, view or VIEW_ALL, queries.Order(self.cleaned_data["order"] or "place")


def _query(
    params: dict[str, str], meta: queries.IndicatorMeta
) -> tuple[str, str, str, queries.Order]:
    form = IndicatorQuery(meta, params)
    if not form.is_valid():
        raise Http404("No such local authority, year, view or order.")
    return form.resolve()


def _indicator_url(
    key: str,
    la: str = "",
    period: str = "",
    view: str = "",
    csv: str = "",
    order: str = queries.Order.PLACE,
) -> str:
    name = "dashboards:indicator_csv" if csv else "dashboards:indicator"
    query = {
        "la": la,
        "period": _end_year(period) if period else "",
        "view": view,
        "order": "" if order == queries.Order.PLACE else order,
        "table": csv,
    }
    query = {field: value for field, value in query.items() if value and value != VIEW_ALL}
    url = reverse(name, kwargs={"key": key})
    return f"{url}?{urlencode(query)}" if query else url


def _national_series(meta: queries.IndicatorMeta) -> list[tuple[str, queries.Value]]:
    """England's figure for every period (for the page without an LA)."""
    series = []
    for period in meta.periods:
        points = queries.regional_comparison(meta.key, period)
        england = next((p.value for p in points if p.geography.code == NATIONAL_CODE), None)
        series.append((period, england or queries.NO_DATA))
    return series


def _over_time_section(meta: queries.IndicatorMeta, la: LaProfile | None) -> ChartSection:
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
        series = queries.time_series(meta.key, la.code)
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
                    Row(period, tuple(value_cell(v, meta.decimals) for v in values), (period,))
                    for period, values in rows
                ),
            ),
        ),
    )
    summary = over_time_summary(meta, subject, spoken, rows)
    single_year = len(meta.periods) == 1
    if single_year:
        # One year is a row of dots on an empty axis: the table alone says it.
        summary += f" This service has the figures for {last} only, so there is no chart over time."
    return ChartSection(
        id="over-time",
        heading=f"Figures for {last}" if single_year else "Over time",
        summary=summary,
        label=(
            f"Line chart: {meta.title}, {years}, for "
            + ", ".join(name for name, _ in columns)
            + ". The table after the chart gives every figure."
        ),
        chart=None if single_year else line_spec(meta, rows, columns),
        table=table,
        csv_url=_indicator_url(meta.key, la.code if la else "", csv="series"),
    )


def _regions_section(
    meta: queries.IndicatorMeta, period: str, la: LaProfile | None
) -> ChartSection:
    """England and every region for one year; the LA's region is marked."""
    points = queries.regional_comparison(meta.key, period)
    unit = UNIT_LABELS[Unit(meta.unit)]
    names = [point.geography.name for point in points]
    marked = names.index(la.region) if la and la.region in names else None
    england = next((i for i, p in enumerate(points) if p.geography.code == NATIONAL_CODE), None)
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
                        (value_cell(point.value, meta.decimals),),
                        (point.geography.name,),
                        tag=f"{la.name}'s region" if la and i == marked else "",
                    )
                    for i, point in enumerate(points)
                ),
            ),
        ),
    )
    england_value = points[england].value if england is not None else queries.NO_DATA
    summary = f"In {period}, England's figure was {say(england_value, meta, unit=True)}."
    ranged = spread([p for p in points if p.geography.code != NATIONAL_CODE], meta)
    if ranged:
        summary += f" Across regions it {ranged}."
    if la and marked is not None:
        summary += f" In {la.region}, {la.name}'s region, it was {say(points[marked].value, meta)}."
    return ChartSection(
        id="regions",
        heading=f"By region, {period}",
        summary=summary,
        label=f"Bar chart: {meta.title} for England and each region, {period}. "
        "The table after the chart gives every figure.",
        chart=bar_spec(meta, names, [p.value for p in points], marked, england),
        table=table,
        csv_url=_indicator_url(meta.key, la.code if la else "", period, csv="regions"),
        controls="dashboards/includes/period_form.html",
    )


def _las_section(
    meta: queries.IndicatorMeta, period: str, la: LaProfile, view: str, order: queries.Order
) -> ChartSection:
    """Every LA (or the LA and its ten neighbours) for one year, the LA marked.

    Not a league table: by default the LAs are in region and name order, in a row group per
    region (the neighbours view: the LA, then its neighbours, most similar first); ordered by
    value only when the reader asks (``order``).
    """
    neighbours_only = view == VIEW_NEIGHBOURS
    points = queries.all_las(meta.key, period, la.code, neighbours_only, order)
    unit = UNIT_LABELS[Unit(meta.unit)]
    selected = next((i for i, point in enumerate(points) if point.selected), None)
    columns = [Column("Region", ("Region",), numeric=False)]
    columns.append(Column(meta.period_type_label + " " + period, (period,)))
    if neighbours_only:
        columns.append(Column("Closeness (1 is the most similar)", ("Closeness",)))

    def cells(point: queries.Point) -> tuple[Cell, ...]:
        found: tuple[Cell, ...] = (Cell(point.region_name, (point.region_name,), numeric=False),)
        found += (value_cell(point.value, meta.decimals),)
        if neighbours_only:
            closeness = str(point.neighbour_rank or "")
            found += (Cell(closeness or "Selected", (closeness,)),)
        return found

    def as_row(point: queries.Point) -> Row:
        return Row(
            point.geography.name,
            cells(point),
            (point.geography.name, point.geography.code),
            tag="Selected" if point.selected else "",
        )

    scope = (
        f"{la.name} and its statistical neighbours" if neighbours_only else "All local authorities"
    )
    if order == queries.Order.VALUE:
        ordered = "lowest to highest"
    else:
        ordered = "most similar neighbour first" if neighbours_only else "by region and name"
    by_region: dict[str, list[Row]] = {}
    for point in points:
        by_region.setdefault(point.region_name, []).append(as_row(point))
    grouped = order == queries.Order.PLACE and not neighbours_only
    table = Table(
        caption=f"{meta.title}: {scope}, {period} ({unit}), {ordered}",
        header=Column("Local authority", ("Local authority", "LA code"), numeric=False),
        columns=tuple(columns),
        groups=tuple(RowGroup(region, tuple(rows)) for region, rows in by_region.items())
        if grouped
        else (RowGroup("", tuple(as_row(point) for point in points)),),
    )
    own = points[selected].value if selected is not None else queries.NO_DATA
    summary = f"In {period}, {la.name}'s figure was {say(own, meta, unit=True)}."
    others = [point for point in points if not point.selected]
    numbers = [point.value.value for point in others if point.value.value is not None]
    ranged = spread(others, meta)
    if ranged:
        median = statistics.median(numbers)
        median_text = format_value(median, meta.unit, meta.decimals)
        group = "its statistical neighbours" if neighbours_only else "the other local authorities"
        summary += (
            f" Among {group} with a figure ({len(numbers)}), figures {ranged}; "
            f"the middle value was {median_text}."
        )
    missing = len(others) - len(numbers)
    if missing:
        summary += f" {missing} had no published figure (see the table)."
    return ChartSection(
        id="local-authorities",
        heading=f"{scope}, {period}",
        summary=summary,
        label=f"Bar chart: {meta.title}, {scope.lower()}, {period}, {ordered}, with "
        f"{la.name} marked. The table after the chart gives every figure.",
        chart=bar_spec(
            meta, [p.geography.name for p in points], [p.value for p in points], selected
        ),
        table=table,
        csv_url=_indicator_url(meta.key, la.code, period, view, csv="las", order=order),
        controls="dashboards/includes/view_form.html",
        table_collapsed=not neighbours_only,
    )


# Local authorities whose child poverty is within this many percentage points of the chosen
# LA's are "similar" in the scatter chart's summary.
SIMILAR_POVERTY_POINTS = Decimal(2)


def _context_section(
    meta: queries.IndicatorMeta, period: str, la: LaProfile | None
) -> ChartSection | None:
    """Every LA's figure against its child poverty, the chosen LA marked; None without LA
    figures.

    Context, not a target: no line of best fit and no "expected" figure, and the summary
    describes the figures of LAs with similar child poverty without placing the LA among them.
    """
    scatter = queries.against_child_poverty(meta.key, period, la.code if la else None)
    if scatter is None:
        return None
    poverty, poverty_period = scatter.context, scatter.context_period
    unit = UNIT_LABELS[Unit(meta.unit)]
    both = [
        (point, context)
        for point, context in scatter.pairs
        if point.value.value is not None and context.value is not None
    ]
    own = next(((p, c) for p, c in scatter.pairs if p.selected), None)
    if la and own and own[0].value.value is not None and own[1].value is not None:
        centre = own[1].value
        low, high = centre - SIMILAR_POVERTY_POINTS, centre + SIMILAR_POVERTY_POINTS
        similar = [
            point
            for point, context in both
            if not point.selected and context.value is not None and low <= context.value <= high
        ]
        summary = (
            f"In {poverty_period}, {say(own[1], poverty)} of children in {la.name} lived in "
            f"relative low-income families; {la.name}'s figure for {period} was "
            f"{say(own[0].value, meta, unit=True)}."
        )
        values = [point.value.value for point in similar if point.value.value is not None]
        if values:
            summary += (
                f" The {len(values)} other local authorities with similar levels of child "
                f"poverty to {la.name} (between "
                f"{format_value(low, poverty.unit, poverty.decimals)} and "
                f"{format_value(high, poverty.unit, poverty.decimals)}) had figures between "
                f"{format_value(min(values), meta.unit, meta.decimals)} and "
                f"{format_value(max(values), meta.unit, meta.decimals)}."
            )
    elif la:
        summary = (
            f"{la.name} has no published figure for {period} or for child poverty in "
            f"{poverty_period}, so it is not on the chart."
        )
    else:
        summary = ""
    if not la and both:
        xs = [context.value for _, context in both if context.value is not None]
        ys = [point.value.value for point, _ in both if point.value.value is not None]
        summary = (
            f"Across the {len(both)} local authorities with both figures, the percentage of "
            f"children in relative low-income families in {poverty_period} ranged from "
            f"{format_value(min(xs), poverty.unit, poverty.decimals)} to "
            f"{format_value(max(xs), poverty.unit, poverty.decimals)}, and the figure for "
            f"{period} from "
            f"{format_value(min(ys), meta.unit, meta.decimals)} to "
            f"{format_value(max(ys), meta.unit, meta.decimals)}."
        )
    summary += (
        " Each point is a local authority. The chart has no trend line: child poverty helps "
        "explain differences between places, and no figure is expected from it."
    )
    poverty_column = f"Children in relative low-income families, {poverty_period}"
    table = Table(
        caption=f"{meta.title}, {period} ({unit}), and child poverty, {poverty_period} "
        "(percentage of children), for every local authority, by region and name",
        header=Column("Local authority", ("Local authority", "LA code"), numeric=False),
        columns=(
            Column("Region", ("Region",), numeric=False),
            Column(poverty_column, (poverty_column,)),
            Column(meta.period_type_label + " " + period, (period,)),
        ),
        groups=(
            RowGroup(
                "",
                tuple(
                    Row(
                        point.geography.name,
                        (
                            Cell(point.region_name, (point.region_name,), numeric=False),
                            value_cell(context, poverty.decimals),
                            value_cell(point.value, meta.decimals),
                        ),
                        (point.geography.name, point.geography.code),
                        tag="Selected" if point.selected else "",
                    )
                    for point, context in scatter.pairs
                ),
            ),
        ),
    )
    marked = next((i for i, (point, _) in enumerate(both) if point.selected), None)
    return ChartSection(
        id="child-poverty",
        heading=f"Beside child poverty, {period}",
        summary=summary,
        label=f"Scatter chart: {meta.title} in {period} (vertical axis) against the percentage "
        f"of children in relative low-income families in {poverty_period} (horizontal axis), "
        "one point per local authority"
        + (f", {la.name} marked" if la and marked is not None else "")
        + ". The table after the chart gives every figure.",
        chart=scatter_spec(
            meta,
            poverty,
            [point.geography.name for point, _ in both],
            [context for _, context in both],
            [point.value for point, _ in both],
            marked,
        ),
        table=table,
        csv_url=_indicator_url(meta.key, la.code if la else "", period, csv="context"),
        table_collapsed=True,
    )


def _sections(
    meta: queries.IndicatorMeta,
    la: LaProfile | None,
    period: str,
    view: str,
    order: queries.Order = queries.Order.PLACE,
) -> dict[str, ChartSection]:
    """The indicator page's chart sections by name (``series``, ``regions``, ``las``,
    ``context``).

    The Ofsted leadership indicators count LAs with a rating, so an LA's own figure is 1 or 0:
    no chart of every LA or beside child poverty for them (the page gives the LA's rating in
    words instead)."""
    over_time = _over_time_section(meta, la)
    sections = {"series": over_time}
    if meta.national_only:
        return sections
    sections["regions"] = _regions_section(meta, period, la)
    if meta.key in OFSTED_LEADERSHIP_KEYS:
        return sections
    if la:
        sections["las"] = _las_section(meta, period, la, view, order)
    context = _context_section(meta, period, la)
    if context:
        sections["context"] = context
    return sections


def _context_table(la: LaProfile) -> Table:
    """The local-context panel: child poverty and free school meals for the LA, its region,
    England and its neighbours' median, latest year."""
    found = queries.local_context(la.code)
    region = found.region.name
    return Table(
        caption=f"Local context: {la.name}",
        header=Column("Measure", ("Measure",), numeric=False),
        columns=(
            Column("Year", ("Year",), numeric=False),
            Column(la.name, (la.name,)),
            Column(region, (region,)),
            Column("England", ("England",)),
            Column("Statistical neighbours (median)", ("Statistical neighbours (median)",)),
        ),
        groups=(
            RowGroup(
                "",
                tuple(
                    Row(
                        row.indicator.title,
                        (
                            Cell(row.period or "", (row.period or "",), numeric=False),
                            value_cell(row.la, row.indicator.decimals),
                            value_cell(row.region, row.indicator.decimals),
                            value_cell(row.england, row.indicator.decimals),
                            value_cell(row.neighbours, row.indicator.decimals),
                        ),
                        (row.indicator.title,),
                    )
                    for row in found.rows
                ),
            ),
        ),
    )


def _indicator_fragment(
    meta: queries.IndicatorMeta,
    la: LaProfile | None,
    period: str,
    view: str,
    order: queries.Order = queries.Order.PLACE,
) -> Fragment:
    sections = _sections(meta, la, period, view, order)
    # The page's own controls show the current choices: a bound, valid form does that.
    chosen = {
        "la": la.code if la else "",
        "period": _end_year(period) if period else "",
        "view": view,
        "order": "" if order == queries.Order.PLACE else order.value,
    }
    query = IndicatorQuery(meta, chosen, la_name=la.name if la else "")
    query.is_valid()
    context = {
        "meta": meta,
        "la": la,
        "period": period,
        "view": view,
        "order": chosen["order"],
        "query": query,
        "local_context": _context_table(la) if la else None,
        "context_source": CONTEXT_SOURCE,
        "sections": list(sections.values()),
        "symbols": SYMBOLS,
        "action": reverse("dashboards:indicator", kwargs={"key": meta.key}),
        "leadership": (
            queries.leadership_rating(la.code)
            if la and meta.key in OFSTED_LEADERSHIP_KEYS
            else None
        ),
        # The chart images' file names: cla_rate-302-over-time.png, cla_rate-england-regions.png
        "chart_file_stem": f"{meta.key}-{la.code if la else 'england'}",
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
    """One indicator: over time, by region and across LAs, with how to read it, definitions
    and caveats."""
    return _page(request, indicator_fragment(key, request.GET.dict()))


def indicator_fragment(key: str, params: dict[str, str]) -> Fragment:
    """The indicator page for these query parameters (``la``, ``period``, ``view``,
    ``order``), cached once they are checked; 404 for an unknown indicator, LA, year, view or
    order."""

    def build() -> Fragment:
        meta = _meta(key)
        la_code, period, view, order = _query(params, meta)
        la = _profile(la_code) if la_code else None
        return _indicator_fragment(meta, la, period, view, order)

    args = request_key(params, _PARAMETER_SHAPES, "la", "period", "view", "order")
    return cached("indicator", args and [key, *args], build)


@login_not_required
@require_safe
def indicator_csv(request: HttpRequest, key: str) -> HttpResponse:
    """One of the indicator page's tables (``?table=series|regions|las``) as CSV."""

    def build() -> tuple[str, str]:
        meta = _meta(key)
        la_code, period, view, order = _query(request.GET.dict(), meta)
        la = _profile(la_code) if la_code else None
        name = request.GET.get("table", "")
        sections = _sections(meta, la, period, view, order)
        if name not in sections:
            raise Http404("No such table.")
        parts = [key, name, la_code, _end_year(period) if name != "series" else ""]
        if name == "las" and view == VIEW_NEIGHBOURS:
            parts.append("neighbours")
        if name == "las" and order == queries.Order.VALUE:
            parts.append("by-value")
        return "-".join(p for p in parts if p) + ".csv", csv_text(sections[name].table)

    args = request_key(
        request.GET.dict(), _PARAMETER_SHAPES, "la", "period", "view", "order", "table"
    )
    return _csv_response(cached("indicator-csv", args and [key, *args], build))


# ---------------------------------------------------------------------------------------------
# LA summary page
# ---------------------------------------------------------------------------------------------


def _summary_tables(la: LaProfile) -> list[Table]:
    """One table per outcome or enabler, a row group per heading, a row per indicator."""
    rows = queries.la_summary(la.code)
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
        if row.trend != queries.Trend.NOT_COMPARABLE and row.previous_period:
            word += f" from {row.previous.display} in {row.previous_period}"
        previous = (
            csv_number(row.previous.value, item.decimals)
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
            value_cell(row.la, item.decimals),
            trend,
            value_cell(row.region, item.decimals),
            value_cell(row.england, item.decimals),
            value_cell(row.neighbours, item.decimals),
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
        "local_context": _context_table(la),
        "context_source": CONTEXT_SOURCE,
        "tables": _summary_tables(la),
        "symbols": SYMBOLS,
        "form": ChooseLocalAuthorityForm(initial={"la": la.code}),
        "csv_url": reverse("dashboards:la_summary_csv", args=[la.code]),
        "sources": _sources(),
        "leadership": queries.leadership_rating(la.code),
        "leaders_group": ENABLER_LEADERS,
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
    return _page(request, la_summary_fragment(la_code))


def la_summary_fragment(la_code: str) -> Fragment:
    """The LA summary page (cached); 404 unless it is a current LA."""
    args = [la_code] if _PARAMETER_SHAPES["la"].fullmatch(la_code) else None
    return cached("la-summary", args, lambda: _la_fragment(_profile(la_code)))


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


# ---------------------------------------------------------------------------------------------
# Data downloads (Explore Education Statistics format)
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_safe
def indicator_data(request: HttpRequest, key: str) -> HttpResponse:
    """One indicator's every stored figure (every geography and period) as an EES tidy CSV."""

    def build() -> tuple[str, str]:
        _meta(key)  # 404 unless it is a loaded public indicator
        return downloads.indicator_csv(key)

    return _csv_response(cached("indicator-data", [key], build))


@login_not_required
@require_safe
def dashboard_data(request: HttpRequest) -> HttpResponse:
    """Every public indicator's figures, the EES metadata file and the data guidance, zipped."""
    return _zip_response(downloads.ZIP_NAME, dashboard_zip())


def dashboard_zip() -> bytes:
    """The whole dashboard's download (cached: it takes seconds to build)."""
    return cached("dashboard-data", [], downloads.dashboard_zip)
