"""Every download neutralises spreadsheet formula injection the same way."""

from __future__ import annotations

import pytest

from portal.spreadsheets import formula_safe


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
