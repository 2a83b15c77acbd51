"""CIN census rules: each case has rows the rule must pass and rows it must flag.

The period is 1 April 2024 to 31 March 2025 (``make_extract``'s default).
"""

from __future__ import annotations

from typing import Any

import pytest

from submissions.extract.canonical import Format
from tests.rules.conftest import (
    assessment,
    child,
    cin_plan,
    cp_plan,
    flagged,
    make_extract,
    referral,
    s47,
)

R = referral
CLOSED = {"closure_date": "2024-08-01", "closure_reason": "RC7"}

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # --- dates against the referral
    (
        "1103",
        {
            "referral": [R()],
            "assessment": [
                assessment(start_date="2024-05-01"),
                assessment("A2", start_date="2024-04-30"),
            ],
        },
        ["assessment[1]"],
    ),
    (
        "1104",
        {
            "referral": [R()],
            "s47_enquiry": [s47(icpc_date="2024-05-01"), s47("S2", icpc_date="2024-04-30")],
        },
        ["s47_enquiry[1]"],
    ),
    (
        "1105",
        {
            "referral": [R()],
            "cp_plan": [cp_plan(start_date="2024-05-01"), cp_plan("CP2", start_date="2024-04-30")],
        },
        ["cp_plan[1]"],
    ),
    (
        "2889",
        {
            "referral": [R()],
            "s47_enquiry": [s47(start_date="2024-05-01"), s47("S2", start_date="2024-04-30")],
        },
        ["s47_enquiry[1]"],
    ),
    (
        "4015",
        {
            "referral": [R()],
            "cin_plan": [
                cin_plan(start_date="2024-05-01"),
                cin_plan("P2", start_date="2024-04-30"),
            ],
        },
        ["cin_plan[1]"],
    ),
    (
        "2885",
        {
            "referral": [R(), R("R2"), R("R3")],
            "s47_enquiry": [s47(), s47("S2", "R2", icpc_date="2024-06-03")],
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", "R2", start_date="2024-06-04"),
                cp_plan("CP3", "R3", start_date="2024-06-04"),
                cp_plan("CP4", "R2", start_date="2024-03-01"),
            ],
        },
        ["cp_plan[1]"],
    ),
    # --- the referral (CIN episode)
    (
        "2990",
        {
            "referral": [
                R(closure_date="2024-08-01", closure_reason="RC8"),
                R("R2", closure_date="2024-08-01", closure_reason="RC9"),
                R("R3", **CLOSED),
            ],
            "cin_plan": [cin_plan()],
            "cp_plan": [cp_plan("CP1", "R3")],
        },
        ["referral[0]"],
    ),
    (
        "2991Q",
        {
            "referral": [R(), R("R2")],
            "assessment": [assessment()],
            "s47_enquiry": [s47(), s47("S2", "R2")],
        },
        ["referral[1]"],
    ),
    (
        "4000",
        {
            "referral": [R(referral_nfa=True), R("R2")],
            "cin_plan": [cin_plan(), cin_plan("P2", "R2")],
        },
        ["referral[0]"],
    ),
    (
        "8831",
        {
            "referral": [
                R(referral_nfa=True),
                R("R2", referral_nfa=True),
                R("R3", referral_nfa=True),
            ],
            "assessment": [assessment(authorisation_date=None)],
            "s47_enquiry": [s47("S1", "R3")],
        },
        ["referral[0]", "referral[2]"],
    ),
    (
        "8832",
        {"referral": [R(referral_nfa=True), R("R2")], "cp_plan": [cp_plan(), cp_plan("CP2", "R2")]},
        ["referral[0]"],
    ),
    # 1 April 2024 was Easter Monday: one working day "before" the census start is 2 April.
    (
        "8569Q",
        {
            "referral": [
                R(referral_date="2024-03-28"),
                R("R2", referral_date="2024-04-01", referral_nfa=True),
                R("R3", referral_date="2024-04-02", referral_nfa=True),
                R("R4", referral_date="2024-03-01", referral_nfa=None),
            ]
        },
        ["referral[1]", "referral[3]"],
    ),
    (
        "8600",
        {"referral": [R(), R("R2", referral_date=None), R("R3", referral_date="2025-04-01")]},
        ["referral[1]", "referral[2]"],
    ),
    (
        "8606",
        {
            "child": [child(date_of_birth="2015-06-01"), child("C2", date_of_birth=None)],
            "referral": [
                R(referral_date="2014-08-25"),
                R("R2", referral_date="2014-08-24"),
                R("R3", "C2", referral_date="2001-01-01"),
            ],
        },
        ["referral[1]"],
    ),
    (
        "8610",
        {
            "referral": [
                R(),
                R("R2", primary_need=None),
                R("R3", referral_nfa=True, primary_need=None),
            ]
        },
        ["referral[1]"],
    ),
    (
        "8620",
        {
            "referral": [
                R(closure_date="2024-04-01"),
                R("R2", closure_date="2024-03-31"),
                R("R3", closure_date="2025-04-01"),
                R("R4"),
            ]
        },
        ["referral[1]", "referral[2]"],
    ),
    (
        "8565",
        {
            "referral": [R(closure_date="2024-06-01", closure_reason="RC7")],
            "assessment": [
                assessment(),
                assessment("A2", start_date="2024-05-25", authorisation_date="2024-06-02"),
            ],
            "s47_enquiry": [s47()],
            "cin_plan": [cin_plan()],
            "cp_plan": [cp_plan()],
        },
        ["assessment[1]", "cin_plan[0]", "cp_plan[0]"],
    ),
    ("8805", {"referral": [R(**CLOSED), R("R2", closure_date="2024-08-01")]}, ["referral[1]"]),
    ("8810", {"referral": [R(**CLOSED), R("R2", closure_reason="RC7")]}, ["referral[1]"]),
    (
        "8815",
        {
            "referral": [
                R(),
                R("R2"),
                R("R3", "C2"),
                R("R4", "C2", **CLOSED),
                R("R5", "C3", referral_nfa=True),
                R("R6", "C3", referral_nfa=True),
                R("R7", "C3"),
            ]
        },
        ["referral[0]", "referral[1]"],
    ),
    (
        "8816",
        {
            "referral": [
                R(),
                R(
                    "R2",
                    referral_date="2024-06-01",
                    closure_date="2024-06-10",
                    closure_reason="RC7",
                ),
                R("R3", "C2", **CLOSED),
                R("R4", "C2", referral_date="2024-09-01"),
            ]
        },
        ["referral[0]"],
    ),
    (
        "8820",
        {
            "referral": [
                R(closure_date="2024-06-01", closure_reason="RC7"),
                R(
                    "R2",
                    referral_date="2024-06-01",
                    closure_date="2024-07-01",
                    closure_reason="RC7",
                ),
                R("R3", referral_date="2024-06-15"),
                R("R4", "C2"),
                R("R5", "C2", referral_date="2024-07-01"),
                R("R6", "C3", referral_nfa=True),
                R("R7", "C3", referral_nfa=True),
            ]
        },
        ["referral[2]", "referral[4]"],
    ),
    (
        "8825Q",
        {
            "referral": [
                R(closure_date="2024-08-01", closure_reason="RC8"),
                R("R2", closure_date="2024-08-01", closure_reason="RC9"),
                R("R3", **CLOSED),
            ],
            "assessment": [assessment()],
        },
        ["referral[1]"],
    ),
    # --- assessments
    (
        "8614",
        {
            "assessment": [
                assessment(),
                assessment("A2", authorisation_date=None),
                assessment("A3", authorisation_date=None, factors=None),
            ]
        },
        ["assessment[1]"],
    ),
    (
        "8670Q",
        {
            "assessment": [
                assessment(authorisation_date=None, start_date="2025-03-01", factors=None),
                assessment("A2", authorisation_date=None, start_date="2024-12-01", factors=None),
                assessment("A3", start_date="2024-05-01"),
            ]
        },
        ["assessment[1]"],
    ),
    (
        "8696",
        {
            "assessment": [
                assessment(start_date="2024-03-20", authorisation_date="2024-04-01"),
                assessment("A2", start_date="2024-03-20", authorisation_date="2024-03-31"),
                assessment("A3", authorisation_date="2025-04-01"),
            ]
        },
        ["assessment[1]", "assessment[2]"],
    ),
    (
        "8736",
        {
            "assessment": [
                assessment(authorisation_date=None, start_date="2024-04-01"),
                assessment("A2", authorisation_date=None, start_date="2024-03-31"),
                assessment("A3", start_date="2024-03-01"),
            ]
        },
        ["assessment[1]"],
    ),
    (
        "8863Q",
        {
            "assessment": [
                assessment(),
                assessment("A2", start_date="2024-05-10", authorisation_date="2024-05-30"),
                assessment("A3"),
                assessment("A4", start_date="2024-06-01", authorisation_date=None),
                assessment("A5", "R2", start_date="2024-05-10"),
            ]
        },
        ["assessment[1]"],
    ),
    (
        "8867",
        {
            "referral": [R(**CLOSED), R("R2")],
            "assessment": [
                assessment(),
                assessment("A2", authorisation_date=None),
                assessment("A3", "R2", authorisation_date=None),
            ],
        },
        ["assessment[1]"],
    ),
    (
        "8896",
        {
            "assessment": [
                assessment(authorisation_date=None),
                assessment("A2", authorisation_date=None),
                assessment("A3", "R2", authorisation_date=None),
            ]
        },
        ["assessment[0]", "assessment[1]"],
    ),
    (
        "8869",
        {
            "assessment": [
                assessment(factors="21"),
                assessment("A2", factors="21,2A"),
                assessment("A3", factors="2A,3B"),
            ]
        },
        ["assessment[1]"],
    ),
    (
        "8873Q",
        {
            "referral": [
                R(closure_date="2024-08-01", closure_reason="RC8"),
                R("R2", **CLOSED),
                R("R3"),
                R("R4", **CLOSED),
            ],
            "assessment": [
                assessment("A1", "R1", factors="21"),
                assessment("A2", "R2", factors="21"),
                assessment("A3", "R3", factors="21"),
                assessment("A4", "R4", factors="21"),
                assessment("A5", "R4", factors="2A"),
            ],
        },
        ["assessment[1]", "assessment[2]"],
    ),
    (
        "8897Q",
        {
            "assessment": [
                assessment(),
                assessment("A2", factors=None),
                assessment(
                    "A3", start_date="2024-02-01", authorisation_date="2024-03-01", factors=None
                ),
                assessment("A4", authorisation_date=None, factors=None),
            ]
        },
        ["assessment[1]"],
    ),
    (
        "8898",
        {
            "assessment": [
                assessment(factors="2A,3B"),
                assessment("A2", factors="2A,2A"),
                assessment("A3", factors="2A, 2a"),
            ]
        },
        ["assessment[1]", "assessment[2]"],
    ),
    (
        "8945Q",
        {"assessment": [assessment(factors="18B"), assessment("A2", factors="2A,18A")]},
        ["assessment[1]"],
    ),
    (
        "8950Q",
        {"assessment": [assessment(factors="19C"), assessment("A2", factors="19A")]},
        ["assessment[1]"],
    ),
    # --- section 47 enquiries
    (
        "8615",
        {
            "s47_enquiry": [
                s47(),
                s47("S2", start_date=None),
                s47("S3", start_date="2024-05-11"),
                s47("S4", start_date=None, icpc_date=None),
            ]
        },
        ["s47_enquiry[1]", "s47_enquiry[2]"],
    ),
    (
        "8675Q",
        {
            "s47_enquiry": [
                s47(start_date="2025-03-25", icpc_date=None),
                s47("S2", start_date="2025-01-01", icpc_date=None),
                s47("S3", start_date="2025-01-01", icpc_date=None, icpc_required=False),
                s47("S4", start_date="2025-01-01", icpc_date=None, icpc_required=None),
            ]
        },
        ["s47_enquiry[1]", "s47_enquiry[3]"],
    ),
    (
        "8715",
        {
            "s47_enquiry": [
                s47(start_date="2024-03-29", icpc_date="2024-04-01"),
                s47("S2", icpc_date="2025-04-01"),
            ]
        },
        ["s47_enquiry[1]"],
    ),
    (
        "8740",
        {
            "s47_enquiry": [
                s47(start_date="2024-04-01", icpc_date=None),
                s47("S2", start_date="2024-03-31", icpc_date=None),
                s47("S3", start_date="2024-03-31", icpc_date=None, icpc_required=False),
            ]
        },
        ["s47_enquiry[1]"],
    ),
    (
        "8839",
        {
            "s47_enquiry": [
                s47(icpc_date=None),
                s47("S2", icpc_date=None, icpc_required=None),
                s47("S3", "R2", icpc_date=None),
                s47("S4", "R2", icpc_date=None, icpc_required=False),
            ]
        },
        ["s47_enquiry[0]", "s47_enquiry[1]"],
    ),
    (
        "8868",
        {
            "referral": [R(**CLOSED), R("R2")],
            "s47_enquiry": [
                s47(),
                s47("S2", icpc_date=None),
                s47("S3", icpc_date=None, icpc_required=False),
                s47("S4", "R2", icpc_date=None),
            ],
        },
        ["s47_enquiry[1]"],
    ),
    (
        "8875",
        {
            "s47_enquiry": [
                s47(),
                s47("S2", icpc_date="2024-05-11"),
                s47("S3", icpc_date="2024-05-12"),
            ]
        },
        ["s47_enquiry[1]", "s47_enquiry[2]"],
    ),
    (
        "8890",
        {
            "s47_enquiry": [
                s47(),
                s47("S2", start_date="2024-05-10"),
                s47("S3", start_date="2024-06-03", icpc_date=None, icpc_required=False),
                s47("S4", start_date="2024-06-04", icpc_date="2024-06-07"),
                s47("S5", start_date="2024-07-01", icpc_date=None),
                s47("S6", start_date="2024-08-01", icpc_date="2024-08-02"),
            ]
        },
        ["s47_enquiry[1]", "s47_enquiry[5]"],
    ),
    # --- CIN plans
    (
        "4001",
        {
            "cin_plan": [cin_plan(end_date=None), cin_plan("P2", "R2", end_date=None)],
            "cp_plan": [cp_plan(end_date=None), cp_plan("CP2", "R2")],
        },
        ["cin_plan[0]"],
    ),
    (
        "4004",
        {
            "cin_plan": [
                cin_plan(end_date=None),
                cin_plan("P2", end_date=None),
                cin_plan("P3", "R2", end_date=None),
            ]
        },
        ["cin_plan[0]", "cin_plan[1]"],
    ),
    (
        "4010",
        {
            "cin_plan": [
                cin_plan(),
                cin_plan("P2", start_date=None),
                cin_plan("P3", start_date="2025-04-01", end_date=None),
            ]
        },
        ["cin_plan[1]", "cin_plan[2]"],
    ),
    ("4012Q", {"cin_plan": [cin_plan(), cin_plan("P2", end_date="2024-06-01")]}, ["cin_plan[1]"]),
    (
        "4013",
        {
            "cin_plan": [
                cin_plan(),
                cin_plan("P2", end_date="2025-04-01"),
                cin_plan("P3", start_date="2024-01-01", end_date="2024-03-31"),
            ]
        },
        ["cin_plan[1]", "cin_plan[2]"],
    ),
    (
        "4014",
        {
            "cin_plan": [
                cin_plan(),
                cin_plan("P2", start_date="2024-09-01", end_date="2024-10-01"),
                cin_plan("P3", start_date="2024-10-02", end_date=None),
                cin_plan("P4", start_date="2024-12-01", end_date=None),
                cin_plan("P5", child_id="C2"),
            ]
        },
        ["cin_plan[1]", "cin_plan[3]"],
    ),
    (
        "4016",
        {
            "cp_plan": [cp_plan(), cp_plan("CP2", child_id="C2", end_date=None)],
            "cin_plan": [
                cin_plan(),
                cin_plan("P2", start_date="2024-11-01"),
                cin_plan("P3", child_id="C2", start_date="2025-01-01"),
                cin_plan("P4", child_id="C3"),
            ],
        },
        ["cin_plan[0]", "cin_plan[2]"],
    ),
    # --- child protection plans
    (
        "4017",
        {
            "cin_plan": [cin_plan(), cin_plan("P2", child_id="C2", end_date=None)],
            "cp_plan": [
                cp_plan(start_date="2024-07-01"),
                cp_plan("CP2", start_date="2024-09-01"),
                cp_plan("CP3", child_id="C2", start_date="2024-08-01"),
            ],
        },
        ["cp_plan[0]", "cp_plan[2]"],
    ),
    (
        "8720",
        {
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", start_date=None),
                cp_plan("CP3", start_date="2025-04-01", end_date=None),
            ]
        },
        ["cp_plan[1]", "cp_plan[2]"],
    ),
    (
        "8730",
        {
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", number_of_previous_cpp=None),
                cp_plan("CP3", number_of_previous_cpp=-1),
            ]
        },
        ["cp_plan[1]", "cp_plan[2]"],
    ),
    ("8840", {"cp_plan": [cp_plan(), cp_plan("CP2", end_date="2024-05-10")]}, ["cp_plan[1]"]),
    (
        "8930",
        {
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", end_date=None),
                cp_plan("CP3", end_date="2025-04-01"),
            ]
        },
        ["cp_plan[2]"],
    ),
    (
        "8935",
        {
            "cp_plan": [
                cp_plan(end_date=None),
                cp_plan("CP2", end_date=None),
                cp_plan("CP3", child_id="C2", end_date=None),
            ]
        },
        ["cp_plan[0]", "cp_plan[1]"],
    ),
    (
        "8940",
        {
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", start_date="2024-11-01", end_date=None),
                cp_plan("CP3", child_id="C2", end_date="2024-06-01"),
                cp_plan("CP4", child_id="C2", start_date="2024-06-02"),
            ]
        },
        ["cp_plan[1]"],
    ),
    (
        "CPP_OVERLAP",
        {
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", start_date="2024-11-01"),
                cp_plan("CP3", start_date="2024-10-01"),
                cp_plan("CP4", child_id="C2", end_date=None),
                cp_plan("CP5", child_id="C2", start_date="2024-12-01"),
                cp_plan("CP6", child_id="C3"),
                cp_plan("CP7", child_id="C3"),
            ]
        },
        ["cp_plan[2]", "cp_plan[4]"],
    ),
    # --- children
    (
        "8520",
        {"child": [child(date_of_birth="2025-03-31"), child("C2", date_of_birth="2025-04-01")]},
        ["child[1]"],
    ),
    (
        "8540",
        {
            "child": [
                child(disability=None),
                child("C2", disability=None),
                child("C3"),
                child("C4", disability=None, date_of_birth=None),
            ],
            "referral": [R(), R("R2", "C2", referral_nfa=True), R("R3", "C3"), R("R4", "C4")],
        },
        ["child[0]"],
    ),
    (
        "8590",
        {"child": [child(), child("C2")], "referral": [R()], "formats": (Format.CIN_XML,)},
        ["child[1]"],
    ),
    (
        "8775Q",
        {
            "child": [
                child(date_of_birth="1999-01-01"),
                child("C2", date_of_birth="1999-01-01"),
                child("C3"),
            ],
            "referral": [
                R(),
                R("R2", "C2", closure_date="2023-12-31", closure_reason="RC7"),
                R("R3", "C3"),
            ],
        },
        ["child[0]"],
    ),
]


