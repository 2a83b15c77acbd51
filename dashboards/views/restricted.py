"""The restricted dashboards: the timely figures from LAs' accepted extracts, beside the
published ones, for those who may see them.

* ``portfolio``: the LAs in the viewer's scope (a Case Lead's assigned LAs, a RISL's region,
  every LA for a national analyst; an LA user's own) with the key indicators' latest values,
  alphabetically, sortable and filterable by region;
* ``la``: one LA's dashboard, every timely indicator's latest figure and its change, beside
  the latest published figures, and the data quality of the submission they come from;
* ``indicator``: one indicator for one LA: the monthly series of rolling values with the
  published figures (LA, region, England, neighbours' median) on the same chart and table, the
  timely figure against the published one for each year to 31 March, breakdowns by child
  characteristic, context notes and what the indicator means.

Every read goes through ``indicators.queries``, which scopes it to the viewer and applies
small-number suppression to everyone but the LA's own users; nothing here is cached, because
what a page shows depends on who asks. Every view of these pages is audited
(``DASHBOARD_VIEWED``), so the DfE can see how the dashboards are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from dashboards import scoped_cache
from dashboards.cache import cached
from dashboards.presentation import timely
from dashboards.published import queries as published_queries
from dashboards.scoped_cache import figures_version, scope_key
from indicators import queries
from indicators.notes import note_counts, notes_for
from indicators.registry import NOT_A_PERFORMANCE_MEASURE, REGISTRY, STATUS_DESCRIPTIONS, Indicator
from portal.access import (
    Action,
    OutOfScope,
    can,
    local_authorities_for,
    requires,
    scope_fingerprint,
)
from portal.audit import AuditAction, record
from portal.models import LocalAuthority, Region
from submissions.models import Submission
from submissions.services import Figures, Quality, figures_source, quality_summary

#: The indicators the portfolio shows for every LA (one each of the National Framework
#: outcomes' timely measures that every CIN format can supply, and children in care).
KEY_INDICATORS = ("rereferral_12m", "nfa_at_assessment", "repeat_cpp_12m", "cla_rate")
NEIGHBOURS_LABEL = "Statistical neighbours (median)"


def dashboard_la(request: HttpRequest, la_code: str) -> LocalAuthority:
    """The LA of the page; 404 when there is none or the viewer may not see its dashboard."""
    la = LocalAuthority.objects.select_related("region").filter(code=la_code).first()
    if la is None:
        raise OutOfScope()
    if not can(request.user, Action.VIEW_DASHBOARD, la):
        raise OutOfScope(la.code)
    return la


def _indicator(indicator_id: str) -> Indicator:
    try:
        return REGISTRY[indicator_id]
    except KeyError:
        raise Http404("No such indicator.") from None


def _viewed(
    request: HttpRequest, page: str, la: LocalAuthority | None = None, **details: Any
) -> None:
    """Audit a view of a restricted page (the DfE evaluates how the dashboards are used)."""
    record(
        AuditAction.DASHBOARD_VIEWED,
        request=request,
        organisation=la.code if la is not None else "",
        page=page,
        **details,
    )


def _comparators(indicator: Indicator, la: LocalAuthority) -> timely.Comparators | None:
    """The published figures beside ``indicator`` for ``la``, by year ending 31 March (None
    when it has no published measure, or none is loaded for the LA). Published figures are
    the same for everyone, so they are read through the public cache."""
    if indicator.published is None:
        return None
    key = indicator.published.key

    def build() -> timely.Comparators | None:
        try:
            series = published_queries.time_series(key, la.code, include_restricted=True)
        except published_queries.NotFound:
            return None
        return timely.Comparators(
            rows={row.period_end_year: row for row in series.rows},
            la=series.la.name,
            region=series.region.name,
            neighbours=NEIGHBOURS_LABEL,
            decimals=series.indicator.decimals,
        )

    return cached("restricted-comparators", [key, la.code], build)


# ---------------------------------------------------------------------------------------------
# Portfolio
# ---------------------------------------------------------------------------------------------


class PortfolioQuery(forms.Form):
    """The portfolio's filter and sort, from the query string; an unknown value is ignored."""

    region = forms.ChoiceField(required=False, label="Region")
    sort = forms.ChoiceField(required=False)
    order = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])

    def __init__(self, data: Any, regions: list[tuple[str, str]]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", "All regions"), *regions]
        cast(forms.ChoiceField, self.fields["sort"]).choices = [(key, key) for key in _SORTS]


@dataclass(frozen=True)
class PortfolioEntry:
    la: LocalAuthority
    region: str
    submission: Submission | None
    latest_status: str
    notes: int
    figures: list[tuple[str, str, str]]  # (indicator id, figure text, change text)
    values: dict[str, Decimal | None]


_REGION_CODE = re.compile(r"E1[23][0-9]{6}")
_SORTS = ("name", "region", "as_of", "notes", *KEY_INDICATORS)


def _sorted(entries: list[PortfolioEntry], sort: str, descending: bool) -> list[PortfolioEntry]:
    """The entries by the chosen column, alphabetically within equal values; an LA without a
    value for the column (no submission, a gap, ``c``) is listed last either way."""
    alphabetical = sorted(entries, key=lambda e: e.la.name)

    def value(entry: PortfolioEntry) -> Any:
        if sort == "region":
            return entry.region
        if sort == "as_of":
            return entry.submission.as_of if entry.submission else None
        if sort == "notes":
            return entry.notes
        if sort in KEY_INDICATORS:
            return entry.values[sort]
        return entry.la.name

    known = [e for e in alphabetical if value(e) is not None]
    unknown = [e for e in alphabetical if value(e) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def _latest_statuses(las: list[LocalAuthority]) -> dict[int, str]:
    """Each LA's latest submission's status label (one query)."""
    latest = Submission.objects.filter(local_authority=OuterRef("pk")).order_by("-created_at")
    rows = LocalAuthority.objects.filter(pk__in=[la.pk for la in las]).annotate(
        latest_status=Subquery(latest.values("status")[:1])
    )
    labels = dict(Submission.Status.choices)
    return {pk: labels.get(status, "") for pk, status in rows.values_list("pk", "latest_status")}


@dataclass(frozen=True)
class PortfolioTable:
    """The portfolio's table as rendered, and how many LAs it lists (with figures)."""

    html: str
    count: int
    with_figures: int


def _portfolio_table(
    request: HttpRequest, region: str | None, sort: str, descending: bool
) -> PortfolioTable:
    lines = queries.portfolio_lines(request.user, KEY_INDICATORS, region_code=region)
    las = [line.local_authority for line in lines]
    counts = note_counts(las)
    statuses = _latest_statuses(las)
    entries = []
    for line in lines:
        figures = []
        for key in KEY_INDICATORS:
            now, before = line.figures[key]
            indicator = REGISTRY[key]
            figures.append(
                (
                    key,
                    timely.figure_text(indicator, now) if now else timely.DASH,
                    timely.change_text(indicator, now, before),
                )
            )
        entries.append(
            PortfolioEntry(
                la=line.local_authority,
                region=line.local_authority.region.name,
                submission=line.submission,
                latest_status=statuses.get(line.local_authority.pk, ""),
                notes=counts.get(line.local_authority.pk, 0),
                figures=figures,
                values={key: timely.number(line.figures[key][0]) for key in KEY_INDICATORS},
            )
        )
    entries = _sorted(entries, sort, descending)

    def sort_link(column: str) -> str:
        order = "desc" if column == sort and not descending else "asc"
        params = {"sort": column, "order": order, **({"region": region} if region else {})}
        return f"?{urlencode(params)}"

    headings = [
        ("name", "Local authority", False),
        ("region", "Region", False),
        ("as_of", "Extract date", False),
        *((key, REGISTRY[key].title, True) for key in KEY_INDICATORS),
        ("notes", "Context notes", True),
    ]
    html = render_to_string(
        "restricted_dashboards/includes/portfolio_table.html",
        {
            "entries": entries,
            "headings": [
                {
                    "key": key,
                    "label": label,
                    "numeric": numeric,
                    "href": sort_link(key),
                    "sorted": ("descending" if descending else "ascending") if key == sort else "",
                }
                for key, label, numeric in headings
            ],
        },
    )
    with_figures = sum(entry.submission is not None for entry in entries)
    return PortfolioTable(str(html), len(entries), with_figures)


@dataclass(frozen=True)
class PortfolioScope:
    """The regions of the LAs a viewer may see, and of the LAs listed (one region's, when
    asked for a region of theirs, else all), which they may see and which unsuppressed."""

    regions: list[tuple[str, str]]
    la_ids: list[int]
    unsuppressed: list[int]


def _portfolio_scope(request: HttpRequest, region: str) -> PortfolioScope:
    in_scope = local_authorities_for(request.user, Action.VIEW_DASHBOARD)
    region_ids = set(in_scope.values_list("region_id", flat=True))
    regions = list(
        Region.objects.filter(pk__in=region_ids).order_by("name").values_list("code", "name")
    )
    shown = in_scope.filter(valid_to__isnull=True)
    if region in {code for code, _ in regions}:
        shown = shown.filter(Q(region__code=region) | Q(sub_region__code=region))
    la_ids = list(shown.values_list("pk", flat=True))
    child_level = local_authorities_for(request.user, Action.VIEW_CHILD_LEVEL)
    unsuppressed = set(child_level.values_list("pk", flat=True)) & set(la_ids)
    return PortfolioScope(regions, sorted(la_ids), sorted(unsuppressed))


@requires(Action.VIEW_DASHBOARD)
@require_safe
def portfolio(request: HttpRequest) -> HttpResponse:
    """The LAs in the viewer's scope, with the key indicators' latest values."""
    # Only a region code can name a region: anything else is the whole scope (and adds no
    # cache entry of its own).
    asked = request.GET.get("region", "")
    asked = asked if _REGION_CODE.fullmatch(asked) else ""
    scope = scoped_cache.cached(
        "portfolio-scope",
        [scope_fingerprint(request.user), asked],
        lambda: _portfolio_scope(request, asked),
    )
    query = PortfolioQuery(request.GET, scope.regions)
    query.is_valid()
    region = query.cleaned_data.get("region") or None
    sort = query.cleaned_data.get("sort") or "name"
    descending = query.cleaned_data.get("order") == "desc"
    la_ids, unsuppressed = scope.la_ids, scope.unsuppressed
    # The table is kept for this scope and data version (dashboards.scoped_cache): a national
    # analyst's 153 LAs are read and rendered once, not on every request.
    key = [scope_key(la_ids, unsuppressed), region, sort, descending, figures_version()]
    table = scoped_cache.cached(
        "portfolio", key, lambda: _portfolio_table(request, region, sort, descending)
    )
    _viewed(request, "portfolio", region=region or "", sort=sort)
    return render(
        request,
        "restricted_dashboards/portfolio.html",
        {
            "table": mark_safe(table.html),  # rendered by our own template above  # noqa: S308
            "count": table.count,
            "with_figures": table.with_figures,
            "query": query,
            "regions": scope.regions,
            "region": region,
            "learning_tool": NOT_A_PERFORMANCE_MEASURE,
            "export_query": urlencode({"region": region} if region else {}),
        },
    )


# ---------------------------------------------------------------------------------------------
# One LA
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """One indicator on an LA's dashboard: its latest figure, change and published anchor."""

    indicator: Indicator
    href: str
    latest: queries.Point | None
    label: str
    figure: str
    change: str
    gap: str
    published: str
    published_year: int | None
    notes: int


def _overview(la: LocalAuthority, indicator: Indicator, series: queries.Series | None,
              notes: int) -> Overview:  # fmt: skip
    points = series.points if series else []
    latest = timely.latest_with_number(points)
    last = points[-1] if points else None
    gap = ""
    if latest is None and last is not None:
        gap = timely.figure_text(indicator, last)
    comparators = _comparators(indicator, la)
    published, published_year = "", None
    if comparators is not None and comparators.rows:
        published_year = max(comparators.rows)
        published = comparators.rows[published_year].la.display
    return Overview(
        indicator=indicator,
        href=reverse("restricted_dashboards:indicator", args=[la.code, indicator.id]),
        latest=latest,
        label=timely.period_label(indicator, latest.period_end) if latest else "",
        figure=timely.figure_text(indicator, latest) if latest else "",
        change=timely.change_text(indicator, latest, timely.year_before(points, latest))
        if latest
        else "",
        gap=gap,
        published=published,
        published_year=published_year,
        notes=notes,
    )


def _source_context(la: LocalAuthority) -> dict[str, Any]:
    figures = figures_source(la)
    quality: Quality | None = quality_summary(figures.source) if figures.source else None
    return {"figures": figures, "quality": quality}


@dataclass(frozen=True)
class LaPage:
    """What an LA's dashboard shows besides the layout: the tables of indicators and the
    context notes as rendered, where the figures come from and their data quality."""

    overview: str
    notes: str
    has_figures: bool
    figures: Figures
    quality: Quality | None


def _la_page(request: HttpRequest, la: LocalAuthority, can_write: bool) -> LaPage:
    notes = notes_for(request.user, la)
    per_indicator: dict[str, int] = {}
    for note in notes:
        per_indicator[note.indicator_id] = per_indicator.get(note.indicator_id, 0) + 1
    series = {s.indicator_id: s for s in queries.series_for_la(request.user, la)}
    groups: dict[str, list[Overview]] = {}
    for indicator in REGISTRY.values():
        groups.setdefault(indicator.framework_area.value, []).append(
            _overview(la, indicator, series.get(indicator.id), per_indicator.get(indicator.id, 0))
        )
    figures = figures_source(la)
    return LaPage(
        overview=str(
            render_to_string(
                "restricted_dashboards/includes/la_overview.html", {"la": la, "groups": groups}
            )
        ),
        notes=str(
            render_to_string(
                "restricted_dashboards/includes/notes.html",
                {"notes": notes, "can_write": can_write, "la_code": la.code},
            )
        ),
        has_figures=bool(series),
        figures=figures,
        quality=quality_summary(figures.source) if figures.source else None,
    )


@requires(Action.VIEW_DASHBOARD, per_object=True)
@require_safe
def la(request: HttpRequest, la_code: str) -> HttpResponse:
    """One LA's dashboard: every timely indicator at a glance."""
    local_authority = dashboard_la(request, la_code)
    unsuppressed = queries.sees_unsuppressed(request.user, local_authority)
    can_write = can(request.user, Action.WRITE_NOTE, local_authority)
    # Kept for the LA, the viewer's suppression and what they may do, and the data version
    # (dashboards.scoped_cache): a new submission, stored figures or a note show at once.
    key = [
        scope_key([local_authority.pk], [local_authority.pk] if unsuppressed else []),
        can_write,
        figures_version([local_authority.pk]),
    ]
    page = scoped_cache.cached("la", key, lambda: _la_page(request, local_authority, can_write))
    _viewed(request, "la", local_authority)
    return render(
        request,
        "restricted_dashboards/la.html",
        {
            "la": local_authority,
            # Rendered by our own templates in _la_page.
            "overview": mark_safe(page.overview),  # noqa: S308
            "notes_html": mark_safe(page.notes),  # noqa: S308
            "has_figures": page.has_figures,
            "suppressed": not unsuppressed,
            "can_upload": can(request.user, Action.UPLOAD, local_authority),
            "learning_tool": NOT_A_PERFORMANCE_MEASURE,
            "figures": page.figures,
            "quality": page.quality,
            # Outside the cached page: whether to link the report is the viewer's own.
            "can_view_report": can(request.user, Action.VIEW_REPORT, local_authority),
        },
    )


def _period(request: HttpRequest, points: list[queries.Point]) -> date | None:
    """The period whose breakdowns are shown: ``?period=`` if it is one of the series' ends
    (else 404), by default the latest with a figure."""
    raw = request.GET.get("period")
    if raw:
        try:
            chosen = date.fromisoformat(raw)
        except ValueError:
            raise Http404("No such period.") from None
        if chosen not in {point.period_end for point in points}:
            raise Http404("No such period.")
        return chosen
    latest = timely.latest_with_number(points)
    return latest.period_end if latest else (points[-1].period_end if points else None)


@requires(Action.VIEW_DASHBOARD, per_object=True)
@require_safe
def indicator(request: HttpRequest, la_code: str, indicator_id: str) -> HttpResponse:
    """One indicator for one LA, month by month, beside the published figures."""
    local_authority = dashboard_la(request, la_code)
    meta = _indicator(indicator_id)
    found = queries.series_for_la(request.user, local_authority, indicator_id)
    series = found[0] if found else None
    points = series.points if series else []
    comparators = _comparators(meta, local_authority)
    period = _period(request, points)
    base = reverse("restricted_dashboards:indicator", args=[la_code, indicator_id])
    export = reverse("restricted_dashboards:indicator_export", args=[la_code, indicator_id, "csv"])
    period_query = f"?{urlencode({'period': period.isoformat()})}" if period else ""
    breakdown_sections = []
    if period is not None and meta.breakdowns:
        breakdown_sections = [
            timely.breakdown_section(
                meta, local_authority.name, period, table, export + period_query
            )
            for table in queries.breakdowns(request.user, local_authority, indicator_id, period)
        ]
    agreement = timely.agreement(meta, points, comparators)
    child_level = can(request.user, Action.VIEW_CHILD_LEVEL, local_authority)
    selected = next((p for p in points if p.period_end == period), None)
    _viewed(
        request,
        "indicator",
        local_authority,
        indicator=indicator_id,
        period=period.isoformat() if period else "",
    )
    return render(
        request,
        "restricted_dashboards/indicator.html",
        {
            "la": local_authority,
            "indicator": meta,
            "series": series,
            "points": points,
            "period": period,
            "period_label": timely.period_label(meta, period) if period else "",
            "period_sentence": timely.in_sentence(timely.period_label(meta, period))
            if period
            else "",
            "selected": selected,
            "selected_text": timely.figure_text(meta, selected, unit=True) if selected else "",
            "periods": [
                (p.period_end.isoformat(), timely.period_label(meta, p.period_end))
                for p in reversed(points)
            ],
            "base_url": base,
            "section": timely.series_section(
                meta, local_authority.name, points, comparators, export
            )
            if points
            else None,
            "agreement": timely.agreement_table(meta, local_authority.name, agreement)
            if agreement
            else None,
            "comparable": meta.published.comparable if meta.published else False,
            "breakdown_sections": breakdown_sections,
            "notes": notes_for(request.user, local_authority, indicator_id),
            "can_write": can(request.user, Action.WRITE_NOTE, local_authority),
            "members_url": reverse("restricted_dashboards:members", args=[la_code, indicator_id])
            + period_query
            if child_level and selected is not None and selected.status == "ok"
            else "",
            "suppressed": not queries.sees_unsuppressed(request.user, local_authority),
            "statuses": [
                (timely.STATUS_LABELS[status], text)
                for status, text in STATUS_DESCRIPTIONS.items()
                if status in timely.STATUS_LABELS
            ],
            "suppressed_meaning": timely.SUPPRESSED_MEANING,
            "source_text": timely.source_text(meta),
            "export_url": export,
            "xlsx_url": reverse(
                "restricted_dashboards:indicator_export", args=[la_code, indicator_id, "xlsx"]
            ),
            **_source_context(local_authority),
            "can_view_report": can(request.user, Action.VIEW_REPORT, local_authority),
        },
    )
