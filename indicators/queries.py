"""Every read of the stored indicator values, scoped to the person reading them.

The restricted dashboards, their exports and anything else that shows a timely figure read it
through these functions, never through ``IndicatorValue.objects`` directly. Each takes the
viewer and asks ``portal.access`` what they may see:

* An LA the viewer may not see the dashboard of is ``OutOfScope`` (a 404 that the view's
  ``@requires`` audits; whether the LA has figures is not revealed). A list over LAs
  (``portfolio``) simply holds the LAs in scope: none for someone with no dashboard role.
* Someone who may see an LA's child-level records (its own LA users: ``Action.
  VIEW_CHILD_LEVEL``) sees its figures as stored. Everyone else (the DfE roles) sees them
  through ``indicators.disclosure``: counts of 1 to 4 are ``c``, and a breakdown's groups are
  suppressed so that none can be recovered from the LA's figure.

The child-level members behind a figure (the drill-down, ``figure_members``) are only for
those who may see the LA's child-level records. They are not stored: they are worked out again
from the stored canonical extract of the submission the figure came from, by the same
calculator and with the same inputs as the stored figure (``indicators.services``), so the
rows listed add up to the number on the dashboard.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q

from indicators.calculators import Members
from indicators.calculators import figure_members as _members_of
from indicators.disclosure import Disclosed, Hidden, Suppression, disclose, disclose_table
from indicators.models import IndicatorBreakdown, IndicatorValue
from portal.access import Action, OutOfScope, can, local_authorities_for
from portal.models import LocalAuthority
from submissions import storage
from submissions.models import Submission
from submissions.services import load_extract

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User

__all__ = [
    "BreakdownRow",
    "BreakdownTable",
    "FigureMembers",
    "Point",
    "PortfolioLine",
    "PortfolioRow",
    "Series",
    "breakdowns",
    "figure_members",
    "month_end_on_or_before",
    "portfolio",
    "portfolio_lines",
    "sees_unsuppressed",
    "series_for_la",
]


@dataclass(frozen=True)
class Point:
    """One indicator's value for one rolling 12-month period, as the viewer may see it.

    ``status`` is ``ok`` or the reason there is no number (``insufficient_history``,
    ``incomplete_follow_up``, ``no_data``): a gap with its reason, never a zero. The numbers
    are ``c`` where ``suppression`` says so."""

    period_start: date
    period_end: date
    status: str
    numerator: int | Hidden | None
    denominator: int | Hidden | None
    value: Decimal | Hidden | None
    suppression: Suppression
    note: str = ""


@dataclass(frozen=True)
class Series:
    """An LA's monthly series of one indicator, and the submission it was computed from."""

    indicator_id: str
    points: list[Point]
    submission: Submission
    #: The as-of (extract) date of that submission.
    as_of: date


@dataclass(frozen=True)
class PortfolioRow:
    """One LA in a portfolio: its value for the period (None: no figures, for example no
    submission yet) and for the period 12 months before, for the change."""

    local_authority: LocalAuthority
    latest: Point | None
    year_before: Point | None
    submission: Submission | None


@dataclass(frozen=True)
class BreakdownRow:
    category: str
    figure: Disclosed


@dataclass(frozen=True)
class BreakdownTable:
    """One dimension (age band, sex, ethnicity group, disability) of one figure: its groups,
    in display order, and the LA's figure they add up to, both as the viewer may see them."""

    dimension: str
    rows: list[BreakdownRow]
    total: Disclosed | None


def sees_unsuppressed(user: User | AnonymousUser, la: LocalAuthority) -> bool:
    """Whether ``user`` sees ``la``'s figures as stored: only those who may see its child-level
    records (its own LA users). Everyone else sees them disclosure-controlled."""
    return can(user, Action.VIEW_CHILD_LEVEL, la)


def _in_scope(user: User | AnonymousUser, la: LocalAuthority) -> None:
    if not can(user, Action.VIEW_DASHBOARD, la):
        raise OutOfScope(la.code)


@dataclass(frozen=True)
class _Stored:
    """The columns of one stored value a page needs (read as tuples: a page reads hundreds)."""

    period_start: date
    period_end: date
    numerator: int | None
    denominator: int | None
    value: Decimal | None
    status: str
    note: str


def _point(value: IndicatorValue | _Stored, unsuppressed: bool) -> Point:
    shown = (
        Disclosed(value.numerator, value.denominator, value.value, Suppression.NONE)
        if unsuppressed
        else disclose(value)
    )
    return Point(
        period_start=value.period_start,
        period_end=value.period_end,
        status=value.status,
        numerator=shown.numerator,
        denominator=shown.denominator,
        value=shown.value,
        suppression=shown.suppression,
        note=value.note,
    )


