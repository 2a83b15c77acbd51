"""Which periods are reported, with which status, in which shape (indicators.md
"Conventions"; the reading is in the indicators.calculators docstring)."""

from __future__ import annotations

import pandas as pd

from indicators.calculators import RESULT_COLUMNS
from indicators.registry import REGISTRY
from tests.indicators.conftest import compute, tables, value_at

PLANS = tables(cp_plan=[{"child_id": "A", "start_date": "2023-03-10"}])


def period_ends(result: pd.DataFrame) -> list[str]:
    ends = result.loc[result["indicator_id"] == "cpp_open_2yrs", "period_end"]
    return [str(end.date()) for end in ends]


def test_from_the_first_whole_period_to_the_as_of_month_end() -> None:
    result = compute(PLANS, coverage_start="2023-01-01", as_of="2025-06-30")
    ends = period_ends(result)
    # The first period whose start S = E - 12 months + 1 day is on or after C0.
    assert (ends[0], ends[-1], len(ends)) == ("2023-12-31", "2025-06-30", 19)
    assert value_at(result, "cpp_open_2yrs", "2024-02-29")["period_start"] == pd.Timestamp(
        "2023-03-01"
    )
    assert value_at(result, "cpp_open_2yrs", "2025-02-28")["period_start"] == pd.Timestamp(
        "2024-03-01"
    )


def test_periods_are_12_whole_months() -> None:
    """indicators.md's S = E - 12 months + 1 day would make the period ending 2025-02-28
    start on 2024-02-29 (2025-02-28 - 12 months = 2024-02-28), so 29 February 2024 would
    be in two consecutive years' periods. P is the 12 whole months ending with E's month."""
    data = tables(cp_plan=[{"child_id": "A", "start_date": "2024-02-29"}])
    result = compute(data, coverage_start="2023-01-01", as_of="2025-06-30")
    assert value_at(result, "repeat_cpp_ever", "2024-02-29")["denominator"] == 1
    row = value_at(result, "repeat_cpp_ever", "2025-02-28")
    assert (row["period_start"], row["denominator"]) == (pd.Timestamp("2024-03-01"), 0)


def test_a_period_ending_after_the_as_of_date_is_never_reported() -> None:
    result = compute(PLANS, coverage_start="2023-01-01", as_of="2025-06-29")
    assert period_ends(result)[-1] == "2025-05-31"


def test_coverage_from_mid_month_starts_at_the_next_whole_month() -> None:
    result = compute(PLANS, coverage_start="2023-01-15", as_of="2025-06-30")
    assert period_ends(result)[0] == "2024-01-31"


def test_coverage_defaults_to_the_earliest_record_date() -> None:
    data = tables(
        child=[{"child_id": "A", "date_of_birth": "2010-01-01"}],  # a birth is not a record
        cp_plan=[{"child_id": "A", "start_date": "2023-05-01"}],
        referral=[{"child_id": "A", "referral_date": "2023-03-10"}],
    )
    result = compute(data, coverage_start=None, as_of="2025-06-30")
    # C0 = 2023-03-10, so the first whole month is April 2023 and the first E 2024-03-31.
    assert period_ends(result)[0] == "2024-03-31"


def test_less_than_one_whole_period_reports_the_latest_only() -> None:
    result = compute(PLANS, coverage_start="2025-01-01", as_of="2025-06-30")
    assert period_ends(result) == ["2025-06-30"]
    # Events in P need S >= C0; what is open at E needs only E >= C0.
    assert value_at(result, "repeat_cpp_ever", "2025-06-30")["status"] == "insufficient_history"
    assert value_at(result, "cpp_open_2yrs", "2025-06-30")["status"] == "ok"


def test_an_empty_extract_is_no_data() -> None:
    result = compute(tables(), coverage_start=None, as_of="2025-06-30")
    assert len(result) == len(REGISTRY)
    assert set(result["status"]) == {"no_data"}
    assert result["numerator"].isna().all()


def test_one_row_per_indicator_and_period_with_the_output_columns() -> None:
    result = compute(PLANS, as_of="2025-06-30")
    assert tuple(result.columns) == RESULT_COLUMNS
    assert list(dict.fromkeys(result["indicator_id"])) == list(REGISTRY)
    assert len(result) == len(REGISTRY) * 19
    assert not result.duplicated(["indicator_id", "period_end"]).any()
    assert {str(dtype) for dtype in result[["numerator", "denominator"]].dtypes} == {"Int64"}
    assert str(result["value"].dtype) == "Float64"


def test_percentages_round_half_up() -> None:
    plans = [
        {"child_id": f"C{n}", "start_date": "2024-03-01", "number_of_previous_cpp": int(n == 0)}
        for n in range(16)
    ]
    result = compute(tables(cp_plan=plans), as_of="2025-06-30")
    # 1 / 16 = 6.25%: half up gives 6.3 (rounding half to even would give 6.2).
    row = value_at(result, "repeat_cpp_ever", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 16, 6.3)


def test_counts_have_no_denominator() -> None:
    result = compute(PLANS, as_of="2025-06-30")
    row = value_at(result, "missing_at_period_end", "2024-12-31")
    assert row["status"] == "no_data"  # no CLA or missing episodes in this extract
    data = tables(
        cla_episode=[{"child_id": "A", "start_date": "2024-01-01"}],
        missing_episode=[{"child_id": "A", "type": "M", "start_date": "2024-12-01"}],
    )
    row = value_at(compute(data, as_of="2025-06-30"), "missing_at_period_end", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, None, 1.0)
