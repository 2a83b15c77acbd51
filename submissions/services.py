"""The submission lifecycle: every change of a submission's state happens here.

::

    RECEIVED ─claim─► CHECKING ─► VALIDATING ─┬─► READY ─accept─► ACCEPTED ─► SUPERSEDED
       ▲                  │            │      └─► HAS_ERRORS      (once a newer one is accepted)
       └─ release, requeue_stuck ◄─────┤     (a transient error; a dead worker or lost message)
                                       └────► FAILED  (a fault in the service, never the data)

Each transition locks the row (``select_for_update``; on SQLite every write transaction is
``BEGIN IMMEDIATE``, which serialises them), checks the state it expects, changes it and
writes an audit event where a person made a decision. Views and tasks call these functions;
this module never imports tasks (the caller enqueues work once its transaction commits).

Workers and duplicates. Celery delivers a task at least once: acks are late, a task whose
worker died is redelivered, the reconciler re-queues stuck submissions, and the web process
enqueues after commit. So:

* ``claim`` is one conditional UPDATE. Of two deliveries only one matches the row; the other
  gets ``None`` and does nothing. ``attempts`` counts claims and bounds retries.
* A claim is a *lease* (``lease_expires_at``, SUBMISSION_LEASE_SECONDS) that the running task
  renews. A SIGKILLed worker renews nothing: its lease lapses, and the reconciler re-queues the
  submission within SUBMISSION_RECONCILE_SECONDS, whichever broker lost (filesystem) or holds
  back (Redis, until its visibility timeout) the message. A redelivered message that meets a
  live lease does nothing.
* ``attempts`` is also the claim's *fencing token*: a worker remembers the value it claimed
  with, and every later write (progress, the report) is conditional on it. If the reconciler
  judged a worker dead and another worker claimed the submission since, the old worker's
  writes match nothing (``ClaimLost``), so a stale worker can never overwrite a newer outcome.
* Results are written idempotently, in one transaction each: a submission's findings are
  deleted and re-created; an LA's indicator values are replaced as a whole.
* The check stores the submission's canonical extract (the tables it validated) once, in the
  transaction that saves its report, encrypted like the uploads (``storage.store_extract``).
  The blob is written first and its row saved only if the claim still stands, so a stale
  worker leaves nothing behind. Indicators read it (``load_extract``) long after the raw files
  are purged; its retention is ``purge_canonical_extracts``.
* Indicator computation has the same machinery of its own, in ``indicators.services``
  (which imports this module; this module never imports indicators). Which submission an LA's
  figures come from is read here, from the submission rows alone (``figures_source``).
"""

from __future__ import annotations

import io
import logging
import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from portal import audit
from portal.access import Action, can
from portal.models import AuditAction, AuditOutcome, LocalAuthority, User
from submissions import notifications, safety, storage
from submissions.extract import check, stored
from submissions.extract.canonical import Extract, Finding
from submissions.models import (
    CanonicalExtract,
    QueryExplanation,
    Submission,
    SubmissionFile,
    ValidationFinding,
)

__all__ = [
    "MAX_FINDINGS_PER_CODE",
    "SERVICE_FAULT",
    "TOOK_TOO_LONG",
    "ClaimLost",
    "Figures",
    "NotAllowed",
    "Quality",
    "Requeue",
    "accept",
    "claim",
    "clip",
    "create_submission",
    "explain_query",
    "extract_available",
    "fail",
    "failure_reason_after_attempts",
    "figures_source",
    "figures_waiting",
    "lease_until",
    "load_extract",
    "purge_canonical_extracts",
    "purge_raw_files",
    "quality_summary",
    "release",
    "renew_lease",
    "requeue_stuck",
    "run_checks",
    "stuck_before",
    "stuck_submissions",
    "submission_pk",
]

logger = logging.getLogger(__name__)

Status = Submission.Status
#: States in which a worker holds the submission (claimed it and has not finished).
CLAIMED = (Status.CHECKING, Status.VALIDATING)
#: A report lists at most this many findings per rule, then one line saying how many more.
#: The counts on the submission are always the full ones.
MAX_FINDINGS_PER_CODE = 5_000
_FINDING_BATCH = 5_000
_NOTE_MAX = 2_000
#: Blobs with no live row (an upload that failed half way) are removed after this long.
_ORPHAN_AGE = timedelta(days=1)

TOOK_TOO_LONG = (
    "Checking this submission took longer than the service allows, so it was stopped. This is a "
    "limit of the service, not a fault in your data: upload the extract again in smaller "
    "parts, or contact support."
)
SERVICE_FAULT = (
    "Something went wrong in the service while checking this submission. This is a fault in "
    "the service, not your data; upload it again or contact support."
)


def failure_reason_after_attempts() -> str:
    return (
        f"We could not check this submission after {settings.SUBMISSION_MAX_ATTEMPTS} attempts. "
        "This is a fault in the service, not your data; upload it again or contact support."
    )


