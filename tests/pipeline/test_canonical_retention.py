"""Stored canonical extracts follow their retention rule, with the clock moved: the LA's
accepted submission's is kept however old; a superseded one's goes CANONICAL_RETENTION_DAYS
(90) after it was superseded; one with errors, or failed, goes with its raw files. Each
deletion is audited once, and purging again deletes nothing."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from portal.models import AuditAction, AuditEvent
from submissions import services, storage
from submissions.models import CanonicalExtract, Submission
from tests.pipeline.conftest import set_checked, upload_samples
from workers.tasks import purge_canonical_extracts, purge_raw_files

Status = Submission.Status
pytestmark = pytest.mark.django_db


def _checked(lead: Any, la: Any, status: str) -> Submission:
    """A submission checked for real (so its extract is stored), then put in ``status``."""
    claimed = services.claim(upload_samples(lead, la))
    assert claimed is not None
    services.run_checks(claimed)
    return set_checked(claimed, status)


def _accepted(lead: Any, la: Any) -> Submission:
    return services.accept(_checked(lead, la, Status.READY), lead)


def _kept(submission: Submission) -> bool:
    blob = CanonicalExtract.objects.get(submission=submission)
    return blob.deleted_at is None and storage.blob_path(blob).exists()


def _deleted(submission: Submission) -> bool:
    blob = CanonicalExtract.objects.get(submission=submission)
    return (
        blob.deleted_at is not None
        and bytes(blob.wrapped_key) == b""
        and not storage.blob_path(blob).exists()
    )


def _purge_all(when: datetime) -> tuple[int, int]:
    with time_machine.travel(when, tick=False):
        return purge_raw_files(), purge_canonical_extracts()


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.CANONICAL_DELETED))


def test_the_current_accepted_extract_is_kept_however_old(barnsley: Any, lead: Any) -> None:
    current = _accepted(lead, barnsley)

    raw, canonical = _purge_all(timezone.now() + timedelta(days=3650))

    assert (raw, canonical) == (1, 0)  # its raw files go after 30 days; the extract stays
    assert _kept(current)
    assert _events() == []


def test_a_superseded_extract_is_deleted_90_days_after_it_was_superseded(
    barnsley: Any, lead: Any
) -> None:
    older = _accepted(lead, barnsley)
    newer = _accepted(lead, barnsley)
    older.refresh_from_db()
    assert older.status == Status.SUPERSEDED
    superseded_at = older.status_changed_at

    assert _purge_all(superseded_at + timedelta(days=89))[1] == 0
    assert _purge_all(superseded_at + timedelta(days=90))[1] == 0  # 90 full days are kept
    assert _kept(older)
    assert _events() == []

    assert _purge_all(superseded_at + timedelta(days=90, minutes=1))[1] == 1

    assert _deleted(older)
    assert _kept(newer)
    (event,) = _events()
    blob = CanonicalExtract.objects.get(submission=older)
    assert (event.object_id, event.organisation, event.actor_id) == (str(older.pk), "370", None)
    assert event.details == {
        "reason": "superseded, retention period ended",
        "status": "superseded",
        "retention_days": 90,
        "extract_id": str(blob.pk),
        "total_bytes": blob.size,
    }
    # Idempotent: a second run, or a later one, deletes and audits nothing more.
    assert _purge_all(superseded_at + timedelta(days=91))[1] == 0
    assert _purge_all(superseded_at + timedelta(days=400))[1] == 0
    assert len(_events()) == 1


def test_the_superseded_retention_is_configurable(barnsley: Any, lead: Any, settings: Any) -> None:
    settings.CANONICAL_RETENTION_DAYS = 7
    older = _accepted(lead, barnsley)
    _accepted(lead, barnsley)

    assert _purge_all(timezone.now() + timedelta(days=8))[1] == 1
    assert _deleted(older)
    assert _events()[0].details["retention_days"] == 7


@pytest.mark.parametrize("status", [Status.HAS_ERRORS, Status.FAILED])
def test_an_extract_with_errors_or_failed_goes_with_its_raw_files(
    barnsley: Any, lead: Any, status: str
) -> None:
    rejected = _checked(lead, barnsley, status)
    decided_at = rejected.status_changed_at

    assert _purge_all(decided_at + timedelta(days=29)) == (0, 0)
    assert _kept(rejected)

    assert _purge_all(decided_at + timedelta(days=31)) == (1, 0)  # both in the raw purge

    rejected.refresh_from_db()
    assert rejected.raw_files_deleted_at is not None
    assert _deleted(rejected)
    (event,) = _events()
    assert event.details["reason"] == "raw files deleted"
    assert event.details["status"] == str(status)
    assert event.details["retention_days"] == 30
    assert AuditEvent.objects.filter(action=AuditAction.FILE_DELETED).count() == 1
    assert _purge_all(decided_at + timedelta(days=365)) == (0, 0)
    assert len(_events()) == 1


def test_one_left_behind_by_an_earlier_raw_purge_is_caught_up(barnsley: Any, lead: Any) -> None:
    rejected = _checked(lead, barnsley, Status.HAS_ERRORS)
    Submission.objects.filter(pk=rejected.pk).update(raw_files_deleted_at=timezone.now())

    assert services.purge_canonical_extracts(timezone.now()) == 1
    assert _deleted(rejected)
    assert len(_events()) == 1


def test_an_extract_awaiting_a_decision_is_kept_with_its_raw_files(
    barnsley: Any, lead: Any
) -> None:
    waiting = _checked(lead, barnsley, Status.READY)

    assert _purge_all(timezone.now() + timedelta(days=3650)) == (0, 0)
    assert _kept(waiting)


def test_orphaned_extract_blobs_are_removed_after_a_day(
    barnsley: Any, lead: Any, upload_dir: Path
) -> None:
    live = _accepted(lead, barnsley)
    folder = upload_dir / storage.CANONICAL_FOLDER
    orphan, fresh = folder / uuid.uuid4().hex, folder / uuid.uuid4().hex
    for path in (orphan, fresh):
        path.write_bytes(b"ciphertext")
    two_days_ago = time.time() - 2 * 86400
    for path in (orphan, storage.blob_path(CanonicalExtract.objects.get(submission=live))):
        os.utime(path, (two_days_ago, two_days_ago))

    services.purge_raw_files(timezone.now())

    assert (orphan.exists(), fresh.exists()) == (False, True)
    assert _kept(live)


def test_the_privacy_notice_states_the_retention_periods(client: Any, settings: Any) -> None:
    page = client.get("/privacy/").content.decode()

    assert (settings.RAW_FILE_RETENTION_DAYS, settings.CANONICAL_RETENTION_DAYS) == (30, 90)
    assert "stored extract" in page
    assert "deleted 90 days after it was replaced" in page
    assert "deleted with its uploaded files, 30 days after that outcome" in page


def test_the_purge_is_on_the_beat_schedule_on_the_housekeeping_queue(settings: Any) -> None:
    from workers.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "workers.purge_canonical_extracts" in tasks
    assert settings.CELERY_TASK_ROUTES["workers.purge_canonical_extracts"] == {
        "queue": "housekeeping"
    }
