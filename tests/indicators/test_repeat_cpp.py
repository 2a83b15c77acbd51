"""repeat_cpp_12m and repeat_cpp_ever (indicators.md), hand-worked.

Every extract here is complete from C0 = 2023-01-01 and dated 2025-06-30. repeat_cpp_12m needs
history from S - 12 months, so its first ok period is E = 2024-12-31 (S = 2024-01-01).
"""

from __future__ import annotations

import pandas as pd

from tests.indicators.conftest import compute, counts, tables, value_at


def plan(child: str, start: str, end: str | None = None, **extra: object) -> dict[str, object]:
    return {"child_id": child, "start_date": start, "end_date": end, **extra}


def test_exactly_12_months_is_a_repeat_one_day_more_is_not() -> None:
    result = compute(
        tables(
            cp_plan=[
                # A: new plan 2025-03-15; 2025-03-15 - 12 months = 2024-03-15 = previous end.
                plan("A", "2023-02-01", "2024-03-15"),
                plan("A", "2025-03-15"),
                # B: previous end 2024-03-14 is one day before 2024-03-15: not a repeat.
                plan("B", "2023-02-01", "2024-03-14"),
                plan("B", "2025-03-15"),
            ]
        ),
        as_of="2025-06-30",
    )
    # P = 2024-04-01..2025-03-31 holds the two 2025 plans; only A's is a repeat.
    assert counts(result, "repeat_cpp_12m", "2025-03-31") == (1, 2)
    assert value_at(result, "repeat_cpp_12m", "2025-03-31")["value"] == 50.0