class NotAllowed(ValidationError):
    """The submission's state does not allow this action. The message is for the user."""


class ClaimLost(Exception):
    """This worker's claim was taken over (the reconciler judged it dead and another worker
    claimed the submission): stop, and write nothing."""


class Requeue(StrEnum):
    """What ``requeue_stuck`` did with a stuck submission."""

    REQUEUED = "requeued"  # back to RECEIVED: enqueue process_submission
    FAILED = "failed"  # out of attempts: now FAILED, its uploader emailed
    SKIPPED = "skipped"  # no longer stuck: it moved on after being listed


def submission_pk(submission: Submission | uuid.UUID | str) -> uuid.UUID:
    """The primary key of a submission given as a row, a UUID or its string (a task's
    argument)."""
    if isinstance(submission, Submission):
        return submission.pk
    return submission if isinstance(submission, uuid.UUID) else uuid.UUID(str(submission))


def stuck_before(now: datetime) -> datetime:
    """Work waiting for a worker since before this is stuck (its message was lost); the
    indicator computation's reconciler uses the same age."""
    return now - timedelta(minutes=settings.SUBMISSION_STUCK_AFTER_MINUTES)


def lease_until(now: datetime) -> datetime:
    """Until when a lease taken (or renewed) now holds: the check's and the indicators'."""
    return now + timedelta(seconds=settings.SUBMISSION_LEASE_SECONDS)


def _held_by_a_dead_worker(now: datetime) -> Q:
    """Claimed, and its worker is evidently gone: the lease lapsed (or, for a claim made before
    leases existed, its state has not changed for SUBMISSION_STUCK_AFTER_MINUTES)."""
    return Q(status__in=CLAIMED) & (
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, status_changed_at__lt=stuck_before(now))
    )


def _notify_on_commit(submission: Submission) -> None:
    # After commit, so the email never announces an outcome that was rolled back; robust, so a
    # mail failure cannot turn a saved outcome into a task error.
    transaction.on_commit(partial(notifications.send_validation_finished, submission), robust=True)


def _mark_failed(submission: Submission, reason: str, now: datetime | None = None) -> None:
    """Set FAILED on a row the caller has locked, and email the uploader after commit."""
    submission.status = Status.FAILED
    submission.failure_reason = reason
    submission.status_changed_at = now or timezone.now()
    submission.progress_message = ""
    submission.lease_expires_at = None
    submission.save(
        update_fields=[
            "status", "failure_reason", "status_changed_at", "progress_message",
            "lease_expires_at",
        ]
    )  # fmt: skip
    logger.info("Submission %s failed after %s attempt(s)", submission.pk, submission.attempts)
    _notify_on_commit(submission)


# --- upload ----------------------------------------------------------------------------------


def create_submission(
    *,
    local_authority: LocalAuthority,
    user: User,
    as_of: date,
    coverage_start: date | None = None,
    uploads: Sequence[Any],
    source: str = Submission.Source.UPLOAD,
    request: HttpRequest | None = None,
) -> Submission:
    """Check, encrypt and store the uploaded files as a new RECEIVED submission.

    ``uploads`` are seekable Django files (``request.FILES.getlist(...)``). Raises
    ``ValidationError`` (nothing stored) when a file is refused, ``PermissionDenied`` when
    ``user`` may not upload for ``local_authority``. The caller enqueues the check once its
    transaction commits: ``transaction.on_commit(lambda: process_submission.delay(str(pk)))``.
    """
    if not can(user, Action.UPLOAD, local_authority):
        raise PermissionDenied
    if coverage_start is not None and coverage_start >= as_of:
        raise ValidationError(
            "The date the extract is complete from must be before the extract date.",
            code="coverage_start",
        )
    try:
        names = safety.check_uploads(uploads)
    except ValidationError as error:
        audit.record(
            AuditAction.UPLOAD,
            request=request,
            actor=user,
            outcome=AuditOutcome.FAILURE,
            organisation=local_authority.code,
            file_count=len(uploads),
            refused=sorted({e.code or "invalid" for e in error.error_list}),
        )
        raise

    return store_submission(
        local_authority=local_authority,
        user=user,
        as_of=as_of,
        coverage_start=coverage_start,
        files=list(zip(uploads, names, strict=True)),
        source=source,
        request=request,
    )


