"""The query API the public dashboard's pages call, over the loaded published figures.

``indicator_groups``, ``sources``, ``get_indicator``, ``periods``, ``local_authorities``,
``time_series``, ``regional_comparison``, ``all_las``, ``la_summary``, ``leadership_rating``,
``local_context`` and ``against_child_poverty`` each return plain frozen dataclasses (a
``Value`` carries its number, its suppression code and how it is shown) and take one to four
indexed queries.

The measures of local context (``catalogue.CONTEXT_KEYS``: child poverty, free school meals)
are loaded like indicators but listed as none (``_listed``): ``local_context`` and
``against_child_poverty`` show them beside the indicators, never as one to rank by.

Public by default: every function here reads only the public indicators (``_indicators``, the
one filter), so the catalogue's restricted-only measures (``catalogue.RESTRICTED_ONLY``: the
missing-children figures, which the DfE advises against showing publicly) are on no public
page, CSV or cached fragment, and their keys are unknown (404) there. The restricted
dashboards read them as comparators with ``time_series(key, la_code, include_restricted=True)``.

Choices that follow the DfE dashboard (``dfe-analytical-services/CSC_outcomes_and_enablers``,
``R/stats_neighbours.R``):

* The statistical-neighbour comparator is the median of the ten neighbours' values for the
  period (2025 model), ignoring suppressed and missing ones, or their sum for counts; with no
  neighbour value it is missing. Joint-return figures are left out of it, as the DfE's join on
  a single LA number leaves them out.
* A London borough is compared with Inner or Outer London, the region its rows carry in every
  EES file, not with London as a whole (``portal.reference.comparison_group``).
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.db.models import Case, Count, FilteredRelation, Max, Min, Q, QuerySet, When
from django.db.models.functions import Coalesce

from dashboards.models import (
    LeadershipRating,
    NeighbourAggregation,
    PeriodType,
    PublishedIndicator,
    PublishedValue,
)
from dashboards.presentation.formatting import format_value
from dashboards.published.catalogue import (
    CHILD_POVERTY,
    CONTEXT_KEYS,
    NATIONAL_CODE,
    RESTRICTED_ONLY,
    SUPPRESSION_EXPLANATIONS,
    reference_date,
)
from dashboards.published.plain_words import DFE_DASHBOARD_NAMES, abbreviations_in
from portal.models import LocalAuthority
from portal.models.reference import GeographyLevel
from portal.reference import comparison_group

MISSING_DISPLAY = "no data"


class NotFound(LookupError):
    """The query API was asked for an indicator or local authority the store does not hold."""


class Order(StrEnum):
    """The order of the all-LA chart and table.

    ``place``, the default, does not rank: alphabetical within region (regions in their usual
    order), or for an LA and its neighbours the LA then its neighbours, most similar first.
    ``value`` (lowest to highest) is there for those who ask for it.
    """

    PLACE = "place"
    VALUE = "value"


class Trend(StrEnum):
    """How an LA's latest value compares with its previous one, at the precision shown."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True)
class IndicatorSummary:
    """An indicator as listed on the home page and in summaries."""

    key: str
    title: str
    unit: str
    decimals: int


@dataclass(frozen=True)
class Heading:
    """A sub-heading of an outcome or enabler and its indicators, in page order."""

    title: str
    indicators: tuple[IndicatorSummary, ...]


@dataclass(frozen=True)
class Group:
    """A National Framework outcome or enabler with its headings, in page order."""

    title: str
    is_outcome: bool
    headings: tuple[Heading, ...]


