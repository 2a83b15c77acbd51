"""The uploader is emailed once checking finishes: the outcome and a link, never child data."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import NoReverseMatch

from submissions import notifications, services
from submissions.models import Submission
from tests.pipeline.conftest import set_checked, upload_samples

Status = Submission.Status
pytestmark = pytest.mark.django_db


def test_the_uploader_is_emailed_when_checking_finishes(
    barnsley: Any, lead: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SERVICE_BASE_URL = "https://csc-data.example.org"
    submission = services.claim(upload_samples(lead, barnsley).pk)
    assert submission is not None

    with django_capture_on_commit_callbacks(execute=True):
        checked = services.run_checks(submission)

    [email] = mail.outbox
    assert email.to == [lead.email]
    assert email.subject == (
        f"[Children's social care data] Barnsley extract: {checked.error_count} errors to fix"
    )
    assert f"https://csc-data.example.org/submissions/{checked.pk}/" in email.body
    assert "31 March 2024" in email.body
    # Child identifiers from the sample files (and the files' names) never appear.
    child_ids = set(checked.findings.exclude(child_id="").values_list("child_id", flat=True))
    assert child_ids
    assert not [c for c in child_ids if c in email.body]
    assert "CIN_Census" not in email.body


@pytest.mark.parametrize(
    ("status", "queries", "subject", "phrase"),
    [
        (Status.READY, 0, "ready to accept", "no errors or queries"),
        (Status.READY, 2, "ready to accept", "no errors and 2 queries"),
        (Status.READY, 1, "ready to accept", "no errors and 1 query."),
        (Status.FAILED, 0, "could not be checked", "Upload it again"),
    ],
)
def test_the_email_says_what_to_do_next(
    barnsley: Any, lead: Any, status: str, queries: int, subject: str, phrase: str
) -> None:
    submission = set_checked(upload_samples(lead, barnsley), status, queries=queries)

    assert notifications.send_validation_finished(submission)

    assert mail.outbox[0].subject.endswith(subject)
    assert phrase in mail.outbox[0].body


def test_without_the_status_page_the_link_goes_to_the_service(
    barnsley: Any, lead: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SERVICE_BASE_URL = "https://csc-data.example.org"

    def no_route(*args: Any, **kwargs: Any) -> str:
        raise NoReverseMatch

    monkeypatch.setattr(notifications, "reverse", no_route)

    assert notifications.status_url(upload_samples(lead, barnsley)) == (
        "https://csc-data.example.org/"
    )


def test_a_mail_failure_is_logged_not_raised(
    barnsley: Any, lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(notifications, "send_mail", broken)
    submission = set_checked(upload_samples(lead, barnsley), Status.READY)

    assert notifications.send_validation_finished(submission) is False
