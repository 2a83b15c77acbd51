"""compute_breakdowns: the same values by age band, sex, ethnicity group and disability."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from indicators.calculators import BREAKDOWN_COLUMNS, DIMENSIONS, compute_breakdowns
from indicators.registry import REGISTRY
from tests.indicators.conftest import compute, records, tables


def breakdowns(data: dict[str, pd.DataFrame], as_of: str = "2025-06-30") -> pd.DataFrame:
    return compute_breakdowns(
        data, as_of=date.fromisoformat(as_of), coverage_start=date(2022, 1, 1)
    )


def denominators(result: pd.DataFrame, dimension: str, period_end: str) -> dict[str, Any]:
    """cpp_open_2yrs denominators (plans open at E) by category, zeros left out."""
    rows = result[
        (result["indicator_id"] == "cpp_open_2yrs")
        & (result["dimension"] == dimension)
        & (result["period_end"] == pd.Timestamp(period_end))
    ]
    return {row["category"]: row["denominator"] for row in records(rows) if row["denominator"]}


def open_plans(children: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """One plan open from 2023-01-01 for each child; children with no attributes given have
    no child-table row."""
    return tables(
        child=[child for child in children if len(child) > 1],
        cp_plan=[{"child_id": child["child_id"], "start_date": "2023-01-01"} for child in children],
    )


def test_age_band_at_the_period_end() -> None:
    result = breakdowns(
        open_plans(
            [
                {"child_id": "A", "date_of_birth": "2020-03-15"},  # 5 on 2025-03-15
                {"child_id": "B", "date_of_birth": "2023-12-31"},  # 1 on 2024-12-31
                {"child_id": "C", "date_of_birth": "2008-06-30"},  # 16 on 2024-06-30
                {"child_id": "D", "date_of_birth": "2020-02-29"},  # 5 on 2025-02-28
                {"child_id": "E", "sex": "F"},  # no date of birth
            ]
        )
    )
    assert denominators(result, "age_band", "2024-11-30") == {
        "Under 1": 1,
        "1 to 4": 2,
        "16 and over": 1,
        "Unknown": 1,
    }
    # B's first birthday is the period end itself; C is 16.
    assert denominators(result, "age_band", "2024-12-31") == {
        "1 to 4": 3,
        "16 and over": 1,
        "Unknown": 1,
    }
    # D's fifth birthday falls on 28 February in 2025 (the calendar-month rule of
    # indicators.md applied to birthdays).
    assert denominators(result, "age_band", "2025-02-28") == {
        "1 to 4": 2,
        "5 to 9": 1,
        "16 and over": 1,
        "Unknown": 1,
    }
    assert denominators(result, "age_band", "2025-03-31")["5 to 9"] == 2


def test_sex_ethnicity_and_disability() -> None:
    result = breakdowns(
        open_plans(
            [
                {"child_id": "A", "sex": "M", "ethnicity": "WBRI", "disability": True},
                {"child_id": "B", "sex": "F", "ethnicity": "MWBC", "disability": False},
                {"child_id": "C", "sex": "U", "ethnicity": "CHNE", "disability": False},
                {"child_id": "D", "sex": "F", "ethnicity": "BAFR"},
                {"child_id": "E", "sex": "M", "ethnicity": "OOTH"},
                {"child_id": "F", "sex": "M", "ethnicity": "REFU"},
                {"child_id": "G", "sex": "F", "ethnicity": "NOBT"},
                {"child_id": "H"},  # not in the child table at all
            ]
        )
    )
    end = "2024-12-31"
    assert denominators(result, "sex", end) == {"Male": 3, "Female": 3, "Unknown": 2}
    assert denominators(result, "ethnicity", end) == {
        "White": 1,
        "Mixed": 1,
        "Asian": 1,  # CHNE: DfE's "Asian or Asian British" includes Chinese
        "Black": 1,
        "Other": 1,
        "Unknown": 3,  # REFU, NOBT, no record
    }
    assert denominators(result, "disability", end) == {"Yes": 1, "No": 2, "Unknown": 5}


def test_shape_and_indicators() -> None:
    result = breakdowns(open_plans([{"child_id": "A", "sex": "M"}]))
    assert tuple(result.columns) == BREAKDOWN_COLUMNS
    with_breakdowns = {i for i, indicator in REGISTRY.items() if indicator.breakdowns}
    assert set(result["indicator_id"]) == with_breakdowns
    assert not {"cin_rate", "cpp_rate", "cla_rate"} & with_breakdowns
    periods = result["period_end"].nunique()
    categories = sum(len(c) for c in DIMENSIONS.values())
    assert len(result) == len(with_breakdowns) * periods * categories


def test_categories_add_up_to_the_totals_and_share_the_status() -> None:
    data = tables(
        child=[
            {"child_id": "A", "sex": "M", "date_of_birth": "2015-01-01"},
            {"child_id": "B", "sex": "F", "date_of_birth": "2009-01-01"},
        ],
        cp_plan=[
            {"child_id": "A", "start_date": "2022-03-01", "end_date": "2023-02-01"},
            {"child_id": "A", "start_date": "2023-06-01"},
            {"child_id": "B", "start_date": "2023-09-01", "end_date": "2024-08-01"},
            {"child_id": "C", "start_date": "2024-02-01"},
        ],
    )
    totals: dict[tuple[Any, ...], dict[str, Any]] = {
        (row["indicator_id"], row["period_end"]): row
        for row in records(compute(data, coverage_start="2022-01-01", as_of="2025-06-30"))
    }
    parts = breakdowns(data)
    for key, group in parts.groupby(["indicator_id", "period_end", "dimension"]):
        total = totals[key[:2]]
        assert set(group["status"]) == {total["status"]}
        for column in ("numerator", "denominator"):
            if pd.isna(total[column]):
                assert group[column].isna().all()
            else:
                assert group[column].sum() == total[column], key