@dataclass(frozen=True)
class IndicatorMeta:
    """Everything an indicator page says about an indicator besides its figures.

    ``periods`` are the period labels held, oldest first. ``period_type_label`` says what a
    label means ("Year ending 31 March", "Academic year", "Year to 30 September").
    ``source_released`` is when the publisher released the loaded file, ``figures_updated_at``
    when a load last changed the service's copy of its figures.
    """

    key: str
    title: str
    group: str
    heading: str
    unit: str
    decimals: int
    definition: str
    source: str
    source_url: str
    source_released: datetime.date | None
    caveats: tuple[str, ...]
    guidance: tuple[str, ...]
    period_type: str
    period_type_label: str
    sn_aggregation: str
    national_only: bool
    dfe_sort_order: int | None
    periods: tuple[str, ...]
    figures_updated_at: datetime.datetime | None

    @property
    def latest_period(self) -> str | None:
        return self.periods[-1] if self.periods else None

    @property
    def dfe_name(self) -> str:
        """The DfE dashboard's name for the indicator ("" for figures it does not show)."""
        return DFE_DASHBOARD_NAMES.get(self.dfe_sort_order or 0, "")

    @property
    def dfe_name_abbreviations(self) -> tuple[tuple[str, str], ...]:
        """The abbreviations in ``dfe_name`` with their words, for the page to spell out."""
        return abbreviations_in(self.dfe_name)


@dataclass(frozen=True)
class SourceFile:
    """A file the public figures come from: its publication and file name (``source``), when
    the publisher released it, when a load last changed the service's copy of its figures,
    and how many public indicators it supplies."""

    source: str
    url: str
    released: datetime.date | None
    updated_at: datetime.datetime | None
    indicators: int


@dataclass(frozen=True)
class Value:
    """One figure as shown: its number, or its suppression code, or nothing published.

    ``display`` is the number formatted for the indicator's unit and decimal places (``22.6%``,
    ``67``, ``1,130``), the code itself (``c``) or ``"no data"``. ``note`` explains a joint
    return.
    """

    value: Decimal | None
    suppression: str
    display: str
    note: str = ""

    @property
    def status(self) -> str:
        """``number``, ``suppressed`` or ``missing``."""
        if self.value is not None:
            return "number"
        return "suppressed" if self.suppression else "missing"

    @property
    def explanation(self) -> str:
        """What the suppression code means, or an empty string."""
        return SUPPRESSION_EXPLANATIONS.get(self.suppression, "")


NO_DATA = Value(None, "", MISSING_DISPLAY)


@dataclass(frozen=True)
class Geography:
    """A place a figure is for: England (``E92000001``), a region or an LA (3-digit code)."""

    code: str
    name: str
    level: str


ENGLAND = Geography(NATIONAL_CODE, "England", GeographyLevel.NATIONAL.value)


@dataclass(frozen=True)
class SeriesRow:
    """One period of a time series: the LA, its region, England and its neighbours' median."""

    period: str
    period_end_year: int
    la: Value
    region: Value
    england: Value
    neighbours: Value


@dataclass(frozen=True)
class Series:
    """An indicator's figures over time for an LA and its comparators, oldest period first.

    ``region`` is Inner or Outer London for a London borough (what the DfE dashboard compares
    with). ``neighbours`` are the LA's ten statistical neighbours in rank order (none for an
    abolished LA); ``SeriesRow.neighbours`` is their median, or sum for counts.
    """

    indicator: IndicatorMeta
    la: Geography
    region: Geography
    england: Geography
    neighbours: tuple[Geography, ...]
    rows: tuple[SeriesRow, ...]


@dataclass(frozen=True)
class Point:
    """One geography's figure for one period, for bar charts and their tables.

    ``region_name`` is set for LAs (Inner/Outer London for London boroughs). ``selected`` marks
    the chosen LA; ``neighbour_rank`` (1 = the most similar) marks its statistical neighbours.
    """

    geography: Geography
    period: str
    value: Value
    region_name: str = ""
    selected: bool = False
    neighbour_rank: int | None = None


@dataclass(frozen=True)
class SummaryRow:
    """An indicator at a glance for one LA: latest and previous figures, trend, comparators."""

    indicator: IndicatorSummary
    group: str
    heading: str
    period: str | None
    la: Value
    previous_period: str | None
    previous: Value
    trend: Trend
    region: Value
    england: Value
    neighbours: Value


