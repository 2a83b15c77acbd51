"""nfa_at_assessment and nfa_reassessed_6m / _12m (indicators.md), hand-worked.

Extracts are complete from C0 = 2023-01-01 and dated 2025-06-30 unless a test says otherwise.
"""

from __future__ import annotations

import pandas as pd

from tests.indicators.conftest import compute, counts, tables, value_at


def referral(rid: str, child: str, date: str, closed: str | None = None, reason: str | None = None):
    return {
        "referral_id": rid,
        "child_id": child,
        "referral_date": date,
        "closure_date": closed,
        "closure_reason": reason,
    }


def assessment(
    child: str,
    start: str,
    authorised: str | None,
    rid: str | None = None,
    nfa: bool | None = None,
) -> dict[str, object]:
    return {
        "child_id": child,
        "referral_id": rid,
        "start_date": start,
        "authorisation_date": authorised,
        "outcome_nfa": nfa,
    }


def test_recorded_outcome_wins_over_inference() -> None:
    result = compute(
        tables(
            referral=[
                referral("RA", "A", "2024-01-10", "2024-03-01", "RC8"),
                referral("RB", "B", "2024-01-10", "2024-03-01", "RC7"),
            ],
            assessment=[
                # Inference would say NFA (RC8, latest, nothing after); the record says not.
                assessment("A", "2024-02-01", "2024-02-20", "RA", nfa=False),
                # Inference would say not (RC7); the record says NFA.
                assessment("B", "2024-02-01", "2024-02-20", "RB", nfa=True),
            ],
        ),
        as_of="2025-06-30",
    )
    row = value_at(result, "nfa_at_assessment", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
    assert row["note"] == "from the recorded assessment outcome"


def test_inference_takes_the_latest_assessment_of_the_episode() -> None:
    result = compute(
        tables(
            referral=[referral("R1", "A", "2024-01-02", "2024-03-01", "RC8")],
            assessment=[
                # Two assessments in one episode: only the later one can be the NFA one.
                assessment("A", "2024-01-05", "2024-01-20", "R1"),
                assessment("A", "2024-02-01", "2024-02-20", "R1"),
            ],
        ),
        as_of="2025-06-30",
    )
    row = value_at(result, "nfa_at_assessment", "2024-12-31")
    assert (row["numerator"], row["denominator"]) == (1, 2)
    assert row["note"] == "inferred from the episode's closure reason (RC8 or RC9)"


def test_closure_reasons_and_dates() -> None:
    result = compute(
        tables(
            referral=[
                referral("R8", "A", "2024-01-02", "2024-03-01", "RC8"),
                referral("R9", "B", "2024-01-02", "2024-03-01", "RC9"),  # early help: NFA
                referral("R7", "C", "2024-01-02", "2024-03-01", "RC7"),  # other: not NFA
                referral("RS", "D", "2024-01-02", "2024-02-20", "RC8"),  # closed on the day
                referral("RE", "E", "2024-01-02", "2024-02-19", "RC8"),  # closed a day before
                referral("RO", "F", "2024-01-02"),  # still open at C1: not (yet) NFA
            ],
            assessment=[
                assessment(child, "2024-02-01", "2024-02-20", rid)
                for child, rid in zip("ABCDEF", ["R8", "R9", "R7", "RS", "RE", "RO"], strict=True)
            ],
        ),
        as_of="2025-06-30",
    )
    # NFA: A (RC8), B (RC9), D (closed on the authorisation date) = 3 of 6.
    assert counts(result, "nfa_at_assessment", "2024-12-31") == (3, 6)


def test_later_actions_in_the_episode() -> None:
    result = compute(
        tables(
            referral=[
                referral(rid, child, "2024-01-02", "2024-06-01", "RC8")
                for child, rid in [("A", "RA"), ("B", "RB"), ("C", "RC"), ("D", "RD")]
            ]
            + [referral("RD2", "D", "2023-03-01", "2023-09-01", "RC1")],
            assessment=[
                assessment(child, "2024-02-01", "2024-02-20", f"R{child}") for child in "ABCD"
            ],
            # A: a CPP in the episode starting on the assessment's start date: not NFA.
            cp_plan=[
                {"child_id": "A", "referral_id": "RA", "start_date": "2024-02-01"},
                # D: a CPP in another episode of the same child does not matter.
                {"child_id": "D", "referral_id": "RD2", "start_date": "2023-04-01"},
            ],
            # B: a section 47 enquiry that started before the assessment: still NFA.
            s47_enquiry=[{"child_id": "B", "referral_id": "RB", "start_date": "2024-01-20"}],
            # C: a CIN plan starting after the assessment: not NFA.
            cin_plan=[{"child_id": "C", "referral_id": "RC", "start_date": "2024-03-01"}],
        ),
        as_of="2025-06-30",
    )
    # NFA: B and D = 2 of 4.
    assert counts(result, "nfa_at_assessment", "2024-12-31") == (2, 4)


def test_a_closure_after_the_period_end_counts() -> None:
    """Knowledge: an episode closed after E (but by C1) decides the assessment in P."""
    result = compute(
        tables(
            referral=[referral("R1", "A", "2024-11-01", "2025-01-10", "RC8")],
            assessment=[assessment("A", "2024-11-05", "2024-12-20", "R1")],
        ),
        as_of="2025-06-30",
    )
    assert counts(result, "nfa_at_assessment", "2024-12-31") == (1, 1)


def test_assessments_of_a_duplicate_referral_belong_to_the_one_kept() -> None:
    result = compute(
        tables(
            referral=[
                # The same referral twice (same child, same date): R1 (smallest id) is kept,
                # and R2's assessment becomes R1's.
                referral("R1", "A", "2024-01-02", "2024-03-01", "RC8"),
                referral("R2", "A", "2024-01-02"),
            ],
            assessment=[assessment("A", "2024-02-01", "2024-02-20", "R2")],
        ),
        as_of="2025-06-30",
    )
    assert counts(result, "nfa_at_assessment", "2024-12-31") == (1, 1)


def test_unauthorised_assessments_are_not_in_the_denominator() -> None:
    result = compute(
        tables(assessment=[assessment("A", "2024-02-01", None, nfa=True)]), as_of="2025-06-30"
    )
    row = value_at(result, "nfa_at_assessment", "2024-12-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (0, 0, None)


# --- progression to a new assessment

REASSESSMENTS = tables(
    assessment=[
        # A: NFA authorised 2024-03-31, new assessment on t0 + 6 months = 2024-09-30.
        assessment("A", "2024-03-01", "2024-03-31", nfa=True),
        assessment("A", "2024-09-30", None),
        # B: NFA authorised 2024-03-31, new assessment a day after t0 + 6 months.
        assessment("B", "2024-03-01", "2024-03-31", nfa=True),
        assessment("B", "2024-10-01", None),
        # C: the next assessment starts on t0 itself, which is not "after t0".
        assessment("C", "2024-03-01", "2024-03-31", nfa=True),
        assessment("C", "2024-03-31", None),
        # D: 2023-08-31 + 6 months = 2024-02-29 (clamped); new assessment that day.
        assessment("D", "2023-08-01", "2023-08-31", nfa=True),
        assessment("D", "2024-02-29", None),
    ]
)


def test_reassessed_within_6_months() -> None:
    result = compute(REASSESSMENTS, as_of="2025-06-30")
    # E = 2024-09-30, P = 2023-10-01..2024-09-30: the cohort is the NFA assessments whose
    # t0 + 6 months is in P: A, B, C (2024-09-30) and D (2024-02-29) = 4. New assessment in
    # (t0, t0 + 6 months]: A (on the last day), D (on the clamped last day) = 2.
    assert counts(result, "nfa_reassessed_6m", "2024-09-30") == (2, 4)
    # E = 2024-10-31: A, B and C stay (2024-09-30 is in P); D still (2024-02-29 >= S =
    # 2023-11-01).
    assert counts(result, "nfa_reassessed_6m", "2024-10-31") == (2, 4)
    # E = 2025-02-28, P = 2024-03-01..: D's due date 2024-02-29 has left P.
    assert counts(result, "nfa_reassessed_6m", "2025-02-28") == (1, 3)


def test_reassessed_within_12_months() -> None:
    result = compute(REASSESSMENTS, as_of="2025-06-30")
    # E = 2025-03-31, P = 2024-04-01..2025-03-31: due dates A, B, C 2025-03-31, D 2024-08-31
    # = 4. New assessment in (t0, t0 + 12 months]: A, B (2024-10-01 <= 2025-03-31), D = 3.
    row = value_at(result, "nfa_reassessed_12m", "2025-03-31")
    assert (row["numerator"], row["denominator"], row["value"]) == (3, 4, 75.0)


def test_reassessment_statuses_at_the_start_of_the_extract() -> None:
    result = compute(REASSESSMENTS, as_of="2025-06-30")
    # The cohort of E reaches back to S - k months, which must not precede C0 = 2023-01-01:
    # 6 months: S >= 2023-07-01, E >= 2024-06-30; 12 months: E >= 2024-12-31.
    for indicator, first_ok in [
        ("nfa_reassessed_6m", "2024-06-30"),
        ("nfa_reassessed_12m", "2024-12-31"),
    ]:
        series = result[result["indicator_id"] == indicator]
        later = series["period_end"] >= pd.Timestamp(first_ok)
        assert set(series.loc[~later, "status"]) == {"insufficient_history"}
        assert series.loc[~later, "numerator"].isna().all()
        assert set(series.loc[later, "status"]) == {"ok"}


def test_follow_up_ending_exactly_on_the_last_period_end_is_complete() -> None:
    """The cohort is defined by follow-up windows that end inside P and P ends on or before
    C1, so the latest period is ok (never incomplete_follow_up), and a new assessment on the
    very last day of the extract counts."""
    result = compute(
        tables(
            assessment=[
                # 6 months: 2024-10-31 + 6 months = 2025-04-30 (clamped), the period end.
                assessment("A", "2024-10-01", "2024-10-31", nfa=True),
                assessment("A", "2025-04-30", None),
                # 12 months: 2024-04-30 + 12 months = 2025-04-30.
                assessment("B", "2024-04-01", "2024-04-30", nfa=True),
                assessment("B", "2025-04-30", None),
            ]
        ),
        as_of="2025-04-30",
    )
    # 6 months, P = 2024-05-01..2025-04-30: A (due 2025-04-30, reassessed that day) and B
    # (due 2024-10-30, not reassessed by then) = 1 of 2.
    six = value_at(result, "nfa_reassessed_6m", "2025-04-30")
    assert (six["status"], six["numerator"], six["denominator"]) == ("ok", 1, 2)
    # 12 months: A is due 2025-10-31, after P; B is due on E and reassessed on E = 1 of 1.
    twelve = value_at(result, "nfa_reassessed_12m", "2025-04-30")
    assert (twelve["status"], twelve["numerator"], twelve["denominator"]) == ("ok", 1, 1)
    assert "incomplete_follow_up" not in set(result["status"])
