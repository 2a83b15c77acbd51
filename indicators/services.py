"""Computing and storing an LA's timely indicator values: the worker's part of the figures.

An accepted submission's indicators are computed by a worker (``workers.tasks.
compute_indicators``) with the same machinery as a submission's check
(``submissions.services``), on the submission's own fields (``Submission.indicators_*``):

* ``claim_indicators`` is one conditional UPDATE: of two deliveries only one matches the row.
  It counts the attempt in ``indicators_attempts``, which is also the claim's *fencing token*
  (every later write is conditional on it, so a worker judged dead can never overwrite a newer
  outcome: ``IndicatorClaimLost``), and leases the computation to the worker
  (``indicators_lease_expires_at``), which renews it while it runs.
* ``store_indicators`` replaces the LA's stored values and breakdowns as a whole, in one
  transaction, so a reader sees either the old figures or the new, never a mix or none.
* The reconciler re-queues a computation whose worker died or whose message was lost
  (``indicators_pending``, ``requeue_indicators``). Out of attempts, or after a fault that would
  happen again, the computation reaches its final failed state (``indicators_failed_at``) and
  the LA's data leads are emailed.

Which submission an LA's figures come from is a read of the submission rows alone
(``submissions.services.figures_source``), so the submission pages can say it without
importing this app; the scoped reads of the values themselves are ``indicators.queries``.
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from indicators.calculators import compute_all, compute_breakdowns
from indicators.models import IndicatorBreakdown, IndicatorValue
from portal.models import LocalAuthority, Population
from submissions import notifications
from submissions.models import Submission

# The claim arithmetic (leases, "stuck" age) and the read of a submission's canonical tables
# are the check's own: shared, so the two leases cannot drift apart and the figures are
# computed from exactly the tables the check validated (its stored extract).
from submissions.services import (
    ClaimLost,
    Requeue,
    clip,
    extract_available,
    lease_until,
    load_extract,
    stuck_before,
    submission_pk,
)

__all__ = [
    "INDICATORS_FAULT",
    "INDICATORS_FILES_GONE",
    "IndicatorClaimLost",
    "claim_indicators",
    "claim_recomputation",
    "compute_and_store_indicators",
    "fail_indicators",
    "indicator_rows",
    "indicators_failure_after_attempts",
    "indicators_pending",
    "recompute_indicators",
    "release_indicators",
    "renew_indicators_lease",
    "requeue_indicators",
    "store_indicators",
]

logger = logging.getLogger(__name__)

Status = Submission.Status
_BATCH = 5_000

INDICATORS_FAULT = (
    "Something went wrong in the service while working out the figures of this submission. "
    "This is a fault in the service, not your data: contact support. Until it is fixed, the "
    "figures still come from the previous accepted submission, if there is one."
)
INDICATORS_FILES_GONE = (
    "The figures of this submission could not be worked out before its files were deleted at "
    "the end of the retention period. Upload the extract again."
)


def indicators_failure_after_attempts() -> str:
    return (
        "We could not work out the figures of this submission after "
        f"{settings.INDICATORS_MAX_ATTEMPTS} attempts. This is a fault in the service, not your "
        "data: contact support. Until it is fixed, the figures still come from the previous "
        "accepted submission, if there is one."
    )


class IndicatorClaimLost(ClaimLost):
    """This worker's claim on an indicator computation was taken over: write nothing."""


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or bool(pd.isna(value))


def _int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def _decimal(value: Any) -> Decimal | None:
    if _missing(value) or not math.isfinite(float(value)):
        return None
    return Decimal(f"{float(value):.1f}")


def _date(value: Any) -> date:
    return pd.Timestamp(value).date()


def _text(value: Any, length: int) -> str:
    return "" if _missing(value) else clip(str(value), length)


def _indicators_claimable(now: datetime) -> Q:
    """Accepted, figures neither stored nor given up on, and no live worker holds it."""
    return Q(
        status=Status.ACCEPTED,
        indicators_computed_at__isnull=True,
        indicators_failed_at__isnull=True,
    ) & (Q(indicators_lease_expires_at__isnull=True) | Q(indicators_lease_expires_at__lt=now))


