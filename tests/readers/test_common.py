"""Shared cleaning never raises on values LAs really send."""

from __future__ import annotations

import pandas as pd

from submissions.extract.readers.common import clean_ids, parse_dates


def test_years_a_timestamp_cannot_hold_are_invalid_not_an_exception() -> None:
    raw = pd.Series(["01/01/3024", "9999-12-31 10:00:00", "/2/01", "0001-01-01", "01/04/2024"])

    dates, invalid, _ = parse_dates(raw)

    assert invalid.tolist() == [True, True, True, True, False]
    assert dates.iloc[4] == pd.Timestamp("2024-04-01")


def test_two_digit_years_are_flagged_specifically() -> None:
    _, invalid, two_digit = parse_dates(pd.Series(["1/4/24", "01/04/2024"]))

    assert invalid.tolist() == [True, False]
    assert two_digit.tolist() == [True, False]


def test_ids_lose_excel_float_suffixes_but_keep_case() -> None:
    assert clean_ids(pd.Series([" 566910.0 ", "Ab12", ""])).tolist() == ["566910", "Ab12", pd.NA]