def test_29_february_clamps_to_28_february() -> None:
    result = compute(
        tables(
            cp_plan=[
                # 2025-02-28 - 12 months = 2024-02-28 <= end 2024-02-29: repeat.
                plan("A", "2023-03-01", "2024-02-29"),
                plan("A", "2025-02-28"),
                # 2025-03-01 - 12 months = 2024-03-01 > end 2024-02-29: not a repeat.
                plan("B", "2023-03-01", "2024-02-29"),
                plan("B", "2025-03-01"),
                # The mirror rule (end >= start - 12 months) applied to a 29 February start:
                # 2024-02-29 - 12 months = 2023-02-28 = end, so a repeat (although
                # 2023-02-28 + 12 months = 2024-02-28 is a day earlier than the start).
                plan("C", "2023-01-10", "2023-02-28"),
                plan("C", "2024-02-29"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2025-03-31 holds A's and B's new plans.
    assert counts(result, "repeat_cpp_12m", "2025-03-31") == (1, 2)
    # E = 2024-12-31 (S = 2024-01-01, the first ok period) holds C's 2024-02-29 plan only.
    assert counts(result, "repeat_cpp_12m", "2024-12-31") == (1, 1)


def test_an_overlapping_earlier_plan_is_not_a_repeat() -> None:
    result = compute(
        tables(
            cp_plan=[
                # A: the earlier plan is still open on the new start.
                plan("A", "2024-01-10"),
                plan("A", "2024-06-01", "2024-08-01"),
                # B: the earlier plan ends after the new start.
                plan("B", "2024-01-10", "2024-06-02"),
                plan("B", "2024-06-01"),
                # C: the earlier plan ends on the new start date: "ended on or before", and
                # not open on that day (indicators.md "Open"), so a repeat.
                plan("C", "2024-01-10", "2024-06-01"),
                plan("C", "2024-06-01"),
                # D: an overlapping plan and, besides it, one that ended within 12 months.
                plan("D", "2023-02-01", "2023-09-30"),
                plan("D", "2024-01-10"),
                plan("D", "2024-06-01"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2024-12-31: plans starting in 2024 are A x2, B x2, C x2, D x2 = 8. Repeats: C's
    # 2024-06-01 (ended same day) and D's 2024-01-10 (2023-09-30 >= 2023-01-10) and D's
    # 2024-06-01 (2023-09-30 >= 2023-06-01; D's open 2024-01-10 plan does not stop it).
    assert counts(result, "repeat_cpp_12m", "2024-12-31") == (3, 8)


def test_open_plans_and_zero_length_plans() -> None:
    result = compute(
        tables(
            cp_plan=[
                # A zero-length plan is an earlier plan for a later one but never its own.
                plan("A", "2024-05-01", "2024-05-01"),
                plan("A", "2024-09-01"),
                # B: an earlier plan that never ended cannot make a repeat.
                plan("B", "2023-03-01"),
                plan("B", "2024-09-01"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2024-12-31: plans starting in 2024 are A 2024-05-01, A 2024-09-01 and
    # B 2024-09-01 = 3; the only repeat is A 2024-09-01 (previous end 2024-05-01).
    assert counts(result, "repeat_cpp_12m", "2024-12-31") == (1, 3)


def test_duplicates_count_once() -> None:
    result = compute(
        tables(
            cp_plan=[
                plan("A", "2023-06-01", "2024-01-31"),
                # The same plan twice (same child, same start): counted once.
                plan("A", "2024-06-01"),
                plan("A", "2024-06-01", "2024-12-01"),
            ]
        ),
        as_of="2025-06-30",
    )
    assert counts(result, "repeat_cpp_12m", "2024-12-31") == (1, 1)


def test_insufficient_history_until_s_minus_12_months_is_covered() -> None:
    result = compute(tables(cp_plan=[plan("A", "2023-06-01")]), as_of="2025-06-30")
    series = result[result["indicator_id"] == "repeat_cpp_12m"]
    # First reported period: E = 2023-12-31 (S = C0). Ok from E = 2024-12-31.
    assert series["period_end"].min() == pd.Timestamp("2023-12-31")
    early = series[series["period_end"] < pd.Timestamp("2024-12-31")]
    assert set(early["status"]) == {"insufficient_history"}
    assert early["numerator"].isna().all()
    assert early["value"].isna().all()
    assert set(series.loc[series["period_end"] >= pd.Timestamp("2024-12-31"), "status"]) == {"ok"}


def test_ever_uses_number_of_previous_cpp_where_supplied() -> None:
    result = compute(
        tables(
            cp_plan=[
                # A: supplied 0 wins over the earlier plan in the extract: not counted.
                plan("A", "2023-03-01", "2023-06-01"),
                plan("A", "2024-03-01", number_of_previous_cpp=0),
                # B: supplied 2 with no earlier plan in the extract: counted.
                plan("B", "2024-04-01", number_of_previous_cpp=2),
                # C: not supplied; an earlier plan in the extract (overlapping is fine for
                # "ever"): counted.
                plan("C", "2023-02-01"),
                plan("C", "2024-05-01"),
                # D: not supplied, no earlier plan: not counted.
                plan("D", "2024-06-01"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2024-12-31 holds A, B, C's 2024 plan and D: 4; counted B and C.
    row = value_at(result, "repeat_cpp_ever", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (2, 4, 50.0)
    assert row["note"] == (
        "from NumberOfPreviousCPP for 2 of 4 plans, else from plans in the extract"
    )
    # "Ever" needs no look-back: E = 2023-12-31 (A's and C's 2023 plans) is ok, and neither
    # plan has an earlier one.
    first = value_at(result, "repeat_cpp_ever", "2023-12-31")
    assert (first["status"], first["numerator"], first["denominator"]) == ("ok", 0, 2)
    assert first["note"] == "from plans in the extract"
    # E = 2025-06-30 (S = 2024-07-01): no plan starts in it, so no value and no note.
    last = value_at(result, "repeat_cpp_ever", "2025-06-30")
    assert (last["denominator"], last["value"], last["note"]) == (0, None, None)


def test_ever_note_when_every_plan_has_the_count() -> None:
    result = compute(
        tables(cp_plan=[plan("A", "2024-03-01", number_of_previous_cpp=1)]),
        as_of="2025-06-30",
    )
    assert value_at(result, "repeat_cpp_ever", "2024-12-31")["note"] == "from NumberOfPreviousCPP"
