"""The worker stores the rules a check could not apply with the submission, as the offline
checker lists them, and the data-quality summary counts them."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.core.management import call_command

from portal.models import LocalAuthority
from submissions import services
from submissions.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_payload(tmp_path: Path) -> Path:
    """A small clean API payload from the generator."""
    folder = tmp_path / "generated"
    call_command(
        "generate_extracts", "--la", "370", "--from", "2025-04-01", "--to", "2026-03-31",
        "--size", "150", "--clean", "--formats", "api", "--out", str(folder),
        stdout=io.StringIO(),
    )  # fmt: skip
    [path] = folder.glob("*.json")
    return path


def test_the_worker_stores_the_rules_not_applicable(
    personas: dict[str, Any], api_payload: Path
) -> None:
    lead = personas["lead"]
    with api_payload.open("rb") as handle:
        submission = services.create_submission(
            local_authority=LocalAuthority.objects.get(code="370"),
            user=lead,
            as_of=date(2026, 3, 31),
            uploads=[File(handle, name=api_payload.name)],
        )
    claimed = services.claim(submission.pk)
    assert claimed is not None
    checked = services.run_checks(claimed)

    stored = Submission.objects.get(pk=checked.pk).not_applicable_rules
    codes = [rule["code"] for rule in stored]
    assert "8610" in codes
    assert set(stored[0]) == {"code", "message", "missing", "reason"}

    out = io.StringIO()
    # The same options as the upload; the exit status is not what this test is about.
    with contextlib.suppress(SystemExit):
        call_command(
            "check_extract", "--json", "--la", "370", "--as-of", "2026-03-31",
            str(api_payload), stdout=out,
        )  # fmt: skip
    assert json.loads(out.getvalue())["not_applicable"] == stored
    assert services.quality_summary(checked).not_applicable == len(stored)