def _mark_indicators_failed(submission: Submission, reason: str, now: datetime) -> None:
    """Give up on the figures of a row the caller has locked; email the LA's data leads after
    commit. The LA's stored figures (the previous submission's, if any) stay as they are."""
    submission.indicators_failed_at = now
    submission.indicators_failure_reason = reason
    submission.indicators_lease_expires_at = None
    submission.save(
        update_fields=[
            "indicators_failed_at", "indicators_failure_reason", "indicators_lease_expires_at",
        ]
    )  # fmt: skip
    logger.info("Submission %s: indicators failed after %s attempt(s)",
                submission.pk, submission.indicators_attempts)  # fmt: skip
    transaction.on_commit(partial(notifications.send_indicators_failed, submission), robust=True)


def claim_indicators(submission_id: Submission | uuid.UUID | str) -> Submission | None:
    """Take an accepted submission's indicator computation: count the attempt (the claim's
    fencing token) and lease it to this worker. None when there is nothing to do: not (or no
    longer) the LA's accepted submission, figures stored or given up on, another worker holds
    it; or it was out of attempts, or neither its stored extract nor its raw files are left (it
    is now failed, its data leads emailed)."""
    pk = submission_pk(submission_id)
    now = timezone.now()
    claimed = Submission.objects.filter(
        _indicators_claimable(now),
        extract_available(),
        pk=pk,
        indicators_attempts__lt=settings.INDICATORS_MAX_ATTEMPTS,
    ).update(
        indicators_attempts=F("indicators_attempts") + 1,
        indicators_lease_expires_at=lease_until(now),
    )
    if claimed:
        return Submission.objects.select_related("local_authority").get(pk=pk)
    with transaction.atomic():
        row = (
            Submission.objects.select_for_update().filter(_indicators_claimable(now), pk=pk).first()
        )
        if row is not None and row.indicators_attempts >= settings.INDICATORS_MAX_ATTEMPTS:
            _mark_indicators_failed(row, indicators_failure_after_attempts(), now)
        elif row is not None and not _readable(row):
            _mark_indicators_failed(row, INDICATORS_FILES_GONE, now)
    return None


def _readable(submission: Submission) -> bool:
    """Its canonical tables can still be read: a stored extract, or the raw files."""
    return Submission.objects.filter(extract_available(), pk=submission.pk).exists()


def _holds_indicators(submission: Submission, *, recompute: bool = False) -> QuerySet[Submission]:
    """The row, while this worker's claim on its indicator computation stands (a
    recomputation's claim: ``claim_recomputation``)."""
    held = Submission.objects.filter(
        pk=submission.pk,
        status=Status.ACCEPTED,
        indicators_lease_expires_at__isnull=False,
        indicators_attempts=submission.indicators_attempts,
    )
    if recompute:
        return held.filter(_recomputable)
    return held.filter(indicators_computed_at__isnull=True, indicators_failed_at__isnull=True)


#: Accepted submissions whose figures were worked out (or given up on) once: the ones a
#: recomputation redoes. A first computation still to come is the worker's, not ours.
_recomputable = Q(indicators_computed_at__isnull=False) | Q(indicators_failed_at__isnull=False)


def renew_indicators_lease(submission: Submission) -> bool:
    """Extend this worker's lease on an indicator computation. False once it is not ours."""
    return bool(
        _holds_indicators(submission).update(
            indicators_lease_expires_at=lease_until(timezone.now())
        )
    )


def release_indicators(submission: Submission) -> bool:
    """Give a claimed computation back after a transient error, so the task's retry can claim
    it again; the attempt still counts. False if the claim was no longer ours."""
    return bool(_holds_indicators(submission).update(indicators_lease_expires_at=None))


def fail_indicators(submission: Submission, reason: str) -> bool:
    """Give up on a computation this worker claimed (a fault that would happen again): the
    final failed state, and the LA's data leads are told. False if the claim was not ours."""
    with transaction.atomic():
        row = _holds_indicators(submission).select_for_update().first()
        if row is None:
            return False
        _mark_indicators_failed(row, reason, timezone.now())
    return True


