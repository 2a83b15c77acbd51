"""Fixtures for the pipeline tests: a private upload folder, Barnsley and its data lead, the
sample extract files as uploads, and helpers to put a submission in a given state."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import LocalAuthority
from submissions import services
from submissions.extract.check import check_files
from submissions.models import Submission, ValidationFinding
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_extract
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "readers" / "data"
#: The sample CIN census and SSDA903 CSV files (synthetic; see tests/readers/data/PROVENANCE*).
SAMPLE_FILES = (
    "CIN_Census_2024.xml",
    "ssda903_liia_pipeline_2020_header.csv",
    "ssda903_liia_pipeline_2020_episodes.csv",
)
AS_OF = date(2024, 3, 31)
LARGE_AS_OF = date(2026, 3, 31)


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test stores blobs in its own folder; worker processes it starts use it too."""
    folder = tmp_path / "uploads"
    folder.mkdir(mode=0o700)
    settings.UPLOAD_DIR = folder
    monkeypatch.setenv("UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def barnsley(reference_data: None) -> LocalAuthority:
    return LocalAuthority.objects.get(code="370")


@pytest.fixture
def lead(personas: dict[str, Any]) -> Any:
    """Barnsley's LA data lead (see ``personas`` in tests/conftest.py)."""
    return personas["lead"]


@pytest.fixture
def open_upload() -> Iterator[Callable[..., File]]:
    """Open a file on disk as an upload (a seekable Django ``File``); closed after the test."""
    opened: list[File] = []

    def upload(path: Path, name: str | None = None) -> File:
        file = File(path.open("rb"), name=name or path.name)
        opened.append(file)
        return file

    yield upload
    for file in opened:
        file.close()


def sample_uploads() -> list[SimpleUploadedFile]:
    """The sample CIN census XML and 903 CSVs, as a browser would upload them."""
    return [
        SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), "application/octet-stream")
        for name in SAMPLE_FILES
    ]


def copy_samples(folder: Path) -> list[Path]:
    """The sample files copied into ``folder`` (for readers run directly by a test)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(SAMPLES / name, folder / name)) for name in SAMPLE_FILES]


def upload_samples(lead: Any, la: LocalAuthority, **kwargs: Any) -> Submission:
    """A RECEIVED submission of the sample files, stored as the web upload stores them."""
    return services.create_submission(
        local_authority=la,
        user=lead,
        as_of=kwargs.pop("as_of", AS_OF),
        uploads=kwargs.pop("uploads", None) or sample_uploads(),
        **kwargs,
    )


def set_checked(submission: Submission, status: str, *, errors: int = 0, queries: int = 0,
                query_code: str = "8897Q") -> Submission:  # fmt: skip
    """Put a submission straight into a checked state with ``errors``/``queries`` findings.

    For tests of what comes after checking (accepting, explaining, indicators, retention): the
    sample files break real rules, so they never check out READY on their own.
    """
    submission.findings.all().delete()
    ValidationFinding.objects.bulk_create(
        [
            ValidationFinding(submission=submission, code="100", severity="error", message="E")
            for _ in range(errors)
        ]
        + [
            ValidationFinding(submission=submission, code=query_code, severity="query", message="Q")
            for _ in range(queries)
        ]
    )
    Submission.objects.filter(pk=submission.pk).update(
        status=status, error_count=errors, query_count=queries
    )
    submission.refresh_from_db()
    return submission


@pytest.fixture(scope="session")
def large_extract(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A year of a large LA's records: a 90 MB CIN census and the 903 CSVs. Reading it takes a
    worker several seconds: the window to kill the worker, or restart Redis, in."""
    extract = generate("370", date(2025, 4, 1), LARGE_AS_OF, children=60_000, seed=7)
    paths = write_extract(extract, tmp_path_factory.mktemp("large-extract"), ["cin", "903"])
    return [path for group in paths.values() for path in group]


def upload_paths(lead: Any, la: LocalAuthority, paths: list[Path]) -> Submission:
    """A RECEIVED submission of files on disk (streamed from disk, as large uploads are)."""
    handles = [path.open("rb") for path in paths]
    try:
        return services.create_submission(
            local_authority=la,
            user=lead,
            as_of=LARGE_AS_OF,
            uploads=[File(h, name=p.name) for h, p in zip(handles, paths, strict=True)],
        )
    finally:
        for handle in handles:
            handle.close()


Row = tuple[str, str, str, str, str, str, str]


def expected_rows(submission: Submission, paths: list[Path]) -> tuple[Counter[Row], int]:
    """The findings one clean check of ``paths`` stores (each row with its multiplicity),
    worked out in the test process, and the total number of findings."""
    findings = check_files(
        [(p.name, p) for p in paths], la_code="370", as_of=submission.as_of
    ).findings
    rows = services._finding_rows(submission, findings)
    return Counter(
        (r.code, r.severity, r.file, r.location, r.child_id, r.field, r.message) for r in rows
    ), len(findings)


def stored_rows(submission: Submission) -> Counter[Row]:
    """The findings stored for ``submission``, each with its multiplicity."""
    return Counter(
        submission.findings.values_list(
            "code", "severity", "file", "location", "child_id", "field", "message"
        )
    )


class RedisServer:
    """A private redis-server on a free port, that can be stopped and started again on it:
    tests that restart or purge it disturb nobody else's Redis. Started with the machine's own
    flags ``--save "" --appendonly no``, so nothing survives a restart."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
             "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--pidfile", str(self.folder / "redis.pid")],
            check=True, capture_output=True,
        )  # fmt: skip
        wait_for(self.responds, timeout=20, interval=0.1)

    def stop(self) -> None:
        """Shut down without saving: every queued and unacknowledged message is gone."""
        # The server closes the connection as it goes.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url).shutdown(nosave=True)
        wait_for(lambda: not self.responds(), timeout=20, interval=0.1)

    def restart(self) -> None:
        self.stop()
        self.start()

    def responds(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.ConnectionError:
            return False

    def worker_listening(self, queue: str = "checks") -> bool:
        """A worker has declared ``queue`` (its binding is how kombu routes messages)."""
        try:
            return bool(redis.Redis.from_url(self.url).exists(f"_kombu.binding.{queue}"))
        except redis.ConnectionError:
            return False
