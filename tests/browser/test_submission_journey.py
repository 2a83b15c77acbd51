"""End to end in headless Chromium, with a real Celery worker: Barnsley's data lead uploads a
CIN census XML and SSDA903 CSVs, watches the status page update itself as the worker checks
them, reads the report, explains a query, accepts, and finds the submission in the history.
Then Leeds' data lead gets "Page not found" on every URL of that submission.

The extract is generated (``generate_extracts --clean``) rather than taken from the DfE
samples, which have errors: the journey must end with the submission accepted.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from submissions import services
from submissions.models import Submission
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

#: Long enough for a slow CI machine to check a few hundred children.
CHECKING_TIMEOUT_S = 180


@pytest.fixture
def extract(tmp_path: Path, reference_data: None) -> list[Path]:
    """A small, clean Barnsley extract for the year to 31 March 2024: the CIN census XML and
    the SSDA903 header, episodes and missing CSVs."""
    out = tmp_path / "extract"
    call_command(
        "generate_extracts", "--la", "370", "--from", "2023-04-01", "--to", "2024-03-31",
        "--size", "200", "--seed", "1", "--clean", "--formats", "cin,903", "--out", str(out),
        verbosity=0,
    )  # fmt: skip
    cin = next(out.glob("*.xml"))
    return [cin, *(out / "ssda903" / f"{t}.csv" for t in ("header", "episodes", "missing"))]


@pytest.fixture
def upload_dir(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Encrypted uploads in this test's folder, for the web server and the worker alike."""
    folder = tmp_path / "uploads"
    settings.UPLOAD_DIR = folder
    monkeypatch.setenv("UPLOAD_DIR", str(folder))  # inherited by the worker process


def status_tag(page: Any) -> str:
    return str(page.locator("#submission-status .govuk-tag").inner_text()).strip()


def watch_until_checked(page: Any) -> list[str]:
    """The status labels the page shows, in order, until checking finishes. Nothing here
    reloads the page: the page's own script updates it and reloads once at the end."""
    seen = [status_tag(page)]
    deadline = time.monotonic() + CHECKING_TIMEOUT_S
    while time.monotonic() < deadline:
        label = status_tag(page)
        if label != seen[-1]:
            seen.append(label)
        if label in {"Ready to accept", "Has errors", "Failed"}:
            return seen
        time.sleep(0.2)
    pytest.fail(f"checking did not finish within {CHECKING_TIMEOUT_S} s; saw {seen}")


def test_a_data_lead_uploads_checks_explains_and_accepts_and_another_la_sees_nothing(
    page: Any,
    personas: dict[str, Any],
    extract: list[Path],
    upload_dir: None,
    celery_worker_process: Any,
) -> None:
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    worker = celery_worker_process()

    # Upload.
    sign_in(page, personas["lead"].email, PASSWORD)
    page.goto("/submissions/")
    page.get_by_role("button", name="Upload an extract").click()
    assert serious_violations(page) == []
    page.get_by_label("Upload the extract files").set_input_files(extract)
    taken = page.get_by_role("group", name="When was the extract taken?")
    taken.get_by_label("Day").fill("31")
    taken.get_by_label("Month").fill("3")
    taken.get_by_label("Year").fill("2024")
    complete = page.get_by_role("group", name=re.compile("From what date is the extract"))
    complete.get_by_label("Day").fill("1")
    complete.get_by_label("Month").fill("4")
    complete.get_by_label("Year").fill("2023")
    screenshot(page, "submission-upload")
    page.get_by_role("button", name="Upload and check").click()

    # The status page follows the worker by itself.
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}/$"))
    submission = Submission.objects.get()
    status_url = page.url
    screenshot(page, "submission-status-working")
    assert serious_violations(page) == []
    seen = watch_until_checked(page)
    assert worker.poll() is None, "the worker exited"
    assert seen[-1] == "Ready to accept", seen
    assert len(seen) > 1, f"the page never changed by itself: {seen}"
    assert page.url == status_url
    assert "Refresh status" not in page.content()
    screenshot(page, "submission-status-ready")

    # The report, and a note on a query.
    page.get_by_role("link", name="Read the validation report").click()
    assert page.locator("h1").inner_text() == "Validation report"
    assert "you must fix" not in page.content()
    assert serious_violations(page) == []
    screenshot(page, "submission-report")
    page.locator("details summary", has_text="Explain these queries").first.click()
    note = page.get_by_label(re.compile("Explain the queries of rule"))
    code = str(note.get_attribute("id")).removeprefix("id_explain-").removesuffix("-note")
    note.fill("These children were referred by a partner agency; the data is right.")
    page.get_by_role("button", name="Save note").first.click()
    assert f"Your note on rule {code} has been saved" in page.content()
    assert "These children were referred by a partner agency" in page.content()
    screenshot(page, "submission-report-explained")

    # Accept.
    page.get_by_role("link", name="Submission status").click()
    page.get_by_role("button", name="Accept submission").click()  # a link styled as a button
    # The confirmation page: Barnsley has no accepted extract yet, and the query is explained.
    assert page.locator("h1").inner_text() == "Are you sure you want to accept this submission?"
    assert "first accepted extract" in page.locator("#accept-replaces").inner_text()
    quality = services.quality_summary(submission)
    queries = page.locator("#accept-unexplained").inner_text()
    assert ("not explained" in queries) == bool(quality.unexplained_queries), queries
    if quality.unexplained_queries:
        assert f"{quality.unexplained_queries:,} of its {quality.queries:,}" in queries, queries
    else:
        assert "You have explained" in queries, queries
    assert serious_violations(page) == []
    screenshot(page, "submission-accept-confirm")
    assert Submission.objects.get().status == Submission.Status.READY  # nothing changed yet
    page.get_by_role("button", name="Accept submission").click()
    assert "You have accepted this submission" in page.content()
    assert status_tag(page) == "Accepted"
    screenshot(page, "submission-accepted")

    # The history.
    page.goto("/submissions/")
    row = page.locator("tbody tr").first
    assert "31 March 2024" in row.inner_text()
    assert "Accepted" in row.inner_text()
    screenshot(page, "submission-history")
    assert console_errors == [], console_errors  # e.g. a script the CSP blocked

    # Leeds' data lead cannot tell the submission exists.
    page.context.clear_cookies()
    sign_in(page, personas["other_lead"].email, PASSWORD)
    base = f"/submissions/{submission.id}/"
    urls = [
        base, f"{base}status.json", f"{base}report/", f"{base}report.csv", f"{base}report.xlsx",
        f"{base}accept/", f"{base}queries/{code}/explain/",
        *(f"{base}files/{file.id}/" for file in submission.files.all()),
    ]  # fmt: skip
    for url in urls:
        response = page.goto(url)
        assert response.status == 404, url
        assert page.locator("h1").inner_text() == "Page not found", url
    screenshot(page, "submission-other-la-404")
    page.goto("/submissions/")
    assert str(submission.id) not in page.content()
