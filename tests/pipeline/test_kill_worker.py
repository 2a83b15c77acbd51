"""A killed worker loses nothing for long: a worker SIGKILLed in the middle of a check, or of an
indicator computation, is replaced, and the job finishes exactly once within two minutes of the
new worker starting, on the embedded broker (kombu's filesystem transport) and on Redis.

How the job comes back. A SIGKILLed worker cannot hand its message back: the filesystem broker
has already deleted it, and Redis would redeliver it only after the visibility timeout (two
hours). The job's row carries a lease that the running task renews; once it lapses the beat
reconciler (every SUBMISSION_RECONCILE_SECONDS, on the housekeeping queue) re-queues the job.

Everything here is real: worker and beat processes, the broker, the database. Only the lease
and the reconciler's interval are shortened (10 s and 3 s instead of 60 s and 30 s), and the
old 40-minute "stuck" threshold stays as it is, so it cannot be what brings the job back.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from kombu import Connection

from indicators import services as indicator_services
from indicators.models import IndicatorBreakdown, IndicatorValue
from submissions import services
from submissions.models import Submission
from tests.conftest import process_log, wait_for
from tests.pipeline.conftest import (
    RedisServer,
    expected_rows,
    set_checked,
    stored_rows,
    upload_paths,
)
from workers.tasks import compute_indicators, process_submission

Status = Submission.Status
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 10
RECONCILE_SECONDS = 3
#: The promise: finished this long after a new worker starts.
RESUME_WITHIN = 120


@dataclass
class Broker:
    """The broker the worker and beat processes use, and how this process sends to it."""

    kind: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)

    def send(self, task: Any, *args: str) -> None:
        """Publish ``task`` (routed to its queue) as the web process would."""
        with Connection(self.url, transport_options=self.options) as connection:
            task.apply_async(args=args, connection=connection, retry=True)


def _filesystem_broker() -> Broker:
    # The folders tests/settings.py gives worker processes of this run when REDIS_URL is empty.
    folder = Path(settings.TEST_RUN_DIR) / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for message in (folder / "queue").iterdir():
        message.unlink(missing_ok=True)
    return Broker(
        "filesystem",
        "filesystem://",
        {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "control_folder": str(folder / "control"),
        },
    )


@pytest.fixture(
    autouse=True,
    params=[
        "filesystem",
        pytest.param(
            "redis",
            # CI's run with REDIS_URL covers both brokers; the embedded run, the filesystem one.
            marks=pytest.mark.skipif(
                not os.environ.get("REDIS_URL") or not shutil.which("redis-server"),
                reason="needs Redis (set REDIS_URL; redis-server must be installed)",
            ),
        ),
    ],
)
def broker(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Broker]:
    """Each test runs on both brokers, whichever this test run is configured for: worker and
    beat processes get the broker through REDIS_URL, as a deployment does. Redis is a private
    ``redis-server`` (tests/pipeline/conftest.py), so purging it disturbs no other test run."""
    monkeypatch.setenv("SUBMISSION_LEASE_SECONDS", str(LEASE_SECONDS))
    monkeypatch.setenv("SUBMISSION_RECONCILE_SECONDS", str(RECONCILE_SECONDS))
    monkeypatch.delenv("SUBMISSION_STUCK_AFTER_MINUTES", raising=False)
    if request.param == "filesystem":
        monkeypatch.setenv("REDIS_URL", "")
        yield _filesystem_broker()
        return
    server = RedisServer(tmp_path)
    server.start()
    monkeypatch.setenv("REDIS_URL", server.url)
    yield Broker("redis", server.url)
    server.stop()


def kill(worker: subprocess.Popen[str]) -> str:
    """SIGKILL the worker and any pool processes it has (not our own process group: the
    worker shares it); return everything it logged."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    for pid in [worker.pid, *pids]:
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)
    return process_log(worker)


def ran_unfinished(log: str, task: str) -> bool:
    """The worker's log shows it received ``task`` and never finished it."""
    return f"{task}[" in log and not re.search(rf"{re.escape(task)}\[[^]]+\] succeeded", log)


def resumed_in_time(
    start: Callable[..., subprocess.Popen[str]], done: Callable[[], Any]
) -> tuple[subprocess.Popen[str], float]:
    """Start a replacement worker and wait for ``done``; return it and the seconds it took."""
    started = time.monotonic()
    worker = start()
    wait_for(done, timeout=RESUME_WITHIN, interval=0.5)
    return worker, time.monotonic() - started


