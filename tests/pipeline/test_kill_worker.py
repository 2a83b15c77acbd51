"""Nothing is lost: a worker killed with SIGKILL in the middle of a job, and another worker
started, still gives the right result once, with no duplicate findings or indicator rows.

How the job comes back. A SIGKILLed worker cannot hand its message back. With Redis the
unacknowledged message would be redelivered only after the visibility timeout (2 hours, longer
than any task may run); the filesystem broker does not redeliver at all. What brings the job
back in both cases is the beat reconciler: it finds the submission stuck in a working state
and re-queues it. In production "stuck" means unchanged for 40 minutes (longer than the
30-minute hard time limit, so a live task is never taken over). Here the worker processes are
started with SUBMISSION_STUCK_AFTER_MINUTES set to 3 seconds, and the test sends the
``reconcile_submissions`` task itself, as beat would every 5 minutes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from indicators.models import IndicatorBreakdown, IndicatorValue
from submissions import services
from submissions.models import Submission
from tests.conftest import wait_for
from tests.pipeline.conftest import expected_rows, set_checked, stored_rows, upload_paths
from workers.models import WorkerHeartbeat
from workers.tasks import compute_indicators, heartbeat, process_submission, reconcile_submissions

Status = Submission.Status
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

STUCK_SECONDS = 3


@pytest.fixture(autouse=True)
def quick_reconciler(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes started by these tests judge a submission stuck after 3 seconds."""
    monkeypatch.setenv("SUBMISSION_STUCK_AFTER_MINUTES", str(STUCK_SECONDS / 60))


def kill(worker: subprocess.Popen[str]) -> str:
    """SIGKILL the worker and any pool processes it has (not our own process group: the
    worker shares it); return everything it logged."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    for pid in [worker.pid, *pids]:
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert worker.stdout is not None
    return worker.stdout.read()


def ran_unfinished(log: str, task: str) -> bool:
    """The worker's log shows it received ``task`` and never finished it."""
    return f"{task}[" in log and not re.search(rf"{re.escape(task)}\[[^]]+\] succeeded", log)


def ready(start: Callable[[], subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """Start a worker and wait until it is consuming (it has run a heartbeat)."""
    WorkerHeartbeat.objects.all().delete()
    worker = start()
    heartbeat.delay()
    wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=120)
    return worker


def test_a_worker_killed_while_checking_is_replaced_and_nothing_is_lost(
    celery_worker_process: Any, barnsley: Any, lead: Any, large_extract: list[Path]
) -> None:
    submission = upload_paths(lead, barnsley, large_extract)
    expected, total = expected_rows(submission, large_extract)  # what one clean run stores
    first = ready(celery_worker_process)

    process_submission.delay(str(submission.pk))
    wait_for(
        lambda: Submission.objects.filter(pk=submission.pk, progress__gte=10).exists(),
        timeout=60,
        interval=0.05,
    )
    time.sleep(1)  # well into reading the 90 MB census
    log = kill(first)
    killed_at = time.monotonic()

    submission.refresh_from_db()
    assert ran_unfinished(log, "workers.process_submission"), log[-2000:]
    assert submission.status in (Status.CHECKING, Status.VALIDATING), "killed mid-check"
    assert (submission.attempts, submission.findings.count()) == (1, 0)

    second = ready(celery_worker_process)
    time.sleep(max(0.0, STUCK_SECONDS + 0.5 - (time.monotonic() - killed_at)))
    reconcile_submissions.delay()  # as beat does every 5 minutes
    checked = wait_for(lambda: not Submission.objects.get(pk=submission.pk).is_working,
                       timeout=180)  # fmt: skip

    submission.refresh_from_db()
    assert checked
    assert submission.status == Status.HAS_ERRORS
    assert submission.attempts == 2, "one attempt killed, one that finished"
    assert stored_rows(submission) == expected, "every finding once, none twice"
    assert submission.error_count + submission.query_count == total
    assert second.poll() is None


def test_a_worker_killed_while_computing_indicators_is_replaced_and_nothing_is_lost(
    celery_worker_process: Any, barnsley: Any, lead: Any, large_extract: list[Path]
) -> None:
    # The generated extract breaks rules, so it cannot be accepted as it stands: mark it
    # checked without errors, which is what acceptance needs.
    submission = services.accept(
        set_checked(upload_paths(lead, barnsley, large_extract), Status.READY), lead
    )
    first = ready(celery_worker_process)

    compute_indicators.delay(str(submission.pk))
    time.sleep(2.5)  # it reads the 90 MB census again before it can compute
    log = kill(first)
    killed_at = time.monotonic()

    submission.refresh_from_db()
    assert ran_unfinished(log, "workers.compute_indicators"), log[-2000:]
    assert submission.indicators_computed_at is None
    assert not IndicatorValue.objects.exists(), "nothing half-written"

    second = ready(celery_worker_process)
    time.sleep(max(0.0, STUCK_SECONDS + 0.5 - (time.monotonic() - killed_at)))
    reconcile_submissions.delay()
    wait_for(
        lambda: Submission.objects.filter(
            pk=submission.pk, indicators_computed_at__isnull=False
        ).exists(),
        timeout=180,
    )

    values = list(IndicatorValue.objects.values_list("submission", "indicator_id", "period_end"))
    assert values
    assert len(values) == len(set(values)), "no duplicate indicator rows"
    assert {v[0] for v in values} == {submission.pk}
    breakdowns = IndicatorBreakdown.objects.count()
    # A clean computation here gives exactly the rows the replacement worker stored.
    stored = sorted(IndicatorValue.objects.values_list("indicator_id", "period_end", "value"))
    services.compute_and_store_indicators(submission)
    assert sorted(IndicatorValue.objects.values_list("indicator_id", "period_end", "value")) == (
        stored
    )
    assert IndicatorBreakdown.objects.count() == breakdowns
    assert second.poll() is None
