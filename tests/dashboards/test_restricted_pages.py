"""The restricted dashboards as each role uses them: the role-aware home, the portfolio, an
LA's dashboard and one indicator's page, with stored figures for Barnsley (370) and Leeds
(383) beside the shipped published figures.

What a role may reach is the permission matrix's job (tests/permissions); these tests check
what each page shows: the timely figures, the gaps with their reasons, the published
comparators, suppression for the DfE roles, sorting and filtering, and the audit of each view.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from lxml import html as lxml_html

from dashboards.published import queries as published_queries
from indicators.models import IndicatorBreakdown, IndicatorValue
from indicators.registry import REGISTRY
from portal.models import AuditEvent, LocalAuthority
from portal.models.audit import AuditAction
from submissions.models import Submission
from tests.portal_submissions.factories import add_findings, make_submission

AS_OF = date(2025, 3, 31)
#: Month ends April 2024 to March 2025: the first three lack history.
MONTHS = [
    date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30), date(2024, 7, 31),
    date(2024, 8, 31), date(2024, 9, 30), date(2024, 10, 31), date(2024, 11, 30),
    date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31),
]  # fmt: skip
YORKSHIRE_LAS = 15


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _store(code: str, numerator: int, denominator: int) -> Submission:
    """An accepted submission of ``code`` with re-referrals stored for twelve month ends
    (the first three ``insufficient_history``) and a sex breakdown of the last one, stamped as
    the pipeline stamps it."""
    submission = make_submission(code, Submission.Status.ACCEPTED, as_of=AS_OF,
                                 formats=["cin_xml"])  # fmt: skip
    la = submission.local_authority
    for n, end in enumerate(MONTHS):
        ok = n >= 3
        num, den = numerator + n, denominator
        IndicatorValue.objects.create(
            local_authority=la, submission=submission, indicator_id="rereferral_12m",
            period_start=date(end.year - 1, end.month, 1), period_end=end,
            numerator=num if ok else None, denominator=den if ok else None,
            value=Decimal(f"{100 * num / den:.1f}") if ok else None,
            status="ok" if ok else "insufficient_history",
        )  # fmt: skip
    last = numerator + len(MONTHS) - 1
    # 3 of the referrals are for girls, one of them a re-referral: a small group.
    for category, n, d in (("Male", last - 1, denominator - 3), ("Female", 1, 3),
                           ("Unknown", 0, 0)):  # fmt: skip
        IndicatorBreakdown.objects.create(
            local_authority=la, submission=submission, indicator_id="rereferral_12m",
            period_end=AS_OF, dimension="sex", category=category, numerator=n,
            denominator=d, value=Decimal(f"{100 * n / d:.1f}") if d else None, status="ok",
        )  # fmt: skip
    Submission.objects.filter(pk=submission.pk).update(indicators_computed_at=timezone.now())
    return submission


@pytest.fixture
def figures(loaded: None, personas: dict[str, Any]) -> dict[str, Submission]:
    barnsley = _store("370", 50, 250)
    add_findings(barnsley, "2885Q", severity="query", count=3)
    return {"370": barnsley, "383": _store("383", 90, 400)}


def signed_in(personas: dict[str, Any], persona: str) -> Client:
    client = Client()
    client.force_login(personas[persona])
    return client


def text(response: Any) -> str:
    """The page's visible text, tags stripped and whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


# --- the role-aware home -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shows", "hides"),
    [
        ("lead", ["Barnsley's timely figures", "Barnsley's submissions", "Upload an extract"],
         ["Manage people", "Every local authority"]),
        ("viewer", ["Barnsley's timely figures", "Barnsley's submissions"],
         ["Upload an extract", "Manage people"]),
        ("case_lead", ["Your assigned local authorities", "Barnsley's timely figures",
                       "Small numbers are suppressed"],
         ["Upload an extract", "submissions", "Manage people"]),
        ("risl", ["Yorkshire and The Humber", "every local authority in Yorkshire"],
         ["Upload an extract", "Manage people"]),
        ("analyst", ["Every local authority", "all 153 local authorities"],
         ["Upload an extract", "Manage people"]),
        ("access_admin", ["Manage people and their roles", "Read the audit trail"],
         ["timely figures", "Upload an extract"]),
    ],
)  # fmt: skip
def test_the_home_page_offers_what_each_role_can_do_and_nothing_else(
    personas: dict[str, Any], persona: str, shows: list[str], hides: list[str]
) -> None:
    page = text(signed_in(personas, persona).get("/"))

    for words in shows:
        assert words.lower() in page.lower(), words
    for words in hides:
        assert words.lower() not in page.lower(), words