def store_submission(
    *,
    local_authority: LocalAuthority,
    user: User | None,
    as_of: date,
    coverage_start: date | None,
    files: Sequence[tuple[Any, str]],
    source: str,
    request: HttpRequest | None = None,
    **audit_details: Any,
) -> Submission:
    """Encrypt ``files`` (readable file, display name) and save them as a new RECEIVED
    submission, audited as an upload. No permission check: ``create_submission`` checks the
    uploader's, and an API snapshot (``submissions.api.snapshot``) is the service's own."""
    submission = Submission(
        local_authority=local_authority,
        source=source,
        created_by=user,
        as_of=as_of,
        coverage_start=coverage_start,
        status=Status.RECEIVED,
    )
    stored: list[SubmissionFile] = []
    try:
        # Encrypt before opening the transaction: on SQLite a write transaction locks the whole
        # database, and encrypting a few hundred MB takes seconds.
        for upload, name in files:
            stored.append(storage.store(upload, submission, display_name=name, commit=False))
        with transaction.atomic():
            submission.save(force_insert=True)
            SubmissionFile.objects.bulk_create(stored)
            audit.record(
                AuditAction.UPLOAD,
                request=request,
                actor=user,
                organisation=local_authority.code,
                obj=submission,
                source=source,
                file_count=len(stored),
                total_bytes=sum(f.size for f in stored),
                # The user's own file names: theirs to see, and how support finds an upload.
                files=[{"name": f.display_name, "size": f.size} for f in stored],
                **audit_details,
            )
    except BaseException:
        for file in stored:
            storage.discard(file)
        raise
    return submission


# --- the worker's part -----------------------------------------------------------------------


def claim(submission_id: Submission | uuid.UUID | str) -> Submission | None:
    """Take a submission for checking: RECEIVED (or claimed by a worker that is evidently dead,
    its lease lapsed) → CHECKING with a fresh lease, counting the attempt. Returns the claimed
    submission, or None when there is nothing to do: another worker holds it, it is finished,
    or it was out of attempts (it is now FAILED and its uploader is emailed)."""
    pk = submission_pk(submission_id)
    now = timezone.now()
    claimable = Q(status=Status.RECEIVED) | _held_by_a_dead_worker(now)
    # One UPDATE ... WHERE: the database lets exactly one of two racing deliveries match.
    claimed = Submission.objects.filter(
        claimable, pk=pk, attempts__lt=settings.SUBMISSION_MAX_ATTEMPTS
    ).update(
        status=Status.CHECKING,
        status_changed_at=now,
        attempts=F("attempts") + 1,
        lease_expires_at=lease_until(now),
        progress=5,
        progress_message="Opening your files",
        failure_reason="",
    )
    if claimed:
        return Submission.objects.select_related("local_authority").get(pk=pk)
    with transaction.atomic():
        row = Submission.objects.select_for_update().filter(claimable, pk=pk).first()
        if row is not None and row.attempts >= settings.SUBMISSION_MAX_ATTEMPTS:
            _mark_failed(row, failure_reason_after_attempts(), now)
    return None


def renew_lease(submission: Submission) -> bool:
    """Extend this worker's lease on a submission it is checking (the task's renewing thread
    calls it several times per lease). False once the claim is no longer ours."""
    return bool(
        Submission.objects.filter(
            pk=submission.pk, status__in=CLAIMED, attempts=submission.attempts
        ).update(lease_expires_at=lease_until(timezone.now()))
    )


def _progress(submission: Submission, status: str, percent: int, message: str) -> None:
    """Record progress, and renew the lease, only while this worker's claim stands (see the
    module docstring)."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": status,
        "progress": percent,
        "progress_message": message,
        "lease_expires_at": lease_until(now),
    }
    if status != submission.status:
        changes["status_changed_at"] = now
    updated = Submission.objects.filter(
        pk=submission.pk, status__in=CLAIMED, attempts=submission.attempts
    ).update(**changes)
    if not updated:
        raise ClaimLost(f"submission {submission.pk} was claimed by another worker")
    for field, value in changes.items():
        setattr(submission, field, value)


def decrypt_files(submission: Submission, folder: Path) -> list[tuple[str, Path]]:
    """Decrypt the submission's files into ``folder`` (private, removed by the caller), as
    (display name, path) pairs. Plaintext is named by position, never by the user's file
    name. The check step puts them in its own order, whatever the database's collation."""
    paths: list[tuple[str, Path]] = []
    for n, file in enumerate(submission.files.order_by("display_name", "id")):
        # Keep the extension: some readers (openpyxl) insist on one. Safety checks allowed it.
        suffix = PurePosixPath(file.display_name).suffix.lower()
        if suffix not in safety.ALLOWED_EXTENSIONS:
            suffix = ""
        paths.append((file.display_name, storage.decrypt_to(file, folder / f"{n}{suffix}")))
    return paths


def _check_inputs(submission: Submission) -> dict[str, Any]:
    """What the submitter stated, which wins over what the files say."""
    return {
        "la_code": submission.local_authority.code,
        "as_of": submission.as_of,
        "coverage_start": submission.coverage_start,
    }


def _read_extract(submission: Submission, folder: Path) -> Extract:
    """Decrypt and read the submission's files: the tables its check validated."""
    return check.read(decrypt_files(submission, folder), **_check_inputs(submission))


