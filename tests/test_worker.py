"""A real Celery worker process consumes the configured broker (filesystem by default, Redis in
CI) and writes to the test database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import wait_for
from workers.models import WorkerHeartbeat
from workers.tasks import heartbeat


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
