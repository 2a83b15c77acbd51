"""Checks on uploaded files before anything is stored (OWASP ASVS 5.2).

``check_uploads`` refuses, with a message that names the file and says how to fix it:

* too many files, or two with the same name (findings name files, so names must be unique);
* names without an allowed extension (``.xml``, ``.csv``, ``.xlsx``, ``.json``, ``.zip``);
* empty (0-byte) files and files over ``UPLOAD_MAX_FILE_BYTES``;
* content that does not match the extension, judged from the first bytes: XML starts with
  ``<``, JSON with ``[`` or ``{`` (after a byte-order mark and blank space), CSV is text, and
  ``.xlsx``/``.zip`` are zip files. UTF-16 text passes here: the reader then asks for UTF-8
  with a specific finding, which is more useful than a refusal;
* zip files (and workbooks, which are zips) that are damaged, or whose directory breaks the
  readers' limits (entry count, unpacked size, compression ratio, unsafe names), or that hold
  symbolic links (named in the refusal: zip the files themselves). The limits and
  the check are the readers' own (``submissions.extract.readers``), so the web and the worker agree;
* CSV files, or zip members, with more than ``MAX_CSV_ROWS`` lines. No real 903 table comes
  near it, and the readers and rules hold a table in memory and may report every row, so an
  unbounded row count would mean unbounded memory and findings.

Deeper checks (XML entities and DTDs, XSD validation, encodings, formats) belong to the
readers, which run in the worker and turn problems into findings.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from submissions.extract.readers import _zip_problem, symlink_fix, zip_symlinks
from submissions.extract.readers.base import HEAD_BYTES, looks_binary, looks_utf16

__all__ = ["ALLOWED_EXTENSIONS", "MAX_CSV_ROWS", "check_upload", "check_uploads", "clean_name"]

ALLOWED_EXTENSIONS = (".xml", ".csv", ".xlsx", ".json", ".zip")
#: Lines per CSV file (or zip member). Excel's own limit is 1,048,576 rows.
MAX_CSV_ROWS = 1_000_000

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries / an empty zip
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.xls/.doc) or an encrypted .xlsx
_BOMS = (b"\xef\xbb\xbf",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_READ = 1024 * 1024


def clean_name(name: str) -> str:
    """The user's file name as we show it: no folders, control characters or surrounding
    space, at most 255 characters (keeping the extension)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", _CONTROL.sub("", base)).strip()
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: 254 - len(ext)]}{dot}{ext}" if dot and len(ext) < 10 else base[:255]
    return base


