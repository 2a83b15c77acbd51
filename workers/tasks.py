"""Task entry points. Each takes IDs only (strings: nothing about a child ever sits in a
message), calls services and is safe to run twice; the business logic lives in the services.

Delivery is at least once (late acks, redelivery of a dead worker's task, the reconciler), so
every task starts by claiming or re-checking its row: a duplicate does nothing. A claimed job
is leased, and the lease is renewed while the task runs (``workers.lease``): when a worker is
killed the reconciler re-queues its job as soon as the lease lapses.

Queues (``CELERY_TASK_ROUTES``): ``checks``, ``indicators`` and ``housekeeping`` (reconciler,
purge, heartbeat), each with its own workers, so a long check never delays the reconciler.
"""

from __future__ import annotations

import logging
import socket
import traceback
from functools import partial

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError
from django.db import OperationalError as DatabaseError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dashboards import warming
from indicators import services as indicator_services
from portal import retention
from submissions import services, storage
from submissions.api import snapshot
from submissions.models import Submission
from workers.lease import lease_kept
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


class PipelineTask(Task):
    """Options every task shares. A transient fault is retried with backoff (three times);
    the message is acknowledged only once the task has finished (``acks_late``) and handed back
    if its pool process dies (``reject_on_worker_lost``), where the broker can: Redis redelivers
    it, the filesystem broker has already deleted it. Either way the lease and the reconciler
    bring the job back, and the claim makes any extra delivery a no-op."""

    autoretry_for = TRANSIENT
    retry_backoff = True
    retry_jitter = True
    max_retries = 3
    acks_late = True
    reject_on_worker_lost = True


@shared_task(base=PipelineTask, name="workers.heartbeat")
def heartbeat() -> str:
    """Record that this worker host is alive (idempotent upsert)."""
    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now()}
    )
    return hostname


@shared_task(base=PipelineTask, name="workers.process_submission")
def process_submission(submission_id: str) -> str:
    """Check a submission: claim it, read and validate its files, save the report. The
    uploader is emailed by the service when the outcome is saved."""
    submission = services.claim(submission_id)
    if submission is None:
        logger.info("Submission %s: nothing to do (claimed elsewhere or finished)", submission_id)
        return "skipped"
    try:
        with lease_kept(partial(services.renew_lease, submission), f"submission {submission_id}"):
            checked = services.run_checks(submission)
    except services.ClaimLost:
        logger.warning("Submission %s: claim taken over by another worker; stopped", submission_id)
        return "claim lost"
    except SoftTimeLimitExceeded:
        services.fail(submission, services.TOOK_TOO_LONG)
        return "failed"
    except TRANSIENT:
        # Hand the submission back so the retry can claim it; the attempt still counts, which
        # bounds retries. If even that fails, the lease lapses and the reconciler re-queues it.
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
    if accept_if_fed_so(checked):
        return "accepted"
    return "checked"


def accept_if_fed_so(submission: Submission) -> bool:
    """Accept an API snapshot with no errors when its LA's feed says so, and compute its
    figures. A snapshot that has errors waits for the LA, like an upload."""
    if (
        submission.source != submission.Source.API
        or submission.status != submission.Status.READY
        or not snapshot.feed_for(submission.local_authority).auto_accept
    ):
        return False
    try:
        services.accept_automatically(submission)
    except services.NotAllowed:
        return False  # e.g. accepted or superseded meanwhile
    compute_indicators.delay(str(submission.pk))
    return True


@shared_task(base=PipelineTask, name="workers.compute_indicators")
def compute_indicators(submission_id: str) -> str:
    """Compute and store an accepted submission's indicators: claim the computation (a no-op
    unless it is the LA's accepted submission and nobody holds it), compute, and replace the
    LA's figures in one transaction. A fault that would happen again is final: the
    computation is marked failed and the LA's data leads are emailed."""
    submission = indicator_services.claim_indicators(submission_id)
    if submission is None:
        logger.info("Submission %s: no indicators to compute (done, held or failed)",
                    submission_id)  # fmt: skip
        return "skipped"
    try:
        with lease_kept(
            partial(indicator_services.renew_indicators_lease, submission),
            f"indicators of submission {submission_id}",
        ):
            done = indicator_services.store_indicators(submission)
    except indicator_services.IndicatorClaimLost:
        logger.warning("Submission %s: indicators taken over by another worker; stopped",
                       submission_id)  # fmt: skip
        return "claim lost"
    except storage.FileGone:
        # Its stored extract (or raw files) went while the computation waited: final.
        indicator_services.fail_indicators(submission, indicator_services.INDICATORS_FILES_GONE)
        return "failed"
    except TRANSIENT:
        try:
            indicator_services.release_indicators(submission)
        except TRANSIENT:
            logger.warning("Submission %s: could not release the indicators after a transient "
                           "error", submission_id)  # fmt: skip
        raise
    except Exception as exc:  # SoftTimeLimitExceeded too: it would run out of time again
        _log_failure(f"Computing indicators of submission {submission_id}", exc)
        indicator_services.fail_indicators(submission, indicator_services.INDICATORS_FAULT)
        return "failed"
    return "computed" if done else "skipped"