@dataclass(frozen=True)
class LocalContext:
    """The measures of local context for an LA (``rows``), and the region they compare with."""

    region: Geography
    rows: tuple[SummaryRow, ...]


@dataclass(frozen=True)
class Scatter:
    """Every current LA's figure for a period beside its child poverty figure, for the scatter
    chart: ``pairs`` are (the LA's point, its child poverty figure for ``context_period``, the
    child poverty year nearest the period), in the all-LA chart's default order."""

    context: IndicatorMeta
    context_period: str
    pairs: tuple[tuple[Point, Value], ...]


@dataclass(frozen=True)
class _LaContext:
    la: Geography
    region: Geography
    neighbours: tuple[Geography, ...]
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    def existed(self, period_type: str, end_year: int) -> bool:
        on = reference_date(period_type, end_year)
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or self.valid_to >= on
        )


def _plain(number: Decimal) -> Decimal:
    """The stored number without the padding zeros of six decimal places (22.600000 -> 22.6)."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def _value(
    number: Decimal | None, code: str, meta: IndicatorMeta | IndicatorSummary, note: str = ""
) -> Value:
    if number is not None:
        return Value(_plain(number), "", format_value(number, meta.unit, meta.decimals), note)
    if code:
        return Value(None, code, code, note)
    return NO_DATA


def _meta(indicator: PublishedIndicator) -> IndicatorMeta:
    return IndicatorMeta(
        key=indicator.key,
        title=indicator.title,
        group=indicator.group,
        heading=indicator.heading,
        unit=indicator.unit,
        decimals=indicator.decimals,
        definition=indicator.definition,
        source=indicator.source,
        source_url=indicator.source_url,
        source_released=indicator.source_released,
        caveats=tuple(indicator.caveats),
        guidance=tuple(indicator.guidance),
        period_type=indicator.period_type,
        period_type_label=PeriodType(indicator.period_type).label,
        sn_aggregation=indicator.sn_aggregation,
        national_only=indicator.national_only,
        dfe_sort_order=indicator.dfe_sort_order,
        periods=tuple(indicator.periods),
        figures_updated_at=indicator.figures_updated_at,
    )


def _summary(meta: IndicatorMeta) -> IndicatorSummary:
    return IndicatorSummary(meta.key, meta.title, meta.unit, meta.decimals)


def _indicators(include_restricted: bool = False) -> QuerySet[PublishedIndicator]:
    """The loaded indicators a reader may see: the public ones (every public page reads only
    these), or every one with ``include_restricted`` (the restricted dashboards' comparators).

    The one place the restricted-only indicators (``catalogue.RESTRICTED_ONLY``) are left out.
    """
    indicators = PublishedIndicator.objects.all()
    return indicators if include_restricted else indicators.exclude(key__in=RESTRICTED_ONLY)


def _listed() -> QuerySet[PublishedIndicator]:
    """The public indicators pages list, summarise and link to: not the measures of local
    context (``catalogue.CONTEXT_KEYS``), which pages show beside the indicators instead."""
    return _indicators().exclude(key__in=CONTEXT_KEYS)


def _require(key: str, include_restricted: bool = False) -> tuple[int, IndicatorMeta]:
    """The indicator's id and metadata; ``NotFound`` when it is not loaded (or is
    restricted-only and ``include_restricted`` is not set)."""
    indicator = _indicators(include_restricted).filter(key=key).first()
    if indicator is None:
        raise NotFound(f"No published indicator {key!r}.")
    return indicator.pk, _meta(indicator)


def _la_context(la_code: str) -> _LaContext:
    """The LA, the region it is compared with and its neighbours (``portal.reference``)."""
    group = comparison_group(la_code)
    if group is None:
        raise NotFound(f"No local authority {la_code!r}.")
    return _LaContext(
        la=Geography(group.la.code, group.la.name, GeographyLevel.LOCAL_AUTHORITY.value),
        region=Geography(group.region.code, group.region.name, GeographyLevel.REGIONAL.value),
        neighbours=tuple(
            Geography(place.code, place.name, GeographyLevel.LOCAL_AUTHORITY.value)
            for place in group.neighbours
        ),
        valid_from=group.valid_from,
        valid_to=group.valid_to,
    )


def _with_partners(names: Mapping[str, str], joint_with: Iterable[str | None]) -> Mapping[str, str]:
    """``names`` (code -> name) plus any joint-return partner it lacks: a query only if needed."""
    wanted = {code for value in joint_with if value for code in value.split(" / ")} - names.keys()
    if not wanted:
        return names
    found = LocalAuthority.objects.filter(code__in=wanted).values_list("code", "name")
    return {**names, **dict(found)}


def _joint_note(joint_with: str, names: Mapping[str, str]) -> str:
    if not joint_with:
        return ""
    others = " and ".join(names.get(code, code) for code in joint_with.split(" / "))
    return f"Joint return with {others}: one figure for both."


def _comparator(
    meta: IndicatorMeta, context: _LaContext, period: str | None, numbers: Sequence[Decimal]
) -> Value:
    """The neighbours' comparator for a period: the median of their figures (sum for counts).

    Missing when no neighbour has a figure, and for periods before the LA existed (the DfE
    dashboard drops those for North/West Northamptonshire, Cumberland and Westmorland).
    """
    if not numbers or period is None or not context.existed(meta.period_type, _end_year(period)):
        return NO_DATA
    if meta.sn_aggregation == NeighbourAggregation.SUM:
        return _value(sum(numbers, Decimal(0)), "", meta)
    return _value(statistics.median(numbers), "", meta)


def indicator_groups() -> list[Group]:
    """Outcomes then enablers, each with its headings and their public indicators, in page
    order.

    One query. Groups and headings without a loaded public indicator are left out.
    """
    grouped: dict[str, dict[str, list[IndicatorSummary]]] = defaultdict(lambda: defaultdict(list))
    for key, title, unit, decimals, group, heading in (
        _listed()
        .order_by("sort_order")
        .values_list("key", "title", "unit", "decimals", "group", "heading")
    ):
        grouped[group][heading].append(IndicatorSummary(key, title, unit, decimals))
    return [
        Group(
            title=group,
            is_outcome=group.startswith("Outcome"),
            headings=tuple(Heading(title, tuple(items)) for title, items in headings.items()),
        )
        for group, headings in grouped.items()
    ]


def sources() -> list[SourceFile]:
    """Every file the public indicators come from, in page order of their first indicator.

    One query.
    """
    rows = (
        _indicators()
        .values("source", "source_url", "source_released")
        .annotate(first=Min("sort_order"), updated=Max("figures_updated_at"), count=Count("pk"))
        .order_by("first")
    )
    return [
        SourceFile(
            row["source"], row["source_url"], row["source_released"], row["updated"], row["count"]
        )
        for row in rows
    ]


def get_indicator(key: str) -> IndicatorMeta | None:
    """The public indicator's metadata, or None when no such indicator is loaded. One query."""
    indicator = _listed().filter(key=key).first()
    return None if indicator is None else _meta(indicator)