def _size_label(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB" if size >= 1_000_000 else f"{size:,} bytes"


def _what_it_is(head: bytes) -> str:
    """A plain description of what the bytes look like, for messages."""
    if head.startswith(_ZIP):
        return "a zip file or an Excel workbook"
    if head.startswith(_OLE2):
        return "an old-style Excel (.xls) or Word file, or a password-protected workbook"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    if looks_utf16(head):
        return "text"
    if looks_binary(head):
        return "binary data, not text"
    return "text"


def _text_start(head: bytes) -> bytes:
    for bom in _BOMS:
        head = head.removeprefix(bom)
    return head.lstrip()


def _refuse(name: str, problem: str, fix: str, code: str) -> ValidationError:
    return ValidationError(f"The file {name} {problem} {fix}", code=code)


def _head(upload: Any) -> bytes:
    upload.seek(0)
    head: bytes = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _count_lines(stream: Any, limit: int) -> int:
    """Lines in a binary stream, reading 1 MiB at a time and stopping once past ``limit``."""
    lines = 0
    last = b"\n"
    while chunk := stream.read(_READ):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
        if lines > limit:
            break
    return lines + (last != b"\n")  # a last line without a newline still counts


def _check_zip(upload: Any, name: str, workbook: bool) -> None:
    """The zip's directory (and, for archives, each member's line count) within limits."""
    kind = "workbook" if workbook else "zip file"
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as zf:
            problem = _zip_problem(zf)
            if problem:
                raise _refuse(
                    name,
                    f"was not accepted: {problem}",
                    "Unpack it and upload its files, or make a smaller zip file."
                    if not workbook
                    else "Check it is the right workbook.",
                    "zip_limits",
                )
            links = zip_symlinks(zf)
            if links:
                raise _refuse(name, *symlink_fix(links, workbook=workbook), "zip_symlink")
            names = set(zf.namelist())
            if workbook and "xl/workbook.xml" not in names:
                raise _refuse(
                    name,
                    "is a zip file, not an Excel workbook.",
                    "Upload it with a .zip name, or save the data as an Excel Workbook (.xlsx).",
                    "content_mismatch",
                )
            if not workbook:
                _check_members(zf, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise _refuse(
            name,
            f"looks like a {kind} but is damaged or incomplete.",
            f"Create the {kind} again and upload the new one.",
            "damaged_zip",
        ) from None
    except (RuntimeError, NotImplementedError):
        # zipfile raises these for encrypted members and unsupported compression methods.
        raise _refuse(
            name,
            "could not be opened: it is password-protected or uses an unusual compression.",
            "Create the zip file again without a password, using your system's own 'compress' "
            "or 'send to zip' option.",
            "damaged_zip",
        ) from None
    finally:
        upload.seek(0)


def _check_members(zf: zipfile.ZipFile, name: str) -> None:
    """Count the lines of every member that could be read as CSV (the directory check has
    already bounded the total to unpack). Streams: one 1 MiB piece at a time."""
    for info in zf.infolist():
        if info.is_dir() or info.flag_bits & 0x1:
            continue  # folders; password-protected members are reported by the reader
        with zf.open(info) as member:
            head = member.read(HEAD_BYTES)
        if head.startswith(_ZIP) or _text_start(head).startswith((b"<", b"[", b"{")):
            # Workbooks and nested archives (read or refused by the reader), and XML or JSON,
            # whose line count says nothing: a large LA's CIN census has a million lines.
            continue
        with zf.open(info) as member:
            if _count_lines(member, MAX_CSV_ROWS) > MAX_CSV_ROWS:
                raise _refuse(
                    name,
                    f"holds {info.filename}, which has more than {MAX_CSV_ROWS:,} rows, the "
                    "most we accept in one file.",
                    "Check it is one local authority's extract, with one row per record.",
                    "too_many_rows",
                )


def check_upload(upload: Any, display_name: str | None = None) -> str:
    """Check one uploaded file (a seekable Django ``File``); return its cleaned display name.

    Raises ``ValidationError`` saying what is wrong with the file and how to fix it.
    """
    name = clean_name(display_name or getattr(upload, "name", "") or "")
    if not name:
        raise ValidationError("A file was uploaded without a name. Choose it again.", "no_name")
    extension = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            name,
            "is not a type we accept.",
            "Upload CIN census or SSDA903 XML (.xml), SSDA903 CSV (.csv), an Ofsted Annex A "
            "workbook (.xlsx), a DfE API file (.json) or a zip file (.zip) of these.",
            "extension",
        )

    size = upload.size
    limit = settings.UPLOAD_MAX_FILE_BYTES
    if size is None or size > limit:
        raise _refuse(
            name,
            f"is larger than {_size_label(limit)}.",
            "Upload it as a zip file, or split the extract into smaller files.",
            "too_large",
        )
    if size == 0:
        raise _refuse(
            name,
            "is empty (0 bytes).",
            "Check you chose the right file, or export it from your system again.",
            "empty",
        )

    head = _head(upload)
    start = _text_start(head)
    utf16 = looks_utf16(head)
    found = _what_it_is(head)
    if extension in (".xlsx", ".zip"):
        if not head.startswith(_ZIP):
            expected = "an Excel workbook" if extension == ".xlsx" else "a zip file"
            fix = (
                "Remove any password and save it as an Excel Workbook (.xlsx)."
                if extension == ".xlsx"
                else "Create the zip file again, or upload the file with its own extension."
            )
            raise _refuse(
                name, f"should be {expected} but contains {found}.", fix, "content_mismatch"
            )
        _check_zip(upload, name, workbook=extension == ".xlsx")
    elif extension == ".xml" and not (utf16 or start.startswith(b"<")):
        raise _refuse(
            name,
            f"is named .xml but contains {found}, not XML.",
            "Export the return from your system as XML and upload that file.",
            "content_mismatch",
        )
    elif extension == ".json" and not (utf16 or start.startswith((b"[", b"{"))):
        raise _refuse(
            name,
            f"is named .json but contains {found}, not JSON.",
            "Upload the DfE API file as your system saved it.",
            "content_mismatch",
        )
    elif extension == ".csv":
        if found != "text":
            raise _refuse(
                name,
                f"is named .csv but contains {found}.",
                "Save it as CSV (in Excel: File, Save as, CSV UTF-8) and upload that file.",
                "content_mismatch",
            )
        upload.seek(0)
        try:
            rows = _count_lines(upload, MAX_CSV_ROWS)
        finally:
            upload.seek(0)
        if rows > MAX_CSV_ROWS:
            raise _refuse(
                name,
                f"has more than {MAX_CSV_ROWS:,} rows, the most we accept in one file.",
                "Check it is one local authority's extract, with one row per record.",
                "too_many_rows",
            )
    return name


def check_uploads(uploads: Sequence[Any]) -> list[str]:
    """Check every file of one submission; return their display names, in order.

    Raises one ``ValidationError`` listing every problem found, so the user can fix them all
    at once.
    """
    if not uploads:
        raise ValidationError("Choose at least one file to upload.", code="no_files")
    most = settings.UPLOAD_MAX_FILES
    if len(uploads) > most:
        raise ValidationError(
            f"You chose {len(uploads)} files; you can upload up to {most} at a time. Put them "
            "in a zip file and upload that instead.",
            code="too_many_files",
        )
    errors: list[ValidationError] = []
    names: list[str] = []
    for upload in uploads:
        try:
            names.append(check_upload(upload))
        except ValidationError as error:
            errors.append(error)
    for name, count in Counter(n.casefold() for n in names).items():
        if count > 1:
            shown = next(n for n in names if n.casefold() == name)
            errors.append(
                ValidationError(
                    f"You chose {count} files called {shown}. Rename them so each file has its "
                    "own name, then upload them again.",
                    code="duplicate_name",
                )
            )
    if errors:
        raise ValidationError(errors)
    return names
