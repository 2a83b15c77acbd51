"""A large validation report in a real browser (11,580 errors in 60 rules, as in issue 15): the
page is a few screens long, not 47,000 px; nothing is wider than a 1280 px window; the filters
are a few Tab stops from the top; and axe finds nothing serious, and no content outside a
landmark (the back link is in a <nav>)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from submissions.models import Submission
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot
from tests.portal_submissions.factories import add_findings, make_file, make_submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Long names with nothing to break at, as LAs' case-management systems write them.
FILE = "Barnsley_CIN_Census_2024_full_return_extracted_20240331_v2_FINAL.xml"
PATH = "Message/Children/Child[1234]/CINdetails/ChildProtectionPlans/CPPreviews/CPPreviewDate"


@pytest.fixture
def large(personas: dict[str, Any]) -> Submission:
    sub = make_submission("370", Submission.Status.HAS_ERRORS, created_by=personas["lead"])
    make_file(sub, display_name=FILE)
    for n in range(60):
        add_findings(
            sub, f"{8500 + n}", count=193, file=FILE, location=PATH,
            field="CPPreviewDate", message=f"Rule {8500 + n}: a review date is before the "
            "start of the child protection plan it belongs to, or after its end date.",
        )  # fmt: skip
    for n in range(3):
        add_findings(sub, f"{8800 + n}Q", "query", count=20, file=FILE)
    return sub


def tabs_to_filters(page: Any) -> int:
    """How many presses of Tab, from the top of the page, reach the first filter."""
    for n in range(1, 60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('form[method=get]') !== null"):
            return n
    pytest.fail("Tab never reached the filters")


def test_a_large_report_is_short_fits_the_window_and_passes_axe(
    page: Any, personas: dict[str, Any], large: Submission
) -> None:
    sign_in(page, personas["lead"].email, PASSWORD)
    page.goto(f"/submissions/{large.id}/report/")

    assert page.locator("h1").inner_text() == "Validation report"
    summary = page.locator(".govuk-error-summary")
    assert "11,580 errors in 60 rules" in summary.inner_text()
    assert summary.locator("a").count() == 1
    assert page.locator("tbody tr").count() == 63 + 100  # the rules, a page of findings
    screenshot(page, "submission-report-large")
    # It was 47,000 px; now the rules table and one page of findings (about 13,800 px here).
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 16_000, height
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width
    assert serious_violations(page) == []
    regions = [v for v in Axe().run(page).response["violations"] if v["id"] == "region"]
    assert regions == []
    # Skip link, the menu's links, the back link, the error summary's link: then the filters.
    assert tabs_to_filters(page) <= 12

    # The next page, from the pagination below the findings.
    page.get_by_role("link", name="Next page").click()
    assert "Findings 101 to 200 of 11,640" in page.content()
    assert page.evaluate("location.hash") == "#findings"

    # The status page's back link is in a landmark too, and its files table fits.
    page.get_by_role("navigation", name="Back").get_by_role("link").click()
    assert page.locator("h1").inner_text() == "Submission status"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert [v for v in Axe().run(page).response["violations"] if v["id"] == "region"] == []