def test_a_worker_killed_mid_check_is_replaced_and_the_check_finishes_once_in_time(
    broker: Broker,
    celery_worker_process: Callable[..., subprocess.Popen[str]],
    barnsley: Any,
    lead: Any,
    large_extract: list[Path],
) -> None:
    submission = upload_paths(lead, barnsley, large_extract)
    expected, total = expected_rows(submission, large_extract)  # what one clean run stores
    celery_worker_process(program="beat")
    first = celery_worker_process()

    broker.send(process_submission, str(submission.pk))
    wait_for(
        lambda: Submission.objects.filter(pk=submission.pk, progress__gte=10).exists(),
        timeout=90,
        interval=0.05,
    )
    time.sleep(1)  # well into reading the 90 MB census
    killed_log = kill(first)

    submission.refresh_from_db()
    assert ran_unfinished(killed_log, "workers.process_submission"), killed_log[-2000:]
    assert submission.status in (Status.CHECKING, Status.VALIDATING), "killed mid-check"
    assert (submission.attempts, submission.findings.count()) == (1, 0)

    second, took = resumed_in_time(
        celery_worker_process, lambda: not Submission.objects.get(pk=submission.pk).is_working
    )

    submission.refresh_from_db()
    assert submission.status == Status.HAS_ERRORS
    assert submission.attempts == 2, "one attempt killed, one that finished"
    assert submission.lease_expires_at is None
    assert stored_rows(submission) == expected, "every finding once, none twice"
    assert submission.error_count + submission.query_count == total
    # The worker logs "checked" just after the status it commits, so the log may lag it.
    checked = f"Submission {submission.pk} checked"
    wait_for(lambda: checked in process_log(second), timeout=30, interval=0.2)
    logs = killed_log + process_log(second)
    assert logs.count(checked) == 1
    assert logs.count(f"Emailed the outcome of submission {submission.pk}") == 1
    assert second.poll() is None
    print(f"{broker.kind}: check finished {took:.1f} s after the new worker started")


def test_a_worker_killed_mid_computation_is_replaced_and_the_figures_are_stored_once_in_time(
    broker: Broker,
    celery_worker_process: Callable[..., subprocess.Popen[str]],
    barnsley: Any,
    lead: Any,
    large_extract: list[Path],
) -> None:
    # The generated extract breaks rules, so it cannot be accepted as it stands: mark it
    # checked without errors, which is what acceptance needs.
    submission = services.accept(
        set_checked(upload_paths(lead, barnsley, large_extract), Status.READY), lead
    )
    celery_worker_process(program="beat")
    first = celery_worker_process()

    broker.send(compute_indicators, str(submission.pk))
    wait_for(
        lambda: Submission.objects.filter(pk=submission.pk, indicators_attempts=1).exists(),
        timeout=90,
        interval=0.05,
    )
    time.sleep(1.5)  # it reads the 90 MB census again before it can compute
    killed_log = kill(first)

    submission.refresh_from_db()
    assert ran_unfinished(killed_log, "workers.compute_indicators"), killed_log[-2000:]
    assert submission.indicators_computed_at is None
    assert not IndicatorValue.objects.exists(), "nothing half-written"

    second, took = resumed_in_time(
        celery_worker_process,
        lambda: Submission.objects.filter(
            pk=submission.pk, indicators_computed_at__isnull=False
        ).exists(),
    )

    submission.refresh_from_db()
    assert submission.indicators_attempts == 2, "one attempt killed, one that finished"
    assert submission.indicators_failed_at is None
    assert submission.indicators_lease_expires_at is None
    values = list(IndicatorValue.objects.values_list("submission", "indicator_id", "period_end"))
    assert values
    assert len(values) == len(set(values)), "no duplicate indicator rows"
    assert {v[0] for v in values} == {submission.pk}
    logs = killed_log + process_log(second)
    assert logs.count(f"Submission {submission.pk}: indicators stored") == 1
    # A clean computation here gives exactly the rows the replacement worker stored.
    value_rows, breakdown_rows = indicator_services.indicator_rows(submission)
    assert sorted(IndicatorValue.objects.values_list("indicator_id", "period_end", "value")) == (
        sorted((r.indicator_id, r.period_end, r.value) for r in value_rows)
    )
    assert IndicatorBreakdown.objects.count() == len(breakdown_rows)
    assert second.poll() is None
    print(f"{broker.kind}: figures stored {took:.1f} s after the new worker started")
