"""SSDA903 rules: each case has rows the rule must pass and rows it must flag.

The period is 1 April 2024 to 31 March 2025; ``episode()`` is a valid open episode (S, C2,
U1) starting 1 May 2024 and ``missing()`` a one-day missing episode on 1 June 2024.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.rules.conftest import child, episode, flagged, make_extract, missing

E = episode
ENDED = {"end_reason": "E13"}


def chain(child_id: str, *spans: tuple[str, str | None], **fields: Any) -> list[dict[str, Any]]:
    """Consecutive episodes of one child, each (start, end), linked with X1 / P."""
    rows = []
    for n, (start, end) in enumerate(spans):
        row = E(child_id, start, end, **fields)
        if n:
            row["start_reason"] = "P"
        if end and n < len(spans) - 1:
            row["end_reason"] = "X1"
        rows.append(row)
    return rows


def _temporary_stay(child_id: str, back_to: str, start_reason: str = "P") -> list[dict[str, Any]]:
    """U1, then a holiday placement (T3), then ``back_to``."""
    rows = chain(
        child_id, ("2024-05-01", "2024-06-01"), ("2024-06-01", "2024-06-10"), ("2024-06-10", None)
    )
    rows[1]["placement_type"] = "T3"
    rows[2].update(placement_type=back_to, start_reason=start_reason)
    return rows


def _after(child_id: str, first_place: str, then: str) -> list[dict[str, Any]]:
    """Two consecutive episodes: placement ``first_place`` then ``then``."""
    rows = chain(child_id, ("2024-05-01", "2024-06-01"), ("2024-06-01", None))
    rows[0]["placement_type"], rows[1]["placement_type"] = first_place, then
    return rows


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # --- header
    ("301", {"child": [child(), child("C2", date_of_birth="2025-04-01")]}, ["child[1]"]),
    (
        "351",
        {"child": [child(date_of_birth="1999-03-31"), child("C2", date_of_birth="1999-04-01")]},
        ["child[0]"],
    ),
    ("INT03", {"child": [child()], "cla_episode": [E(), E("C2")]}, ["cla_episode[1]"]),
    (
        "INT04",
        {"child": [child()], "missing_episode": [missing(), missing("C2")]},
        ["missing_episode[1]"],
    ),
    # --- one episode
    (
        "148",
        {
            "cla_episode": [
                E(end="2024-06-01"),
                E("C2", end="2024-06-01", end_reason=None),
                E("C3", end_reason="E13"),
                E("C4"),
            ]
        },
        ["cla_episode[1]", "cla_episode[2]"],
    ),
    (
        "353",
        {"cla_episode": [E(start="1991-10-14"), E("C2", start="1991-10-13")]},
        ["cla_episode[1]"],
    ),
    ("354", {"cla_episode": [E(), E("C2", start="2025-04-01")]}, ["cla_episode[1]"]),
    ("385", {"cla_episode": [E(end="2025-03-31"), E("C2", end="2025-04-01")]}, ["cla_episode[1]"]),
    ("355", {"cla_episode": [E(end="2024-05-02"), E("C2", end="2024-05-01")]}, ["cla_episode[1]"]),
    (
        "365",
        {
            "cla_episode": [
                E(start="2024-06-01", end="2024-06-18", legal_status="V3"),
                E("C2", start="2024-06-01", end="2024-06-19", legal_status="V3"),
                E("C3", start="2025-03-01", legal_status="V3"),
            ]
        },
        ["cla_episode[1]", "cla_episode[2]"],
    ),
    (
        "366",
        {
            "cla_episode": [
                E(legal_status="V3"),
                E("C2", legal_status="V3", start_reason="P"),
                E("C3", legal_status="V3", start_reason=None),
            ]
        },
        ["cla_episode[1]", "cla_episode[2]"],
    ),
    (
        "378",
        {"cla_episode": [E(placement_type="P1"), E("C2", placement_type="P1", legal_status="V2")]},
        ["cla_episode[1]"],
    ),
    (
        "380",
        {"cla_episode": [E(placement_type="T0", start_reason="P"), E("C2", placement_type="T1")]},
        ["cla_episode[1]"],
    ),
    (
        "381",
        {
            "cla_episode": [
                E(placement_type="T1", end="2024-06-01", end_reason="X1"),
                E("C2", placement_type="T1", end="2024-06-01"),
                E("C3", placement_type="T1"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "382",
        {"cla_episode": [E(legal_status="V3", placement_type="T0"), E("C2", legal_status="V4")]},
        ["cla_episode[0]"],
    ),
    (
        "384",
        {
            "cla_episode": [
                E(legal_status="V4", placement_type="U4"),
                E("C2", legal_status="V4", placement_type="K1"),
            ]
        },
        ["cla_episode[0]"],
    ),
    (
        "390",
        {
            "cla_episode": [
                E(end="2024-09-01", end_reason="E11", placement_type="A3"),
                E("C2", end="2024-09-01", end_reason="E12"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "408",
        {"cla_episode": [E(placement_type="A5", legal_status="E1"), E("C2", placement_type="A6")]},
        ["cla_episode[1]"],
    ),
    (
        "446",
        {
            "cla_episode": [
                E(start="2005-12-01", legal_status="E1"),
                E("C2", start="2005-11-30", legal_status="E1"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "516",
        {
            "cla_episode": [
                E(end="2024-09-01", end_reason="E45", placement_type="U2"),
                E("C2", end="2024-09-01", end_reason="E46", placement_type="K1"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "217",
        {
            "cla_episode": [
                E(placement_type="A3"),
                E("C2", placement_type="A5", start_reason="P"),
                E("C3", start="2015-03-31", placement_type="A5", start_reason="P"),
            ]
        },
        ["cla_episode[1]"],
    ),
    # --- episode and the child's age
    (
        "302",
        {
            "child": [child(), child("C2")],
            "cla_episode": [
                E(start="2015-05-31", end="2015-07-01"),
                E(start="2015-07-01"),
                E("C2", start="2015-06-01"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "352",
        {
            "child": [child(date_of_birth="2000-01-01"), child("C2", date_of_birth="2000-01-02")],
            "cla_episode": [E(start="2018-01-01"), E("C2", start="2018-01-01")],
        },
        ["cla_episode[0]"],
    ),
    (
        "358",
        {
            "child": [child(date_of_birth="2014-06-01"), child("C2", date_of_birth="2014-06-01")],
            "cla_episode": [
                E(start="2024-06-01", legal_status="J1"),
                E("C2", start="2024-06-02", legal_status="J1"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "359",
        {
            "child": [
                child(date_of_birth="2006-01-01"),
                child("C2", date_of_birth="2006-01-01"),
                child("C3"),
                child("C4", date_of_birth="2006-01-01"),
            ],
            "cla_episode": [
                E(),
                E("C2", legal_status="V2", placement_type="K2"),
                E("C3"),
                E("C4", end="2024-06-01"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "386",
        {
            "child": [child(date_of_birth="2006-06-01"), child("C2", date_of_birth="2006-06-01")],
            "cla_episode": [
                E(end="2024-06-01", end_reason="E11", placement_type="A3"),
                E("C2", end="2024-05-31", end_reason="E12", placement_type="A3"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "387",
        {
            "child": [child(date_of_birth="2010-06-01"), child("C2", date_of_birth="2010-06-01")],
            "cla_episode": [
                E(end="2024-05-31", end_reason="E5"),
                E("C2", end="2024-06-01", end_reason="E6"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "389",
        {
            "child": [child(date_of_birth="2008-06-01"), child("C2", date_of_birth="2008-06-01")],
            "cla_episode": [
                E(end="2024-05-31", end_reason="E7"),
                E("C2", end="2024-06-01", end_reason="E7"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "460",
        {
            "child": [child(date_of_birth="2006-06-01"), child("C2", date_of_birth="2006-06-01")],
            "cla_episode": [
                E(end="2024-05-31", end_reason="E17"),
                E("C2", end="2024-06-01", end_reason="E17"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "407",
        {
            "child": [child(date_of_birth="2006-06-01"), child("C2", date_of_birth="2006-06-01")],
            "cla_episode": [
                E(end="2024-06-02", end_reason="E45"),
                E("C2", end="2024-06-01", end_reason="E46"),
            ],
        },
        ["cla_episode[0]"],
    ),
    # --- a child's episodes in order
    (
        "142",
        {
            "cla_episode": [
                E(end=None),
                E(start="2024-06-01"),
                *chain("C2", ("2024-05-01", "2024-06-01"), ("2024-06-01", None)),
            ]
        },
        ["cla_episode[0]"],
    ),
    (
        "357",
        {
            "cla_episode": [
                E(start_reason="P"),
                E("C2"),
                E("C3", start="2024-03-01", start_reason="P"),
            ]
        },
        ["cla_episode[0]"],
    ),
    (
        "383",
        {
            "cla_episode": [
                *_temporary_stay("C1", "U1"),
                *_temporary_stay("C2", "K1"),
                *_temporary_stay("C3", "U1", start_reason="L"),
            ]
        },
        ["cla_episode[5]", "cla_episode[8]"],
    ),
    (
        "388",
        {
            "cla_episode": [
                *chain("C1", ("2024-05-01", "2024-06-01"), ("2024-06-01", None)),
                E("C2", end="2024-06-01", end_reason="X1"),
                E("C2", start="2024-06-05", start_reason="P"),
                E("C3", end="2024-06-01", end_reason="E13"),
                E("C3", start="2024-06-01", start_reason="P"),
                E("C4", end="2024-06-01", end_reason="X1"),
            ]
        },
        ["cla_episode[2]", "cla_episode[4]", "cla_episode[6]"],
    ),
    (
        "431",
        {
            "cla_episode": [
                E(end="2024-06-01", **ENDED),
                E(start="2024-06-01"),
                E("C2", end="2024-06-01", **ENDED),
                E("C2", start="2024-06-02"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "432",
        {
            "cla_episode": [
                E(end="2024-06-01", **ENDED),
                E(start="2024-06-01", start_reason="P"),
                *chain("C2", ("2024-05-01", "2024-06-01"), ("2024-06-01", None)),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "433",
        {
            "cla_episode": [
                E(end="2024-06-01", end_reason="X1"),
                E(start="2024-06-02", start_reason="P"),
                *chain("C2", ("2024-05-01", "2024-06-01"), ("2024-06-01", None)),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "336",
        {
            "cla_episode": [
                *_after("C1", first_place="U3", then="A4"),
                *_after("C2", first_place="R1", then="A3"),
                E("C3", placement_type="A4"),
            ]
        },
        ["cla_episode[3]"],
    ),
    (
        "199",
        {
            "cla_episode": [
                E(end="2024-06-01", end_reason="E11", placement_type="A3"),
                E(start="2024-09-01"),
                E("C2", end="2024-06-01", end_reason="E12", placement_type="A3"),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "437",
        {
            "cla_episode": [
                E(end="2024-06-01", end_reason="E2"),
                E(start="2024-07-01"),
                E("C2", end="2024-06-01", end_reason="E15"),
            ]
        },
        ["cla_episode[0]"],
    ),
    (
        "501",
        {
            "cla_episode": [
                E(end="2024-06-10", end_reason="X1"),
                E(start="2024-06-01", start_reason="P"),
                *chain("C2", ("2024-05-01", "2024-06-01"), ("2024-06-01", None)),
            ]
        },
        ["cla_episode[1]"],
    ),
    (
        "426",
        {
            "cla_episode": [
                E(legal_status="V3", end="2024-05-10"),
                E(start="2024-06-01", legal_status="V4"),
                E("C2", legal_status="V3", end="2024-05-10"),
                E("C2", start="2024-06-01", legal_status="V3"),
            ]
        },
        ["cla_episode[0]", "cla_episode[1]"],
    ),
    (
        "361",
        {
            "cla_episode": [
                E(legal_status="L1", end="2024-05-04"),
                E("C2", legal_status="L1", end="2024-05-05"),
                *chain(
                    "C3",
                    ("2024-05-01", "2024-05-03"),
                    ("2024-05-03", "2024-05-05"),
                    legal_status="L1",
                ),
            ]
        },
        ["cla_episode[1]", "cla_episode[2]", "cla_episode[3]"],
    ),
    (
        "367",
        {
            "cla_episode": [
                *[
                    E("C1", f"2024-{m:02d}-01", f"2024-{m:02d}-17", legal_status="V3")
                    for m in range(5, 10)
                ],
                *[
                    E("C2", f"2024-{m:02d}-01", f"2024-{m:02d}-16", legal_status="V3")
                    for m in range(5, 10)
                ],
            ]
        },
        [f"cla_episode[{i}]" for i in range(5)],
    ),
    (
        "377",
        {
            "cla_episode": [
                E(start="2024-05-01", placement_type="T3"),
                E(start="2024-08-01", placement_type="T3"),
                E(start="2025-01-01", placement_type="T3"),
                E("C2", start="2023-05-01", placement_type="T3"),
                E("C2", start="2024-05-01", placement_type="T3"),
                E("C2", start="2025-03-01", placement_type="T3"),
            ]
        },
        ["cla_episode[2]"],
    ),
    # --- missing episodes
    ("1004", {"missing_episode": [missing(), missing(start=None)]}, ["missing_episode[1]"]),
    (
        "564",
        {"missing_episode": [missing(), missing(start=None), missing(start=None, type=None)]},
        ["missing_episode[1]"],
    ),
    ("565", {"missing_episode": [missing(), missing(type=None)]}, ["missing_episode[1]"]),
    (
        "566",
        {
            "missing_episode": [
                missing(),
                missing(type=None, start=None),
                missing(type=None, start=None, end=None),
            ]
        },
        ["missing_episode[1]"],
    ),
    (
        "570",
        {"missing_episode": [missing(), missing(start="2025-04-01", end=None)]},
        ["missing_episode[1]"],
    ),
    (
        "571",
        {
            "missing_episode": [
                missing(),
                missing(start="2024-03-01", end="2024-03-31"),
                missing(start="2025-03-31", end="2025-04-01"),
                missing(end=None),
            ]
        },
        ["missing_episode[1]", "missing_episode[2]"],
    ),
    (
        "574",
        {
            "missing_episode": [
                missing(end="2024-06-05"),
                missing(start="2024-06-03", end=None),
                missing("C2", end=None),
                missing("C2", start="2024-07-01"),
                missing("C3"),
                missing("C3", start="2024-06-02", end="2024-06-03"),
            ]
        },
        ["missing_episode[1]", "missing_episode[3]"],
    ),
    (
        "575",
        {
            "cla_episode": [E(end="2024-07-01", **ENDED), E("C2")],
            "missing_episode": [missing(end=None), missing("C2", end=None), missing()],
        },
        ["missing_episode[0]"],
    ),
    (
        "577",
        {
            "cla_episode": [E(end="2024-07-01", **ENDED), E("C2")],
            "missing_episode": [missing(end=None), missing(), missing("C2", end=None)],
        },
        ["missing_episode[0]"],
    ),
    (
        "578",
        {
            "cla_episode": [E(end="2024-07-01", **ENDED), E(start="2024-09-01")],
            "missing_episode": [
                missing(start="2024-08-01"),
                missing(),
                missing(start="2024-10-01"),
                missing(start="2024-04-15"),
            ],
        },
        ["missing_episode[0]"],
    ),
    (
        "581",
        {"cla_episode": [E()], "missing_episode": [missing(), missing(start="2024-04-15")]},
        ["missing_episode[1]"],
    ),
    (
        "580",
        {
            "child": [child(date_of_birth="2006-06-01"), child("C2", date_of_birth="2006-06-01")],
            "cla_episode": [
                E(end="2024-06-01", end_reason="E17"),
                E("C2", end="2024-06-01", end_reason="E8"),
            ],
            "missing_episode": [
                missing(start="2024-05-20", end="2024-06-01"),
                missing("C2", start="2024-05-20", end="2024-06-01"),
            ],
        },
        ["cla_episode[0]"],
    ),
    (
        "586",
        {
            "child": [child()],
            "missing_episode": [missing(start="2015-06-01"), missing(start="2016-01-01")],
        },
        ["missing_episode[0]"],
    ),
]


@pytest.mark.parametrize(
    ("code", "rows", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(code: str, rows: dict[str, Any], expected: list[str]) -> None:
    assert flagged(make_extract(rows), code) == expected


@pytest.mark.parametrize(
    ("code", "status", "limit"),
    [("361", "L1", 3), ("362", "L2", 21), ("363", "L3", 7), ("364", "J2", 21)],
)
def test_legal_status_duration(code: str, status: str, limit: int) -> None:
    ok = f"2024-05-{1 + limit:02d}"
    too_long = f"2024-05-{2 + limit:02d}"
    rows = [
        E(legal_status=status, end=ok),
        E("C2", legal_status=status, end=too_long),
        E("C3", legal_status=status, start="2025-03-20"),
    ]
    # An open episode runs to the end of the period (11 days here).
    expected = ["cla_episode[1]"] + (["cla_episode[2]"] if limit < 11 else [])
    assert flagged(make_extract(cla_episode=rows), code) == expected


@pytest.mark.parametrize(
    ("code", "place", "days"), [("375", "T1", 42), ("376", "T3", 21), ("379", "T4", 7)]
)
def test_temporary_placement_duration(code: str, place: str, days: int) -> None:
    def ends(extra_days: int) -> str:
        return (date(2024, 6, 1) + timedelta(days=days + extra_days)).isoformat()

    rows = [
        E(placement_type=place, start="2024-06-01", end=ends(0)),
        E("C2", placement_type=place, start="2024-06-01", end=ends(1)),
        # Still open at the period end: already too long.
        E("C3", placement_type=place, start=(date(2025, 3, 31) - timedelta(days + 1)).isoformat()),
        E("C4", placement_type=place, start=(date(2025, 3, 31) - timedelta(days)).isoformat()),
    ]
    assert flagged(make_extract(cla_episode=rows), code) == ["cla_episode[1]", "cla_episode[2]"]


@pytest.mark.parametrize(
    ("code", "place", "age", "year"),
    [
        ("371", "H5", 16, "2023_24"),
        ("371", "K3", 16, "2024_25"),
        ("372", "R5", 10, None),
        ("373", "S1", 4, None),
        ("374", "P3", 14, None),
    ],
)
def test_minimum_age_for_placement(code: str, place: str, age: int, year: str | None) -> None:
    born = f"{2024 - age}-06-01"
    children = [child(date_of_birth=born), child("C2", date_of_birth=born)]
    rows = [
        E(start="2024-05-31", placement_type=place),
        E("C2", start="2024-06-01", placement_type=place),
    ]
    extract = make_extract(child=children, cla_episode=rows)
    assert flagged(extract, code, year) == ["cla_episode[0]"]


def test_370_is_2023_24_only() -> None:
    extract = make_extract(
        child=[child(date_of_birth="2010-06-01")], cla_episode=[E(placement_type="P2")]
    )
    assert flagged(extract, "370", "2023_24") == ["cla_episode[0]"]
    assert flagged(extract, "370", "2024_25") == []


def test_371_follows_the_placement_code_of_the_year() -> None:
    children = [child(date_of_birth="2010-06-01")]
    rows = [E(placement_type="K3")]
    extract = make_extract(child=children, cla_episode=rows)
    assert flagged(extract, "371", "2023_24") == []
    assert flagged(extract, "371", "2024_25") == ["cla_episode[0]"]


@pytest.mark.parametrize(
    ("code", "rows"),
    [
        (
            "445",
            [
                E(start="2005-06-01", legal_status="D1"),
                E("C2", start="2006-01-01", legal_status="D1"),
            ],
        ),
        ("451", [E(legal_status="D1", end="2024-06-01"), E("C2", legal_status="D1")]),
    ],
)
def test_freeing_order_rules_were_deleted_in_2024_25(code: str, rows: list[dict[str, Any]]) -> None:
    extract = make_extract(cla_episode=rows)
    assert flagged(extract, code, "2023_24") == ["cla_episode[1]"]
    assert flagged(extract, code, "2024_25") == []


def test_period_start_rules_check_nothing_before_an_unknown_start() -> None:
    extract = make_extract(
        coverage_start=None,
        cla_episode=[E(start_reason="P")],
        child=[child(date_of_birth="1990-01-01")],
    )
    assert flagged(extract, "357") == []
    assert flagged(extract, "351") == []