def _seal_extract(submission: Submission, extract: Extract) -> CanonicalExtract:
    """Serialise and encrypt the extract into a new blob; its row is the caller's to save (or
    ``storage.discard``). Nothing about a child is logged: counts and sizes only."""
    plaintext = io.BytesIO()
    stored.dump(extract, plaintext)
    plaintext.seek(0)
    blob = storage.store_extract(plaintext, submission, version=stored.VERSION)
    logger.info("Submission %s: canonical extract sealed (%s bytes, %s rows)", submission.pk,
                blob.size, sum(len(t) for t in extract.tables.values()))  # fmt: skip
    return blob


def _live_extract(submission: Submission) -> CanonicalExtract | None:
    return CanonicalExtract.objects.filter(submission=submission, deleted_at__isnull=True).first()


def extract_available() -> Q:
    """Submissions whose canonical tables can still be read: their stored extract is kept, or
    (checked before extracts were stored) their raw files are."""
    return Q(canonical_extract__isnull=False, canonical_extract__deleted_at__isnull=True) | Q(
        raw_files_deleted_at__isnull=True
    )


def load_extract(submission: Submission) -> Extract:
    """The submission's canonical tables, as its check validated them: from its stored
    extract, or, for a submission checked before extracts were stored, from its raw files while
    they are kept. Raises ``storage.FileGone`` when neither is left (``TamperedFile`` when the
    blob fails authentication)."""
    blob = _live_extract(submission)
    if blob is not None:
        # Every chunk is authenticated as it is read, and the digest once all are: only then
        # is the plaintext parsed.
        return stored.loads(b"".join(storage.open_decrypted(blob)))
    if submission.raw_files_deleted_at is not None:
        raise storage.FileGone(f"submission {submission.pk}: no stored extract, files deleted")
    with tempfile.TemporaryDirectory(prefix="csc-extract-") as folder:
        return _read_extract(submission, Path(folder))


def clip(value: str, length: int | None = None) -> str:
    """``value`` as a text column can hold it: no NUL, at most ``length`` characters."""
    # PostgreSQL text cannot hold NUL, and varchar columns refuse over-long values: a finding
    # quoting a byte of a binary file must not fail the whole report.
    value = (value or "").replace("\x00", "")
    return value[:length] if length else value


def _finding_rows(submission: Submission, findings: Sequence[Finding]) -> list[ValidationFinding]:
    """Model rows for the findings, at most MAX_FINDINGS_PER_CODE per rule, plus one line per
    rule that had more, saying how many are not listed."""
    rows: list[ValidationFinding] = []
    per_code: Counter[str] = Counter()
    severity: dict[str, str] = {}
    for finding in findings:
        per_code[finding.code] += 1
        severity.setdefault(finding.code, str(finding.severity))
        if per_code[finding.code] > MAX_FINDINGS_PER_CODE:
            continue
        rows.append(
            ValidationFinding(
                submission=submission,
                code=clip(finding.code, 40),
                severity=str(finding.severity),
                file=clip(finding.file, 255),
                location=clip(finding.location, 255),
                child_id=clip(finding.child_id, 64),
                field=clip(finding.field, 64),
                message=clip(finding.message),
            )
        )
    for code, count in per_code.items():
        if count > MAX_FINDINGS_PER_CODE:
            rows.append(
                ValidationFinding(
                    submission=submission,
                    code=clip(code, 40),
                    severity=severity[code],
                    message=f"Rule {code} was broken {count:,} times; the first "
                    f"{MAX_FINDINGS_PER_CODE:,} are listed. Fix the cause in your system, then "
                    "upload the extract again.",
                )
            )
    return rows


def run_checks(submission: Submission) -> Submission:
    """Read and validate a claimed submission, then save its report: READY or HAS_ERRORS
    (``checked``, returning the submission only)."""
    return checked(submission)[0]