# --- the portfolio ---------------------------------------------------------------------------


def _portfolio_names(response: Any) -> list[str]:
    table = response.content.decode().split("data-portfolio", 1)[1]
    return re.findall(r'<th scope="row"[^>]*><a class="govuk-link" href="[^"]+">([^<]+)</a>', table)


def test_a_risl_sees_every_la_of_the_region_alphabetically_with_or_without_figures(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    response = signed_in(personas, "risl").get("/dashboards/")
    names = _portfolio_names(response)

    expected = list(
        LocalAuthority.objects.current()
        .filter(region__code="E12000003")
        .order_by("name")
        .values_list("name", flat=True)
    )
    assert names == expected
    assert len(names) == YORKSHIRE_LAS
    page = text(response)
    assert "No submission yet" in page
    assert "Barnsley" in page
    assert "Leeds" in page
    assert "rank" not in page.lower()


def test_a_case_lead_sees_only_the_assigned_la(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    names = _portfolio_names(signed_in(personas, "case_lead").get("/dashboards/"))

    assert names == ["Barnsley"]


def test_the_portfolio_sorts_by_an_indicator_and_filters_by_region(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    analyst = signed_in(personas, "analyst")

    by_value = _portfolio_names(
        analyst.get("/dashboards/?region=E12000003&sort=rereferral_12m&order=desc")
    )
    london = _portfolio_names(analyst.get("/dashboards/?region=E12000007"))

    # Leeds 101/400 = 25.3%, Barnsley 61/250 = 24.4%; LAs without figures come last.
    assert by_value[:2] == ["Leeds", "Barnsley"]
    assert len(by_value) == YORKSHIRE_LAS
    assert "Camden" in london
    assert "Barnsley" not in london


def test_the_portfolio_shows_the_latest_value_and_its_change(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    page = text(signed_in(personas, "risl").get("/dashboards/"))

    assert "31 Mar 2025" in page
    assert "24.4%" in page  # Barnsley, 61 of 250


# --- an LA's dashboard --------------------------------------------------------------------------


def test_an_las_dashboard_lists_every_indicator_with_its_latest_figure(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    page = text(signed_in(personas, "lead").get("/dashboards/la/370/"))

    for indicator in REGISTRY.values():
        assert indicator.title in page
    assert "24.4%" in page
    assert "12 months to March 2025" in page
    assert "31 March 2025" in page  # the extract date
    assert "3 queries in 1 rule" in page
    assert "3 queries in 1 rule not explained by Barnsley" in page


def test_an_la_with_no_figures_says_so_and_offers_the_published_ones(
    personas: dict[str, Any], loaded: None
) -> None:
    page = text(signed_in(personas, "lead").get("/dashboards/la/370/"))

    assert "No timely figures yet" in page
    assert "See Barnsley's published figures" in page


def test_another_las_dashboard_is_not_found(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    assert signed_in(personas, "other_lead").get("/dashboards/la/370/").status_code == 404
    assert signed_in(personas, "case_lead").get("/dashboards/la/383/").status_code == 404
    assert signed_in(personas, "lead").get("/dashboards/la/999/").status_code == 404


# --- one indicator ------------------------------------------------------------------------------


def test_the_indicator_page_shows_the_series_the_gaps_and_the_published_figures(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    response = signed_in(personas, "lead").get("/dashboards/la/370/rereferral_12m/")
    page = text(response)
    series = published_queries.time_series("rereferral_12m", "370")
    row_2025 = next(row for row in series.rows if row.period_end_year == 2025)

    assert response.status_code == 200
    assert "61 of 250" in page
    assert page.count("Not enough history") >= 3  # the first three months, never a zero
    assert "12 months to June 2024 Not enough history" in page
    # The published figures of Barnsley, its region, England and its neighbours' median sit
    # in the March 2025 row, and the comparison with the timely figure.
    assert row_2025.la.display in page
    assert row_2025.england.display in page
    assert "Statistical neighbours (median)" in page
    assert "Year to 31 March 2025 24.4%" in page
    assert "percentage points" in page
    assert 'data-chart="month-by-month-data"' in response.content.decode()
    assert "See the child records behind this figure" in page


def test_a_dfe_role_sees_small_numbers_suppressed_and_no_drill_down(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    page = text(signed_in(personas, "case_lead").get("/dashboards/la/370/rereferral_12m/"))
    lead_page = text(signed_in(personas, "lead").get("/dashboards/la/370/rereferral_12m/"))

    # Female 1 of 3 is a small group; with the total shown, Unknown (0 of 0) cannot cover it,
    # so Male is suppressed too and neither can be recovered by subtraction.
    assert "Female c" in page
    assert "Male c" in page
    assert "Female 1 3 33.3%" in lead_page
    assert "child records" not in page
    assert "Counts of 1 to 4" in page


def test_a_chosen_period_must_be_one_of_the_series(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    lead = signed_in(personas, "lead")

    assert lead.get("/dashboards/la/370/rereferral_12m/?period=2024-09-30").status_code == 200
    assert lead.get("/dashboards/la/370/rereferral_12m/?period=2024-09-15").status_code == 404
    assert lead.get("/dashboards/la/370/rereferral_12m/?period=soon").status_code == 404
    assert lead.get("/dashboards/la/370/no_such_indicator/").status_code == 404


def test_an_indicator_without_values_says_there_are_none(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    page = text(signed_in(personas, "risl").get("/dashboards/la/370/cla_missing_pct/"))

    assert "No timely figures yet" in page


# --- usage is recorded --------------------------------------------------------------------------


def test_every_view_of_a_restricted_page_is_audited(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    client = signed_in(personas, "case_lead")
    for url in ("/dashboards/", "/dashboards/la/370/", "/dashboards/la/370/rereferral_12m/"):
        client.get(url)

    events = AuditEvent.objects.filter(action=AuditAction.DASHBOARD_VIEWED).order_by("pk")
    assert [(e.details["page"], e.organisation) for e in events] == [
        ("portfolio", ""), ("la", "370"), ("indicator", "370"),
    ]  # fmt: skip
    assert events.last().details["indicator"] == "rereferral_12m"  # type: ignore[union-attr]
    assert all(e.actor == personas["case_lead"] for e in events)


@pytest.mark.parametrize(
    "indicator_id",
    ["cla_missing_pct", "cla_away_pct", "missing_episodes_per_child", "missing_at_period_end"],
)
def test_the_missing_children_measures_are_comparators_here_though_not_public(
    personas: dict[str, Any], figures: dict[str, Submission], indicator_id: str
) -> None:
    # Restricted-only published measures (catalogue.RESTRICTED_ONLY): no public page shows
    # them (tests/dashboards/test_public_pages.py); the restricted dashboards do.
    key = REGISTRY[indicator_id].published
    assert key is not None
    series = published_queries.time_series(key.key, "370", include_restricted=True)
    latest = series.rows[-1]
    page = signed_in(personas, "risl").get("/dashboards/la/370/")
    tree: Any = lxml_html.fromstring(page.content)  # lxml's stubs: itertext gives bytes too
    rows = [" ".join(" ".join(row.itertext()).split()) for row in tree.iter("tr")]
    (row,) = [r for r in rows if r.startswith(REGISTRY[indicator_id].title)]

    assert f"{latest.la.display} " in row
    assert f"31 March {latest.period_end_year}" in row


# --- what is kept between requests ---------------------------------------------------------------


def test_kept_pages_show_a_new_note_and_never_cross_suppression(
    personas: dict[str, Any], figures: dict[str, Submission]
) -> None:
    from indicators.notes import write_note

    barnsley = LocalAuthority.objects.get(code="370")
    lead, case_lead = signed_in(personas, "lead"), signed_in(personas, "case_lead")
    before = text(case_lead.get("/dashboards/"))
    text(lead.get("/dashboards/la/370/"))  # kept unsuppressed for the LA's own users

    write_note(personas["lead"], barnsley, "rereferral_12m", None, "Front door changed.")
    after = text(case_lead.get("/dashboards/"))
    dashboard = case_lead.get("/dashboards/la/370/rereferral_12m/")

    assert "Barnsley South Yorkshire" not in before  # region names are shown in full
    assert re.search(r"Barnsley Yorkshire and The Humber .*? 0 ", before)
    assert re.search(r"Barnsley Yorkshire and The Humber .*? 1 ", after)
    assert "Female c" in text(dashboard)
    assert "Female 1 3 33.3%" in text(lead.get("/dashboards/la/370/rereferral_12m/"))