@pytest.mark.parametrize(
    ("code", "rows", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(code: str, rows: dict[str, Any], expected: list[str]) -> None:
    rows = dict(rows)
    formats = rows.pop("formats", ())
    assert flagged(make_extract(rows, formats=formats), code) == expected


@pytest.mark.parametrize("code", ["8569Q", "8736", "8740", "8620"])
def test_period_start_rules_check_nothing_before_an_unknown_start(code: str) -> None:
    rows = {
        "referral": [
            R(
                referral_date="2020-01-01",
                referral_nfa=True,
                closure_date="2020-02-01",
                closure_reason="RC8",
            )
        ],
        "assessment": [assessment(start_date="2020-01-02", authorisation_date=None)],
        "s47_enquiry": [s47(start_date="2020-01-02", icpc_date=None)],
    }
    assert flagged(make_extract(rows), code)  # with the period start: flagged
    assert flagged(make_extract(rows, coverage_start=None), code) == []


def test_missing_as_of_means_today() -> None:
    rows = {"referral": [R(referral_date="2025-04-01")]}
    # flagged() pins "today" to 31 March 2025.
    assert flagged(make_extract(rows, as_of=None), "8600") == ["referral[0]"]


def test_the_cin_plan_and_cpp_format_scope() -> None:
    rows = {"cp_plan": [cp_plan(number_of_previous_cpp=None)]}
    assert flagged(make_extract(rows, formats=(Format.ANNEX_A,)), "8730") == []
    assert flagged(make_extract(rows, formats=(Format.CIN_XML,)), "8730") == ["cp_plan[0]"]
    # The API payload has no previous-plan count: the rule is not applicable, not failed.
    assert flagged(make_extract(rows, formats=(Format.DFE_API_JSON,)), "8730") == []
