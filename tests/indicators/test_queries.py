"""Scoped reads of the stored figures (``indicators.queries``): each role gets exactly its
scope, and everyone but the LA's own users sees small numbers suppressed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from indicators import queries
from indicators.disclosure import SUPPRESSED, Suppression
from indicators.models import IndicatorBreakdown, IndicatorValue
from portal.access import OutOfScope
from portal.models import LocalAuthority
from submissions.models import Submission
from tests.portal_submissions.factories import make_submission

pytestmark = pytest.mark.django_db

MARCH, FEBRUARY = date(2024, 3, 31), date(2024, 2, 29)
YEAR_BEFORE = date(2023, 3, 31)
YORKSHIRE = "E12000003"
#: Who sees Barnsley's (370) dashboard, and who sees it as stored.
SEES_BARNSLEY = {"lead", "viewer", "case_lead", "risl", "analyst"}
UNSUPPRESSED = {"lead", "viewer"}


def _store(la_code: str, numerator: int, denominator: int, as_of: date = MARCH) -> Submission:
    submission = make_submission(la_code, Submission.Status.ACCEPTED, as_of=as_of)
    # As ``indicators.services.store_indicators`` does when it stores an LA's figures.
    Submission.objects.filter(pk=submission.pk).update(indicators_computed_at=timezone.now())
    la = submission.local_authority
    periods = ((YEAR_BEFORE, 10, 50), (FEBRUARY, numerator + 5, denominator),
               (MARCH, numerator, denominator))  # fmt: skip
    for end, n, d in periods:
        IndicatorValue.objects.create(
            local_authority=la, submission=submission, indicator_id="rereferral_12m",
            period_start=date(end.year - 1, end.month % 12 + 1, 1), period_end=end,
            numerator=n, denominator=d, value=Decimal(f"{100 * n / d:.1f}"), status="ok",
        )  # fmt: skip
    IndicatorValue.objects.create(
        local_authority=la, submission=submission, indicator_id="nfa_reassessed_12m",
        period_start=date(2023, 4, 1), period_end=MARCH, status="incomplete_follow_up",
    )  # fmt: skip
    return submission


@pytest.fixture
def figures(personas: dict[str, Any]) -> dict[str, Submission]:
    """Barnsley: 3 re-referrals of 61 referrals in the year to 31 March 2024, by sex 2 of 10
    male, 1 of 50 female, 0 of 1 unknown. Leeds and Camden: larger numbers."""
    barnsley = _store("370", 3, 61)
    for category, n, d in (("Male", 2, 10), ("Female", 1, 50), ("Unknown", 0, 1)):
        IndicatorBreakdown.objects.create(
            local_authority=barnsley.local_authority, submission=barnsley,
            indicator_id="rereferral_12m", period_end=MARCH, dimension="sex", category=category,
            numerator=n, denominator=d, value=Decimal(f"{100 * n / d:.1f}"), status="ok",
        )  # fmt: skip
    for category, n, d in (("Under 1", 3, 30), ("1 to 4", 0, 31)):
        IndicatorBreakdown.objects.create(
            local_authority=barnsley.local_authority, submission=barnsley,
            indicator_id="rereferral_12m", period_end=MARCH, dimension="age_band",
            category=category, numerator=n, denominator=d, value=Decimal(0), status="ok",
        )  # fmt: skip
    return {"370": barnsley, "383": _store("383", 40, 200), "202": _store("202", 90, 300)}


def _barnsley() -> LocalAuthority:
    return LocalAuthority.objects.get(code="370")


@pytest.mark.parametrize(
    "persona", ["lead", "viewer", "other_lead", "case_lead", "risl", "analyst", "access_admin"]
)
def test_an_las_series_is_for_its_users_and_the_dfe_roles_that_cover_it(
    persona: str, personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    user = personas[persona]
    if persona not in SEES_BARNSLEY:
        with pytest.raises(OutOfScope):
            queries.series_for_la(user, _barnsley())
        return
    series = {s.indicator_id: s for s in queries.series_for_la(user, _barnsley())}
    assert set(series) == {"rereferral_12m", "nfa_reassessed_12m"}
    rereferrals = series["rereferral_12m"]
    assert (rereferrals.submission, rereferrals.as_of) == (figures["370"], MARCH)
    assert [p.period_end for p in rereferrals.points] == [YEAR_BEFORE, FEBRUARY, MARCH]
    year_before, february, march = rereferrals.points
    assert (year_before.numerator, february.numerator) == (10, 8)
    if persona in UNSUPPRESSED:
        assert (march.numerator, march.denominator, march.value) == (3, 61, Decimal("4.9"))
        assert march.suppression is Suppression.NONE
    else:
        assert (march.numerator, march.denominator, march.value) == (SUPPRESSED,) * 3
        assert march.suppression is Suppression.PRIMARY
    [gap] = series["nfa_reassessed_12m"].points
    assert (gap.status, gap.value, gap.suppression) == ("incomplete_follow_up", None, "")
    only = queries.series_for_la(user, _barnsley(), indicator_id="nfa_reassessed_12m")
    assert [s.indicator_id for s in only] == ["nfa_reassessed_12m"]


def test_an_la_without_figures_has_no_series(personas: dict[str, Any]) -> None:
    assert queries.series_for_la(personas["lead"], _barnsley()) == []


@pytest.mark.parametrize(
    "persona", ["lead", "viewer", "other_lead", "case_lead", "risl", "analyst", "access_admin"]
)
def test_the_portfolio_lists_exactly_the_las_in_scope(
    persona: str, personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    # Current LAs: an authority abolished by a reorganisation is in no portfolio.
    alphabetical = LocalAuthority.objects.current().order_by("name", "code")
    yorkshire = alphabetical.filter(region__code=YORKSHIRE)
    expected = {
        "lead": ["370"], "viewer": ["370"], "other_lead": ["383"], "case_lead": ["370"],
        "risl": list(yorkshire.values_list("code", flat=True)),
        "analyst": list(alphabetical.values_list("code", flat=True)),
        "access_admin": [],
    }[persona]  # fmt: skip

    rows = queries.portfolio(personas[persona], "rereferral_12m")

    assert [r.local_authority.code for r in rows] == expected, "alphabetical, every LA in scope"
    by_code = {r.local_authority.code: r for r in rows}
    for code, row in by_code.items():
        if code not in figures:
            assert (row.latest, row.year_before, row.submission) == (None, None, None)
            continue
        assert row.submission == figures[code]
        assert row.latest is not None
        assert row.year_before is not None
        assert (row.latest.period_end, row.year_before.period_end) == (MARCH, YEAR_BEFORE)
        assert row.year_before.numerator == 10
    if "370" in by_code:
        latest = by_code["370"].latest
        assert latest is not None
        assert latest.numerator == (3 if persona in UNSUPPRESSED else SUPPRESSED)
    if persona == "analyst":
        assert by_code["202"].latest is not None
        assert by_code["202"].latest.numerator == 90, "a large number is shown"


def test_the_portfolio_reads_a_given_period(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    [row] = queries.portfolio(personas["lead"], "rereferral_12m", period_end=FEBRUARY)
    assert row.latest is not None
    assert row.latest.numerator == 8
    assert row.year_before is None, "no value for February 2023"


@pytest.mark.parametrize(
    "persona", ["lead", "viewer", "other_lead", "case_lead", "risl", "analyst", "access_admin"]
)
def test_breakdowns_are_suppressed_for_everyone_but_the_las_own_users(
    persona: str, personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    user = personas[persona]
    if persona not in SEES_BARNSLEY:
        with pytest.raises(OutOfScope):
            queries.breakdowns(user, _barnsley(), "rereferral_12m", MARCH)
        return

    read = queries.breakdowns(user, _barnsley(), "rereferral_12m", MARCH)
    tables = {t.dimension: t for t in read}

    assert list(tables) == ["sex", "age_band"], "in the order they were computed"
    sex = tables["sex"]
    assert [r.category for r in sex.rows] == ["Male", "Female", "Unknown"]
    shown = [(r.figure.numerator, r.figure.denominator) for r in sex.rows]
    if persona in UNSUPPRESSED:
        assert shown == [(2, 10), (1, 50), (0, 1)]
        assert sex.total is not None
        assert sex.total.numerator == 3
        return
    # Every group has a count of 1 to 4 (Unknown's denominator is 1), and so has the total.
    assert shown == [(SUPPRESSED, SUPPRESSED)] * 3
    assert sex.total is not None
    assert sex.total.suppressed
    age = tables["age_band"]
    # The total is hidden, so one suppressed group (Under 1: 3 of 30) cannot be recovered.
    assert [r.figure.suppression for r in age.rows] == [Suppression.PRIMARY, Suppression.NONE]


def test_a_lone_suppressed_group_is_protected_from_a_shown_total(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    leeds = figures["383"].local_authority
    for category, n, d in (("Yes", 3, 20), ("No", 30, 150), ("Unknown", 7, 30)):
        IndicatorBreakdown.objects.create(
            local_authority=leeds, submission=figures["383"], indicator_id="rereferral_12m",
            period_end=MARCH, dimension="disability", category=category, numerator=n,
            denominator=d, value=Decimal(0), status="ok",
        )  # fmt: skip

    [table] = queries.breakdowns(personas["risl"], leeds, "rereferral_12m", MARCH)

    assert table.total is not None
    assert table.total.numerator == 40
    assert [r.figure.suppression for r in table.rows] == [
        Suppression.PRIMARY, Suppression.NONE, Suppression.SECONDARY,
    ]  # fmt: skip
    [table] = queries.breakdowns(personas["other_lead"], leeds, "rereferral_12m", MARCH)
    assert [r.figure.numerator for r in table.rows] == [3, 30, 7]
