"""Tables: one structure renders as the GOV.UK table and as its CSV download, so they agree.

A ``Table`` has a caption, a row-header column, the other columns and groups of rows; the
template ``govuk/table.html`` (in portal) draws it and ``csv_text`` writes it. ``value_cell``
turns a published ``Value`` into a cell, with the meaning of a suppression symbol for screen
readers; ``SYMBOLS`` is the key to those symbols that pages show beside their tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.presentation.formatting import csv_number
from dashboards.published.catalogue import SUPPRESSION_EXPLANATIONS
from dashboards.published.queries import MISSING_DISPLAY, Trend, Value
from portal.spreadsheets import csv_lines

MISSING_MEANING = "Nothing was published for this area and year."
# The symbols the tables may show, with what they mean (the "What the symbols mean" details).
SYMBOLS = [
    *SUPPRESSION_EXPLANATIONS.items(),
    (MISSING_DISPLAY, MISSING_MEANING),
]
# A trend cell's arrow (hidden from screen readers) and the words that say the same.
TREND_SYMBOLS = {
    Trend.UP: ("↑", "Up"),
    Trend.DOWN: ("↓", "Down"),
    Trend.SAME: ("→", "No change"),
    Trend.NOT_COMPARABLE: ("", "Cannot compare"),
}


@dataclass(frozen=True)
class Column:
    """A column heading; ``csv`` are the CSV columns it becomes (a trend becomes three)."""

    label: str
    csv: tuple[str, ...]
    numeric: bool = True


@dataclass(frozen=True)
class Cell:
    """A table cell as shown (``text``) and as CSV fields (``csv``).

    ``meaning`` explains a suppression symbol to screen readers; ``symbol`` is a trend arrow,
    hidden from them because ``text`` says the same in words; ``note`` is shown under the
    figure (a joint return's).
    """

    text: str
    csv: tuple[str, ...]
    meaning: str = ""
    symbol: str = ""
    note: str = ""
    numeric: bool = True


@dataclass(frozen=True)
class Row:
    """A row: its header (``csv``: the header's CSV fields), cells, and an optional link and tag."""

    header: str
    cells: tuple[Cell, ...]
    csv: tuple[str, ...]
    href: str = ""
    tag: str = ""


@dataclass(frozen=True)
class RowGroup:
    """Rows under an optional sub-heading (a ``<tbody>`` with a rowgroup header)."""

    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Table:
    """A table: its caption, the row-header column, the other columns and the rows."""

    caption: str
    header: Column
    columns: tuple[Column, ...]
    groups: tuple[RowGroup, ...]

    @property
    def row_count(self) -> int:
        return sum(len(group.rows) for group in self.groups)


def value_cell(value: Value, decimals: int) -> Cell:
    """A figure's cell: the number as shown (and rounded the same in CSV), or its symbol."""
    if value.value is not None:
        return Cell(value.display, (csv_number(value.value, decimals),), note=value.note)
    return Cell(value.display, (value.display,), meaning=value.explanation or MISSING_MEANING)


def csv_text(table: Table) -> str:
    """The table as CSV: one header row, then every row of every group."""
    header = [*table.header.csv, *(name for column in table.columns for name in column.csv)]
    rows = (
        [*row.csv, *(field for cell in row.cells for field in cell.csv)]
        for group in table.groups
        for row in group.rows
    )
    return "".join(csv_lines(header, rows))
