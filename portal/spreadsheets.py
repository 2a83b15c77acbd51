"""CSV and spreadsheet downloads: safe cells, one CSV dialect and one way to send the file.
Every export in the service uses this (the validation report, the audit trail and the
published tables).

Policy, the same for every CSV:

* every cell a spreadsheet would run as a formula gets a leading apostrophe (``formula_safe``);
* UTF-8 with a byte order mark, so Excel (what most LA analysts open it in) reads it as UTF-8
  rather than guessing a legacy code page (names with accents, the pound sign);
* Python's default CSV dialect (comma, ``"`` quoting where needed, CRLF line ends);
* sent as ``text/csv; charset=utf-8`` with ``Content-Disposition: attachment`` and a file name
  the caller builds from its own values, never from user input.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse

__all__ = [
    "BYTE_ORDER_MARK",
    "CSV_CONTENT_TYPE",
    "FORMULA_PREFIXES",
    "attachment",
    "csv_download",
    "csv_lines",
    "csv_text_download",
    "formula_safe",
]

#: A cell starting with one of these is run as a formula by Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BYTE_ORDER_MARK = "\ufeff"

_Response = TypeVar("_Response", bound=HttpResponseBase)


def formula_safe(value: str) -> str:
    """``value`` with a leading apostrophe if a spreadsheet would evaluate it (formula
    injection, OWASP); plain numbers such as ``-3.5`` stay numbers."""
    if not value.startswith(FORMULA_PREFIXES):
        return value
    try:
        Decimal(value)
    except (InvalidOperation, ValueError):
        return f"'{value}"
    return value


class _Echo:
    """A file-like object whose ``write`` hands the formatted line back, so a CSV is produced
    one row at a time instead of built whole in memory."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    """The CSV text line by line: the byte order mark and the header, then every row, each
    cell made ``formula_safe``. Lazy, so ``rows`` can be a database iterator."""
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow([formula_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([formula_safe(cell) for cell in row])


def attachment(response: _Response, filename: str) -> _Response:
    """``response`` sent as a download named ``filename`` (built from our own values only)."""
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(filename: str, lines: Iterable[str]) -> StreamingHttpResponse:
    """A CSV download streamed line by line (``csv_lines``), for exports of any length."""
    return attachment(StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE), filename)


def csv_text_download(filename: str, text: str) -> HttpResponse:
    """A CSV download sent whole (``"".join(csv_lines(...))``): for text kept in a cache, with a
    ``Content-Length``."""
    return attachment(HttpResponse(text, content_type=CSV_CONTENT_TYPE), filename)
