"""The text summaries beside every chart: figures in sentences, in plain English.

A summary says what the chart shows for a reader who cannot see it (and for everyone who
wants the headline without reading the chart); the table after it gives every figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from dashboards.models import Unit
from dashboards.presentation.formatting import UNIT_SUFFIXES
from dashboards.published.queries import IndicatorMeta, Point, Value


def say(value: Value, meta: IndicatorMeta, unit: bool = False) -> str:
    """A figure in a sentence: "22.6%", "67" ("67 per 10,000 children" with ``unit``, for its
    first mention), "not published (c: ...)"."""
    if value.value is not None:
        return value.display + (UNIT_SUFFIXES.get(Unit(meta.unit), "") if unit else "")
    if value.suppression:
        return f"not published ({value.suppression}: {value.explanation.lower()})"
    return "not available"


def spread(points: Sequence[Point], meta: IndicatorMeta) -> str:
    """ "ranged from 12.0% in X to 30.1% in Y" over the points that have a number."""
    numbered = [point for point in points if point.value.value is not None]
    if len(numbered) < 2:
        return ""
    low = min(numbered, key=lambda point: point.value.value or 0)
    high = max(numbered, key=lambda point: point.value.value or 0)
    return (
        f"ranged from {say(low.value, meta)} in {low.geography.name} "
        f"to {say(high.value, meta)} in {high.geography.name}"
    )


def over_time_summary(
    meta: IndicatorMeta,
    subject: str,
    names: Sequence[str],
    rows: Sequence[tuple[str, Sequence[Value]]],
) -> str:
    """ "In 2025, Barnsley's figure was 24.0%, compared with 22.6% for England, ... ." """
    if not rows:
        return f"No figures have been published for {subject}."
    period, values = rows[-1]
    text = f"In {period}, {subject}'s figure was {say(values[0], meta, unit=True)}"
    comparisons = [
        f"{say(value, meta)} for {name}" for name, value in zip(names[1:], values[1:], strict=True)
    ]
    if comparisons:
        text += ", compared with " + ", ".join(comparisons[:-1])
        text += (" and " if len(comparisons) > 1 else "") + comparisons[-1]
    text += "."
    if len(rows) > 1:
        earlier_period, earlier = rows[-2]
        text += f" In {earlier_period} it was {say(earlier[0], meta)}."
    return text