def series_for_la(
    user: User | AnonymousUser, la: LocalAuthority, indicator_id: str | None = None
) -> list[Series]:
    """``la``'s monthly series of rolling 12-month values, one ``Series`` per indicator that
    has stored values (only ``indicator_id``'s, when given), in indicator then period order.
    Empty when the LA has no figures yet. ``OutOfScope`` when ``user`` may not see the LA's
    dashboard."""
    _in_scope(user, la)
    unsuppressed = sees_unsuppressed(user, la)
    values = IndicatorValue.objects.filter(local_authority=la).order_by(
        "indicator_id", "period_end"
    )
    if indicator_id is not None:
        values = values.filter(indicator_id=indicator_id)
    series: dict[str, list[_Stored]] = {}
    submission_ids: dict[str, int] = {}
    for key, submission_id, *columns in values.values_list(
        "indicator_id", "submission_id", *(f.name for f in fields(_Stored))
    ):
        series.setdefault(key, []).append(_Stored(*columns))
        submission_ids.setdefault(key, submission_id)
    submissions = Submission.objects.in_bulk(set(submission_ids.values()))
    return [
        Series(
            indicator_id=key,
            points=[_point(v, unsuppressed) for v in rows],
            submission=submissions[submission_ids[key]],
            as_of=submissions[submission_ids[key]].as_of,
        )
        for key, rows in series.items()
    ]


def _year_before(month_end: date) -> date:
    """The month end 12 months before (29 February 2024 → 28 February 2023)."""
    year = month_end.year - 1
    return date(year, month_end.month, calendar.monthrange(year, month_end.month)[1])


def month_end_on_or_before(day: date) -> date:
    """The last month end on or before ``day``: the latest period end an extract taken on
    ``day`` reports (``indicators.calculators`` reports no period ending after the as-of
    date)."""
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day == last:
        return day
    previous = date(day.year, day.month, 1) - timedelta(days=1)
    return previous


def _sources(las: Iterable[LocalAuthority]) -> dict[int, Submission]:
    """Each LA's submission its stored figures come from (as ``submissions.services.
    figures_source`` says: the one stamped last), in one query."""
    sources: dict[int, Submission] = {}
    stamped = Submission.objects.filter(
        local_authority__in=las, indicators_computed_at__isnull=False
    ).order_by("local_authority_id", "-indicators_computed_at")
    for submission in stamped.defer("row_counts", "failure_reason", "indicators_failure_reason"):
        sources.setdefault(submission.local_authority_id, submission)
    return sources


def portfolio(
    user: User | AnonymousUser,
    indicator_id: str,
    period_end: date | None = None,
    *,
    region_code: str | None = None,
) -> list[PortfolioRow]:
    """Every LA whose dashboard ``user`` may see (a Case Lead's assigned LAs, a RISL's region,
    an analyst's all), alphabetically (a learning tool, not a league table), with its value of
    ``indicator_id`` for the period ending ``period_end`` (default: the LA's latest period)
    and 12 months before. LAs without figures are listed with None. ``region_code`` keeps the
    LAs of one region (London's sub-regions count as London)."""
    return [
        PortfolioRow(line.local_authority, *line.figures[indicator_id], line.submission)
        for line in portfolio_lines(user, (indicator_id,), period_end, region_code=region_code)
    ]


@dataclass(frozen=True)
class PortfolioLine:
    """One LA of a portfolio with several indicators: for each, its latest point and the point
    12 months before (None where there is none)."""

    local_authority: LocalAuthority
    submission: Submission | None
    figures: dict[str, tuple[Point | None, Point | None]]


def portfolio_lines(
    user: User | AnonymousUser,
    indicator_ids: Iterable[str],
    period_end: date | None = None,
    *,
    region_code: str | None = None,
) -> list[PortfolioLine]:
    """``portfolio`` for several indicators at once, in three queries whatever the number of
    LAs: the LAs in scope, the submissions their figures come from, and the values of the
    (at most two per LA) periods shown."""
    ids = tuple(indicator_ids)
    # Current LAs only: an authority abolished by a reorganisation sends no extracts.
    scope = local_authorities_for(user, Action.VIEW_DASHBOARD).filter(valid_to__isnull=True)
    if region_code:
        scope = scope.filter(Q(region__code=region_code) | Q(sub_region__code=region_code))
    las = list(scope.select_related("region").order_by("name", "code"))
    child_level = set(
        local_authorities_for(user, Action.VIEW_CHILD_LEVEL).values_list("pk", flat=True)
    )
    sources = _sources(las)
    wanted: dict[int, tuple[date, date]] = {}
    for la in las:
        source = sources.get(la.pk)
        if source is not None:
            end = period_end or month_end_on_or_before(source.as_of)
            wanted[la.pk] = (end, _year_before(end))
    dates = {day for pair in wanted.values() for day in pair}
    stored: dict[tuple[int, str, date], _Stored] = {}
    if wanted:
        values = IndicatorValue.objects.filter(
            submission__in=[sources[pk] for pk in wanted],
            indicator_id__in=ids,
            period_end__in=dates,
        ).values_list("local_authority_id", "indicator_id", *(f.name for f in fields(_Stored)))
        for la_id, key, *columns in values:
            value = _Stored(*columns)
            stored[(la_id, key, value.period_end)] = value
    lines = []
    for la in las:
        unsuppressed = la.pk in child_level
        figures: dict[str, tuple[Point | None, Point | None]] = {}
        for key in ids:
            pair: list[Point | None] = []
            for day in wanted.get(la.pk, ()):
                found = stored.get((la.pk, key, day))
                pair.append(_point(found, unsuppressed) if found is not None else None)
            figures[key] = (pair[0], pair[1]) if pair else (None, None)
        lines.append(PortfolioLine(la, sources.get(la.pk), figures))
    return lines


