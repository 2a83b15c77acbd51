"""The stored canonical extract: a check stores the tables it validated once, encrypted; the
indicators and their recomputation read it, also after the raw files are purged."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from indicators import services as indicator_services
from indicators.models import IndicatorBreakdown, IndicatorValue
from portal.models import AuditAction, AuditEvent
from submissions import services, storage
from submissions.extract import check, stored
from submissions.models import CanonicalExtract, Submission
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_extract
from tests.extract.test_stored import assert_same
from tests.pipeline.conftest import (
    AS_OF,
    LARGE_AS_OF,
    SAMPLE_FILES,
    SAMPLES,
    set_checked,
    upload_paths,
    upload_samples,
)
from workers.tasks import purge_raw_files

Status = Submission.Status
pytestmark = pytest.mark.django_db


def _checked(submission: Submission) -> Submission:
    claimed = services.claim(submission)
    assert claimed is not None
    return services.run_checks(claimed)


def _canonical_blobs(upload_dir: Path) -> list[Path]:
    folder = upload_dir / storage.CANONICAL_FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


def _sample_extract() -> Any:
    return check.read([(n, SAMPLES / n) for n in SAMPLE_FILES], la_code="370", as_of=AS_OF)


def _values(model: Any) -> list[tuple[Any, ...]]:
    fields = [f.name for f in model._meta.fields if f.name not in ("id",)]
    return sorted(model.objects.values_list(*fields))


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    fields = [f.attname for f in rows[0]._meta.fields if f.name != "id"] if rows else []
    return sorted(tuple(getattr(row, f) for f in fields) for row in rows)


@pytest.fixture
def generated_paths(tmp_path: Path) -> list[Path]:
    """A small generated extract (CIN census and 903 CSVs), as an LA would upload it."""
    extract = generate("370", date(2024, 4, 1), LARGE_AS_OF, children=300, seed=11)
    paths = write_extract(extract, tmp_path / "generated", ["cin", "903"])
    return [path for group in paths.values() for path in group]


def test_a_check_stores_one_encrypted_extract(barnsley: Any, lead: Any, upload_dir: Path) -> None:
    submission = _checked(upload_samples(lead, barnsley))

    blob = CanonicalExtract.objects.get(submission=submission)
    assert _canonical_blobs(upload_dir) == [storage.blob_path(blob)]
    assert blob.deleted_at is None
    assert blob.format_version == stored.VERSION
    ciphertext = storage.blob_path(blob).read_bytes()
    assert len(ciphertext) > blob.size
    # Not plaintext: no child's id, no Parquet or zip structure.
    expected = _sample_extract()
    child_id = str(expected.tables["child"]["child_id"].dropna().iloc[0])
    for marker in (child_id.encode(), b"PAR1", b"manifest.json", b"PK\x03\x04"):
        assert marker not in ciphertext
    # What is stored is exactly what the check read, and what it counted.
    loaded = services.load_extract(submission)
    assert_same(expected, loaded)
    assert {n: len(t) for n, t in loaded.tables.items()} == submission.row_counts


def test_a_stale_worker_stores_nothing(
    barnsley: Any, lead: Any, upload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = upload_samples(lead, barnsley)
    claimed = services.claim(submission)
    assert claimed is not None
    seal = services._seal_extract

    def seal_then_lose_the_claim(*args: Any) -> CanonicalExtract:
        blob = seal(*args)
        # Meanwhile the reconciler judged this worker dead and another worker claimed it.
        Submission.objects.filter(pk=submission.pk).update(attempts=F("attempts") + 1)
        return blob

    monkeypatch.setattr(services, "_seal_extract", seal_then_lose_the_claim)

    with pytest.raises(services.ClaimLost):
        services.run_checks(claimed)

    assert not CanonicalExtract.objects.exists()
    assert _canonical_blobs(upload_dir) == []
    assert not submission.findings.exists()


def test_indicators_from_the_stored_extract_equal_those_from_the_raw_files(
    barnsley: Any, lead: Any, generated_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = _checked(upload_paths(lead, barnsley, generated_paths))
    submission = services.accept(set_checked(submission, Status.READY), lead)
    assert CanonicalExtract.objects.filter(submission=submission).exists()

    with monkeypatch.context() as patch:
        # The stored extract alone: the raw files are not even decrypted.
        patch.setattr(storage, "decrypt_to", pytest.fail)
        from_stored = indicator_services.indicator_rows(submission)
    CanonicalExtract.objects.filter(submission=submission).delete()
    from_raw = indicator_services.indicator_rows(submission)  # before extracts were stored

    assert from_stored[0]
    assert from_stored[1]
    assert _rows(from_stored[0]) == _rows(from_raw[0])
    assert _rows(from_stored[1]) == _rows(from_raw[1])


def test_a_figure_is_recomputed_from_the_stored_extract_after_the_raw_files_are_purged(
    barnsley: Any, lead: Any, upload_dir: Path
) -> None:
    submission = _checked(upload_samples(lead, barnsley))
    submission = services.accept(set_checked(submission, Status.READY), lead)
    assert indicator_services.compute_and_store_indicators(submission)
    values, breakdowns = _values(IndicatorValue), _values(IndicatorBreakdown)
    assert values

    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        assert purge_raw_files() == 1
        submission.refresh_from_db()
        assert submission.raw_files_deleted_at is not None
        assert not any(storage.blob_path(f).exists() for f in submission.files.all())
        IndicatorValue.objects.all().delete()  # a definition changed: the old figures go
        IndicatorBreakdown.objects.all().delete()

        out = io.StringIO()
        call_command("recompute_indicators", "--la", "370", stdout=out)

    assert f"370 Barnsley: submission {submission.pk}: recomputed" in out.getvalue()
    assert _values(IndicatorValue) == values
    assert _values(IndicatorBreakdown) == breakdowns
    submission.refresh_from_db()
    assert submission.indicators_lease_expires_at is None
    assert CanonicalExtract.objects.get(submission=submission).deleted_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.CANONICAL_DELETED).exists()


def test_a_first_computation_after_the_raw_files_are_purged_reads_the_stored_extract(
    barnsley: Any, lead: Any
) -> None:
    submission = _checked(upload_samples(lead, barnsley))
    submission = services.accept(set_checked(submission, Status.READY), lead)
    for file in submission.files.all():
        storage.delete(file)
    Submission.objects.filter(pk=submission.pk).update(raw_files_deleted_at=timezone.now())

    assert indicator_services.compute_and_store_indicators(submission)
    assert IndicatorValue.objects.filter(submission=submission).exists()


def test_recompute_replaces_only_current_figures_and_says_what_it_did(
    barnsley: Any, lead: Any
) -> None:
    older = _checked(upload_samples(lead, barnsley))
    older = services.accept(set_checked(older, Status.READY), lead)
    assert indicator_services.compute_and_store_indicators(older)
    newer = services.accept(set_checked(upload_samples(lead, barnsley), Status.READY), lead)
    out = io.StringIO()

    # The newer one's first computation is still the worker's: skipped, nothing changed.
    call_command("recompute_indicators", stdout=out)

    assert f"370 Barnsley: submission {newer.pk}: skipped" in out.getvalue()
    assert "0 recomputed, 1 skipped, 0 failed" in out.getvalue()
    assert set(IndicatorValue.objects.values_list("submission", flat=True)) == {older.pk}


def test_recompute_fails_loudly_when_nothing_is_left_to_read(barnsley: Any, lead: Any) -> None:
    # Checked before extracts were stored, and its raw files are gone.
    submission = services.accept(set_checked(upload_samples(lead, barnsley), Status.READY), lead)
    assert indicator_services.compute_and_store_indicators(submission)
    computed_at = Submission.objects.get(pk=submission.pk).indicators_computed_at
    for file in submission.files.all():
        storage.delete(file)
    Submission.objects.filter(pk=submission.pk).update(raw_files_deleted_at=timezone.now())
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("recompute_indicators", stdout=io.StringIO(), stderr=err)

    assert "failed (no stored extract" in err.getvalue()
    submission.refresh_from_db()
    assert submission.indicators_computed_at == computed_at  # figures as they were
    assert submission.indicators_lease_expires_at is None


def test_recompute_refuses_an_unknown_la(reference_data: None) -> None:
    with pytest.raises(CommandError, match="999"):
        call_command("recompute_indicators", "--la", "999")


def test_a_computation_whose_extract_went_meanwhile_fails_as_files_gone(
    barnsley: Any, lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import tasks

    submission = _checked(upload_samples(lead, barnsley))
    submission = services.accept(set_checked(submission, Status.READY), lead)
    claim = indicator_services.claim_indicators

    def claim_then_purge(*args: Any) -> Submission | None:
        claimed = claim(*args)
        # Between the claim and the read, the extract and the raw files are deleted.
        storage.delete(CanonicalExtract.objects.get(submission=submission))
        for file in submission.files.all():
            storage.delete(file)
        return claimed

    monkeypatch.setattr(indicator_services, "claim_indicators", claim_then_purge)

    assert tasks.compute_indicators(str(submission.pk)) == "failed"

    submission.refresh_from_db()
    assert submission.indicators_failure_reason == indicator_services.INDICATORS_FILES_GONE


def test_a_second_check_replaces_the_stored_extract(
    barnsley: Any, lead: Any, upload_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    # Not reachable through claim (a checked submission is never claimed again), but if a
    # check ever ran twice, one extract would remain: the newer.
    submission = _checked(upload_samples(lead, barnsley))
    first = CanonicalExtract.objects.get(submission=submission)
    Submission.objects.filter(pk=submission.pk).update(status=Status.RECEIVED)

    with django_capture_on_commit_callbacks(execute=True):
        _checked(submission)

    assert CanonicalExtract.objects.get(submission=submission).pk != first.pk
    assert len(_canonical_blobs(upload_dir)) == 1
