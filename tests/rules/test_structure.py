"""Single-record rules: identifiers, code lists, own-date order, required values, duplicates.

Each case holds a valid row and an invalid one; only the invalid one may be flagged.
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
    episode,
    flagged,
    make_extract,
    missing,
    referral,
    s47,
)

CIN = (Format.CIN_XML,)
CLA = (Format.SSDA903_CSV,)

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("8500", {"child": [child(), child(None)]}, ["child[1]"]),
    (
        "CHILD_ID_MISSING",
        {"referral": [referral(), referral("R2", None)], "cla_episode": [episode(), episode(None)]},
        ["referral[1]", "cla_episode[1]"],
    ),
    ("1570", {"child": [child("A" * 20), child("B" * 21)], "formats": CIN}, ["child[1]"]),
    ("1580", {"child": [child("Ab12"), child("AB-12")], "formats": CIN}, ["child[1]"]),
    (
        "8510",
        {"child": [child("C1"), child("C2"), child("C2")], "formats": CIN},
        ["child[1]", "child[2]"],
    ),
    (
        "INT32",
        {"child": [child("C1"), child("C2"), child("C2")], "formats": CLA},
        ["child[1]", "child[2]"],
    ),
    (
        "4180",
        {"child": [child(sex="M"), child("C2", sex="X"), child("C3", sex=None)], "formats": CIN},
        ["child[1]", "child[2]"],
    ),
    ("101", {"child": [child(sex="U"), child("C2", sex="1")], "formats": CLA}, ["child[1]"]),
    (
        "4220",
        {
            "child": [child(), child("C2", ethnicity="WHIT"), child("C3", ethnicity=None)],
            "formats": CIN,
        },
        ["child[1]", "child[2]"],
    ),
    ("103", {"child": [child(), child("C2", ethnicity=None)], "formats": CLA}, ["child[1]"]),
    ("102", {"child": [child(), child("C2", date_of_birth=None)], "formats": CLA}, ["child[1]"]),
    (
        "105",
        {"child": [child(), child("C2", uasc=None)], "formats": (Format.SSDA903_XML,)},
        ["child[1]"],
    ),
    (
        "8866",
        {
            "referral": [
                referral(),
                referral("R2", source="11"),
                referral("R3", source=None),
                referral("R4", source=None, referral_date="2013-03-31"),
            ]
        },
        ["referral[1]", "referral[2]"],
    ),
    (
        "8650",
        {
            "referral": [
                referral(),
                referral("R2", primary_need="N10"),
                referral("R3", primary_need=None),
            ]
        },
        ["referral[1]"],
    ),
    (
        "8640",
        {"referral": [referral(closure_reason="RC8"), referral("R2", closure_reason="RC0")]},
        ["referral[1]"],
    ),
    ("8568", {"referral": [referral(), referral("R2", referral_nfa=None)]}, ["referral[1]"]),
    (
        "8630",
        {
            "referral": [
                referral(closure_date="2024-05-01"),
                referral("R2", closure_date="2024-04-30"),
            ]
        },
        ["referral[1]"],
    ),
    (
        "8608",
        {"assessment": [assessment(), assessment("A2", authorisation_date="2024-05-01")]},
        ["assessment[1]"],
    ),
    ("4011", {"cin_plan": [cin_plan(), cin_plan("P2", end_date="2024-05-31")]}, ["cin_plan[1]"]),
    ("8925", {"cp_plan": [cp_plan(), cp_plan("CP2", end_date="2024-05-09")]}, ["cp_plan[1]"]),
    (
        "END_BEFORE_START",
        {"s47_enquiry": [s47(end_date="2024-05-03"), s47("S2", end_date="2024-05-02")]},
        ["s47_enquiry[1]"],
    ),
    (
        "FUTURE_DATE",
        {"s47_enquiry": [s47(end_date="2025-03-31"), s47("S2", end_date="2025-04-01")]},
        ["s47_enquiry[1]"],
    ),
    (
        "8905",
        {
            "cp_plan": [
                cp_plan(),
                cp_plan("CP2", initial_category="ABC"),
                cp_plan("CP3", initial_category=None),
            ]
        },
        ["cp_plan[1]", "cp_plan[2]"],
    ),
    ("8910", {"cp_plan": [cp_plan(), cp_plan("CP2", latest_category=None)]}, ["cp_plan[1]"]),
    (
        "START_DATE_MISSING",
        {
            "assessment": [assessment(), assessment("A2", start_date=None)],
            "s47_enquiry": [s47(start_date=None)],
            "cla_episode": [episode(), episode("C2", start=None)],
        },
        ["assessment[1]", "s47_enquiry[0]", "cla_episode[1]"],
    ),
    (
        "143",
        {
            "cla_episode": [
                episode(),
                episode("C2", start_reason="X"),
                episode("C3", start_reason=None),
            ]
        },
        ["cla_episode[1]"],
    ),
    ("144", {"cla_episode": [episode(), episode("C2", legal_status="C3")]}, ["cla_episode[1]"]),
    (
        "149",
        {
            "cla_episode": [
                episode(end="2024-06-01"),
                episode("C2", end="2024-06-01", end_reason="E10"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "356",
        {"cla_episode": [episode(end="2024-05-01"), episode("C2", end="2024-04-30")]},
        ["cla_episode[1]"],
    ),
    (
        "1006",
        {"missing_episode": [missing(), missing(type="X"), missing(type=None)]},
        ["missing_episode[1]"],
    ),
    (
        "567",
        {"missing_episode": [missing(), missing("C2", end="2024-05-31")]},
        ["missing_episode[1]"],
    ),
    (
        "DUPLICATE_RECORD",
        {
            "referral": [referral(), referral("R2"), referral("R3", child_id="C2")],
            "missing_episode": [missing(), missing(type="A"), missing()],
        },
        ["referral[1]", "missing_episode[2]"],
    ),
]


@pytest.mark.parametrize(
    ("code", "rows", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(code: str, rows: dict[str, Any], expected: list[str]) -> None:
    rows = dict(rows)
    formats = rows.pop("formats", ())
    assert flagged(make_extract(rows, formats=formats), code) == expected


@pytest.mark.parametrize(
    ("year", "place", "valid"),
    [
        ("2023_24", "H5", True),
        ("2023_24", "K3", False),
        ("2024_25", "K3", True),
        ("2024_25", "Z1", True),
        ("2025_26", "Z1", False),
        ("2025_26", "Z12", True),
        ("2025_26", "H5", False),
    ],
)
def test_placement_codes_follow_the_year(year: str, place: str, valid: bool) -> None:
    extract = make_extract(cla_episode=[episode(placement_type=place)])
    assert flagged(extract, "146", year) == ([] if valid else ["cla_episode[0]"])


def test_sex_wording_changed_in_2024_25() -> None:
    extract = make_extract(child=[child(sex=None)], formats=CIN)
    from submissions.extract.rules import run_rules

    (old,) = [f for f in run_rules(extract, "2023_24") if f.code == "4180"]
    (new,) = [f for f in run_rules(extract, "2024_25") if f.code == "4180"]
    assert old.message == "Gender is missing"
    assert new.message == "Sex must be provided and equal M, F, or U"


def test_cin_and_903_codes_do_not_both_fire_on_one_return() -> None:
    rows = {"child": [child(ethnicity="XXXX")]}
    assert flagged(make_extract(rows, formats=CIN), "103") == []
    assert flagged(make_extract(rows, formats=CLA), "4220") == []