def periods(key: str) -> list[str]:
    """The public indicator's period labels, oldest first (``[]`` for an unknown key). One
    query."""
    found = _listed().filter(key=key).values_list("periods", flat=True).first()
    return list(found or [])


def local_authorities(include_predecessors: bool = False) -> list[tuple[str, str, str]]:
    """(DfE code, name, region name) of every current LA, by name, for the LA chooser.

    The region is one of the nine (London, not Inner/Outer London). With
    ``include_predecessors`` the authorities abolished since 2019 are listed too. One query.
    """
    las = LocalAuthority.objects.all() if include_predecessors else LocalAuthority.objects.current()
    return [
        (code, name, region)
        for code, name, region in las.order_by("name").values_list("code", "name", "region__name")
    ]


def time_series(key: str, la_code: str, *, include_restricted: bool = False) -> Series:
    """The indicator for an LA, its region, England and its neighbours, period by period.

    Public indicators only, unless ``include_restricted`` (for the restricted dashboards,
    whose comparators include the missing-children measures no public page shows).

    Every period the indicator has is a row, oldest first; a geography without a published
    figure for a period shows as missing. The neighbours' comparator for a period is the median
    of the figures of those of the LA's ten neighbours that have one (suppressed, missing and
    joint-return figures ignored), or their sum for counts; it is missing when none has a
    figure, and for periods before the LA existed (as the DfE dashboard drops them). Raises
    ``NotFound`` for an unknown indicator or LA. Three queries (four for an abolished LA).
    """
    indicator_id, meta = _require(key, include_restricted)
    context = _la_context(la_code)
    region_code = context.region.code
    neighbour_codes = [neighbour.code for neighbour in context.neighbours]
    codes = {la_code, NATIONAL_CODE, region_code, *neighbour_codes}
    rows = list(
        PublishedValue.objects.filter(
            indicator_id=indicator_id, geography_code__in=codes
        ).values_list("geography_code", "period", "value", "suppression", "joint_with")
    )
    neighbours = {neighbour.code: neighbour.name for neighbour in context.neighbours}
    names = _with_partners(neighbours, (row[-1] for row in rows))
    figures: dict[tuple[str, str], Value] = {}
    neighbour_numbers: dict[str, list[Decimal]] = defaultdict(list)
    for code, period, number, suppression, joint_with in rows:
        figures[(code, period)] = _value(number, suppression, meta, _joint_note(joint_with, names))
        if code in neighbours and number is not None and not joint_with:
            neighbour_numbers[period].append(number)
    series_rows = [
        SeriesRow(
            period=period,
            period_end_year=_end_year(period),
            la=figures.get((la_code, period), NO_DATA),
            region=figures.get((region_code, period), NO_DATA),
            england=figures.get((NATIONAL_CODE, period), NO_DATA),
            neighbours=_comparator(meta, context, period, neighbour_numbers[period]),
        )
        for period in meta.periods
    ]
    return Series(meta, context.la, context.region, ENGLAND, context.neighbours, tuple(series_rows))


