"""Every download neutralises spreadsheet formula injection the same way, and every CSV is
written and sent the same way (``portal.spreadsheets``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import cast

import pytest
from django.http import HttpResponse, StreamingHttpResponse

from portal.spreadsheets import csv_download, csv_lines, csv_text_download, formula_safe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3.5", "-3.5"),  # a plain number stays a number
        ("+1", "+1"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_are_quoted(value: str, expected: str) -> None:
    assert formula_safe(value) == expected


def test_csv_lines_start_with_a_byte_order_mark_and_guard_every_cell() -> None:
    lines = list(csv_lines(["=Header", "b"], iter([["=1+1", "£5, é"], ["-2", "x\ny"]])))

    assert lines[0] == "\ufeff'=Header,b\r\n"
    assert list(csv.reader(io.StringIO("".join(lines).removeprefix("\ufeff")))) == [
        ["'=Header", "b"],
        ["'=1+1", "£5, é"],
        ["-2", "x\ny"],
    ]


def test_csv_downloads_streamed_and_whole_are_the_same_file() -> None:
    streamed = csv_download("a.csv", csv_lines(["h"], [["1"]]))
    whole = csv_text_download("b.csv", "".join(csv_lines(["h"], [["1"]])))

    assert isinstance(streamed, StreamingHttpResponse)
    assert isinstance(whole, HttpResponse)
    assert (
        b"".join(cast(Iterator[bytes], streamed.streaming_content))
        == whole.content
        == "\ufeffh\r\n1\r\n".encode()
    )
    for response, name in ((streamed, "a.csv"), (whole, "b.csv")):
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
