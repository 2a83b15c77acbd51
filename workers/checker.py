"""Indicator series for the offline checker (``check_extract --json``): no database.

The LA's 0-17 population comes straight from the shipped ONS file, so rates work offline too.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from indicators.calculators import compute_all
from submissions.extract.canonical import Extract

__all__ = ["indicator_rows", "population_by_year"]


@cache
def _population_table() -> dict[str, dict[int, int]]:
    from portal.reference import POPULATION_FILE, REFERENCE_DATA_DIR, read_population

    table: dict[str, dict[int, int]] = {}
    for row in read_population(REFERENCE_DATA_DIR / POPULATION_FILE).figures:
        if row.la_code:
            table.setdefault(row.la_code, {})[row.year] = row.population
    return table


def population_by_year(la_code: str | None) -> dict[int, int] | None:
    """Mid-year 0-17 population by year for a DfE LA code, or None when unknown."""
    return _population_table().get(la_code or "") or None


def _plain(value: Any) -> Any:
    """JSON-friendly: dates as ISO strings, NaN/NA as null, numpy numbers as Python ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return value.item()
    try:
        if value != value:  # pandas NA/NaT
            return None
    except TypeError:
        return None
    return value


def indicator_rows(extract: Extract) -> list[dict[str, Any]]:
    """Every indicator for every reported period, as the checker's JSON lists them."""
    if extract.as_of is None:
        return []
    frame = compute_all(
        extract.tables,
        as_of=extract.as_of,
        coverage_start=extract.coverage_start,
        population=population_by_year(extract.la_code),
    )
    columns = ["indicator_id", "period_start", "period_end", "numerator", "denominator",
               "value", "status"]  # fmt: skip
    rows = frame[columns].rename(columns={"indicator_id": "id"}).to_dict("records")
    return [{str(key): _plain(value) for key, value in row.items()} for row in rows]