def _end_year(period: str) -> int:
    """2025 for "2025", 2025 for "2024/25" (the labels the loader stores)."""
    return int(period[:4]) + (1 if "/" in period else 0)


def regional_comparison(key: str, period: str | None = None) -> list[Point]:
    """England and every region (the nine, and Inner and Outer London after London).

    For ``period`` (default: the latest). Geographies without a published row are left out
    (for an England-only indicator, only England is returned). Raises ``NotFound`` for an
    unknown indicator. Two queries.
    """
    indicator_id, meta = _require(key)
    period = period or meta.latest_period
    rows = (
        PublishedValue.objects.filter(
            indicator_id=indicator_id,
            period=period,
            geography_level__in=[GeographyLevel.NATIONAL, GeographyLevel.REGIONAL],
        )
        .order_by("geography_code")
        .values_list(
            "geography_code", "region__name", "region__parent__code", "value", "suppression"
        )
    )
    england: list[Point] = []
    regions: list[tuple[str, Point]] = []
    for code, name, parent, number, suppression in rows:
        value = _value(number, suppression, meta)
        if code == NATIONAL_CODE:
            england.append(Point(ENGLAND, str(period), value))
        else:
            # Sub-regions sort right after their parent (London E12000007, then E13...).
            place = Geography(code, name, GeographyLevel.REGIONAL.value)
            regions.append(((parent or code) + code, Point(place, str(period), value)))
    return england + [point for _, point in sorted(regions, key=lambda item: item[0])]


def _by_value(point: Point) -> tuple[int, Decimal, str]:
    """Numbers ascending, then suppressed, then missing; ties by name."""
    status = {"number": 0, "suppressed": 1, "missing": 2}[point.value.status]
    return status, point.value.value or Decimal(0), point.geography.name