@shared_task(base=PipelineTask, name="workers.snapshot_api_feeds", soft_time_limit=1500,
             time_limit=1800)  # fmt: skip
def snapshot_api_feeds() -> int:
    """Hourly: take the nightly snapshot of every API feed due in this hour and enqueue its
    check. Safe to run twice in an hour: a feed already snapshotted today is not due."""
    taken = 0
    for feed in snapshot.due():
        try:
            submission = snapshot.take_snapshot(feed.local_authority)
        except snapshot.NothingToSnapshot:
            continue
        process_submission.delay(str(submission.pk))
        taken += 1
    return taken


@shared_task(base=PipelineTask, name="workers.warm_indicator_pages")
def warm_indicator_pages(key: str) -> int:
    """One public indicator's page for every LA, both views, into the public cache after a data
    load (``manage.py load_published_data`` queues one per indicator). Safe to run twice: a page
    already built for the current data is only read."""
    return warming.warm_indicator_la_pages(key)


@shared_task(base=PipelineTask, name="workers.reconcile_submissions", soft_time_limit=240,
             time_limit=300)  # fmt: skip
def reconcile_submissions() -> dict[str, int]:
    """Beat, every SUBMISSION_RECONCILE_SECONDS: re-queue checks and indicator computations
    whose worker died (lapsed lease) or whose message was lost, and fail those out of
    attempts. Safe to run twice: each re-queue is a conditional change of the row."""
    now = timezone.now()
    counts = {"requeued": 0, "failed": 0, "indicators": 0, "indicators_failed": 0}
    for pk in list(services.stuck_submissions(now).values_list("pk", flat=True)):
        outcome = services.requeue_stuck(pk, now)
        if outcome is services.Requeue.REQUEUED:
            process_submission.delay(str(pk))
            counts["requeued"] += 1
        elif outcome is services.Requeue.FAILED:
            counts["failed"] += 1
    for pk in list(indicator_services.indicators_pending(now).values_list("pk", flat=True)):
        outcome = indicator_services.requeue_indicators(pk, now)
        if outcome is services.Requeue.REQUEUED:
            compute_indicators.delay(str(pk))
            counts["indicators"] += 1
        elif outcome is services.Requeue.FAILED:
            counts["indicators_failed"] += 1
    if any(counts.values()):
        logger.info("Reconciler: %s", counts)
    return counts


@shared_task(base=PipelineTask, name="workers.purge_raw_files", soft_time_limit=1500,
             time_limit=1800)  # fmt: skip
def purge_raw_files() -> int:
    """Beat, daily: delete raw files past their retention period (audited per submission),
    and the stored extracts of submissions with errors or failed with them."""
    return services.purge_raw_files(timezone.now())


@shared_task(base=PipelineTask, name="workers.purge_canonical_extracts", soft_time_limit=1500,
             time_limit=1800)  # fmt: skip
def purge_canonical_extracts() -> int:
    """Beat, daily: delete stored canonical extracts at the end of their retention (superseded
    CANONICAL_RETENTION_DAYS ago; see ``services.canonical_extracts_due``), audited per
    submission. The LA's accepted submission's extract is kept while it is current."""
    return services.purge_canonical_extracts(timezone.now())


@shared_task(name="workers.remove_deactivated_accounts", soft_time_limit=1500, time_limit=1800)
def remove_deactivated_accounts() -> int:
    """Beat, daily: erase the personal data of accounts deactivated ACCOUNT_RETENTION_DAYS ago
    (``portal.retention``), audited per account."""
    return retention.remove_deactivated_accounts(timezone.now())


@shared_task(name="workers.clear_expired_tokens", soft_time_limit=1500, time_limit=1800)
def clear_expired_tokens() -> None:
    """Beat, daily: delete API clients' expired OAuth2 tokens (django-oauth-toolkit's
    ``cleartokens``), so the token table holds only live ones."""
    from oauth2_provider.models import clear_expired

    clear_expired()
