"""Files at rest: envelope encryption in authenticated chunks, random names, bounded memory."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from submissions import safety, storage
from submissions.models import Submission, SubmissionFile

CHUNK = storage.CHUNK_SIZE
HEADER = 13  # magic, version, chunk size, nonce prefix
SEALED = CHUNK + 16  # a full chunk and its tag


@pytest.fixture
def submission(barnsley: Any, lead: Any) -> Submission:
    return Submission.objects.create(local_authority=barnsley, created_by=lead, as_of="2026-03-31")


def _store(submission: Submission, content: bytes, name: str = "children.csv") -> SubmissionFile:
    return storage.store(SimpleUploadedFile(name, content), submission)


def _plain(file: SubmissionFile) -> bytes:
    return b"".join(storage.open_decrypted(file))


def _marker_text(size: int) -> bytes:
    """Text in which a distinctive child-like record recurs, to look for in the blob."""
    line = b"CHILD,SEX,DOB\nLA370C000123,1,01/02/2015\n"
    return (line * (size // len(line) + 1))[:size]


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 12345])
def test_it_round_trips_any_size(submission: Submission, size: int) -> None:
    content = os.urandom(size)

    file = _store(submission, content)

    file.refresh_from_db()
    assert _plain(file) == content
    assert file.size == size
    assert file.sha256 == hashlib.sha256(content).hexdigest()


def test_it_decrypts_to_a_private_file(submission: Submission, tmp_path: Path) -> None:
    content = _marker_text(3 * CHUNK)
    file = _store(submission, content)

    out = storage.decrypt_to(file, tmp_path / "plain")

    assert out.read_bytes() == content
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_the_blob_holds_no_plaintext(submission: Submission, upload_dir: Path) -> None:
    content = _marker_text(2 * CHUNK + 500)

    file = _store(submission, content, name="LA370C000123 records.csv")

    blob = storage.blob_path(file).read_bytes()
    assert b"LA370C000123" not in blob
    assert b"CHILD,SEX,DOB" not in blob
    assert len(blob) == HEADER + len(content) + 3 * 16  # three chunks, a tag each


def test_the_storage_name_is_a_random_uuid_never_the_users_name(
    submission: Submission, upload_dir: Path
) -> None:
    file = _store(submission, b"CHILD\n1\n", name="../../etc/Smith family.csv")

    path = storage.blob_path(file)
    assert path.parent == upload_dir
    assert uuid.UUID(hex=path.name).version == 4
    assert path.name == file.id.hex
    assert [p.name for p in upload_dir.iterdir()] == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert file.display_name == "Smith family.csv"


def test_every_file_has_its_own_data_key(submission: Submission) -> None:
    one, two = _store(submission, b"same"), _store(submission, b"same")

    assert bytes(one.wrapped_key) != bytes(two.wrapped_key)
    assert storage.blob_path(one).read_bytes() != storage.blob_path(two).read_bytes()


def _rewrite(file: SubmissionFile, change: Any) -> None:
    path = storage.blob_path(file)
    path.write_bytes(change(path.read_bytes()))


def _chunk(blob: bytes, n: int) -> bytes:
    return blob[HEADER + n * SEALED : HEADER + (n + 1) * SEALED]


TAMPERING = {
    "a flipped bit in a chunk": lambda b: b[:HEADER + SEALED + 7] + bytes([b[HEADER + SEALED + 7] ^ 1]) + b[HEADER + SEALED + 8:],  # noqa: E501
    "a flipped bit in the header": lambda b: b[:10] + bytes([b[10] ^ 1]) + b[11:],
    "cut at a chunk boundary": lambda b: b[: HEADER + 2 * SEALED],
    "cut inside a chunk": lambda b: b[:-100],
    "only the header left": lambda b: b[:HEADER],
    "chunks reordered": lambda b: b[:HEADER] + _chunk(b, 1) + _chunk(b, 0) + b[HEADER + 2 * SEALED :],  # noqa: E501
    "a chunk repeated": lambda b: b[:HEADER] + _chunk(b, 0) + _chunk(b, 0) + b[HEADER + 2 * SEALED :],  # noqa: E501
    "a chunk dropped": lambda b: b[:HEADER] + b[HEADER + SEALED :],
    "bytes appended": lambda b: b + os.urandom(64),
}  # fmt: skip


@pytest.mark.parametrize("tampering", TAMPERING)
def test_tampering_is_detected(submission: Submission, tmp_path: Path, tampering: str) -> None:
    file = _store(submission, _marker_text(3 * CHUNK + 1000))
    _rewrite(file, TAMPERING[tampering])

    with pytest.raises(storage.TamperedFile):
        _plain(file)
    with pytest.raises(storage.TamperedFile):
        storage.decrypt_to(file, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing unauthenticated is left behind"


def test_a_blob_swapped_in_under_another_files_name_is_detected(submission: Submission) -> None:
    one, two = _store(submission, b"one" * 1000), _store(submission, b"two" * 1000)
    storage.blob_path(one).write_bytes(storage.blob_path(two).read_bytes())

    with pytest.raises(storage.TamperedFile):
        _plain(one)


def test_a_wrapped_key_moved_to_another_file_does_not_unwrap(submission: Submission) -> None:
    one, two = _store(submission, b"one"), _store(submission, b"two")
    one.wrapped_key = two.wrapped_key

    with pytest.raises(storage.TamperedFile):
        _plain(one)


def test_another_master_key_cannot_read_the_files(submission: Submission, settings: Any) -> None:
    file = _store(submission, b"CHILD\n1\n")
    settings.FILE_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()

    with pytest.raises(storage.TamperedFile):
        _plain(file)


@pytest.mark.parametrize("key", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_a_missing_or_malformed_master_key_is_a_configuration_error(
    submission: Submission, settings: Any, key: str
) -> None:
    settings.FILE_ENCRYPTION_KEY = key

    with pytest.raises(ImproperlyConfigured, match="FILE_ENCRYPTION_KEY"):
        _store(submission, b"CHILD\n1\n")


def test_deleting_removes_the_blob_and_forgets_the_key(submission: Submission) -> None:
    file = _store(submission, b"CHILD\n1\n")

    storage.delete(file)
    storage.delete(file)  # idempotent

    file.refresh_from_db()
    assert not storage.blob_path(file).exists()
    assert file.deleted_at is not None
    assert bytes(file.wrapped_key) == b""
    with pytest.raises(storage.FileGone):
        _plain(file)


def test_a_missing_blob_is_reported_as_gone(submission: Submission) -> None:
    file = _store(submission, b"CHILD\n1\n")
    storage.blob_path(file).unlink()

    with pytest.raises(storage.FileGone):
        _plain(file)


def test_an_upload_whose_row_is_not_saved_leaves_no_blob(
    submission: Submission, upload_dir: Path
) -> None:
    file = storage.store(SimpleUploadedFile("a.csv", b"x"), submission, commit=False)
    assert storage.blob_path(file).exists()

    storage.discard(file)

    assert list(upload_dir.iterdir()) == []


class LazyStream(io.RawIOBase):
    """``size`` bytes of data, made as they are read (never all in memory); the same bytes
    every time, so two streams can be compared."""

    BLOCK = b"".join(hashlib.sha256(bytes([i, j])).digest() for i in range(32) for j in range(64))

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.block = self.BLOCK

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.remaining, len(self.block))
        buffer[:n] = self.block[:n]
        self.remaining -= n
        return n


def test_storing_a_200_mb_stream_keeps_memory_bounded(submission: Submission) -> None:
    size = 200 * 1000 * 1000
    expected = hashlib.sha256()
    source = LazyStream(size)
    while piece := source.read(1024 * 1024):
        expected.update(piece)

    tracemalloc.start()
    try:
        file = storage.store(io.BufferedReader(LazyStream(size)), submission)
        _, stored_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for chunk in storage.open_decrypted(file):
            digest.update(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert file.size == size
    assert file.sha256 == expected.hexdigest() == digest.hexdigest()
    assert stored_peak < 32 * 1024 * 1024, f"storing peaked at {stored_peak / 1e6:.0f} MB"
    assert read_peak < 32 * 1024 * 1024, f"reading peaked at {read_peak / 1e6:.0f} MB"


# --- the upload handler ----------------------------------------------------------------------


def _multipart(files: dict[str, bytes], **fields: str) -> Any:
    """A parsed multipart POST, through the project's FILE_UPLOAD_HANDLERS."""
    data: dict[str, Any] = dict(fields)
    data["uploads"] = [SimpleUploadedFile(name, body) for name, body in files.items()]
    return RequestFactory().post("/upload/", data)


