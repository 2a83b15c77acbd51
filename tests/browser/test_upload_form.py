"""The upload form in headless Chromium: a mistake in another field is caught before the
files are sent, so they stay chosen and the next submit goes through without choosing them
again; without JavaScript the server says to choose them again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from submissions.models import Submission
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CIN = Path(__file__).resolve().parent.parent / "readers" / "data" / "CIN2rows.xml"


@pytest.fixture
def upload_dir(tmp_path: Path, settings: Any) -> None:
    """Encrypted uploads in this test's folder (the live server shares the settings)."""
    settings.UPLOAD_DIR = tmp_path / "uploads"


def fill_date(page: Any, group: str | re.Pattern[str], day: str, month: str, year: str) -> None:
    dates = page.get_by_role("group", name=group)
    dates.get_by_label("Day").fill(day)
    dates.get_by_label("Month").fill(month)
    dates.get_by_label("Year").fill(year)


def resubmit(page: Any) -> None:
    # The button ignores a second press within a second of the first (govuk-frontend's
    # data-prevent-double-click), and a test fills a field faster than that.
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Upload and check").click()


def test_the_files_stay_chosen_after_another_fields_error(
    page: Any, personas: dict[str, Any], upload_dir: None
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    sign_in(page, personas["lead"].email, PASSWORD)
    page.goto("/submissions/new/")
    sent.clear()
    files = page.get_by_label("Upload the extract files")
    files.set_input_files(CIN)
    fill_date(page, "When was the extract taken?", "31", "3", "")
    fill_date(page, re.compile("From what date is the extract"), "1", "4", "2024")

    page.get_by_role("button", name="Upload and check").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["The extract date must include a year"])
    expect(page.get_by_role("group", name="When was the extract taken?")).to_contain_text(
        "Error: The extract date must include a year"
    )
    assert page.title().startswith("Error: ")
    assert sent == []  # nothing was sent, so nothing was lost
    assert files.evaluate("input => input.files.length") == 1
    assert serious_violations(page) == []
    screenshot(page, "upload-checked-before-sending")

    # The extract date put right, the coverage date is now after it: caught again.
    fill_date(page, "When was the extract taken?", "31", "3", "2024")
    resubmit(page)
    expect(summary.get_by_role("link")).to_have_text(
        ["The date the extract is complete from must be before the extract date"]
    )
    # The first error is gone from beside its field, not shown twice.
    expect(page.locator("main .govuk-error-message")).to_have_count(1)
    summary.get_by_role("link").click()
    complete = page.get_by_role("group", name=re.compile("From what date"))
    expect(complete.get_by_label("Day")).to_be_focused()

    # Put right: the same files, never chosen again, are sent.
    fill_date(page, re.compile("From what date is the extract"), "1", "4", "2023")
    resubmit(page)
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}/$"))
    submission = Submission.objects.get()
    assert [f.display_name for f in submission.files.all()] == ["CIN2rows.xml"]
    assert errors == []


def test_without_javascript_the_server_says_to_choose_the_files_again(
    browser: Any, live_server: Any, personas: dict[str, Any], upload_dir: None
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, personas["lead"].email, PASSWORD)
        page.goto("/submissions/new/")
        page.get_by_label("Upload the extract files").set_input_files(CIN)
        page.get_by_role("button", name="Upload and check").click()
        expect(
            page.get_by_role(
                "link",
                name="Choose your files again: files cannot be kept after an error "
                "(you chose CIN2rows.xml)",
            )
        ).to_be_visible()
        assert not Submission.objects.exists()
    finally:
        context.close()