def checked(submission: Submission) -> tuple[Submission, check.CheckResult]:
    """Read and validate a claimed submission, then save its report: READY or HAS_ERRORS.

    Progress: 10% reading, 50% validating, 90% saving. Saving stores the canonical extract
    too (one encrypted blob, see the module docstring). Raises ``ClaimLost`` (having written
    nothing, its blob removed) if this worker's claim was taken over meanwhile.
    """
    _progress(submission, Status.CHECKING, 10, "Reading your files")
    # The shared check step (the offline checker's too), in its two halves: plaintext exists
    # only inside this private folder (0700), and only while it is read.
    with tempfile.TemporaryDirectory(prefix="csc-check-") as folder:
        extract = _read_extract(submission, Path(folder))
    _progress(submission, Status.VALIDATING, 50, "Checking your data against the rules")
    result = check.validate(extract)
    _progress(submission, Status.VALIDATING, 90, "Saving the report")

    rows = _finding_rows(submission, result.findings)
    # Encrypted before the transaction opens (as uploads are: on SQLite it locks the database).
    blob = _seal_extract(submission, extract)
    try:
        with transaction.atomic():
            current = Submission.objects.select_for_update().get(pk=submission.pk)
            if current.status not in CLAIMED or current.attempts != submission.attempts:
                raise ClaimLost(f"submission {submission.pk} was claimed by another worker")
            # Delete and re-create in one transaction: a second run replaces the first run's
            # findings instead of adding to them, and readers never see half a report.
            ValidationFinding.objects.filter(submission=current).delete()
            ValidationFinding.objects.bulk_create(rows, batch_size=_FINDING_BATCH)
            _replace_extract(current, blob)
            current.status = Status.READY if result.errors == 0 else Status.HAS_ERRORS
            current.status_changed_at = current.validated_at = timezone.now()
            current.progress, current.progress_message = 100, ""
            current.lease_expires_at = None
            current.error_count = result.errors
            current.query_count = result.queries
            current.formats = result.formats
            current.row_counts = result.row_counts
            current.not_applicable_rules = [rule.as_dict() for rule in result.not_applicable]
            current.save()
            _notify_on_commit(current)
    except BaseException:
        storage.discard(blob)
        raise
    logger.info(
        "Submission %s checked: %s errors, %s queries (attempt %s)",
        current.pk, current.error_count, current.query_count, current.attempts,
    )  # fmt: skip
    return current, result


def _replace_extract(submission: Submission, blob: CanonicalExtract) -> None:
    """Save the new extract's row in the caller's transaction. An earlier one cannot normally
    exist (a checked submission is never claimed again); if it does, it goes, with its blob
    once the transaction commits."""
    earlier = CanonicalExtract.objects.filter(submission=submission).first()
    if earlier is not None:
        path = storage.blob_path(earlier)  # before delete(), which clears the id
        earlier.delete()
        transaction.on_commit(partial(path.unlink, missing_ok=True))
    blob.save(force_insert=True)


def fail(submission: Submission, reason: str) -> Submission:
    """Mark a submission this worker claimed as FAILED with a reason the user can read. Does
    nothing if it has finished or been claimed by another worker meanwhile."""
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        if current.status in Submission.WORKING and current.attempts == submission.attempts:
            _mark_failed(current, reason)
    return current


def release(submission: Submission) -> bool:
    """Give a claimed submission back (RECEIVED) after a transient error, so the task's retry
    can claim it again; the attempt still counts. False if the claim was no longer ours."""
    return bool(
        Submission.objects.filter(
            pk=submission.pk, status__in=CLAIMED, attempts=submission.attempts
        ).update(
            status=Status.RECEIVED,
            status_changed_at=timezone.now(),
            lease_expires_at=None,
            progress=0,
            progress_message="Waiting to be checked again",
        )
    )


# --- decisions -------------------------------------------------------------------------------


def _not_acceptable(submission: Submission) -> str:
    if submission.status == Status.HAS_ERRORS:
        return (
            f"This submission has {submission.error_count:,} errors. Fix them in your system "
            "and upload the extract again: only a submission with no errors can be accepted."
        )
    if submission.status == Status.ACCEPTED:
        return "This submission has already been accepted."
    if submission.status == Status.SUPERSEDED:
        return "A newer submission has replaced this one, so it can no longer be accepted."
    if submission.status == Status.FAILED:
        return "This submission could not be checked, so it cannot be accepted. Upload it again."
    return "This submission is still being checked. Wait until checking has finished."


def cannot_accept(submission: Submission) -> str | None:
    """Why ``submission`` cannot be accepted as it stands, or None if it can: what the
    confirmation page says instead of offering the button. ``accept`` checks again under
    its locks, so this is for the pages, not a guard."""
    if submission.status == Status.READY and not submission.error_count:
        return None
    return _not_acceptable(submission)


def accept(submission: Submission, user: User, request: HttpRequest | None = None) -> Submission:
    """Accept a READY submission (no errors; queries are allowed). The LA's previously accepted
    submission, if any, becomes SUPERSEDED by this one; both are kept. The caller enqueues
    ``compute_indicators`` once the transaction commits."""
    return _accept(submission, user, request)


def accept_automatically(submission: Submission) -> Submission:
    """Accept an API snapshot with no errors, as its LA's feed settings ask
    (``ApiFeed.auto_accept``); audited with no person as the actor. Same rules and locks as
    ``accept``; the caller enqueues ``compute_indicators``."""
    if submission.source != Submission.Source.API:
        raise NotAllowed("Only API snapshots are accepted automatically.", code="not_api")
    return _accept(submission, None, None)


