"""cin_rate, cpp_rate and cla_rate (indicators.md "Rates per 10,000 children"), hand-worked.
Extracts are complete from 2023-01-01 and dated 2025-06-30."""

from __future__ import annotations

from tests.indicators.conftest import compute, tables, value_at

POPULATION = {2023: 40_000, 2024: 50_000}


def test_cin_rate_counts_children_with_an_open_episode_excluding_nfa_referrals() -> None:
    result = compute(
        tables(
            referral=[
                {"child_id": "A", "referral_date": "2024-06-01"},  # open
                {"child_id": "A", "referral_date": "2024-09-01"},  # A again: one child
                {"child_id": "B", "referral_date": "2024-06-01", "closure_date": "2024-12-31"},
                {"child_id": "C", "referral_date": "2024-06-01", "closure_date": "2025-01-01"},
                {"child_id": "D", "referral_date": "2024-12-01", "referral_nfa": True},
                {"child_id": "E", "referral_date": "2025-01-01"},  # after E
            ]
        ),
        as_of="2025-06-30",
        population=POPULATION,
    )
    # E = 2024-12-31: open A (twice, one child) and C (closes after E); B closed on E, D's
    # referral ended in NFA. 2 children / 50,000 (mid-2024, the latest on or before E)
    # x 10,000 = 0.4.
    row = value_at(result, "cin_rate", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (2, 50_000, 0.4)


def test_population_is_the_latest_mid_year_on_or_before_the_period_end() -> None:
    result = compute(
        tables(cp_plan=[{"child_id": "A", "start_date": "2024-01-01"}]),
        as_of="2025-06-30",
        population=POPULATION,
    )
    # E = 2024-05-31 is before 30 June 2024: mid-2023 (40,000); 1 / 40,000 x 10,000 = 0.25,
    # which rounds half up to 0.3.
    row = value_at(result, "cpp_rate", "2024-05-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 40_000, 0.3)
    # E = 2024-06-30 is the mid-year date itself: mid-2024 (50,000); 0.2.
    row = value_at(result, "cpp_rate", "2024-06-30")
    assert (row["denominator"], row["value"]) == (50_000, 0.2)
    # E = 2025-06-30: no 2025 estimate, so still mid-2024.
    assert value_at(result, "cpp_rate", "2025-06-30")["denominator"] == 50_000


def test_no_population_keeps_the_count() -> None:
    result = compute(
        tables(cp_plan=[{"child_id": "A", "start_date": "2024-01-01"}]),
        as_of="2025-06-30",
        population={2024: 50_000},
    )
    # E = 2024-05-31: no mid-year estimate on or before it.
    row = value_at(result, "cpp_rate", "2024-05-31")
    assert (row["status"], row["numerator"], row["denominator"], row["value"]) == (
        "no_population",
        1,
        None,
        None,
    )
    without = compute(
        tables(cp_plan=[{"child_id": "A", "start_date": "2024-01-01"}]), as_of="2025-06-30"
    )
    rates = without[without["indicator_id"] == "cpp_rate"]
    assert set(rates["status"]) == {"no_population"}


def test_cla_rate_excludes_short_breaks() -> None:
    result = compute(
        tables(
            cla_episode=[
                {"child_id": "A", "start_date": "2024-01-01", "legal_status": "C2"},
                {"child_id": "B", "start_date": "2024-01-01", "legal_status": "V3"},
                {"child_id": "C", "start_date": "2024-01-01", "legal_status": "V4"},
                # A blank legal status (the DfE API payload has none) is not a short break.
                {"child_id": "D", "start_date": "2024-01-01"},
                {"child_id": "E", "start_date": "2024-01-01", "end_date": "2024-12-31"},
            ]
        ),
        as_of="2025-06-30",
        population=POPULATION,
    )
    # E = 2024-12-31: A and D (B, C short breaks; E ceased on E) = 2 / 50,000 x 10,000.
    row = value_at(result, "cla_rate", "2024-12-31")
    assert (row["numerator"], row["value"]) == (2, 0.4)
