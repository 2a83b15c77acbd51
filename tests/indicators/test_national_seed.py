"""The national-scale synthetic figures (``manage.py seed_national_figures``,
``indicators.national_seed``), on a few real LAs: labelled, complete, consistent, repeatable,
and read by the dashboards' scoped queries like computed figures."""

from __future__ import annotations

import calendar
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from indicators import queries
from indicators.calculators import DIMENSIONS
from indicators.disclosure import SUPPRESSED
from indicators.models import IndicatorBreakdown, IndicatorValue
from indicators.national_seed import MONTHS, SEED_EMAIL, SEED_LABEL, synthetic_submissions
from indicators.registry import REGISTRY, Kind, Status, Unit
from portal.models import LocalAuthority
from submissions.models import Submission
from submissions.services import figures_source
from tests.portal_submissions.factories import make_submission

AS_OF = date(2025, 3, 31)
LAS = 8  # the first eight by code: City of London (tiny) and one that sent the DfE API payload
WITH_BREAKDOWNS = [indicator for indicator in REGISTRY.values() if indicator.breakdowns]
GROUPS = sum(len(categories) for categories in DIMENSIONS.values())


def seed(**options: Any) -> str:
    out = io.StringIO()
    call_command("seed_national_figures", stdout=out, **{"as_of": AS_OF, **options})
    return out.getvalue()


