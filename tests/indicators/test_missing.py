"""cla_missing_pct, cla_away_pct, missing_episodes_per_child, missing_at_period_end
(indicators.md), hand-worked. Extracts are complete from 2023-01-01 and dated 2025-06-30."""

from __future__ import annotations

from tests.indicators.conftest import compute, counts, tables, value_at


def episode(
    child: str, start: str, end: str | None = None, status: str = "C2"
) -> dict[str, object]:
    return {"child_id": child, "start_date": start, "end_date": end, "legal_status": status}


def missing(child: str, start: str, end: str | None = None, kind: str = "M") -> dict[str, object]:
    return {"child_id": child, "type": kind, "start_date": start, "end_date": end}


EXTRACT = tables(
    cla_episode=[
        episode("A", "2023-06-01"),
        # B: only short breaks (V3/V4) in both years: excluded throughout.
        episode("B", "2023-05-01", "2023-05-03", "V3"),
        episode("B", "2024-03-01", "2024-03-04", "V3"),
        episode("B", "2024-06-01", None, "V4"),
        # C: a short break and a care episode in 2024: looked after in 2024.
        episode("C", "2024-02-01", "2024-02-03", "V3"),
        episode("C", "2024-08-01"),
        # D: ceased on 2024-01-01 = S of the 2024 period: still looked after in it.
        episode("D", "2023-02-01", "2024-01-01"),
        # E: ceased on 2023-12-31, the day before S.
        episode("E", "2023-02-01", "2023-12-31"),
        # F: only a short break in 2023, a care episode from May 2024.
        episode("F", "2023-03-01", "2023-03-05", "V3"),
        episode("F", "2024-05-01"),
    ],
    missing_episode=[
        missing("A", "2024-02-01", "2024-02-03"),
        missing("A", "2024-02-01", "2024-02-03"),  # a duplicate: counted once
        missing("A", "2024-05-10"),  # still missing
        missing("A", "2024-03-01", "2024-03-02", "A"),  # away: another kind, same child
        missing("B", "2024-03-02", "2024-03-03"),  # short-break-only child: excluded
        missing("C", "2023-12-20", "2024-01-01"),  # ends on S: overlaps 2024
        missing("C", "2024-12-01", "2024-12-31"),  # ends on E: not open at E
        missing("C", "2024-09-01", "2024-09-01", "A"),
        missing("D", "2023-12-01", "2023-12-31"),  # ends the day before the 2024 S
        missing("F", "2024-10-01", "2024-10-02"),
        missing("F", "2024-12-31", "2025-01-02"),  # open at E = 2024-12-31
        missing("G", "2024-04-01", "2024-04-02"),  # G was never looked after: excluded
    ],
)


def test_period_2024() -> None:
    result = compute(EXTRACT, as_of="2025-06-30")
    end = "2024-12-31"  # P = 2024-01-01..2024-12-31
    # Looked after in P, short breaks aside: A, C, D, F = 4 (B short breaks only, E left
    # before S). With a missing episode overlapping P: A, C, F (D's ended before S) = 3.
    assert counts(result, "cla_missing_pct", end) == (3, 4)
    assert value_at(result, "cla_missing_pct", end)["value"] == 75.0
    # Away: A and C = 2 of 4.
    assert counts(result, "cla_away_pct", end) == (2, 4)
    # Missing episodes overlapping P: A 2 (the duplicate once), C 2, F 2 = 6 for 3 children.
    row = value_at(result, "missing_episodes_per_child", end)
    assert (row["numerator"], row["denominator"], row["value"]) == (6, 3, 2.0)
    # Missing at E: A (no end) and F (ends after E); C's ends on E = 2.
    row = value_at(result, "missing_at_period_end", end)
    assert (row["numerator"], row["denominator"], row["value"]) == (2, None, 2.0)


def test_period_2023() -> None:
    result = compute(EXTRACT, as_of="2025-06-30")
    end = "2023-12-31"  # P = 2023-01-01..2023-12-31, the first reported period
    # Looked after: A, D, E; F had only a short break in 2023 and C no episode. Missing:
    # D only (C's episode started in 2023 but C was not looked after then).
    assert counts(result, "cla_missing_pct", end) == (1, 3)
    assert value_at(result, "cla_missing_pct", end)["value"] == 33.3
    assert counts(result, "missing_episodes_per_child", end) == (1, 1)
    # Missing at E: D's episode ended on E; C's is open but C was not looked after.
    assert counts(result, "missing_at_period_end", end) == (0, None)


def test_ratio_rounds_half_up() -> None:
    children = ["P1", "P2", "P3", "P4"]
    result = compute(
        tables(
            cla_episode=[episode(child, "2024-01-01") for child in children],
            missing_episode=[missing("P1", "2024-02-01", "2024-02-02")]
            + [missing(child, "2024-03-01", "2024-03-02") for child in children],
        ),
        as_of="2025-06-30",
    )
    # 5 episodes / 4 children = 1.25, which rounds half up to 1.3 (not to even, 1.2).
    row = value_at(result, "missing_episodes_per_child", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (5, 4, 1.3)


def test_no_missing_episodes_is_no_data_not_zero() -> None:
    """An extract with CLA episodes but no missing table (the DfE API payload has none)."""
    result = compute(tables(cla_episode=[episode("A", "2023-06-01")]), as_of="2025-06-30")
    missing_ids = {
        "cla_missing_pct",
        "cla_away_pct",
        "missing_episodes_per_child",
        "missing_at_period_end",
    }
    rows = result[result["indicator_id"].isin(missing_ids)]
    assert set(rows["status"]) == {"no_data"}
    assert rows["numerator"].isna().all()
    assert rows["value"].isna().all()
    cla = result[result["indicator_id"] == "cla_rate"]
    assert set(cla["status"]) == {"no_population"}
