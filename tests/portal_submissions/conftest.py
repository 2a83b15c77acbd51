"""Fixtures for the submission page tests: a Barnsley submission with files and findings, and
a client per persona."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from submissions.models import Submission
from tests.portal_submissions.factories import add_findings, make_file, make_submission


@pytest.fixture(autouse=True)
def _upload_dir(settings: Any, tmp_path: Path) -> None:
    """Encrypted uploads go to this test's own folder, not the project's."""
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def as_persona(personas: dict[str, Any]) -> Callable[[str], Client]:
    """A test client signed in as the named persona (see ``tests/conftest.py``)."""

    def client_for(name: str) -> Client:
        client = Client()
        client.force_login(personas[name])
        return client

    return client_for


@pytest.fixture
def submission(personas: dict[str, Any]) -> Submission:
    """Barnsley's extract, checked: one file, two errors of rule 100 and three queries of
    rule 8675Q."""
    sub = make_submission("370", Submission.Status.HAS_ERRORS, created_by=personas["lead"])
    make_file(sub)
    add_findings(sub, "100", count=2)
    add_findings(sub, "8675Q", "query", count=3, message="S47 started long before the census end.")
    return sub
