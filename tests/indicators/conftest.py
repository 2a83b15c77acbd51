"""Builders for the indicator tests: canonical tables from lists of dicts, and result lookup.

``tables(cp_plan=[{"child_id": "A", "start_date": "2024-01-01"}])`` gives every canonical
table (``submissions.extract.canonical.TABLES``) with its dtypes; columns a row leaves out are
blank, a missing record id is made up (``A/cp_plan1``), and ``_file`` / ``_location`` are filled in
as a reader would. ``compute`` runs ``compute_all`` with ISO date strings (C0 2023-01-01 unless
given); ``value_at`` / ``counts`` read one indicator's row for one period end.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from indicators.calculators import compute_all
from submissions.extract.canonical import TABLES

_ID_COLUMNS = {
    "referral": "referral_id",
    "assessment": "assessment_id",
    "cin_plan": "plan_id",
    "s47_enquiry": "s47_id",
    "cp_plan": "plan_id",
    "cla_episode": "episode_id",
}


def frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One canonical table from rows given as dicts (dates as ISO strings)."""
    columns = TABLES[table]
    filled = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(columns)
        assert not unknown, f"{table} has no columns {unknown}"
        record = {column: row.get(column) for column in columns}
        id_column = _ID_COLUMNS.get(table)
        if id_column and record[id_column] is None:
            record[id_column] = f"{row['child_id']}/{table}{number}"
        filled.append(record)
    data = {column: pd.Series([r[column] for r in filled], dtype=object) for column in columns}
    result = pd.DataFrame(
        {
            column: (pd.to_datetime(values) if dtype.startswith("datetime") else values).astype(
                pd.api.types.pandas_dtype(dtype)
            )
            for (column, dtype), values in zip(columns.items(), data.values(), strict=True)
        }
    )
    result["_file"] = pd.Series([f"{table}.csv"] * len(rows), dtype="string")
    result["_location"] = pd.Series(
        [f"line {n + 1}" for n in range(1, len(rows) + 1)], dtype="string"
    )
    return result


def tables(**rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Every canonical table, built from the rows given for some of them."""
    unknown = set(rows) - set(TABLES)
    assert not unknown, f"no tables {unknown}"
    return {name: frame(name, rows.get(name, [])) for name in TABLES}


def compute(
    data: dict[str, pd.DataFrame],
    *,
    as_of: str,
    coverage_start: str | None = "2023-01-01",
    population: dict[int, int] | None = None,
) -> pd.DataFrame:
    """``compute_all`` with ISO date strings."""
    return compute_all(
        data,
        as_of=date.fromisoformat(as_of),
        coverage_start=date.fromisoformat(coverage_start) if coverage_start else None,
        population=population,
    )


def value_at(result: pd.DataFrame, indicator_id: str, period_end: str) -> dict[str, Any]:
    """The result row for one indicator and period end, with blanks as None."""
    rows = result[
        (result["indicator_id"] == indicator_id)
        & (result["period_end"] == pd.Timestamp(period_end))
    ]
    assert len(rows) == 1, f"{len(rows)} rows for {indicator_id} at {period_end}"
    return {key: (None if pd.isna(value) else value) for key, value in records(rows)[0].items()}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts keyed by column name."""
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def counts(result: pd.DataFrame, indicator_id: str, period_end: str) -> tuple[Any, Any]:
    """(numerator, denominator) for one indicator and period end."""
    row = value_at(result, indicator_id, period_end)
    return row["numerator"], row["denominator"]