def _by_place(place: str, point: Point) -> tuple[int, str, str]:
    """By region (``place``: its code, then the Inner/Outer London code, the order
    ``regional_comparison`` uses), then name; in the neighbours view (no ``place``) the chosen
    LA, then its neighbours, most similar first."""
    return point.neighbour_rank or 0, place, point.geography.name


def all_las(
    key: str,
    period: str | None = None,
    la_code: str | None = None,
    neighbours_only: bool = False,
    order: Order = Order.PLACE,
) -> list[Point]:
    """Every current LA's figure for ``period`` (default: the latest), for the all-LA chart.

    In ``order``: by default alphabetical within region, regions in the order of
    ``regional_comparison`` (with ``neighbours_only``, the LA and then its neighbours, most
    similar first); with ``Order.VALUE`` by value ascending with suppressed and then missing
    figures at the end. The LA ``la_code`` is flagged ``selected``. With ``neighbours_only``
    only that LA and its ten statistical neighbours are returned (each with
    ``neighbour_rank``). Empty for an England-only indicator. Raises ``NotFound`` for an
    unknown indicator (or an unknown ``la_code`` with ``neighbours_only``). Two queries, three
    with ``neighbours_only``.
    """
    indicator_id, meta = _require(key)
    if meta.national_only:
        return []
    period = period or meta.latest_period
    ranks: dict[str, int] = {}
    if neighbours_only:
        if la_code is None:
            raise ValueError("neighbours_only needs la_code.")
        context = _la_context(la_code)
        ranks = {neighbour.code: rank for rank, neighbour in enumerate(context.neighbours, 1)}
    las = LocalAuthority.objects.current().annotate(
        figure=FilteredRelation(
            "published_values",
            condition=Q(
                published_values__indicator_id=indicator_id, published_values__period=period
            ),
        )
    )
    if neighbours_only:
        las = las.filter(code__in=[la_code, *ranks])
    rows = list(
        las.values_list(
            "code",
            "name",
            "sub_region__name",
            "region__name",
            "sub_region__code",
            "region__code",
            "figure__value",
            "figure__suppression",
            "figure__joint_with",
        )
    )
    names = _with_partners({code: name for code, name, *_ in rows}, (row[-1] for row in rows))
    places = [
        (
            ("" if neighbours_only else region_code + (sub_code or "")),
            Point(
                geography=Geography(code, name, GeographyLevel.LOCAL_AUTHORITY.value),
                period=str(period),
                value=_value(number, suppression or "", meta, _joint_note(joint_with or "", names)),
                region_name=sub_region or region,
                selected=code == la_code,
                neighbour_rank=ranks.get(code),
            ),
        )
        for code, name, sub_region, region, sub_code, region_code, number, suppression, joint_with
        in rows
    ]  # fmt: skip
    if order == Order.VALUE:
        return sorted((point for _, point in places), key=_by_value)
    return [point for place, point in sorted(places, key=lambda item: _by_place(*item))]


def nearest_period(meta: IndicatorMeta, end_year: int) -> str | None:
    """The indicator's period whose end year is nearest ``end_year`` (the earlier on a tie)."""
    return min(
        reversed(meta.periods),
        key=lambda period: (abs(_end_year(period) - end_year), _end_year(period)),
        default=None,
    )


def against_child_poverty(key: str, period: str, la_code: str | None = None) -> Scatter | None:
    """Every current LA's figure for ``period`` beside its child poverty figure, for the year of
    child poverty nearest ``period``; None for an England-only indicator or without child
    poverty figures. Raises ``NotFound`` for an unknown indicator. Four queries."""
    points = all_las(key, period, la_code)
    _, context = _require(CHILD_POVERTY)
    context_period = nearest_period(context, _end_year(period))
    if not points or context_period is None:
        return None
    poverty = {
        point.geography.code: point.value for point in all_las(CHILD_POVERTY, context_period)
    }
    pairs = tuple((point, poverty.get(point.geography.code, NO_DATA)) for point in points)
    return Scatter(context, context_period, pairs)