def test_the_handler_stops_writing_an_oversized_file_while_it_streams(settings: Any) -> None:
    settings.UPLOAD_MAX_FILE_BYTES = 100_000
    request = _multipart({"small.csv": b"a" * 1000, "big.csv": b"b" * 300_000}, as_of="x")

    small, big = request.FILES.getlist("uploads")

    assert request.POST["as_of"] == "x", "fields after the file are still parsed"
    assert (small.size, small.read()) == (1000, b"a" * 1000)
    assert big.size == 300_000, "the real size is kept, so the form can say how big it is"
    assert Path(big.temporary_file_path()).stat().st_size == 0, "nothing of it is kept"
    with pytest.raises(ValidationError, match=r"The file big\.csv is larger than 100,000 bytes"):
        safety.check_upload(big)


def test_the_handler_keeps_nothing_of_files_beyond_the_maximum_count(settings: Any) -> None:
    settings.UPLOAD_MAX_FILES = 2
    request = _multipart({f"{n}.csv": b"CHILD\n1\n" for n in range(4)})

    uploads = request.FILES.getlist("uploads")

    assert [Path(u.temporary_file_path()).stat().st_size for u in uploads] == [8, 8, 0, 0]
    with pytest.raises(ValidationError, match="You chose 4 files; you can upload up to 2"):
        safety.check_uploads(uploads)
