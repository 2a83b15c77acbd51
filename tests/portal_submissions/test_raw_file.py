"""Downloading an uploaded file: only users who may upload for the LA, decrypted as it
streams, audited, safely named, and 410 Gone once the retention period has deleted it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from submissions import storage
from submissions.models import Submission, SubmissionFile

pytestmark = pytest.mark.django_db

CONTENT = b"<Message>" + b"x" * (3 * storage.CHUNK_SIZE) + b"</Message>"


def stored(submission: Submission, name: str = "CIN_Census_2024.xml") -> SubmissionFile:
    return storage.store(SimpleUploadedFile(name, CONTENT), submission)


def url(file: SubmissionFile) -> str:
    return reverse("submissions:raw_file", args=[file.submission_id, file.id])


def test_a_lead_downloads_the_file_decrypted_streamed_and_audited(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    file = stored(submission)

    response = as_persona("lead").get(url(file))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response.getvalue() == CONTENT
    assert response["Content-Type"] == "application/octet-stream"
    event = AuditEvent.objects.get(action="export")
    assert event.organisation == "370"
    assert event.object_id == str(file.id)
    assert event.details == {"format": "raw"}


def test_the_download_is_named_from_our_values_never_the_users_file_name(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    file = stored(submission, 'x";..\\evil\r\n.csv')

    response = as_persona("lead").get(url(file))

    assert response["Content-Disposition"] == (
        f'attachment; filename="370-extract-2024-03-31-{file.id.hex[:8]}.csv"'
    )


def test_an_unexpected_extension_is_left_off(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    file = stored(submission, "notes.html")

    response = as_persona("lead").get(url(file))

    assert response["Content-Disposition"].endswith(f'{file.id.hex[:8]}"')


def test_a_viewer_may_not_download_raw_files(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    response = as_persona("viewer").get(url(stored(submission)))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_file_deleted_after_the_retention_period_is_gone(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    file = storage.delete(stored(submission))

    response = as_persona("lead").get(url(file))

    assert response.status_code == 410
    assert "This file has been deleted" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_files_of_a_submission_past_retention_are_gone(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    file = stored(submission)
    submission.raw_files_deleted_at = timezone.now()
    submission.save()

    assert as_persona("lead").get(url(file)).status_code == 410


def test_a_missing_blob_is_gone_not_a_broken_download(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    file = stored(submission)
    storage.blob_path(file).unlink()

    assert as_persona("lead").get(url(file)).status_code == 410
