"""An ``Extract`` as one self-describing blob, and back: the stored canonical extract.

After a submission is checked, the worker stores the tables the check validated (encrypted
by ``submissions.storage``, one blob per submission), so indicators, their recomputation after
a definition changes and the drill-down read them long after the raw files are purged.

The blob is an uncompressed zip (the members compress themselves)::

    manifest.json          version, la_code, as_of, coverage_start, formats, unreadable,
                           each table's row count and [column, dtype] pairs
    tables/<table>.parquet one per canonical table (zstd), source columns included

``load(dump(extract))`` gives back the same tables, column for column and dtype for dtype
(``string``, ``datetime64[ns]``, ``boolean``, ``Int64``, with their NA), the same index, and
the same metadata. The ``_file`` and ``_location`` columns are kept: the drill-down points at
rows with them. The readers' findings are not stored (``findings`` comes back empty): they
are the check's report, saved on its own (capped per rule), and a file a reader choked on can
produce a million of them. The manifest is written last but read first; a blob of another
version is refused (``UnknownVersion``) rather than half understood.

Pure: no Django. The caller encrypts what ``dump`` writes and decrypts what ``load`` reads.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from typing import IO, Any

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from submissions.extract.canonical import TABLES, Extract, Format

__all__ = ["VERSION", "UnknownVersion", "dump", "dumps", "load", "loads"]

#: The blob layout's version, recorded in the manifest (and on the stored row).
VERSION = 1
_MANIFEST = "manifest.json"
_COMPRESSION = "zstd"


class UnknownVersion(ValueError):
    """The blob is not a stored extract this code can read."""


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def dump(extract: Extract, target: IO[bytes]) -> None:
    """Write ``extract`` to a binary stream (a file opened "wb", a ``BytesIO``)."""
    tables: dict[str, Any] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, frame in extract.tables.items():
            buffer = io.BytesIO()
            # The pandas metadata carries the index and the extension dtypes (string,
            # boolean, Int64); the manifest's dtypes are the check that they came back.
            pq.write_table(
                pa.Table.from_pandas(frame, preserve_index=None),
                buffer,
                compression=_COMPRESSION,
            )
            archive.writestr(f"tables/{name}.parquet", buffer.getvalue())
            tables[name] = {
                "rows": len(frame),
                # Pairs, not an object: the column order is part of the table.
                "columns": [[str(col), str(dtype)] for col, dtype in frame.dtypes.items()],
            }
        manifest = {
            "version": VERSION,
            "la_code": extract.la_code,
            "as_of": _iso(extract.as_of),
            "coverage_start": _iso(extract.coverage_start),
            "formats": [str(f) for f in extract.formats],
            "unreadable": extract.unreadable,
            "tables": tables,
        }
        archive.writestr(_MANIFEST, json.dumps(manifest))


def dumps(extract: Extract) -> bytes:
    """``dump`` into bytes."""
    buffer = io.BytesIO()
    dump(extract, buffer)
    return buffer.getvalue()


def _table(archive: zipfile.ZipFile, name: str, described: dict[str, Any]) -> pd.DataFrame:
    frame = pq.read_table(io.BytesIO(archive.read(f"tables/{name}.parquet"))).to_pandas()
    columns = dict(described["columns"])
    if list(frame.columns) != list(columns) or len(frame) != described["rows"]:
        raise UnknownVersion(f"table {name} does not match its manifest")
    for column, dtype in columns.items():
        if str(frame[column].dtype) != dtype:  # e.g. an all-NA column read back as object
            frame[column] = frame[column].astype(dtype)
    return frame


def load(source: IO[bytes]) -> Extract:
    """Read an extract that ``dump`` wrote, from a seekable binary stream (with no
    findings: see the module docstring)."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise UnknownVersion("not a stored extract") from None
    with archive:
        try:
            manifest = json.loads(archive.read(_MANIFEST))
        except KeyError:
            raise UnknownVersion("not a stored extract: no manifest") from None
        if manifest.get("version") != VERSION:
            raise UnknownVersion(f"stored extract version {manifest.get('version')!r}")
        tables = {
            name: _table(archive, name, described) for name, described in manifest["tables"].items()
        }
    missing = set(TABLES) - set(tables)
    if missing:
        raise UnknownVersion(f"stored extract lacks tables {sorted(missing)}")
    return Extract(
        tables=tables,
        formats=[Format(f) for f in manifest["formats"]],
        la_code=manifest["la_code"],
        as_of=_day(manifest["as_of"]),
        coverage_start=_day(manifest["coverage_start"]),
        unreadable=bool(manifest["unreadable"]),
    )


def loads(data: bytes) -> Extract:
    """``load`` from bytes."""
    return load(io.BytesIO(data))
