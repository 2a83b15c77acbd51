"""The reconciler (beat, every 30 seconds, on the housekeeping queue) re-queues what was lost:
submissions stuck in a working state, and indicator computations that never finished. Lapsed
leases (a killed worker) are in test_leases.py; here, rows with no lease (a lost message, or a
claim made before leases existed) wait out SUBMISSION_STUCK_AFTER_MINUTES."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from submissions import services
from submissions.models import Submission
from tests.pipeline.conftest import set_checked, upload_samples
from workers import tasks
from workers.celery import app

Status = Submission.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued() -> Any:
    """The tasks the reconciler enqueues, captured instead of sent to the broker."""
    with (
        mock.patch.object(tasks.process_submission, "delay") as process,
        mock.patch.object(tasks.compute_indicators, "delay") as compute,
    ):
        yield {"process": process, "compute": compute}


def _aged(submission: Submission, minutes: float, **changes: Any) -> Submission:
    Submission.objects.filter(pk=submission.pk).update(
        status_changed_at=timezone.now() - timedelta(minutes=minutes), **changes
    )
    submission.refresh_from_db()
    return submission


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.CHECKING, Status.VALIDATING])
def test_a_stuck_submission_is_put_back_and_requeued(
    barnsley: Any, lead: Any, enqueued: Any, status: str
) -> None:
    stuck = _aged(upload_samples(lead, barnsley), 41, status=status, attempts=1)

    assert tasks.reconcile_submissions() == {
        "requeued": 1, "failed": 0, "indicators": 0, "indicators_failed": 0,
    }  # fmt: skip

    enqueued["process"].assert_called_once_with(str(stuck.pk))
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (Status.RECEIVED, 1)
    assert stuck.progress_message == "Waiting to be checked again"
    assert services.claim(stuck.pk) is not None, "the re-queued task can claim it"


def test_a_recent_working_submission_is_left_alone(barnsley: Any, lead: Any, enqueued: Any) -> None:
    busy = _aged(upload_samples(lead, barnsley), 39, status=Status.VALIDATING, attempts=1)

    tasks.reconcile_submissions()

    enqueued["process"].assert_not_called()
    busy.refresh_from_db()
    assert busy.status == Status.VALIDATING


def test_a_stuck_submission_out_of_attempts_fails_and_its_uploader_is_told(
    barnsley: Any, lead: Any, enqueued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    stuck = _aged(upload_samples(lead, barnsley), 60, status=Status.VALIDATING, attempts=3)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reconcile_submissions()["failed"] == 1

    enqueued["process"].assert_not_called()
    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert stuck.failure_reason.startswith("We could not check this submission after 3 attempts")
    assert [m.to for m in mail.outbox] == [[lead.email]]


@pytest.mark.parametrize(
    "status", [Status.READY, Status.HAS_ERRORS, Status.ACCEPTED, Status.FAILED]
)
def test_finished_submissions_are_never_requeued(
    barnsley: Any, lead: Any, enqueued: Any, status: str
) -> None:
    done = set_checked(upload_samples(lead, barnsley), status)
    _aged(done, 600, indicators_computed_at=timezone.now())

    tasks.reconcile_submissions()

    enqueued["process"].assert_not_called()
    enqueued["compute"].assert_not_called()


def test_an_accepted_submission_without_indicators_is_recomputed(
    barnsley: Any, lead: Any, enqueued: Any
) -> None:
    accepted = services.accept(set_checked(upload_samples(lead, barnsley), Status.READY), lead)
    Submission.objects.filter(pk=accepted.pk).update(
        accepted_at=timezone.now() - timedelta(minutes=41)
    )
    just_accepted = services.accept(set_checked(upload_samples(lead, barnsley), Status.READY), lead)

    tasks.reconcile_submissions()

    # The older one is superseded now; only the LA's accepted submission is recomputed, and
    # only once its own computation has had time to finish.
    enqueued["compute"].assert_not_called()
    Submission.objects.filter(pk=just_accepted.pk).update(
        accepted_at=timezone.now() - timedelta(minutes=41)
    )
    tasks.reconcile_submissions()
    enqueued["compute"].assert_called_once_with(str(just_accepted.pk))
    tasks.reconcile_submissions()
    enqueued["compute"].assert_called_once_with(str(just_accepted.pk))  # not again at once


def test_the_reconciler_and_the_purge_are_on_the_beat_schedule_on_the_housekeeping_queue(
    settings: Any,
) -> None:
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}

    assert schedule["workers.reconcile_submissions"] == settings.SUBMISSION_RECONCILE_SECONDS == 30
    assert "workers.purge_raw_files" in schedule
    assert tasks.reconcile_submissions.name in app.tasks
    # Nothing on the schedule can wait behind a long check.
    for task in schedule:
        assert app.amqp.router.route({}, task)["queue"].name == "housekeeping"
    assert app.amqp.router.route({}, "workers.process_submission")["queue"].name == "checks"
    assert app.amqp.router.route({}, "workers.compute_indicators")["queue"].name == "indicators"