def indicator_rows(
    submission: Submission,
) -> tuple[list[IndicatorValue], list[IndicatorBreakdown]]:
    """Compute (and not store) a submission's indicator values and breakdowns from its stored
    canonical extract (or, for one checked before extracts were stored, its raw files while they
    are kept). Raises ``storage.FileGone`` when neither is left."""
    la = submission.local_authority
    extract = load_extract(submission)
    population = dict(Population.objects.filter(la=la).values_list("year", "population_0_17"))
    as_of = extract.as_of or submission.as_of
    values = compute_all(
        extract.tables, as_of=as_of, coverage_start=extract.coverage_start, population=population
    )
    breakdowns = compute_breakdowns(
        extract.tables, as_of=as_of, coverage_start=extract.coverage_start
    )
    value_rows = [
        IndicatorValue(
            local_authority=la,
            submission=submission,
            indicator_id=row["indicator_id"],
            period_start=_date(row["period_start"]),
            period_end=_date(row["period_end"]),
            numerator=_int(row["numerator"]),
            denominator=_int(row["denominator"]),
            value=_decimal(row["value"]),
            status=_text(row["status"], 24),
            note=_text(row.get("note"), 200),
        )
        for row in values.to_dict("records")
    ]
    breakdown_rows = [
        IndicatorBreakdown(
            local_authority=la,
            submission=submission,
            indicator_id=row["indicator_id"],
            period_end=_date(row["period_end"]),
            dimension=_text(row["dimension"], 20),
            category=_text(row["category"], 40),
            numerator=_int(row["numerator"]),
            denominator=_int(row["denominator"]),
            value=_decimal(row["value"]),
            status=_text(row["status"], 24),
        )
        for row in breakdowns.to_dict("records")
    ]
    return value_rows, breakdown_rows


def store_indicators(submission: Submission, *, recompute: bool = False) -> bool:
    """Compute the indicators of a submission this worker claimed (``claim_indicators``) and
    make them its LA's figures.

    The switch is one transaction: the LA's stored values (the superseded submission's, until
    now) are deleted and the new ones inserted, so a reader sees either the old figures or the
    new, never a mix or none; a worker killed before it commits leaves the old ones intact.
    Returns False, writing nothing, when the submission is no longer the LA's accepted one (a
    newer one was accepted meanwhile). Raises ``IndicatorClaimLost``, writing nothing, when
    another worker took the computation over. ``recompute``: the claim is a recomputation's
    (``claim_recomputation``), and a final failed state it had is cleared.
    """
    value_rows, breakdown_rows = indicator_rows(submission)
    la = submission.local_authority
    with transaction.atomic():
        # Same lock order as ``accept``: if a newer submission was accepted while we computed,
        # this one is SUPERSEDED now and must not replace the newer one's values.
        LocalAuthority.objects.select_for_update().get(pk=la.pk)
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != Status.ACCEPTED:
            locked.indicators_lease_expires_at = None
            locked.save(update_fields=["indicators_lease_expires_at"])
            return False
        if not _holds_indicators(submission, recompute=recompute).exists():
            raise IndicatorClaimLost(f"submission {submission.pk}: computation taken over")
        IndicatorValue.objects.filter(local_authority=la).delete()
        IndicatorBreakdown.objects.filter(local_authority=la).delete()
        IndicatorValue.objects.bulk_create(value_rows, batch_size=_BATCH)
        IndicatorBreakdown.objects.bulk_create(breakdown_rows, batch_size=_BATCH)
        locked.indicators_computed_at = timezone.now()
        locked.indicators_lease_expires_at = None
        locked.indicators_failed_at, locked.indicators_failure_reason = None, ""
        locked.save(
            update_fields=[
                "indicators_computed_at", "indicators_lease_expires_at", "indicators_failed_at",
                "indicators_failure_reason",
            ]
        )  # fmt: skip
    logger.info(
        "Submission %s: indicators stored (%s values, %s breakdowns, LA %s, attempt %s)",
        submission.pk, len(value_rows), len(breakdown_rows), la.code,
        submission.indicators_attempts,
    )  # fmt: skip
    return True