def breakdowns(
    user: User | AnonymousUser, la: LocalAuthority, indicator_id: str, period_end: date
) -> list[BreakdownTable]:
    """``la``'s figure of ``indicator_id`` for the period ending ``period_end`` by child
    characteristic, one table per dimension (none when it has no breakdowns). For a viewer
    who may not see the LA's child-level records, each table is disclosure-controlled together
    with the LA's figure (``disclosure.disclose_table``). ``OutOfScope`` when ``user`` may not
    see the LA's dashboard."""
    _in_scope(user, la)
    unsuppressed = sees_unsuppressed(user, la)
    total = IndicatorValue.objects.filter(
        local_authority=la, indicator_id=indicator_id, period_end=period_end
    ).first()
    groups: dict[str, list[IndicatorBreakdown]] = {}
    # Stored in display order (``calculators.DIMENSIONS``); the primary key keeps it.
    for row in IndicatorBreakdown.objects.filter(
        local_authority=la, indicator_id=indicator_id, period_end=period_end
    ).order_by("pk"):
        groups.setdefault(row.dimension, []).append(row)
    tables = []
    for dimension, rows in groups.items():
        if unsuppressed:
            shown = [Disclosed(r.numerator, r.denominator, r.value, Suppression.NONE) for r in rows]
            shown_total = (
                None
                if total is None
                else Disclosed(total.numerator, total.denominator, total.value, Suppression.NONE)
            )
        else:
            shown, shown_total = disclose_table(rows, total)
        tables.append(
            BreakdownTable(
                dimension=dimension,
                rows=[BreakdownRow(r.category, s) for r, s in zip(rows, shown, strict=True)],
                total=shown_total,
            )
        )
    return tables


@dataclass(frozen=True)
class FigureMembers:
    """The records behind one stored figure (``figure_members``), or why there are none.

    ``value`` is the stored figure (None: the LA has no figure of the indicator for that
    period) and ``submission`` the submission it was computed from. ``members`` is None when
    there is no figure, or when that submission's stored extract (and raw files) were deleted
    at the end of their retention (``extract_gone``); otherwise ``members.status`` says
    whether the period has a number (``ok``) and ``members.rows`` lists them.
    """

    indicator_id: str
    period_end: date
    value: IndicatorValue | None
    submission: Submission | None
    members: Members | None
    extract_gone: bool = False

    @property
    def matches(self) -> bool:
        """The rows add up to the stored numerator and denominator. Always so while the
        figures are computed by the code that lists the rows; False only if the definitions
        changed since the figure was stored and it has not been recomputed yet."""
        if self.value is None or self.members is None or self.members.status != "ok":
            return False
        denominator = self.members.denominator
        return self.members.numerator == self.value.numerator and (
            denominator is None or denominator == self.value.denominator
        )


def figure_members(
    user: User | AnonymousUser, la: LocalAuthority, indicator_id: str, period_end: date
) -> FigureMembers:
    """The child records behind ``la``'s stored figure of ``indicator_id`` for the period
    ending ``period_end``: worked out from the stored canonical extract of the submission the
    figure came from, with the as-of date and coverage start the figure was computed with
    (``indicators.services.indicator_rows``). ``OutOfScope`` unless ``user`` may see the LA's
    child-level records (its own LA users; never a DfE role). ``KeyError`` for an indicator
    id not in the registry."""
    if not can(user, Action.VIEW_CHILD_LEVEL, la):
        raise OutOfScope(la.code)
    value = (
        IndicatorValue.objects.filter(
            local_authority=la, indicator_id=indicator_id, period_end=period_end
        )
        .select_related("submission")
        .first()
    )
    if value is None:
        return FigureMembers(indicator_id, period_end, None, None, None)
    submission = value.submission
    try:
        extract = load_extract(submission)
    except storage.FileGone:
        return FigureMembers(indicator_id, period_end, value, submission, None, extract_gone=True)
    members = _members_of(
        extract.tables,
        as_of=extract.as_of or submission.as_of,
        coverage_start=extract.coverage_start,
        indicator_id=indicator_id,
        period_end=period_end,
    )
    return FigureMembers(indicator_id, period_end, value, submission, members)
