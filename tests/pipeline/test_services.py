"""The guarded state machine: each transition from the states that allow it, refused from the
others; uploads stored whole or not at all; results written idempotently."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from indicators import services as indicator_services
from indicators.models import IndicatorBreakdown, IndicatorValue
from portal.models import AuditAction, AuditEvent, AuditOutcome
from submissions import services, storage
from submissions.models import QueryExplanation, Submission, SubmissionFile, ValidationFinding
from tests.pipeline.conftest import SAMPLE_FILES, set_checked, upload_samples

Status = Submission.Status
pytestmark = pytest.mark.django_db


# --- create_submission -----------------------------------------------------------------------


def test_an_upload_is_stored_encrypted_as_a_received_submission(
    barnsley: Any, lead: Any, upload_dir: Path
) -> None:
    submission = upload_samples(lead, barnsley)

    assert submission.status == Status.RECEIVED
    assert submission.created_by == lead
    files = list(submission.files.all())
    assert sorted(f.display_name for f in files) == sorted(SAMPLE_FILES)
    assert sorted(p.name for p in upload_dir.iterdir()) == sorted(f.id.hex for f in files)
    event = AuditEvent.objects.get(action=AuditAction.UPLOAD)
    assert event.outcome == AuditOutcome.SUCCESS
    assert event.object_id == str(submission.pk)
    assert event.organisation == "370"
    assert event.details["file_count"] == 3
    assert event.details["total_bytes"] == sum(f.size for f in files)


def test_a_refused_upload_stores_nothing_and_is_audited(
    barnsley: Any, lead: Any, upload_dir: Path
) -> None:
    uploads = [SimpleUploadedFile("header.csv", b"CHILD\n1\n"), SimpleUploadedFile("e.csv", b"")]

    with pytest.raises(ValidationError, match=r"The file e\.csv is empty"):
        upload_samples(lead, barnsley, uploads=uploads)

    assert not Submission.objects.exists()
    assert list(upload_dir.iterdir()) == []
    event = AuditEvent.objects.get(action=AuditAction.UPLOAD)
    assert (event.outcome, event.details["refused"]) == (AuditOutcome.FAILURE, ["empty"])


def test_an_upload_that_fails_half_way_leaves_no_blobs(
    barnsley: Any, lead: Any, upload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.audit, "record", broken_audit)

    with pytest.raises(RuntimeError):
        upload_samples(lead, barnsley)

    assert not Submission.objects.exists()
    assert not SubmissionFile.objects.exists()
    assert list(upload_dir.iterdir()) == []


def test_only_the_las_data_lead_may_upload(barnsley: Any, personas: dict[str, Any]) -> None:
    for name in ("other_lead", "viewer", "analyst"):
        with pytest.raises(PermissionDenied):
            upload_samples(personas[name], barnsley)
    assert not Submission.objects.exists()


def test_the_completeness_date_must_come_before_the_extract_date(barnsley: Any, lead: Any) -> None:
    with pytest.raises(ValidationError, match="must be before the extract date"):
        upload_samples(lead, barnsley, coverage_start=date(2024, 3, 31))


# --- run_checks ------------------------------------------------------------------------------


def test_checking_saves_the_report_and_its_counts(barnsley: Any, lead: Any) -> None:
    submission = services.claim(upload_samples(lead, barnsley).pk)
    assert submission is not None

    checked = services.run_checks(submission)

    # The samples come from LA 201 and break CIN and 903 rules: errors, so HAS_ERRORS.
    assert checked.status == Status.HAS_ERRORS
    assert (checked.progress, checked.progress_message) == (100, "")
    findings = checked.findings.all()
    assert checked.error_count == findings.filter(severity="error").count() > 0
    assert checked.query_count == findings.filter(severity="query").count()
    assert findings.filter(code="LA_MISMATCH").exists()
    assert set(checked.formats) == {"cin_census_xml", "ssda903_csv"}
    assert checked.row_counts["child"] > 0
    assert checked.validated_at is not None


def test_checking_twice_gives_the_same_findings(barnsley: Any, lead: Any) -> None:
    submission = upload_samples(lead, barnsley)
    claimed = services.claim(submission.pk)
    assert claimed is not None
    first = services.run_checks(claimed)
    first_rows = list(first.findings.values_list("code", "file", "location", "message"))

    # As if the reconciler re-queued it: back to RECEIVED, claimed and checked again.
    Submission.objects.filter(pk=submission.pk).update(status=Status.RECEIVED)
    again = services.claim(submission.pk)
    assert again is not None
    second = services.run_checks(again)

    assert second.attempts == 2
    second_rows = list(second.findings.values_list("code", "file", "location", "message"))
    assert sorted(second_rows) == sorted(first_rows)
    assert ValidationFinding.objects.count() == len(first_rows)


def test_a_stale_worker_cannot_overwrite_a_newer_claim(barnsley: Any, lead: Any) -> None:
    submission = upload_samples(lead, barnsley)
    stale = services.claim(submission.pk)
    assert stale is not None
    # The reconciler judged the first worker dead; another worker claimed and finished it.
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RECEIVED, status_changed_at=timezone.now() - timedelta(hours=1)
    )
    fresh = services.claim(submission.pk)
    assert fresh is not None
    services.run_checks(fresh)
    findings = ValidationFinding.objects.count()

    with pytest.raises(services.ClaimLost):
        services.run_checks(stale)

    submission.refresh_from_db()
    assert submission.status == Status.HAS_ERRORS
    assert submission.attempts == 2
    assert ValidationFinding.objects.count() == findings


# --- fail and release ------------------------------------------------------------------------


def test_a_claimed_submission_can_be_failed_with_a_reason(barnsley: Any, lead: Any) -> None:
    submission = services.claim(upload_samples(lead, barnsley).pk)
    assert submission is not None

    failed = services.fail(submission, services.SERVICE_FAULT)

    assert failed.status == Status.FAILED
    assert failed.failure_reason.startswith("Something went wrong in the service")


@pytest.mark.parametrize("status", [Status.READY, Status.HAS_ERRORS, Status.ACCEPTED])
def test_a_finished_submission_cannot_be_failed(barnsley: Any, lead: Any, status: str) -> None:
    submission = set_checked(upload_samples(lead, barnsley), status)

    assert services.fail(submission, "no").status == status


def test_failing_with_a_stale_claim_does_nothing(barnsley: Any, lead: Any) -> None:
    stale = services.claim(upload_samples(lead, barnsley).pk)
    assert stale is not None
    Submission.objects.filter(pk=stale.pk).update(attempts=2)  # claimed again since

    assert services.fail(stale, "no").status == Status.CHECKING


def test_a_submission_is_released_for_a_retry_after_a_transient_error(
    barnsley: Any, lead: Any
) -> None:
    submission = services.claim(upload_samples(lead, barnsley).pk)
    assert submission is not None

    assert services.release(submission)

    submission.refresh_from_db()
    assert (submission.status, submission.attempts) == (Status.RECEIVED, 1)
    assert not services.release(submission), "only a claim that is still ours is released"
    assert services.claim(submission.pk) is not None


# --- accept ----------------------------------------------------------------------------------


def test_accepting_a_ready_submission_records_who_accepted(barnsley: Any, lead: Any) -> None:
    submission = set_checked(upload_samples(lead, barnsley), Status.READY, queries=2)

    accepted = services.accept(submission, lead)

    assert accepted.status == Status.ACCEPTED
    assert accepted.accepted_by == lead
    assert accepted.accepted_at is not None
    event = AuditEvent.objects.get(action=AuditAction.SUBMISSION_DECISION)
    assert event.details == {
        "decision": "accepted",
        "query_count": 2,
        "explained_rules": 0,
        "superseded": [],
    }


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.RECEIVED, "still being checked"),
        (Status.CHECKING, "still being checked"),
        (Status.VALIDATING, "still being checked"),
        (Status.HAS_ERRORS, "has 1 errors. Fix them in your system"),
        (Status.FAILED, "could not be checked"),
        (Status.ACCEPTED, "already been accepted"),
        (Status.SUPERSEDED, "A newer submission has replaced this one"),
    ],
)
def test_accepting_is_refused_unless_ready(
    barnsley: Any, lead: Any, status: str, message: str
) -> None:
    submission = set_checked(upload_samples(lead, barnsley), status, errors=1)

    with pytest.raises(services.NotAllowed, match=message):
        services.accept(submission, lead)

    submission.refresh_from_db()
    assert submission.status == status
    assert not AuditEvent.objects.filter(action=AuditAction.SUBMISSION_DECISION).exists()


def test_accepting_is_refused_while_error_findings_remain(barnsley: Any, lead: Any) -> None:
    submission = set_checked(upload_samples(lead, barnsley), Status.READY, errors=1)
    Submission.objects.filter(pk=submission.pk).update(error_count=0)

    with pytest.raises(services.NotAllowed):
        services.accept(submission, lead)


@pytest.mark.parametrize("persona", ["viewer", "other_lead", "analyst"])
def test_only_the_las_data_lead_may_accept(
    barnsley: Any, personas: dict[str, Any], persona: str
) -> None:
    submission = set_checked(upload_samples(personas["lead"], barnsley), Status.READY)

    with pytest.raises(PermissionDenied):
        services.accept(submission, personas[persona])


def test_accepting_supersedes_the_las_previous_accepted_submission(
    barnsley: Any, lead: Any
) -> None:
    older = services.accept(set_checked(upload_samples(lead, barnsley), Status.READY), lead)
    newer = set_checked(upload_samples(lead, barnsley), Status.READY)

    services.accept(newer, lead)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, older.superseded_by) == (Status.SUPERSEDED, newer)
    assert newer.status == Status.ACCEPTED
    assert Submission.objects.count() == 2, "both are kept"
    latest = AuditEvent.objects.filter(action=AuditAction.SUBMISSION_DECISION).order_by("id").last()
    assert latest is not None
    assert latest.details["superseded"] == [str(older.pk)]


def test_another_las_accepted_submission_is_not_superseded(
    barnsley: Any, personas: dict[str, Any]
) -> None:
    from portal.models import LocalAuthority

    leeds = LocalAuthority.objects.get(code="383")
    theirs = set_checked(upload_samples(personas["other_lead"], leeds), Status.READY)
    services.accept(theirs, personas["other_lead"])

    services.accept(set_checked(upload_samples(personas["lead"], barnsley), Status.READY),
                    personas["lead"])  # fmt: skip

    theirs.refresh_from_db()
    assert theirs.status == Status.ACCEPTED


# --- explain_query ---------------------------------------------------------------------------


def test_a_query_can_be_explained_and_the_note_replaced(barnsley: Any, lead: Any) -> None:
    submission = set_checked(upload_samples(lead, barnsley), Status.READY, queries=3)

    services.explain_query(submission, "8897Q", "Closed in the new system.", lead)
    explanation = services.explain_query(submission, "8897Q", "  Migrated records.  ", lead)

    assert QueryExplanation.objects.get() == explanation
    assert (explanation.note, explanation.explained_by) == ("Migrated records.", lead)
    decisions = AuditEvent.objects.filter(action=AuditAction.SUBMISSION_DECISION).order_by("id")
    assert [e.details for e in decisions] == [
        {"decision": "query_explained", "code": "8897Q"},
        {"decision": "query_explanation_changed", "code": "8897Q"},
    ]
    assert "Migrated" not in str([e.details for e in decisions]), "notes stay out of the audit"


@pytest.mark.parametrize(
    ("code", "status", "note", "message"),
    [
        ("100", Status.READY, "note", "no queries for rule 100"),  # an error, not a query
        ("8675Q", Status.READY, "note", "no queries for rule 8675Q"),
        ("8897Q", Status.ACCEPTED, "note", "before the submission is accepted"),
        ("8897Q", Status.VALIDATING, "note", "once checking has finished"),
        ("8897Q", Status.READY, "   ", "Write a note"),
        ("8897Q", Status.READY, "x" * 2001, "2,000 characters or fewer"),
    ],
)
def test_explaining_is_refused_where_it_makes_no_sense(
    barnsley: Any, lead: Any, code: str, status: str, note: str, message: str
) -> None:
    submission = set_checked(upload_samples(lead, barnsley), status, errors=1, queries=1)

    with pytest.raises(ValidationError, match=message):
        services.explain_query(submission, code, note, lead)

    assert not QueryExplanation.objects.exists()


def test_only_the_las_data_lead_may_explain(barnsley: Any, personas: dict[str, Any]) -> None:
    submission = set_checked(upload_samples(personas["lead"], barnsley), Status.READY, queries=1)

    with pytest.raises(PermissionDenied):
        services.explain_query(submission, "8897Q", "note", personas["viewer"])


# --- indicators ------------------------------------------------------------------------------


def _accepted(lead: Any, la: Any) -> Submission:
    return services.accept(set_checked(upload_samples(lead, la), Status.READY), lead)


def _stored(model: Any) -> list[tuple[Any, ...]]:
    fields = [f.name for f in model._meta.fields if f.name not in ("id", "submission")]
    return sorted(model.objects.values_list(*fields))


def test_indicators_are_computed_for_the_accepted_submission(barnsley: Any, lead: Any) -> None:
    submission = _accepted(lead, barnsley)

    assert indicator_services.compute_and_store_indicators(submission)

    submission.refresh_from_db()
    assert submission.indicators_computed_at is not None
    values = IndicatorValue.objects.filter(local_authority=barnsley, submission=submission)
    assert values.count() > 0
    assert IndicatorBreakdown.objects.filter(submission=submission).count() > 0


def test_computing_twice_gives_the_same_rows(barnsley: Any, lead: Any) -> None:
    submission = _accepted(lead, barnsley)
    indicator_services.compute_and_store_indicators(submission)
    values, breakdowns = _stored(IndicatorValue), _stored(IndicatorBreakdown)

    indicator_services.compute_and_store_indicators(submission.pk)

    assert _stored(IndicatorValue) == values
    assert _stored(IndicatorBreakdown) == breakdowns


def test_a_newer_accepted_submission_replaces_the_las_values(barnsley: Any, lead: Any) -> None:
    older = _accepted(lead, barnsley)
    indicator_services.compute_and_store_indicators(older)
    count = IndicatorValue.objects.count()
    newer = _accepted(lead, barnsley)

    # The older one's task arrives late (a redelivery): it is superseded, so it writes nothing.
    assert not indicator_services.compute_and_store_indicators(older)
    assert indicator_services.compute_and_store_indicators(newer)

    assert set(IndicatorValue.objects.values_list("submission", flat=True)) == {newer.pk}
    assert set(IndicatorBreakdown.objects.values_list("submission", flat=True)) == {newer.pk}
    assert IndicatorValue.objects.count() == count


@pytest.mark.parametrize("status", [Status.READY, Status.HAS_ERRORS, Status.RECEIVED])
def test_indicators_are_only_computed_for_accepted_submissions(
    barnsley: Any, lead: Any, status: str
) -> None:
    submission = set_checked(upload_samples(lead, barnsley), status)

    assert not indicator_services.compute_and_store_indicators(submission)
    assert not IndicatorValue.objects.exists()


def test_indicators_are_not_computed_once_the_raw_files_are_deleted(
    barnsley: Any, lead: Any
) -> None:
    submission = _accepted(lead, barnsley)
    for file in submission.files.all():
        storage.delete(file)
    Submission.objects.filter(pk=submission.pk).update(raw_files_deleted_at=timezone.now())

    assert not indicator_services.compute_and_store_indicators(submission)
