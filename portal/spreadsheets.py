"""Safe cells for CSV and spreadsheet downloads: every export in the service uses this."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["FORMULA_PREFIXES", "formula_safe"]

#: A cell starting with one of these is run as a formula by Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