def compute_and_store_indicators(submission: Submission | uuid.UUID | str) -> bool:
    """Claim, compute and store an accepted submission's indicators in this process (the demo
    data and tests; the worker's task does the same with a renewed lease). Returns False,
    writing nothing, when there was nothing to claim or a newer submission was accepted."""
    claimed = claim_indicators(submission)
    return claimed is not None and store_indicators(claimed)


# --- recomputation (manage.py recompute_indicators) ------------------------------------------


def claim_recomputation(submission_id: Submission | uuid.UUID | str) -> Submission | None:
    """Take the recomputation of an accepted submission's figures (computed, or given up on,
    once already): lease it like a computation and count the attempt, which fences the store.
    None when it is not the LA's accepted submission, its first computation is still to come,
    or a worker holds it now."""
    pk = submission_pk(submission_id)
    now = timezone.now()
    claimed = Submission.objects.filter(
        _recomputable,
        Q(indicators_lease_expires_at__isnull=True) | Q(indicators_lease_expires_at__lt=now),
        pk=pk,
        status=Status.ACCEPTED,
    ).update(
        indicators_attempts=F("indicators_attempts") + 1,
        indicators_lease_expires_at=lease_until(now),
    )
    if not claimed:
        return None
    return Submission.objects.select_related("local_authority").get(pk=pk)


def recompute_indicators(submission: Submission) -> bool:
    """Recompute a claimed submission's figures from its stored extract and replace its LA's
    values (one transaction, fenced: ``store_indicators``). On any fault the lease is given
    back and the figures stay as they were. Returns False when a newer submission was accepted
    meanwhile."""
    try:
        return store_indicators(submission, recompute=True)
    except BaseException:
        _holds_indicators(submission, recompute=True).update(indicators_lease_expires_at=None)
        raise


# --- housekeeping (beat) ---------------------------------------------------------------------


def indicators_pending(now: datetime) -> QuerySet[Submission]:
    """Accepted submissions whose indicator computation should be running but is not: its
    worker died (the lease lapsed), or its message was lost (never claimed, or released, and
    not re-queued for SUBMISSION_STUCK_AFTER_MINUTES)."""
    cutoff = stuck_before(now)
    lost = Q(indicators_lease_expires_at__isnull=True) & (
        Q(indicators_queued_at__lt=cutoff)
        | Q(indicators_queued_at__isnull=True, accepted_at__lt=cutoff)
    )
    return Submission.objects.filter(
        lost | Q(indicators_lease_expires_at__lt=now),
        status=Status.ACCEPTED,
        indicators_computed_at__isnull=True,
        indicators_failed_at__isnull=True,
    )


def requeue_indicators(submission_id: uuid.UUID | str, now: datetime) -> Requeue:
    """Hand a pending computation back for a new task, or give up on it once out of attempts
    (or files: they were deleted). The caller enqueues ``compute_indicators`` on REQUEUED."""
    with transaction.atomic():
        row = (
            indicators_pending(now)
            .select_for_update()
            .filter(pk=submission_pk(submission_id))
            .first()
        )
        if row is None:
            return Requeue.SKIPPED
        if row.indicators_attempts >= settings.INDICATORS_MAX_ATTEMPTS:
            _mark_indicators_failed(row, indicators_failure_after_attempts(), now)
            return Requeue.FAILED
        if not _readable(row):
            _mark_indicators_failed(row, INDICATORS_FILES_GONE, now)
            return Requeue.FAILED
        row.indicators_lease_expires_at, row.indicators_queued_at = None, now
        row.save(update_fields=["indicators_lease_expires_at", "indicators_queued_at"])
    logger.info("Submission %s: indicators re-queued (attempts so far: %s)",
                row.pk, row.indicators_attempts)  # fmt: skip
    return Requeue.REQUEUED
