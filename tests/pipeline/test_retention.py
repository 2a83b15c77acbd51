"""Raw files are deleted 30 days after a decision, with an audit event; newer submissions and
those still awaiting a decision keep theirs."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from portal.models import AuditAction, AuditEvent
from submissions import services, storage
from submissions.models import Submission
from tests.pipeline.conftest import set_checked, upload_samples
from workers.tasks import purge_raw_files

Status = Submission.Status
pytestmark = pytest.mark.django_db


def _decided(lead: Any, la: Any, status: str, days_ago: float) -> Submission:
    submission = set_checked(upload_samples(lead, la), status)
    when = timezone.now() - timedelta(days=days_ago)
    accepted = {"accepted_at": when} if status in (Status.ACCEPTED, Status.SUPERSEDED) else {}
    Submission.objects.filter(pk=submission.pk).update(status_changed_at=when, **accepted)
    submission.refresh_from_db()
    return submission


def _blobs_exist(submission: Submission) -> list[bool]:
    return [storage.blob_path(f).exists() for f in submission.files.all()]


@pytest.mark.parametrize(
    "status", [Status.ACCEPTED, Status.SUPERSEDED, Status.HAS_ERRORS, Status.FAILED]
)
def test_files_are_deleted_30_days_after_the_decision(
    barnsley: Any, lead: Any, status: str
) -> None:
    old = _decided(lead, barnsley, status, days_ago=31)

    assert purge_raw_files() == 1

    old.refresh_from_db()
    assert old.raw_files_deleted_at is not None
    assert _blobs_exist(old) == [False, False, False]
    for file in old.files.all():
        assert file.deleted_at is not None
        assert bytes(file.wrapped_key) == b""
    event = AuditEvent.objects.get(action=AuditAction.FILE_DELETED)
    assert (event.object_id, event.organisation, event.actor_id) == (str(old.pk), "370", None)
    assert event.details == {
        "reason": "retention period ended",
        "retention_days": 30,
        "file_count": 3,
        "total_bytes": sum(f.size for f in old.files.all()),
    }


def test_newer_and_undecided_submissions_keep_their_files(barnsley: Any, lead: Any) -> None:
    recent = _decided(lead, barnsley, Status.ACCEPTED, days_ago=29)
    recent_errors = _decided(lead, barnsley, Status.HAS_ERRORS, days_ago=29)
    waiting = _decided(lead, barnsley, Status.READY, days_ago=90)  # no decision yet
    working = _decided(lead, barnsley, Status.VALIDATING, days_ago=90)

    assert purge_raw_files() == 0

    for submission in (recent, recent_errors, waiting, working):
        submission.refresh_from_db()
        assert submission.raw_files_deleted_at is None
        assert _blobs_exist(submission) == [True, True, True]
    assert not AuditEvent.objects.filter(action=AuditAction.FILE_DELETED).exists()


def test_the_retention_period_is_configurable(barnsley: Any, lead: Any, settings: Any) -> None:
    settings.RAW_FILE_RETENTION_DAYS = 7
    _decided(lead, barnsley, Status.HAS_ERRORS, days_ago=8)

    assert services.purge_raw_files(timezone.now()) == 1


def test_purging_twice_deletes_once(barnsley: Any, lead: Any) -> None:
    _decided(lead, barnsley, Status.ACCEPTED, days_ago=31)

    assert purge_raw_files() == 1
    assert purge_raw_files() == 0
    assert AuditEvent.objects.filter(action=AuditAction.FILE_DELETED).count() == 1


def test_orphaned_blobs_are_removed_after_a_day(barnsley: Any, lead: Any, upload_dir: Path) -> None:
    live = upload_samples(lead, barnsley)
    old, fresh, part = (upload_dir / uuid.uuid4().hex, upload_dir / uuid.uuid4().hex,
                        upload_dir / f".{uuid.uuid4().hex}.part")  # fmt: skip
    foreign = upload_dir / "README"
    for path in (old, fresh, part, foreign):
        path.write_bytes(b"ciphertext")
    two_days_ago = time.time() - 2 * 86400
    for path in (old, part, foreign, *(storage.blob_path(f) for f in live.files.all())):
        os.utime(path, (two_days_ago, two_days_ago))

    purge_raw_files()

    assert (old.exists(), part.exists(), fresh.exists(), foreign.exists()) == (
        False, False, True, True,
    )  # fmt: skip
    assert _blobs_exist(live) == [True, True, True]