@pytest.fixture(scope="module")
def national(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The reference geography and the first ``LAS`` LAs seeded, once for the module, in a
    transaction rolled back at the end so no other module sees them."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
            seed(las=LAS)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def seeded(national: None, db: None) -> list[Submission]:
    return list(synthetic_submissions().select_related("local_authority", "created_by"))


def expected_value(unit: Unit, numerator: int, denominator: int | None) -> Decimal | None:
    """indicators.md "Output": the value from the numbers, 1 dp half up (counts as they are)."""
    if unit is Unit.COUNT:
        return Decimal(numerator)
    if not denominator:
        return None
    scale = {Unit.PERCENT: 100, Unit.RATIO: 1, Unit.RATE_PER_10K: 10_000}[unit]
    exact = Decimal(numerator * scale) / Decimal(denominator)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_every_la_gets_one_labelled_accepted_submission_its_figures_come_from(
    seeded: list[Submission],
) -> None:
    first = list(LocalAuthority.objects.current().order_by("code")[:LAS])
    assert sorted(s.local_authority.code for s in seeded) == [la.code for la in first]
    for submission in seeded:
        assert submission.status == Submission.Status.ACCEPTED
        assert submission.created_by is not None
        assert submission.created_by.email == SEED_EMAIL
        assert not submission.created_by.is_active
        assert not submission.created_by.has_usable_password()
        assert submission.progress_message == SEED_LABEL
        assert submission.as_of == AS_OF
        assert figures_source(submission.local_authority).source == submission


def test_every_indicator_for_36_month_ends_and_every_breakdown_group(
    seeded: list[Submission],
) -> None:
    assert IndicatorValue.objects.count() == LAS * len(REGISTRY) * MONTHS
    assert IndicatorBreakdown.objects.count() == LAS * len(WITH_BREAKDOWNS) * GROUPS * MONTHS
    ends = sorted(set(IndicatorValue.objects.values_list("period_end", flat=True)))
    assert len(ends) == MONTHS
    assert ends[-1] == AS_OF
    assert ends[0] == date(2022, 4, 30)
    assert all(end.day == calendar.monthrange(end.year, end.month)[1] for end in ends)
    value = IndicatorValue.objects.filter(period_end=AS_OF).first()
    assert value is not None
    assert value.period_start == date(2024, 4, 1)


def test_values_are_their_numbers_and_percentages_never_exceed_100(
    seeded: list[Submission],
) -> None:
    for row in IndicatorValue.objects.filter(status=Status.OK):
        unit = REGISTRY[row.indicator_id].unit
        assert row.numerator is not None
        assert row.value == expected_value(unit, row.numerator, row.denominator), row
        if unit is Unit.PERCENT:
            assert row.denominator is not None
            assert 0 <= row.numerator <= row.denominator
        if unit is Unit.COUNT:
            assert row.denominator is None
    for row in IndicatorValue.objects.exclude(status=Status.OK):
        assert row.value is None
        assert row.denominator is None
        assert (row.numerator is None) == (row.status != Status.NO_POPULATION)


def test_breakdown_groups_add_up_to_the_figure(seeded: list[Submission]) -> None:
    totals: dict[tuple[int, str, date, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in IndicatorBreakdown.objects.filter(status=Status.OK):
        unit = REGISTRY[row.indicator_id].unit
        assert row.numerator is not None
        assert row.value == expected_value(unit, row.numerator, row.denominator), row
        if unit is Unit.PERCENT:
            assert row.denominator is not None
            assert row.numerator <= row.denominator
        total = totals[(row.local_authority_id, row.indicator_id, row.period_end, row.dimension)]
        total[0] += row.numerator
        total[1] += row.denominator or 0
    figures = {
        (v.local_authority_id, v.indicator_id, v.period_end): v
        for v in IndicatorValue.objects.filter(status=Status.OK)
    }
    assert len(totals) == len([f for f in figures if REGISTRY[f[1]].breakdowns]) * len(DIMENSIONS)
    for (la, indicator, end, _dimension), (numerator, denominator) in totals.items():
        figure = figures[(la, indicator, end)]
        assert numerator == figure.numerator
        assert denominator == (figure.denominator or 0)
    # A figure without a status "ok" has none in any group either.
    for row in IndicatorBreakdown.objects.exclude(status=Status.OK)[:500]:
        assert (row.numerator, row.denominator, row.value) == (None, None, None)


def test_coverage_statuses_follow_the_formats_and_the_history_sent(
    seeded: list[Submission],
) -> None:
    statuses = defaultdict(set)
    for submission in seeded:
        formats = set(submission.formats)
        assert submission.coverage_start is not None
        for value in IndicatorValue.objects.filter(submission=submission):
            indicator = REGISTRY[value.indicator_id]
            statuses[value.status].add(value.indicator_id)
            if not formats & set(indicator.source_formats):
                assert value.status == Status.NO_DATA
                continue
            start = value.period_start
            month = start.month - indicator.look_back_months
            needs = date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            short = indicator.kind is Kind.PERIOD and needs < submission.coverage_start
            assert (value.status == Status.INSUFFICIENT_HISTORY) == short, value
    # The pages' gaps are all exercised: history too short, a format without the records.
    assert statuses[Status.INSUFFICIENT_HISTORY] == {
        i.id for i in REGISTRY.values() if i.look_back_months and i.kind is Kind.PERIOD
    }
    assert statuses[Status.NO_DATA] == {
        "cla_missing_pct", "cla_away_pct", "missing_episodes_per_child", "missing_at_period_end",
    }  # fmt: skip


def test_small_numbers_are_there_for_suppression_to_hide(
    seeded: list[Submission], personas: dict[str, Any]
) -> None:
    small = IndicatorBreakdown.objects.filter(numerator__gte=1, numerator__lte=4)
    assert small.count() > 100
    # The dashboards read the seeded figures like computed ones, suppressed for the DfE.
    row = small.filter(indicator_id="rereferral_12m").select_related("local_authority").first()
    assert row is not None
    tables = queries.breakdowns(personas["analyst"], row.local_authority, row.indicator_id,
                                row.period_end)  # fmt: skip
    shown = next(t for t in tables if t.dimension == row.dimension)
    cell = next(r for r in shown.rows if r.category == row.category)
    assert cell.figure.numerator == SUPPRESSED
    series = queries.series_for_la(personas["analyst"], row.local_authority)
    assert len(series) == len(REGISTRY)
    assert all(len(s.points) == MONTHS for s in series)


def test_running_again_replaces_the_seed_and_gives_the_same_figures(
    seeded: list[Submission],
) -> None:
    first = min(s.local_authority.code for s in seeded)

    def figures() -> list[tuple[Any, ...]]:
        return sorted(
            IndicatorValue.objects.filter(local_authority__code=first).values_list(
                "indicator_id", "period_end", "numerator", "denominator", "value", "status"
            )
        )

    before = figures()
    seed(las=2)

    assert synthetic_submissions().count() == 2
    assert not Submission.objects.filter(pk__in=[s.pk for s in seeded]).exists()
    assert IndicatorValue.objects.count() == 2 * len(REGISTRY) * MONTHS
    assert IndicatorBreakdown.objects.count() == 2 * len(WITH_BREAKDOWNS) * GROUPS * MONTHS
    assert figures() == before  # the same seed, LA and dates: the same figures
    assert "Seeded synthetic figures for 2 LAs" in seed(las=2, seed=99)
    assert figures() != before


def test_an_la_whose_accepted_submission_is_real_is_left_alone(national: None, db: None) -> None:
    first = LocalAuthority.objects.current().order_by("code").first()
    assert first is not None
    synthetic_submissions().delete()
    real = make_submission(first.code, Submission.Status.ACCEPTED)

    out = seed(las=3)

    assert f"Left alone (their accepted submission is real): {first.code}." in out
    assert "Seeded synthetic figures for 2 LAs" in out
    real.refresh_from_db()
    assert real.status == Submission.Status.ACCEPTED
    assert not IndicatorValue.objects.filter(local_authority=first).exists()
    assert not synthetic_submissions().filter(local_authority=first).exists()


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the embedded database always may")
def test_refused_on_the_production_settings_unless_for_the_benchmark(
    national: None, db: None, settings: Any
) -> None:
    settings.EMBEDDED = False
    with pytest.raises(CommandError, match="synthetic"):
        seed(las=1)
    assert "Seeded synthetic figures for 1 LA " in seed(las=1, benchmark_database=True)


def test_the_restricted_dashboards_show_the_seeded_figures(
    seeded: list[Submission], personas: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(personas["analyst"])
    la = seeded[0].local_authority
    latest = IndicatorValue.objects.get(
        local_authority=la, indicator_id="rereferral_12m", period_end=AS_OF
    )

    portfolio = client.get(reverse("restricted_dashboards:portfolio"))
    dashboard = client.get(reverse("restricted_dashboards:la", kwargs={"la_code": la.code}))

    assert portfolio.status_code == 200
    assert dashboard.status_code == 200
    for submission in seeded:
        assert submission.local_authority.name in portfolio.content.decode()
    assert latest.value is not None
    assert f"{latest.value}%" in dashboard.content.decode()