def la_summary(la_code: str) -> list[SummaryRow]:
    """Every public indicator's latest figure for the LA, with the previous one, trend and
    comparators.

    "Latest" is the indicator's latest period (so an LA with no figure for it shows as
    missing); "previous" the period before. The trend compares the two at the precision shown
    and is ``not_comparable`` when either is not a number. Region, England and neighbours are
    for the latest period, computed as in ``time_series``. England-only indicators are included
    (the LA columns are then missing). Raises ``NotFound`` for an unknown LA. Three queries.
    """
    metas = {indicator.pk: _meta(indicator) for indicator in _listed().order_by("sort_order")}
    return _latest_rows(metas, _la_context(la_code))


def local_context(la_code: str) -> LocalContext:
    """The measures of local context (``catalogue.CONTEXT_MEASURES``: child poverty, free
    school meals) for the LA, as ``la_summary`` rows.

    The region is one of the nine, London for a London borough: the source publishes no Inner
    or Outer London figure. Raises ``NotFound`` for an unknown LA. Four queries.
    """
    metas = {
        indicator.pk: _meta(indicator)
        for indicator in _indicators().filter(key__in=CONTEXT_KEYS).order_by("sort_order")
    }
    context = _la_context(la_code)
    region = (
        LocalAuthority.objects.filter(code=la_code)
        .values_list("region__code", "region__name")
        .first()
    )
    if region is not None:
        context = replace(context, region=Geography(*region, level=GeographyLevel.REGIONAL.value))
    return LocalContext(context.region, tuple(_latest_rows(metas, context)))


def _latest_rows(metas: Mapping[int, IndicatorMeta], context: _LaContext) -> list[SummaryRow]:
    """``la_summary``'s rows for the indicators ``metas`` (id -> metadata), in that order."""
    la_code = context.la.code
    region_code = context.region.code
    neighbours = {neighbour.code: neighbour.name for neighbour in context.neighbours}
    codes = {la_code, NATIONAL_CODE, region_code, *neighbours}
    # Only the latest two periods are shown: older rows are left out of the query.
    first_year = min(
        (_end_year(meta.periods[-2:][0]) for meta in metas.values() if meta.periods), default=0
    )
    figures: dict[tuple[str, str, str], tuple[Decimal | None, str, str]] = {}
    for pk, code, period, number, suppression, joint_with in PublishedValue.objects.filter(
        indicator_id__in=metas, geography_code__in=codes, period_end_year__gte=first_year
    ).values_list("indicator_id", "geography_code", "period", "value", "suppression", "joint_with"):
        figures[(metas[pk].key, code, period)] = (number, suppression, joint_with)
    names = _with_partners(neighbours, (found[2] for found in figures.values()))

    summary = []
    for meta in metas.values():
        latest = meta.latest_period
        previous = meta.periods[-2] if len(meta.periods) > 1 else None

        def figure(code: str, period: str | None, meta: IndicatorMeta = meta) -> Value:
            found = figures.get((meta.key, code, period or ""))
            if found is None:
                return NO_DATA
            number, suppression, joint_with = found
            return _value(number, suppression, meta, _joint_note(joint_with, names))

        now, before = figure(la_code, latest), figure(la_code, previous)
        numbers = [
            found[0]
            for code in neighbours
            if (found := figures.get((meta.key, code, latest or ""))) is not None
            and found[0] is not None
            and not found[2]
        ]
        summary.append(
            SummaryRow(
                indicator=_summary(meta),
                group=meta.group,
                heading=meta.heading,
                period=latest,
                la=now,
                previous_period=previous,
                previous=before,
                trend=_trend(now, before, meta.decimals),
                region=figure(region_code, latest),
                england=figure(NATIONAL_CODE, latest),
                neighbours=_comparator(meta, context, latest, numbers),
            )
        )
    return summary


