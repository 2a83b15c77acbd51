"""Validation reports as CSV and XLSX: pure builders over findings, safe to open in a
spreadsheet.

A finding's message, location or child id can carry text from the LA's own files, so a cell a
spreadsheet would run as a formula (one starting ``=``, ``+``, ``-``, ``@``, tab or carriage
return) gets a leading apostrophe and shows as text (OWASP "CSV injection"); control
characters are dropped first. The XLSX writer
also stores every cell explicitly as a string, so nothing is ever read back as a formula or a
number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from portal import spreadsheets
from portal.spreadsheets import formula_safe

__all__ = ["COLUMNS", "FindingRow", "csv_lines", "write_xlsx"]


#: Column headings, in the order of ``FindingRow.row``.
COLUMNS = ("Rule", "Severity", "File", "Location", "Child ID", "Field", "Message")


class FindingRow(Protocol):
    """What a report row needs from a finding (``ValidationFinding`` has all of it)."""

    code: str
    file: str
    location: str
    child_id: str
    field: str
    message: str

    def get_severity_display(self) -> str: ...


def _cells(finding: FindingRow) -> list[str]:
    values = (
        finding.code,
        finding.get_severity_display(),
        finding.file,
        finding.location,
        finding.child_id,
        finding.field,
        finding.message,
    )
    # Control characters go first: one in front of "=" would otherwise hide the formula from
    # the check, and XML 1.0 (so XLSX) cannot hold them anyway.
    return [formula_safe(ILLEGAL_CHARACTERS_RE.sub("", value)) for value in values]


def csv_lines(findings: Iterable[FindingRow]) -> Iterator[str]:
    """The report as CSV text, line by line (for a streaming response), in the service's one
    CSV policy (``portal.spreadsheets``: byte order mark, formula guard)."""
    return spreadsheets.csv_lines(COLUMNS, (_cells(finding) for finding in findings))


def write_xlsx(findings: Iterable[FindingRow], out: IO[bytes], title: str) -> None:
    """Write the report as an XLSX workbook to ``out``.

    openpyxl's write-only mode keeps memory flat however many findings there are.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])  # Excel's limit for a sheet name

    def row(values: Iterable[str]) -> list[Cell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # a string, whatever it looks like
            cells.append(cell)
        return cells

    sheet.append(row(COLUMNS))
    for finding in findings:
        sheet.append(row(_cells(finding)))
    workbook.save(out)