def _accept(submission: Submission, user: User | None, request: HttpRequest | None) -> Submission:
    with transaction.atomic():
        # The LA row is the lock for "the LA's accepted submission": two acceptances for one LA
        # take turns, so neither trips the one-accepted-per-LA constraint. LA first, then
        # submissions, everywhere, so the locks cannot deadlock.
        la = LocalAuthority.objects.select_for_update().get(pk=submission.local_authority_id)
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        if user is not None and not can(user, Action.DECIDE, la):
            raise PermissionDenied
        if current.status != Status.READY:
            raise NotAllowed(_not_acceptable(current), code="not_ready")
        errors = current.findings.filter(severity=ValidationFinding.Severity.ERROR)
        if current.error_count or errors.exists():
            raise NotAllowed(_not_acceptable(current), code="has_errors")
        now = timezone.now()
        previous = list(
            Submission.objects.select_for_update()
            .filter(local_authority=la, status=Status.ACCEPTED)
            .exclude(pk=current.pk)
        )
        # Supersede first: the constraint allows only one accepted row per LA at any moment.
        for old in previous:
            old.status, old.superseded_by, old.status_changed_at = Status.SUPERSEDED, current, now
            old.save(update_fields=["status", "superseded_by", "status_changed_at"])
        current.status, current.status_changed_at = Status.ACCEPTED, now
        current.accepted_by, current.accepted_at = user, now
        current.save(update_fields=["status", "status_changed_at", "accepted_by", "accepted_at"])
        audit.record(
            AuditAction.SUBMISSION_DECISION,
            request=request,
            actor=user,
            organisation=la.code,
            obj=current,
            decision="accepted" if user is not None else "accepted_automatically",
            query_count=current.query_count,
            explained_rules=current.explanations.count(),
            superseded=[str(old.pk) for old in previous],
        )
    return current


def explain_query(
    submission: Submission,
    code: str,
    note: str,
    user: User,
    request: HttpRequest | None = None,
) -> QueryExplanation:
    """Save (or replace) the note explaining the queries of rule ``code``. Only for rules that
    raised queries in this submission, and only before a decision on it."""
    note = note.strip()
    if not note:
        raise ValidationError("Write a note explaining these queries.", code="note_required")
    if len(note) > _NOTE_MAX:
        raise ValidationError(
            f"The note must be {_NOTE_MAX:,} characters or fewer.", code="note_too_long"
        )
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        la = current.local_authority
        if not can(user, Action.DECIDE, la):
            raise PermissionDenied
        if current.status not in (Status.READY, Status.HAS_ERRORS):
            raise NotAllowed(
                "Queries can be explained once checking has finished and before the submission "
                "is accepted.",
                code="not_explainable",
            )
        queries = current.findings.filter(code=code, severity=ValidationFinding.Severity.QUERY)
        if not queries.exists():
            raise NotAllowed(
                f"This submission has no queries for rule {code}.", code="no_such_query"
            )
        explanation, created = QueryExplanation.objects.update_or_create(
            submission=current,
            code=code,
            defaults={"note": note, "explained_by": user, "explained_at": timezone.now()},
        )
        # The note itself is free text that could name a child: it stays out of the audit.
        audit.record(
            AuditAction.SUBMISSION_DECISION,
            request=request,
            actor=user,
            organisation=la.code,
            obj=current,
            decision="query_explained" if created else "query_explanation_changed",
            code=code,
        )
    return explanation


# --- data quality of a submission, for the pages that show its figures ---------------------------


@dataclass(frozen=True)
class Quality:
    """What a submission's check found, in counts (no child data: DfE roles see it too).

    ``unexplained_queries`` are the queries of rules the LA has not explained (a note on the
    validation report says why a query is right). ``not_applicable`` counts the rules not
    checked because the formats sent do not carry a field they need: "no errors" means less
    when many rules could not run."""

    errors: int
    queries: int
    query_rules: int
    unexplained_queries: int
    unexplained_rules: int
    not_applicable: int = 0


def quality_summary(submission: Submission) -> Quality:
    """Counts of ``submission``'s findings: errors, queries, and queries not yet explained.
    Two queries."""
    per_rule = dict(
        submission.findings.filter(severity=ValidationFinding.Severity.QUERY)
        .values("code")
        .annotate(count=Count("pk"))
        .values_list("code", "count")
    )
    explained = set(submission.explanations.values_list("code", flat=True))
    unexplained = {code: n for code, n in per_rule.items() if code not in explained}
    return Quality(
        errors=submission.error_count,
        queries=sum(per_rule.values()),
        query_rules=len(per_rule),
        unexplained_queries=sum(unexplained.values()),
        unexplained_rules=len(unexplained),
        not_applicable=len(submission.not_applicable_rules),
    )


# --- which submission an LA's figures come from --------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Which submission an LA's stored figures come from, and whether newer ones are due."""

    #: The submission whose values are stored (None: no figures stored for the LA yet).
    source: Submission | None
    #: The LA's accepted submission, when its figures are not stored (yet, or at all).
    waiting_for: Submission | None

    @property
    def pending(self) -> bool:
        return self.waiting_for is not None and self.waiting_for.indicators_failed_at is None

    @property
    def failed(self) -> bool:
        return self.waiting_for is not None and self.waiting_for.indicators_failed_at is not None


