"""Claiming: a second delivery of the same task is a no-op, attempts are bounded, and the
task body turns every outcome into a finished state (never an endless retry)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from submissions import services
from submissions.extract import check
from submissions.models import Submission
from tests.pipeline.conftest import set_checked, upload_samples
from workers.tasks import process_submission

Status = Submission.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def received(barnsley: Any, lead: Any) -> Submission:
    return upload_samples(lead, barnsley)


def test_a_received_submission_is_claimed_once(received: Submission) -> None:
    claimed = services.claim(received.pk)

    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.progress) == (Status.CHECKING, 1, 5)
    assert services.claim(received.pk) is None, "a second delivery is a no-op"
    assert services.claim(str(received.pk)) is None
    received.refresh_from_db()
    assert received.attempts == 1


@pytest.mark.parametrize(
    "status",
    [
        Status.READY,
        Status.HAS_ERRORS,
        Status.ACCEPTED,
        Status.SUPERSEDED,
        Status.FAILED,
        Status.VALIDATING,
    ],
)
def test_a_finished_or_busy_submission_is_not_claimed(received: Submission, status: str) -> None:
    set_checked(received, status)

    assert services.claim(received.pk) is None
    received.refresh_from_db()
    assert received.status == status


def test_a_submission_whose_worker_died_can_be_claimed_again(received: Submission) -> None:
    services.claim(received.pk)
    # Its worker stopped renewing the lease (it was killed) a moment ago.
    Submission.objects.filter(pk=received.pk).update(
        status=Status.VALIDATING, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    again = services.claim(received.pk)

    assert again is not None
    assert (again.status, again.attempts) == (Status.CHECKING, 2)


def test_attempts_are_bounded_and_then_it_fails_cleanly(
    received: Submission, django_capture_on_commit_callbacks: Any
) -> None:
    for attempt in range(1, 4):
        claimed = services.claim(received.pk)
        assert claimed is not None
        assert claimed.attempts == attempt
        services.release(claimed)  # as after a transient error, or a re-queue

    with django_capture_on_commit_callbacks(execute=True):
        assert services.claim(received.pk) is None

    received.refresh_from_db()
    assert received.status == Status.FAILED
    assert received.failure_reason == (
        "We could not check this submission after 3 attempts. This is a fault in the service, "
        "not your data; upload it again or contact support."
    )
    assert len(mail.outbox) == 1
    assert "could not be checked" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_racing_deliveries_claim_it_exactly_once(barnsley: Any, lead: Any) -> None:
    submission = upload_samples(lead, barnsley)
    results: list[Submission | None] = []
    start = threading.Barrier(6)

    def deliver() -> None:
        try:
            start.wait()
            results.append(services.claim(submission.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r is not None for r in results) == 1
    submission.refresh_from_db()
    assert submission.attempts == 1


# --- the task body ---------------------------------------------------------------------------


def test_the_task_checks_once_and_a_second_delivery_does_nothing(received: Submission) -> None:
    assert process_submission(str(received.pk)) == "checked"
    assert process_submission(str(received.pk)) == "skipped"

    received.refresh_from_db()
    assert (received.status, received.attempts) == (Status.HAS_ERRORS, 1)


def test_an_unexpected_error_fails_the_submission_and_logs_no_data(
    received: Submission, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    child = "LA370C000123"

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError(f"child {child} has a bad date")

    monkeypatch.setattr(check, "run_rules", broken)

    with caplog.at_level(logging.ERROR):
        assert process_submission(str(received.pk)) == "failed"

    received.refresh_from_db()
    assert received.status == Status.FAILED
    assert received.failure_reason == services.SERVICE_FAULT
    assert "ValueError" in caplog.text
    assert child not in caplog.text, "the exception's message may quote the data"


def test_running_out_of_time_fails_the_submission(
    received: Submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(*args: Any, **kwargs: Any) -> None:
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(check, "run_rules", slow)

    assert process_submission(str(received.pk)) == "failed"
    received.refresh_from_db()
    assert received.status == Status.FAILED
    assert received.failure_reason == services.TOOK_TOO_LONG


def test_a_transient_error_releases_the_submission_for_the_retry(
    received: Submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flaky(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(check, "run_rules", flaky)

    # Called directly, Celery's autoretry re-raises instead of scheduling the retry.
    with pytest.raises(OperationalError):
        process_submission(str(received.pk))

    received.refresh_from_db()
    assert (received.status, received.attempts) == (Status.RECEIVED, 1)
    monkeypatch.undo()
    assert process_submission(str(received.pk)) == "checked"
    received.refresh_from_db()
    assert (received.status, received.attempts) == (Status.HAS_ERRORS, 2)
