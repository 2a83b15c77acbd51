"""The API feed page in headless Chromium, as Barnsley's data lead uses it after the API has
sent some records: found from the submissions history, its snapshot settings changed and saved,
and a snapshot taken, which opens the new submission's status page. The settings form and the
snapshot button are used with the keyboard only (Tab, arrow keys, Space, Enter).

Every page passes axe (no serious or critical violations); screenshots go to
test-artifacts/api-feed-*.png.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.models import LocalAuthority
from submissions.api import services as api_services
from submissions.models import ApiFeed, Submission
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_api_json
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]

CHILDREN = 40


@pytest.fixture
def upload_dir(tmp_path: Path, settings: Any) -> None:
    """The snapshot's encrypted file in this test's folder (the live server shares settings)."""
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def pushed(personas: dict[str, Any], tmp_path: Path) -> int:
    """A small clean generated payload for Barnsley, applied batch by batch as the endpoint
    does (``tests/pipeline/test_api_snapshot.py``'s ``push``). Returns the number of records."""
    barnsley = LocalAuthority.objects.get(code="370")
    extract = generate("370", date(2023, 4, 1), date(2026, 3, 31), children=CHILDREN, clean=True)
    (path,) = write_api_json(extract, tmp_path)
    records = json.loads(path.read_text())
    for start in range(0, len(records), 25):
        batch = records[start : start + 25]
        digest = hashlib.sha256(json.dumps(batch).encode()).hexdigest()
        api_services.apply_batch(barnsley, None, digest, batch)
    return len(records)


@pytest.fixture
def watched(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(reduced_motion="reduce")
    return errors


def checked(page: Any, errors: list[str], name: str | None = None) -> None:
    assert serious_violations(page) == [], page.url
    assert errors == [], page.url
    if name:
        screenshot(page, f"api-feed-{name}")


def tab_to(page: Any, target: Any, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus: it is reachable by keyboard alone."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"not reached with {limit} presses of Tab: {target}")


def test_a_data_lead_changes_the_feed_settings_and_takes_a_snapshot_by_keyboard(
    page: Any, personas: dict[str, Any], pushed: int, upload_dir: None, watched: list[str]
) -> None:
    sign_in(page, personas["lead"].email, PASSWORD)
    page.goto("/submissions/")
    checked(page, watched, "history")
    page.get_by_role("link", name="Barnsley", exact=True).click()
    expect(page.locator("h1")).to_have_text("API feed")
    assert page.url.endswith("/submissions/api-feed/370/")
    held = page.locator(".govuk-summary-list__row", has_text="Children's records held")
    expect(held).to_contain_text(f"{pushed:,}")
    expect(page.locator("main")).to_contain_text("No snapshot has been taken yet.")
    checked(page, watched, "page")

    # The settings, by keyboard: the hour with the arrow keys, the checkbox with Space, then
    # Enter on the button.
    hour = page.get_by_label("When should we take the nightly snapshot?")
    expect(hour).to_have_value("2")
    tab_to(page, hour)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(hour).to_have_value("4")
    auto = page.get_by_label("Accept a snapshot automatically when it has no errors")
    # The checkbox's hint is under its label, and read with it.
    hint = page.locator(".govuk-checkboxes__item .govuk-checkboxes__hint")
    expect(hint).to_contain_text("A snapshot with errors always waits for you")
    expect(auto).to_have_accessible_description(re.compile("^A snapshot with errors always"))
    tab_to(page, auto)
    page.keyboard.press("Space")
    expect(auto).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save settings"))
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your snapshot settings have been saved"
    )
    nightly = page.locator(".govuk-summary-list__row", has_text="Nightly snapshot")
    expect(nightly).to_contain_text("At 04:05 (UK time)")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Is accepted automatically")
    checked(page, watched, "saved")
    feed = ApiFeed.objects.get(local_authority__code="370")
    assert (feed.snapshot_hour, feed.auto_accept) == (4, True)
    assert feed.updated_by == personas["lead"]

    # The snapshot, by keyboard: the new submission's status page opens.
    tab_to(page, page.get_by_role("button", name="Take a snapshot"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/submissions/*/")
    submission = Submission.objects.get(local_authority__code="370")
    assert page.url.endswith(f"/submissions/{submission.pk}/")
    assert submission.source == Submission.Source.API
    assert submission.created_by == personas["lead"]
    expect(page.locator("h1")).to_contain_text("Submission status")
    checked(page, watched, "snapshot-status")

    # Back on the feed page, the snapshot is listed.
    page.goto("/submissions/api-feed/370/")
    snapshots = page.locator("table", has_text="Extract date")
    expect(snapshots).to_contain_text(personas["lead"].email)
    checked(page, watched)
