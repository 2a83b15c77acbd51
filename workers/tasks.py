"""Task entry points. Each takes IDs only (strings: nothing about a child ever sits in a
message), calls services and is safe to run twice; the business logic lives in the services.

Delivery is at least once (late acks, redelivery of a dead worker's task, the reconciler), so
every task starts by claiming or re-checking its row: a duplicate does nothing.
"""

from __future__ import annotations

import logging
import socket
import traceback

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError
from django.db import OperationalError as DatabaseError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from submissions import services
from workers.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

#: Faults that go away by themselves: worth a retry with backoff. Anything else (a bug, bad
#: data the readers did not handle) would fail the same way again.
TRANSIENT = (
    DatabaseError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerError,
)


def _log_failure(what: str, exc: BaseException) -> None:
    """Log where a task failed without the exception's message: messages from pandas or the
    readers can quote values from the files, and logs must never hold child data."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s failed with %s; traceback (messages omitted):\n%s",
                 what, type(exc).__name__, stack)  # fmt: skip


@shared_task(name="workers.heartbeat")
def heartbeat() -> str:
    """Record that this worker host is alive (idempotent upsert)."""
    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now()}
    )
    return hostname


@shared_task(
    name="workers.process_submission",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def process_submission(submission_id: str) -> str:
    """Check a submission: claim it, read and validate its files, save the report. The
    uploader is emailed by the service when the outcome is saved."""
    submission = services.claim(submission_id)
    if submission is None:
        logger.info("Submission %s: nothing to do (claimed elsewhere or finished)", submission_id)
        return "skipped"
    try:
        services.run_checks(submission)
    except services.ClaimLost:
        logger.warning("Submission %s: claim taken over by another worker; stopped", submission_id)
        return "claim lost"
    except SoftTimeLimitExceeded:
        services.fail(submission, services.TOOK_TOO_LONG)
        return "failed"
    except TRANSIENT:
        # Hand the submission back so the retry can claim it; the attempt still counts, which
        # bounds retries. If even that fails, the reconciler finds it stuck later.
        try:
            services.release(submission)
        except TRANSIENT:
            logger.warning("Submission %s: could not release after a transient error",
                           submission_id)  # fmt: skip
        raise
    except Exception as exc:
        _log_failure(f"Checking submission {submission_id}", exc)
        services.fail(submission, services.SERVICE_FAULT)
        return "failed"
    return "checked"


@shared_task(
    name="workers.compute_indicators",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def compute_indicators(submission_id: str) -> str:
    """Compute and store an accepted submission's indicators (idempotent; a no-op unless it is
    the LA's accepted submission). If it fails, the reconciler re-queues it later."""
    try:
        done = services.compute_and_store_indicators(submission_id)
    except TRANSIENT:
        raise
    except Exception as exc:
        _log_failure(f"Computing indicators of submission {submission_id}", exc)
        return "failed"
    return "computed" if done else "skipped"


@shared_task(
    name="workers.reconcile_submissions",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=300,
)
def reconcile_submissions() -> dict[str, int]:
    """Beat, every 5 minutes: re-queue submissions stuck in a working state (a lost message, a
    dead worker, a Redis restart), fail those out of attempts, and re-queue indicator
    computations that should have finished."""
    now = timezone.now()
    counts = {"requeued": 0, "failed": 0, "indicators": 0}
    for pk in list(services.stuck_submissions(now).values_list("pk", flat=True)):
        outcome = services.requeue_stuck(pk, now)
        if outcome is services.Requeue.REQUEUED:
            process_submission.delay(str(pk))
            counts["requeued"] += 1
        elif outcome is services.Requeue.FAILED:
            counts["failed"] += 1
    for pk in list(services.indicators_pending(now).values_list("pk", flat=True)):
        compute_indicators.delay(str(pk))
        counts["indicators"] += 1
    if any(counts.values()):
        logger.info("Reconciler: %s", counts)
    return counts


@shared_task(
    name="workers.purge_raw_files",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=1500,
    time_limit=1800,
)
def purge_raw_files() -> int:
    """Beat, daily: delete raw files past their retention period (audited per submission)."""
    return services.purge_raw_files(timezone.now())
