"""Vectorised cleaning shared by every reader: codes, dates and flags as LAs really send them.

Each function takes a pandas Series of raw strings (as read, ``dtype=str``) and returns the
canonical dtype plus a boolean mask of values that were present but unusable, so the reader can
turn those into located findings. Nothing here raises on bad data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["clean_codes", "clean_ids", "parse_dates", "parse_flags", "parse_ints"]

# Plain pattern strings (no compiled objects, no \s) let pandas use pyarrow's regex engine
# instead of Python's re: about 3x faster on a code column.
_TRAILING_ZERO = r"\.0+$"
_ANNEX_A_PREFIX = r"^[a-zA-Z]\)[ \t]*"


def clean_codes(raw: pd.Series) -> pd.Series:
    """Strip whitespace, upper-case, drop a trailing ``.0`` (Excel turned ``1`` into ``1.0``),
    and an Annex A style prefix (``a) WBRI`` -> ``WBRI``). Blank -> <NA>."""
    s = raw.astype("string").str.strip()
    s = s.str.replace(_ANNEX_A_PREFIX, "", regex=True)
    s = s.str.replace(_TRAILING_ZERO, "", regex=True).str.upper()
    return s.mask(s == "")


def clean_ids(raw: pd.Series) -> pd.Series:
    """Child identifiers: trimmed, blank -> <NA>, and a numeric id that Excel turned into a
    float (``566910.0``) back to ``566910``. Case is kept: identifiers are the LA's own."""
    s = raw.astype("string").str.strip()
    s = s.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return s.mask(s == "")


# Formats seen in LA files, tried in order on the values still unparsed. Two-digit years are
# deliberately not accepted: "01/04/24" could be 1924 or 2024 for a date of birth.
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S",
                 "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")  # fmt: skip


def parse_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse dates; returns ``(dates, invalid, two_digit_year)``.

    ``invalid`` marks non-blank values that are not a date in any accepted format;
    ``two_digit_year`` marks the subset that look like ``dd/mm/yy`` (a specific message helps).
    """
    s = raw.astype("string").str.strip()
    s = s.mask(s == "")
    result = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s.notna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        # datetime64[ns] holds years 1678-2261 only; a year outside (a typo such as 3024)
        # is unreadable, never an exception.
        ok = parsed.notna() & parsed.dt.year.between(1678, 2261)
        result.loc[parsed.index[ok]] = parsed[ok].astype("datetime64[ns]")
        todo.loc[parsed.index[ok]] = False
    two_digit = todo & s.str.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", na=False)
    return result, todo, two_digit


_TRUE = {"1", "TRUE", "T", "Y", "YES"}
_FALSE = {"0", "FALSE", "F", "N", "NO"}


def parse_flags(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no flags written as 1/0, true/false, Y/N, Yes/No (any case; ``a) Yes`` too).
    Returns ``(flags, invalid)``."""
    codes = clean_codes(raw)
    flags = pd.Series(pd.NA, index=codes.index, dtype="boolean")
    flags[codes.isin(_TRUE)] = True
    flags[codes.isin(_FALSE)] = False
    invalid = codes.notna() & flags.isna()
    return flags, invalid


def parse_ints(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse whole numbers (``3``, ``3.0``, `` 3 ``). Returns ``(numbers, invalid)``."""
    s = clean_codes(raw)
    numbers = pd.to_numeric(s, errors="coerce")
    whole = numbers.notna() & (np.floor(numbers) == numbers)
    invalid = s.notna() & ~whole
    return numbers.where(whole).astype("Int64"), invalid