def figures_source(local_authority: LocalAuthority | int) -> Figures:
    """Which submission the LA's stored figures come from, for pages that show figures. Until
    a newly accepted submission's values are stored, the stored ones are still the superseded
    submission's: pages say so (``waiting_for``).

    Read from the submission rows alone, so this app never imports indicators: storing an
    LA's figures replaces all of them and stamps ``indicators_computed_at`` in the same
    transaction, under the LA's row lock, so the LA's submission stamped last is the one its
    stored values come from."""
    la_id = local_authority.pk if isinstance(local_authority, LocalAuthority) else local_authority
    source = (
        Submission.objects.filter(local_authority_id=la_id, indicators_computed_at__isnull=False)
        .order_by("-indicators_computed_at")
        .first()
    )
    accepted = Submission.objects.filter(local_authority_id=la_id, status=Status.ACCEPTED).first()
    stored = source.pk if source is not None else None
    waiting = accepted if accepted is not None and accepted.pk != stored else None
    return Figures(source=source, waiting_for=waiting)


def figures_waiting(local_authorities: QuerySet[LocalAuthority]) -> list[Figures]:
    """``figures_source`` of each of these LAs whose accepted submission's figures are not
    stored: the LAs whose pages still show an older submission's figures (or none)."""
    waiting = Submission.objects.filter(
        local_authority__in=local_authorities,
        status=Status.ACCEPTED,
        indicators_computed_at__isnull=True,
    ).select_related("local_authority")
    return [figures_source(s.local_authority) for s in waiting.order_by("local_authority__name")]


# --- housekeeping (beat) ---------------------------------------------------------------------


def stuck_submissions(now: datetime) -> QuerySet[Submission]:
    """Submissions whose check should be running but is not: claimed by a worker that died
    (its lease lapsed), or waiting (RECEIVED) for longer than SUBMISSION_STUCK_AFTER_MINUTES,
    so their message was lost. A live task renews its lease, so it is never among them."""
    return Submission.objects.filter(
        Q(status=Status.RECEIVED, status_changed_at__lt=stuck_before(now))
        | _held_by_a_dead_worker(now)
    )


def requeue_stuck(submission_id: uuid.UUID | str, now: datetime) -> Requeue:
    """Put a stuck submission back to RECEIVED so a new task can claim it, or fail it when it
    has used all its attempts. The caller enqueues ``process_submission`` on REQUEUED."""
    with transaction.atomic():
        row = (
            stuck_submissions(now)
            .select_for_update()
            .filter(pk=submission_pk(submission_id))
            .first()
        )
        if row is None:
            return Requeue.SKIPPED
        if row.attempts >= settings.SUBMISSION_MAX_ATTEMPTS:
            _mark_failed(row, failure_reason_after_attempts(), now)
            return Requeue.FAILED
        # Not claimed from here: the attempt is counted when a worker claims it. Bumping
        # status_changed_at keeps the next reconciler run from re-queuing it again at once.
        row.status, row.status_changed_at, row.lease_expires_at = Status.RECEIVED, now, None
        row.progress, row.progress_message = 0, "Waiting to be checked again"
        row.save(
            update_fields=[
                "status", "status_changed_at", "lease_expires_at", "progress", "progress_message",
            ]
        )  # fmt: skip
    logger.info("Submission %s was stuck; re-queued (attempts so far: %s)", row.pk, row.attempts)
    return Requeue.REQUEUED


def purge_raw_files(now: datetime) -> int:
    """Delete the raw files of submissions decided more than RAW_FILE_RETENTION_DAYS ago
    (accepted or superseded: from acceptance; with errors or failed: from that outcome), with
    one FILE_DELETED audit event per submission. Returns the number of submissions purged.
    Submissions still waiting for a decision (READY) or being checked keep their files.

    A submission with errors, or failed, loses its stored canonical extract with its raw files,
    in the same transaction (its own CANONICAL_DELETED event); an accepted or superseded one
    keeps it (``purge_canonical_extracts``)."""
    cutoff = now - timedelta(days=settings.RAW_FILE_RETENTION_DAYS)
    due = Submission.objects.filter(raw_files_deleted_at__isnull=True).filter(
        Q(status__in=(Status.ACCEPTED, Status.SUPERSEDED), accepted_at__lt=cutoff)
        | Q(status__in=(Status.HAS_ERRORS, Status.FAILED), status_changed_at__lt=cutoff)
    )
    purged = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            row = due.select_for_update().filter(pk=pk).first()
            if row is None:
                continue
            files = list(row.files.filter(deleted_at__isnull=True))
            for file in files:
                storage.delete(file)
            row.raw_files_deleted_at = now
            row.save(update_fields=["raw_files_deleted_at"])
            audit.record(
                AuditAction.FILE_DELETED,
                organisation=row.local_authority.code,
                obj=row,
                reason="retention period ended",
                retention_days=settings.RAW_FILE_RETENTION_DAYS,
                file_count=len(files),
                total_bytes=sum(f.size for f in files),
            )
            if row.status in _EXTRACT_GOES_WITH_RAW_FILES:
                _delete_extract(row, now)
        purged += 1
    _remove_orphan_blobs(now)
    return purged


