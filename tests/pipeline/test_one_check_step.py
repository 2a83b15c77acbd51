"""The worker and the offline checker give the same findings on the same files.

Both call ``submissions.extract.check``; before that each read and validated on its own, and
they differed (file order, the ``NO_RECORDS`` finding). Each case uploads files, runs the
worker's check in-process and compares the stored report with ``check_extract --json`` run on
the same files: the same findings in the same order, the same formats and counts.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.core.management import call_command

from submissions import services
from submissions.models import Submission
from tests.pipeline.conftest import SAMPLE_FILES, SAMPLES

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 31)
FIELDS = ("code", "severity", "file", "location", "child_id", "field", "message")


def _worker(lead: Any, la: Any, paths: list[Path], as_of: date) -> Submission:
    """Upload ``paths`` as the web does, then check them as the worker does."""
    handles = [path.open("rb") for path in paths]
    try:
        submission = services.create_submission(
            local_authority=la,
            user=lead,
            as_of=as_of,
            uploads=[File(h, name=p.name) for h, p in zip(handles, paths, strict=True)],
        )
    finally:
        for handle in handles:
            handle.close()
    claimed = services.claim(submission.pk)
    assert claimed is not None
    return services.run_checks(claimed)


def _checker(paths: list[Path], as_of: date) -> dict[str, Any]:
    out = io.StringIO()
    with pytest.raises(SystemExit):  # every case here has errors: exit status 1 or 2
        call_command(
            "check_extract", "--json", "--la", "370", "--as-of", as_of.isoformat(),
            *map(str, paths), stdout=out,
        )  # fmt: skip
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def _assert_same(submission: Submission, document: dict[str, Any]) -> None:
    stored = [
        dict(zip(FIELDS, row, strict=True)) for row in submission.findings.values_list(*FIELDS)
    ]
    assert stored == document["findings"]
    assert submission.formats == document["formats"]
    errors = sum(f["severity"] == "error" for f in document["findings"])
    assert (submission.error_count, submission.query_count) == (errors, len(stored) - errors)


@pytest.fixture
def generated(tmp_path: Path) -> list[Path]:
    """A year of a small LA's extract with the generator's deliberate errors, in three
    formats (``generate_extracts`` without ``--clean``)."""
    folder = tmp_path / "generated"
    call_command(
        "generate_extracts", "--la", "370", "--from", "2025-04-01", "--to", AS_OF.isoformat(),
        "--size", "150", "--formats", "cin,903,api", "--out", str(folder), stdout=io.StringIO(),
    )  # fmt: skip
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_generated_extract_with_errors(barnsley: Any, lead: Any, generated: list[Path]) -> None:
    submission = _worker(lead, barnsley, generated, AS_OF)
    assert submission.error_count > 0
    assert submission.query_count > 0
    # Listed in another order than the portal reads them: the check step sets its own.
    _assert_same(submission, _checker(generated[::-1], AS_OF))


def test_the_sample_files(barnsley: Any, lead: Any) -> None:
    paths = [SAMPLES / name for name in SAMPLE_FILES]
    as_of = date(2024, 3, 31)
    submission = _worker(lead, barnsley, paths, as_of)
    assert submission.findings.exists()
    _assert_same(submission, _checker(paths, as_of))


def test_files_with_no_records(barnsley: Any, lead: Any, tmp_path: Path) -> None:
    """A header row and nothing else: no reader error, so the check step adds NO_RECORDS."""
    header = tmp_path / "header.csv"
    header.write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n")
    submission = _worker(lead, barnsley, [header], AS_OF)
    document = _checker([header], AS_OF)
    assert "NO_RECORDS" in [f["code"] for f in document["findings"]]
    _assert_same(submission, document)
