"""Hand-built canonical extracts for the rule tests.

``make_extract(referral=[...], ...)`` builds an :class:`Extract` from dict rows (missing
columns are blank, dtypes are the canonical ones) and locates row ``i`` of table ``t`` as
file ``t.csv``, location ``t[i]``, so ``flagged(extract, code)`` can say exactly which rows a
rule flagged. The row builders give valid records (period 1 April 2024 - 31 March 2025) that
a test changes one field at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from submissions.extract.canonical import TABLES, Extract, Format, empty_table
from submissions.extract.rules import run_rules

AS_OF = date(2025, 3, 31)
START = date(2024, 4, 1)

Row = dict[str, Any]


def make_extract(
    tables_rows: Mapping[str, list[Row]] | None = None,
    /,
    *,
    formats: tuple[Format, ...] = (),
    as_of: date | None = AS_OF,
    coverage_start: date | None = START,
    **more_rows: list[Row],
) -> Extract:
    """An extract whose tables hold the given rows (table name -> list of dicts), passed as
    a mapping, as keywords, or both."""
    rows = {**(tables_rows or {}), **more_rows}
    unknown = set(rows) - set(TABLES)
    assert not unknown, f"unknown tables {unknown}"
    tables = {}
    for name, dtypes in TABLES.items():
        data = rows.get(name, [])
        if not data:
            tables[name] = empty_table(name)
            continue
        df = pd.DataFrame(data)
        assert set(df.columns) <= set(dtypes), set(df.columns) - set(dtypes)
        df = df.reindex(columns=list(dtypes)).astype(dtypes)
        df["_file"] = pd.Series([f"{name}.csv"] * len(df), dtype="string")
        df["_location"] = pd.Series([f"{name}[{i}]" for i in range(len(df))], dtype="string")
        tables[name] = df
    return Extract(tables=tables, formats=list(formats), as_of=as_of, coverage_start=coverage_start)


def flagged(extract: Extract, code: str, year: str | None = None) -> list[str]:
    """The locations (``table[i]``) of rule ``code``'s findings, in order."""
    return [f.location for f in run_rules(extract, year, today=AS_OF, only={code})]


# --- valid records --------------------------------------------------------------------------


def child(child_id: str | None = "C1", **fields: Any) -> Row:
    return {
        "child_id": child_id,
        "date_of_birth": "2015-06-01",
        "sex": "F",
        "ethnicity": "WBRI",
        "disability": False,
        "uasc": False,
        **fields,
    }


def referral(referral_id: str = "R1", child_id: str | None = "C1", **fields: Any) -> Row:
    return {
        "referral_id": referral_id,
        "child_id": child_id,
        "referral_date": "2024-05-01",
        "source": "1A",
        "referral_nfa": False,
        "primary_need": "N1",
        **fields,
    }


def assessment(
    assessment_id: str = "A1", referral_id: str = "R1", child_id: str = "C1", **fields: Any
) -> Row:
    return {
        "assessment_id": assessment_id,
        "referral_id": referral_id,
        "child_id": child_id,
        "start_date": "2024-05-02",
        "authorisation_date": "2024-05-20",
        "factors": "2A",
        **fields,
    }


def cin_plan(
    plan_id: str = "P1", referral_id: str = "R1", child_id: str = "C1", **fields: Any
) -> Row:
    return {
        "plan_id": plan_id,
        "referral_id": referral_id,
        "child_id": child_id,
        "start_date": "2024-06-01",
        "end_date": "2024-09-01",
        **fields,
    }


def s47(s47_id: str = "S1", referral_id: str = "R1", child_id: str = "C1", **fields: Any) -> Row:
    # 10 May 2024 is a Friday.
    return {
        "s47_id": s47_id,
        "referral_id": referral_id,
        "child_id": child_id,
        "start_date": "2024-05-03",
        "icpc_required": True,
        "icpc_date": "2024-05-10",
        **fields,
    }


def cp_plan(
    plan_id: str = "CP1", referral_id: str = "R1", child_id: str = "C1", **fields: Any
) -> Row:
    return {
        "plan_id": plan_id,
        "referral_id": referral_id,
        "child_id": child_id,
        "start_date": "2024-05-10",
        "end_date": "2024-11-01",
        "initial_category": "NEG",
        "latest_category": "NEG",
        "number_of_previous_cpp": 0,
        **fields,
    }


def episode(
    child_id: str | None = "C1",
    start: str | None = "2024-05-01",
    end: str | None = None,
    **fields: Any,
) -> Row:
    return {
        "episode_id": f"{child_id}/{start}",
        "child_id": child_id,
        "start_date": start,
        "end_date": end,
        "start_reason": "S",
        "legal_status": "C2",
        "placement_type": "U1",
        "end_reason": "E13" if end else None,
        **fields,
    }


def missing(
    child_id: str = "C1",
    start: str | None = "2024-06-01",
    end: str | None = "2024-06-02",
    **fields: Any,
) -> Row:
    return {"child_id": child_id, "type": "M", "start_date": start, "end_date": end, **fields}
