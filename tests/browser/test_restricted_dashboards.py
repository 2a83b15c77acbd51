"""The restricted dashboards in a real browser, as three people use them, on figures the real
pipeline computed from generated extracts of Barnsley and Leeds (``workers.demo``):

* Barnsley's data lead lands on Barnsley's figures, opens an indicator, drills down to the
  child records behind it (as many rows as the figure counts) and writes a context note;
* the DfE Case Lead assigned Barnsley sees only Barnsley, reads the note, sees small numbers
  as ``c``, and gets "Page not found" for the drill-down and for Leeds;
* the RISL for Yorkshire and the Humber finds every LA of the region in the portfolio.

Every page passes axe (no serious or critical violations), draws its charts with nothing
blocked by the content security policy, and is saved as a screenshot (test-artifacts/
restricted-*.png) for people to look at.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from portal.models import LocalAuthority
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.browser.test_public_dashboard import CHARTS_DRAWN
from tests.conftest import PASSWORD, screenshot
from workers.demo import seed_demo_submissions

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]

INDICATOR = "rereferral_12m"


@pytest.fixture
def figures(personas: dict[str, Any]) -> None:
    """Barnsley's and Leeds' accepted extracts (300 generated children each) with their
    indicators computed, and the published figures to compare with."""
    call_command("load_published_data", verbosity=0)
    seed_demo_submissions(children=300)
    cache.clear()


@pytest.fixture
def watched(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(reduced_motion="reduce")
    return errors


def checked(page: Any, name: str, errors: list[str]) -> None:
    assert serious_violations(page) == [], name
    assert errors == [], name
    screenshot(page, f"restricted-{name}")


def test_a_data_lead_drills_down_and_writes_a_note_which_the_case_lead_reads(
    page: Any, personas: dict[str, Any], figures: None, watched: list[str]
) -> None:
    # Barnsley's data lead: home -> Barnsley's dashboard -> one indicator.
    sign_in(page, personas["lead"].email, PASSWORD)
    page.get_by_role("link", name="Barnsley's timely figures").click()
    expect(page.locator("h1")).to_have_text("Barnsley")
    checked(page, "lead-la", watched)
    page.get_by_role("link", name=re.compile("^Re-referrals within 12 months")).click()
    expect(page.locator("h1")).to_contain_text("Re-referrals within 12 months")
    page.wait_for_function(CHARTS_DRAWN)
    checked(page, "lead-indicator", watched)
    figure = page.locator("#figure-heading + p + p").inner_text()  # "61 of 250"
    numerator = int(figure.split(" of ")[0].replace(",", ""))

    # The drill-down lists as many records in the numerator as the figure counts.
    page.get_by_role("link", name="See the child records behind this figure").click()
    checked(page, "lead-members", watched)
    assert f"{numerator:,}" in page.locator("main").inner_text()
    members_url = page.url
    page.go_back()

    # A context note on the indicator.
    page.get_by_role("link", name="Add a note").click()
    page.get_by_label("Note", exact=True).fill("Re-referrals rose after the front door moved.")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator("[data-context-notes]")).to_contain_text("front door moved")
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Sign out").click()
    page.context.clear_cookies()

    # The Case Lead assigned Barnsley.
    sign_in(page, personas["case_lead"].email, PASSWORD)
    page.get_by_role("link", name="See their key indicators side by side").click()
    names = page.locator("[data-portfolio] tbody th").all_inner_texts()
    assert names == ["Barnsley"]
    checked(page, "case-lead-portfolio", watched)
    page.get_by_role("link", name="Barnsley").click()
    page.get_by_role("link", name=re.compile("^Re-referrals within 12 months")).click()
    expect(page.locator("[data-context-notes]")).to_contain_text("front door moved")
    page.wait_for_function(CHARTS_DRAWN)
    cells = page.locator("#breakdowns ~ section td").all_inner_texts()
    assert any(cell.startswith("c") for cell in cells), "small numbers are suppressed"
    assert page.get_by_role("link", name="See the child records behind this figure").count() == 0
    checked(page, "case-lead-indicator", watched)

    page.goto(members_url)
    expect(page.locator("h1")).to_have_text("Page not found")
    page.goto("/dashboards/la/383/")
    expect(page.locator("h1")).to_have_text("Page not found")


def test_a_risl_sees_every_la_of_the_region(
    page: Any, personas: dict[str, Any], figures: None, watched: list[str]
) -> None:
    sign_in(page, personas["risl"].email, PASSWORD)
    page.get_by_role("link", name=re.compile("every local authority in Yorkshire")).click()

    names = page.locator("[data-portfolio] tbody th").all_inner_texts()
    expected = list(
        LocalAuthority.objects.current()
        .filter(region__code="E12000003")
        .order_by("name")
        .values_list("name", flat=True)
    )
    assert names == expected
    assert len(names) == 15
    body = page.locator("[data-portfolio]").inner_text()
    assert "No submission yet" in body
    checked(page, "risl-portfolio", watched)

    # Sorting by a figure keeps LAs without one at the end.
    page.get_by_role("link", name=re.compile("Re-referrals within 12 months.*sort")).click()
    sorted_names = page.locator("[data-portfolio] tbody th").all_inner_texts()
    assert set(sorted_names[:2]) == {"Barnsley", "Leeds"}
