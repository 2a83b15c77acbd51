"""rereferral_12m (indicators.md), hand-worked. Extracts are complete from 2023-01-01 and
dated 2025-06-30, so the first ok period is E = 2024-12-31."""

from __future__ import annotations

from tests.indicators.conftest import compute, counts, tables, value_at


def referral(child: str, date: str, **extra: object) -> dict[str, object]:
    return {"child_id": child, "referral_date": date, **extra}


def test_exactly_12_months_before_is_a_rereferral_one_day_more_is_not() -> None:
    result = compute(
        tables(
            referral=[
                # A: 2025-03-15 - 12 months = 2024-03-15, the earlier referral's date.
                referral("A", "2024-03-15"),
                referral("A", "2025-03-15"),
                # B: the earlier referral is a day older.
                referral("B", "2024-03-14"),
                referral("B", "2025-03-15"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2025-03-31, P = 2024-04-01..2025-03-31: the two 2025 referrals; A's is a
    # re-referral.
    assert counts(result, "rereferral_12m", "2025-03-31") == (1, 2)


def test_29_february() -> None:
    result = compute(
        tables(
            referral=[
                # 2025-02-28 - 12 months = 2024-02-28 <= 2024-02-29: a re-referral.
                referral("A", "2024-02-29"),
                referral("A", "2025-02-28"),
                # 2024-02-29 - 12 months = 2023-02-28: a re-referral (the mirror rule).
                referral("B", "2023-02-28"),
                referral("B", "2024-02-29"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2024-12-31 holds A's and B's 2024-02-29 referrals: B's is a re-referral.
    assert counts(result, "rereferral_12m", "2024-12-31") == (1, 2)
    # E = 2025-02-28, P = 2024-03-01..2025-02-28: only A's 2025 referral, a re-referral.
    assert counts(result, "rereferral_12m", "2025-02-28") == (1, 1)


def test_nfa_referrals_count_and_duplicates_count_once() -> None:
    result = compute(
        tables(
            referral=[
                referral("A", "2024-05-01", referral_nfa=True),
                referral("A", "2024-09-01", referral_nfa=True),
                # The same referral twice: once, and not a re-referral of itself.
                referral("B", "2024-06-01"),
                referral("B", "2024-06-01"),
            ]
        ),
        as_of="2025-06-30",
    )
    # E = 2024-12-31: A's two NFA referrals and B's one = 3; A's second is a re-referral.
    row = value_at(result, "rereferral_12m", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 3, 33.3)


def test_only_the_same_child_counts() -> None:
    result = compute(
        tables(referral=[referral("A", "2024-05-01"), referral("B", "2024-06-01")]),
        as_of="2025-06-30",
    )
    assert counts(result, "rereferral_12m", "2024-12-31") == (0, 2)


def test_insufficient_history_before_s_minus_12_months_is_covered() -> None:
    result = compute(tables(referral=[referral("A", "2023-03-01")]), as_of="2025-06-30")
    assert value_at(result, "rereferral_12m", "2024-11-30")["status"] == "insufficient_history"
    assert value_at(result, "rereferral_12m", "2024-12-31")["status"] == "ok"
