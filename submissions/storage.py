"""Uploaded files at rest: envelope-encrypted blobs under random names, outside any web root.

Each file gets its own random 256-bit data key. The content is encrypted with AES-256-GCM in
1 MiB chunks as it streams in (never held in memory whole), and the data key is stored in the
database only *wrapped* (AES-256-GCM) by the master key ``settings.FILE_ENCRYPTION_KEY``, which
comes from the environment. So a copy of the upload folder alone, or of the database alone,
reveals nothing; rotating the master key means re-wrapping 61-byte keys, not re-encrypting files.

Blob layout (all integers big-endian)::

    header  = b"CSCF" | version (1 byte) | chunk size (4 bytes) | nonce prefix (4 random bytes)
    chunk i = AES-GCM(data key, nonce = prefix | i (8 bytes),
                      plaintext chunk, associated data = header | file id | i | final flag)

* The chunk index is in the nonce *and* the associated data, so reordering or duplicating
  chunks fails authentication.
* Only the last chunk is sealed with the final flag set, so cutting the blob at a chunk boundary
  (which would leave every remaining chunk valid on its own) is detected too, as is anything
  appended after the final chunk.
* The file id (the ``SubmissionFile`` primary key, which is also the blob's name) is bound in
  as well, so a blob swapped in under another file's name does not decrypt.
* Nonces never repeat: every file has a fresh key, and within a file the counter is unique.

``delete`` removes the blob *and* forgets the wrapped key, so a copy of the blob that survives
in a backup can no longer be decrypted once the database row is gone from backups too.

A submission's stored canonical extract (``CanonicalExtract``, written by the check) is kept
with exactly this scheme (``store_extract``): the same blob layout, its own data key bound to
its own id. Its blobs live in ``UPLOAD_DIR/canonical/``, apart from the uploads, so each kind
of row accounts for its own folder (``blob_path``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import struct
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils import timezone

from submissions.models import CanonicalExtract, Submission, SubmissionFile

__all__ = [
    "CANONICAL_FOLDER",
    "CHUNK_SIZE",
    "Blob",
    "FileGone",
    "SizeLimitedUploadHandler",
    "TamperedFile",
    "blob_path",
    "decrypt_to",
    "delete",
    "discard",
    "master_key",
    "open_decrypted",
    "store",
    "store_extract",
]

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
_MAGIC = b"CSCF"
_VERSION = 1
_HEADER = struct.Struct(">4sBI4s")  # magic, version, chunk size, nonce prefix
_TAG_BYTES = 16
_KEY_VERSION = 1
_KEY_CONTEXT = b"csc data key v1"
#: Where stored canonical extracts live, under UPLOAD_DIR.
CANONICAL_FOLDER = "canonical"

#: A stored, encrypted blob: an uploaded file, or a submission's canonical extract.
Blob = SubmissionFile | CanonicalExtract
#: A stored upload or extract, whichever the caller passed (``delete`` returns the same type).
B = TypeVar("B", SubmissionFile, CanonicalExtract)


class TamperedFile(Exception):
    """A stored blob failed authentication: it was changed, cut short, reordered or swapped."""


class FileGone(Exception):
    """The raw file was deleted (after the retention period) and cannot be read any more."""


class _Readable(Protocol):
    """A binary stream: what ``store`` needs (Django's files also offer ``chunks``)."""

    def read(self, size: int = ..., /) -> bytes: ...


def master_key() -> bytes:
    """The 32-byte master key from ``settings.FILE_ENCRYPTION_KEY`` (base64)."""
    try:
        key = base64.b64decode(settings.FILE_ENCRYPTION_KEY or "", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(
            "FILE_ENCRYPTION_KEY must be the base64 encoding of 32 random bytes, for example "
            "the output of: python -c 'import base64, os; print(base64.b64encode(os.urandom(32))"
            ".decode())'"
        )
    return key


def blob_path(file: Blob) -> Path:
    """Where a blob lives: the upload folder (a stored extract: its ``canonical`` folder) and
    its random id, never the user's name."""
    folder = Path(settings.UPLOAD_DIR)
    if isinstance(file, CanonicalExtract):
        folder /= CANONICAL_FOLDER
    return folder / file.storage_name


# --- keys ------------------------------------------------------------------------------------


def _wrap(data_key: bytes, file_id: uuid.UUID) -> bytes:
    # AES-GCM rather than AES-KW so the wrapped key is bound to its file: a wrapped key copied
    # onto another row fails to unwrap instead of decrypting the wrong blob.
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(master_key()).encrypt(nonce, data_key, _KEY_CONTEXT + file_id.bytes)
    return bytes([_KEY_VERSION]) + nonce + sealed


def _unwrap(wrapped: bytes, file_id: uuid.UUID) -> bytes:
    if len(wrapped) != 1 + 12 + 32 + _TAG_BYTES or wrapped[0] != _KEY_VERSION:
        raise TamperedFile("the wrapped data key is malformed")
    try:
        return AESGCM(master_key()).decrypt(
            wrapped[1:13], wrapped[13:], _KEY_CONTEXT + file_id.bytes
        )
    except InvalidTag:
        raise TamperedFile("the data key does not unwrap with this master key") from None


def _associated(header: bytes, file_id: uuid.UUID, index: int, final: bool) -> bytes:
    return header + file_id.bytes + struct.pack(">Q?", index, final)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">Q", index)


# --- writing ---------------------------------------------------------------------------------


def _chunks(source: Any) -> Iterator[bytes]:
    """Plaintext in pieces of at most CHUNK_SIZE: Django files through ``chunks()`` (which
    rewinds them first), any other binary stream through ``read``."""
    if hasattr(source, "chunks"):
        yield from source.chunks(CHUNK_SIZE)
        return
    while piece := source.read(CHUNK_SIZE):
        yield piece


def _rechunk(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Exactly CHUNK_SIZE bytes per chunk (the last may be shorter), whatever the source's own
    piece sizes: decryption relies on every chunk but the last being full."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= CHUNK_SIZE:
            yield bytes(buffer[:CHUNK_SIZE])
            del buffer[:CHUNK_SIZE]
    if buffer:
        yield bytes(buffer)


def store(
    upload: _Readable,
    submission: Submission,
    *,
    display_name: str | None = None,
    commit: bool = True,
) -> SubmissionFile:
    """Encrypt ``upload`` (a Django ``UploadedFile``/``File`` or any binary stream) into a new
    blob and return its ``SubmissionFile``, saved unless ``commit=False``.

    Streams in 1 MiB chunks, computing the size and SHA-256 of the plaintext on the way. The
    blob is written under a temporary name and renamed only when complete, so a crash never
    leaves a half-written blob under a real name. With ``commit=False`` the caller saves the row
    (``create_submission`` does, in one short transaction) and calls ``discard`` if it cannot.
    """
    name = display_name or os.path.basename(getattr(upload, "name", "") or "") or "upload"
    file = SubmissionFile(id=uuid.uuid4(), submission=submission, display_name=name[:255])
    _seal(upload, file)
    if commit:
        try:
            file.save(force_insert=True)
        except BaseException:
            discard(file)
            raise
    return file


def store_extract(source: _Readable, submission: Submission, *, version: int) -> CanonicalExtract:
    """Encrypt a serialised canonical extract (``submissions.extract.stored``, format
    ``version``) into a new blob and return its unsaved ``CanonicalExtract``. The caller saves
    the row in its own transaction, and calls ``discard`` if it does not."""
    blob = CanonicalExtract(id=uuid.uuid4(), submission=submission, format_version=version)
    _seal(source, blob)
    return blob


def _seal(upload: _Readable, file: Blob) -> None:
    """Encrypt ``upload`` into ``file``'s blob and set its size, SHA-256 and wrapped key."""
    data_key = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(data_key)
    header = _HEADER.pack(_MAGIC, _VERSION, CHUNK_SIZE, secrets.token_bytes(4))
    prefix = header[-4:]
    digest = hashlib.sha256()
    size = 0

    final_path = blob_path(file)
    final_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part_path = final_path.with_name(f".{file.storage_name}.part")

    def seal(index: int, plaintext: bytes, final: bool) -> bytes:
        associated = _associated(header, file.id, index, final)
        return aead.encrypt(_nonce(prefix, index), plaintext, associated)

    # O_EXCL: never write through a file (or link) that is already there.
    fd = os.open(part_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            index = 0
            pending: bytes | None = None
            # One chunk of look-ahead: a chunk is sealed only once we know whether it is last.
            for chunk in _rechunk(_chunks(upload)):
                if pending is not None:
                    out.write(seal(index, pending, final=False))
                    index += 1
                digest.update(chunk)
                size += len(chunk)
                pending = chunk
            out.write(seal(index, pending or b"", final=True))
            out.flush()
            os.fsync(out.fileno())
        declared = getattr(upload, "size", None)
        if isinstance(declared, int) and declared != size:
            # The upload handler stops writing a file past the size cap but reports its real
            # size; safety checks refuse such files, and this makes sure one is never stored.
            raise ValueError(f"read {size} bytes of an upload declared as {declared} bytes")
        os.replace(part_path, final_path)
    except BaseException:
        part_path.unlink(missing_ok=True)
        raise

    file.size = size
    file.sha256 = digest.hexdigest()
    file.wrapped_key = _wrap(data_key, file.id)


# --- reading ---------------------------------------------------------------------------------


def open_decrypted(file: Blob) -> Iterator[bytes]:
    """Yield a stored file's plaintext, chunk by chunk.

    Every chunk is authenticated before it is yielded, so what comes out is genuine; but a blob
    cut short is only detected at its end, when ``TamperedFile`` is raised. Consumers must
    treat that as fatal and throw away what they received (``decrypt_to`` does).
    """
    if file.deleted_at is not None or not file.wrapped_key:
        raise FileGone(f"file {file.pk} was deleted after the retention period")
    data_key = _unwrap(bytes(file.wrapped_key), file.id)
    aead = AESGCM(data_key)
    path = blob_path(file)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise FileGone(f"the blob of file {file.pk} is missing") from None
    with handle:
        header = handle.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise TamperedFile("the blob is shorter than its header")
        magic, version, chunk_size, prefix = _HEADER.unpack(header)
        if magic != _MAGIC or version != _VERSION or chunk_size != CHUNK_SIZE:
            raise TamperedFile("the blob header is not one this service writes")
        digest = hashlib.sha256()
        step = chunk_size + _TAG_BYTES
        index = 0
        sealed = handle.read(step)
        while True:
            following = handle.read(step)
            final = not following
            try:
                plain = aead.decrypt(
                    _nonce(prefix, index), sealed, _associated(header, file.id, index, final)
                )
            except InvalidTag:
                raise TamperedFile(f"chunk {index} failed authentication") from None
            digest.update(plain)
            yield plain
            if final:
                break
            sealed, index = following, index + 1
    # Redundant with GCM's tags, but cheap: it also proves the row describes this blob.
    if digest.hexdigest() != file.sha256:
        raise TamperedFile("the content does not match the recorded SHA-256")


def decrypt_to(file: Blob, path: Path) -> Path:
    """Decrypt a stored file to ``path`` (created 0600, must not exist). On any failure the
    partial output is removed, so nothing unauthenticated is ever left behind."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in open_decrypted(file):
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


# --- deleting --------------------------------------------------------------------------------


def discard(file: Blob) -> None:
    """Remove a blob whose row was never saved (an upload that failed half way)."""
    blob_path(file).unlink(missing_ok=True)


def delete(file: B) -> B:
    """Delete a stored file: remove its blob, forget its wrapped key and set ``deleted_at``.
    Idempotent: deleting a deleted file changes nothing."""
    blob_path(file).unlink(missing_ok=True)
    if file.deleted_at is None:
        file.deleted_at = timezone.now()
        file.wrapped_key = b""
        file.save(update_fields=["deleted_at", "wrapped_key"])
    return file


# --- the upload handler ----------------------------------------------------------------------


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Stream every uploaded file to a temporary file, but stop writing one that passes
    ``UPLOAD_MAX_FILE_BYTES`` (or that is beyond ``UPLOAD_MAX_FILES`` in the request) while it
    streams, so neither memory nor disk holds more than the caps allow.

    Such a file is still handed to the view, empty but with its real ``size``, so the upload
    form can say "The file X is larger than 200 MB" next to the right field. (Raising
    ``StopUpload`` would end parsing there: the form fields after the file would be lost and
    the view could not tell which file was refused or why.)
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.max_bytes: int = settings.UPLOAD_MAX_FILE_BYTES
        self.max_files: int = settings.UPLOAD_MAX_FILES
        self.files_seen = 0
        self.over_limit = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.over_limit = self.files_seen > self.max_files

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.over_limit:
            return None
        if start + len(raw_data) > self.max_bytes:
            # Throw away what was written: the file will be refused, and its bytes should not
            # sit in the temporary folder until the request ends.
            self.over_limit = True
            self.file.seek(0)
            self.file.truncate()
            return None
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        self.file.seek(0)
        self.file.size = file_size  # the real size, even when the content was dropped
        return self.file