#: Submissions whose stored extract is deleted with their raw files.
_EXTRACT_GOES_WITH_RAW_FILES = (Status.HAS_ERRORS, Status.FAILED)


def _delete_extract(row: Submission, now: datetime) -> bool:
    """Delete the live stored extract of a submission the caller has locked, with one
    CANONICAL_DELETED audit event (sizes and states only). False if there was none."""
    blob = (
        CanonicalExtract.objects.select_for_update()
        .filter(submission=row, deleted_at__isnull=True)
        .first()
    )
    if blob is None:
        return False
    storage.delete(blob)
    superseded = row.status == Status.SUPERSEDED
    audit.record(
        AuditAction.CANONICAL_DELETED,
        organisation=row.local_authority.code,
        obj=row,
        reason="superseded, retention period ended" if superseded else "raw files deleted",
        status=str(row.status),
        retention_days=(
            settings.CANONICAL_RETENTION_DAYS if superseded else settings.RAW_FILE_RETENTION_DAYS
        ),
        extract_id=str(blob.pk),
        total_bytes=blob.size,
    )
    logger.info("Submission %s: stored extract deleted (%s)", row.pk, row.status)
    return True


def canonical_extracts_due(now: datetime) -> QuerySet[Submission]:
    """Submissions whose stored extract has reached the end of its retention:

    * superseded more than CANONICAL_RETENTION_DAYS ago. ``status_changed_at`` is when: a
      superseded submission never changes state again;
    * with errors or failed, once their raw files are deleted (normally ``purge_raw_files``
      deletes both at once; this catches any left, e.g. purged before extracts were stored).

    The LA's accepted submission keeps its extract however old it is, and a READY one (no
    decision yet) keeps it with its raw files."""
    cutoff = now - timedelta(days=settings.CANONICAL_RETENTION_DAYS)
    return Submission.objects.filter(
        Q(status=Status.SUPERSEDED, status_changed_at__lt=cutoff)
        | Q(status__in=_EXTRACT_GOES_WITH_RAW_FILES, raw_files_deleted_at__isnull=False),
        canonical_extract__isnull=False,
        canonical_extract__deleted_at__isnull=True,
    )


def purge_canonical_extracts(now: datetime) -> int:
    """Delete the stored extracts at the end of their retention (``canonical_extracts_due``),
    each with one CANONICAL_DELETED audit event. Returns how many were deleted; running it
    twice deletes nothing the second time."""
    due = canonical_extracts_due(now)
    deleted = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            row = (
                due.select_for_update(of=("self",))
                .filter(pk=pk)
                .select_related("local_authority")
                .first()
            )
            if row is not None and _delete_extract(row, now):
                deleted += 1
    if deleted:
        logger.info("Deleted %s stored extract(s) at the end of their retention", deleted)
    return deleted


def _remove_orphan_blobs(now: datetime) -> int:
    """Remove blobs that no live row points at: uploads (and stored extracts) whose
    transaction never committed, and half-written ``.part`` files of a crashed upload. They are
    unreadable already (their data keys were never saved), but hold no place in the folder."""
    upload_dir = Path(settings.UPLOAD_DIR)
    removed = _remove_orphans_in(upload_dir, SubmissionFile, now) + _remove_orphans_in(
        upload_dir / storage.CANONICAL_FOLDER, CanonicalExtract, now
    )
    if removed:
        logger.info("Removed %s orphaned blob(s)", removed)
    return removed


def _remove_orphans_in(
    folder: Path, model: type[SubmissionFile] | type[CanonicalExtract], now: datetime
) -> int:
    old = (now - _ORPHAN_AGE).timestamp()
    candidates: dict[uuid.UUID, Path] = {}
    removed = 0
    for path in folder.iterdir() if folder.is_dir() else ():
        if not path.is_file() or path.stat().st_mtime > old:
            continue
        name = path.name.removeprefix(".").removesuffix(".part")
        try:
            file_id = uuid.UUID(hex=name)
        except ValueError:
            continue  # not ours: leave it alone
        if path.name.endswith(".part"):
            path.unlink(missing_ok=True)
            removed += 1
        else:
            candidates[file_id] = path
    ids = list(candidates)
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        live = set(
            model.objects.filter(pk__in=batch, deleted_at__isnull=True).values_list("pk", flat=True)
        )
        for file_id in set(batch) - live:
            candidates[file_id].unlink(missing_ok=True)
            removed += 1
    return removed
