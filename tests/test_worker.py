"""A real Celery worker process consumes the configured broker (filesystem by default, Redis in
CI) and writes to the test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portal.models import LocalAuthority
from submissions.models import Submission
from tests.conftest import make_user, wait_for
from tests.pipeline.conftest import upload_samples
from workers.models import WorkerHeartbeat
from workers.tasks import heartbeat, process_submission


@pytest.mark.worker
def test_a_worker_process_runs_tasks_from_the_broker(celery_worker_process: Any) -> None:
    worker = celery_worker_process()

    heartbeat.delay()

    beat = wait_for(lambda: WorkerHeartbeat.objects.first(), timeout=90)
    assert beat.last_seen is not None
    assert worker.poll() is None, "the worker exited"


@pytest.mark.django_db
def test_the_heartbeat_task_is_idempotent() -> None:
    heartbeat()
    heartbeat()

    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.worker
def test_housekeeping_has_its_own_queue_that_no_check_delays(
    celery_worker_process: Any,
    reference_data: None,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check waiting (or running) on the checks queue never holds up the heartbeat and the
    reconciler: they are routed to the housekeeping queue, which a worker of its own consumes."""
    # The worker processes read the uploads from the same private folder as this test.
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.UPLOAD_DIR.mkdir(mode=0o700)
    monkeypatch.setenv("UPLOAD_DIR", str(settings.UPLOAD_DIR))
    lead = make_user("lead@barnsley.example.org", ("la_data_lead", "370"))
    submission = upload_samples(lead, LocalAuthority.objects.get(code="370"))
    housekeeping = celery_worker_process(queues="housekeeping")

    process_submission.delay(str(submission.pk))  # first in, but on the checks queue
    heartbeat.delay()

    wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=90)
    assert Submission.objects.get(pk=submission.pk).attempts == 0, "not this worker's queue"
    checks = celery_worker_process(queues="checks")
    wait_for(lambda: not Submission.objects.get(pk=submission.pk).is_working, timeout=90)
    assert housekeeping.poll() is None
    assert checks.poll() is None
