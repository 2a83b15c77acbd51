"""cpp_open_2yrs (indicators.md), hand-worked. Extracts are complete from 2023-01-01."""

from __future__ import annotations

from tests.indicators.conftest import compute, counts, tables, value_at


def plan(child: str, start: str, end: str | None = None) -> dict[str, object]:
    return {"child_id": child, "start_date": start, "end_date": end}


def test_open_at_the_period_end() -> None:
    result = compute(
        tables(
            cp_plan=[
                plan("A", "2024-01-01", "2024-12-31"),  # ends on E: not open
                plan("B", "2024-01-01", "2025-01-01"),  # ends after E: open
                plan("C", "2024-12-31"),  # starts on E: open
                plan("D", "2025-01-01"),  # starts after E
                plan("E", "2022-12-31"),  # open, started on E - 24 months: 2 years
                plan("F", "2023-01-01"),  # open, a day short of 2 years
            ]
        ),
        coverage_start="2022-01-01",
        as_of="2025-06-30",
    )
    # E = 2024-12-31: open B, C, E, F = 4; of which started on or before 2022-12-31: E.
    row = value_at(result, "cpp_open_2yrs", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 4, 25.0)


def test_february_period_end_and_29_february_start() -> None:
    result = compute(
        tables(
            cp_plan=[
                plan("A", "2024-02-28"),
                plan("B", "2024-02-29"),
            ]
        ),
        coverage_start="2024-01-01",
        as_of="2026-06-30",
    )
    # E = 2026-02-28: E - 24 months = 2024-02-28 (clamped day 28 exists in 2024): A counts,
    # B (29 February) does not yet.
    assert counts(result, "cpp_open_2yrs", "2026-02-28") == (1, 2)
    # E = 2026-03-31: E - 24 months = 2024-03-31: both.
    assert counts(result, "cpp_open_2yrs", "2026-03-31") == (2, 2)
    # E = 2026-01-31: neither.
    assert counts(result, "cpp_open_2yrs", "2026-01-31") == (0, 2)


def test_needs_no_look_back() -> None:
    """An open plan carries its own start date: ok from the first reported period, even for
    a plan that started long before C0."""
    result = compute(tables(cp_plan=[plan("A", "2019-05-01")]), as_of="2025-06-30")
    row = value_at(result, "cpp_open_2yrs", "2023-12-31")
    assert (row["status"], row["numerator"], row["denominator"]) == ("ok", 1, 1)


def test_duplicate_plans_count_once() -> None:
    result = compute(
        tables(cp_plan=[plan("A", "2024-01-01"), plan("A", "2024-01-01", "2025-03-01")]),
        as_of="2025-06-30",
    )
    assert counts(result, "cpp_open_2yrs", "2024-12-31") == (0, 1)