def _trend(now: Value, before: Value, decimals: int) -> Trend:
    if now.value is None or before.value is None:
        return Trend.NOT_COMPARABLE
    step = Decimal(1).scaleb(-decimals)
    latest = now.value.quantize(step, rounding=ROUND_HALF_UP)
    previous = before.value.quantize(step, rounding=ROUND_HALF_UP)
    if latest == previous:
        return Trend.SAME
    return Trend.UP if latest > previous else Trend.DOWN


@dataclass(frozen=True)
class Rating:
    """An LA's latest Ofsted judgement of the impact of leaders, in Ofsted's words.

    ``period`` is the leadership indicators' period ("2025": inspections as at 31 March 2025).
    """

    rating: str
    inspection_date: datetime.date
    publication_date: datetime.date | None
    period: str


def leadership_rating(la_code: str) -> Rating | None:
    """The LA's latest Ofsted leadership judgement, or None when it has none loaded. One
    query."""
    found = (
        LeadershipRating.objects.filter(la__code=la_code)
        .values_list("rating", "inspection_date", "publication_date", "period")
        .first()
    )
    return None if found is None else Rating(*found)


@dataclass(frozen=True)
class StoredFigure:
    """One stored figure with its place, as the public downloads list them.

    ``region_code``/``region_name`` are the region a regional figure is for, or the region an
    LA's rows carry in the EES files (Inner or Outer London for a London borough); empty for
    England. ``la_code`` is the three-digit DfE code, ``la_ons_code`` the GSS code.
    """

    indicator: IndicatorMeta
    period: str
    geography_level: str
    region_code: str
    region_name: str
    la_code: str
    la_ons_code: str
    la_name: str
    value: Decimal | None
    suppression: str


def stored_figures(key: str | None = None) -> Iterator[StoredFigure]:
    """Every stored figure of the public indicator ``key`` (default: of every public
    indicator): each geography and period the store holds, by indicator in page order, then
    period, then England, regions and LAs. Raises ``NotFound`` for an unknown ``key``.

    Lazy (a database iterator), so the whole dashboard's figures are never all in memory as
    objects. Two queries.
    """
    indicators = _listed().order_by("sort_order")
    if key is not None:
        indicators = indicators.filter(key=key)
    metas = {indicator.pk: _meta(indicator) for indicator in indicators}
    if key is not None and not metas:
        raise NotFound(f"No published indicator {key!r}.")
    level_order = Case(
        When(geography_level=GeographyLevel.NATIONAL, then=0),
        When(geography_level=GeographyLevel.REGIONAL, then=1),
        default=2,
    )
    rows = (
        PublishedValue.objects.filter(indicator_id__in=metas)
        .order_by("indicator__sort_order", "period_end_year", level_order, "geography_code")
        .values_list(
            "indicator_id",
            "period",
            "geography_level",
            "geography_code",
            "region__name",
            Coalesce("la__sub_region__code", "la__region__code"),
            Coalesce("la__sub_region__name", "la__region__name"),
            "la__ons_code",
            "la__name",
            "value",
            "suppression",
        )
    )
    for (
        pk,
        period,
        level,
        geography,
        region,
        la_region_code,
        la_region,
        ons,
        name,
        number,
        code,
    ) in rows.iterator(chunk_size=5000):
        is_la = level == GeographyLevel.LOCAL_AUTHORITY
        national = level == GeographyLevel.NATIONAL
        yield StoredFigure(
            indicator=metas[pk],
            period=period,
            geography_level=level,
            region_code="" if national else (la_region_code if is_la else geography) or "",
            region_name="" if national else (la_region if is_la else region) or "",
            la_code=geography if is_la else "",
            la_ons_code=(ons or "") if is_la else "",
            la_name=(name or "") if is_la else "",
            value=None if number is None else _plain(number),
            suppression=code,
        )
