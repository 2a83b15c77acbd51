"""Nothing is lost when Redis restarts: neither a job running while Redis goes away, nor a
message that was waiting in a queue Redis forgot.

The broker is a real ``redis-server``, started by the test with the machine's own flags
(``--save "" --appendonly no``: nothing survives a restart) on a free port, so restarting it
disturbs nobody else's Redis. The worker processes are pointed at it through REDIS_URL, as a
deployment would be. Redis keeps no job state here: the submission row does, and the beat
reconciler (``reconcile_submissions``, sent by the test as beat would) re-queues whatever a
restart lost. Worker processes judge "stuck" after 3 seconds instead of 40 minutes, and hold
3-second leases instead of 60-second ones.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from submissions.models import Submission
from tests.conftest import wait_for
from tests.pipeline.conftest import (
    RedisServer,
    expected_rows,
    stored_rows,
    upload_paths,
    upload_samples,
)
from workers.celery import app
from workers.tasks import process_submission, reconcile_submissions

Status = Submission.Status
STUCK_SECONDS = 3
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or not shutil.which("redis-server"),
        reason="needs Redis (set REDIS_URL; redis-server must be installed)",
    ),
]


@pytest.fixture(autouse=True)
def broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisServer]:
    """The private Redis, and worker processes configured to use it."""
    server = RedisServer(tmp_path)
    server.start()
    monkeypatch.setenv("REDIS_URL", server.url)
    monkeypatch.setenv("SUBMISSION_STUCK_AFTER_MINUTES", str(STUCK_SECONDS / 60))
    monkeypatch.setenv("SUBMISSION_LEASE_SECONDS", str(STUCK_SECONDS))
    yield server
    server.stop()


def send(broker: RedisServer, task: Any, *args: str) -> None:
    """Publish a task to the private Redis (as the web process or beat would)."""
    with app.connection_for_write(broker.url) as connection:
        task.apply_async(args=args, connection=connection, retry=True)


def finished(pk: Any) -> bool:
    return not Submission.objects.get(pk=pk).is_working


def test_a_submission_being_checked_survives_a_redis_restart(
    celery_worker_process: Any,
    broker: RedisServer,
    barnsley: Any,
    lead: Any,
    large_extract: list[Path],
) -> None:
    worker = celery_worker_process()
    wait_for(broker.worker_listening, timeout=120)
    submission = upload_paths(lead, barnsley, large_extract)
    expected, total = expected_rows(submission, large_extract)

    send(broker, process_submission, str(submission.pk))
    wait_for(
        lambda: Submission.objects.filter(pk=submission.pk, progress__gte=10).exists(),
        timeout=60,
        interval=0.05,
    )
    time.sleep(1)  # well into reading the 90 MB census
    broker.restart()
    restarted_at = time.monotonic()
    assert Submission.objects.get(pk=submission.pk).is_working, "Redis restarted mid-check"

    # The worker reconnects by itself and declares its queue again.
    wait_for(broker.worker_listening, timeout=120)
    # Whatever the restart interrupted, the reconciler finishes. On this one-process worker it
    # runs after any job still running, so if that job survived it finds nothing to do.
    time.sleep(max(0.0, STUCK_SECONDS + 0.5 - (time.monotonic() - restarted_at)))
    send(broker, reconcile_submissions)
    wait_for(lambda: finished(submission.pk), timeout=180)

    submission.refresh_from_db()
    assert submission.status == Status.HAS_ERRORS
    assert stored_rows(submission) == expected, "every finding once, none twice"
    assert submission.error_count + submission.query_count == total
    assert worker.poll() is None
    # The reconnected worker still takes new work.
    later = upload_samples(lead, barnsley)
    send(broker, process_submission, str(later.pk))
    wait_for(lambda: finished(later.pk), timeout=120)


def test_a_queued_message_lost_in_a_redis_restart_is_requeued(
    celery_worker_process: Any, broker: RedisServer, barnsley: Any, lead: Any
) -> None:
    # A worker declares the queue, then goes away: the message waits in Redis, unconsumed.
    first = celery_worker_process()
    wait_for(broker.worker_listening, timeout=120)
    first.terminate()
    first.wait(timeout=30)
    submission = upload_samples(lead, barnsley)
    send(broker, process_submission, str(submission.pk))
    assert redis.Redis.from_url(broker.url).llen("checks") == 1

    broker.restart()

    assert redis.Redis.from_url(broker.url).llen("checks") == 0, "the message is gone"
    celery_worker_process()
    wait_for(broker.worker_listening, timeout=120)
    time.sleep(STUCK_SECONDS + 0.5)
    submission.refresh_from_db()
    assert (submission.status, submission.attempts) == (Status.RECEIVED, 0), "nothing ran it"

    send(broker, reconcile_submissions)
    wait_for(lambda: finished(submission.pk), timeout=120)

    submission.refresh_from_db()
    assert (submission.status, submission.attempts) == (Status.HAS_ERRORS, 1)
    assert submission.findings.count() == submission.error_count + submission.query_count
