"""Chart specs for ``charts.js`` (Chart.js), and the chart-with-table section pages show.

A spec is plain JSON (passed to the page with ``json_script``): its kind, labels, series,
the bar to highlight and the reference bar, the axis title and how numbers are written.
Figures in a spec are rounded as the table beside the chart shows them, so a tooltip and the
table never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dashboards.models import Unit
from dashboards.presentation.formatting import UNIT_LABELS, csv_number
from dashboards.presentation.tables import Table
from dashboards.published.queries import IndicatorMeta, Value


@dataclass(frozen=True)
class ChartSection:
    """A chart with its heading, text summary, accessible name, table and CSV link.

    ``chart`` is the spec ``charts.js`` draws (passed with ``json_script``), or None where a
    chart would show nothing the table does not (a series of one year is a row of dots on an
    empty axis); ``controls`` names a template of controls shown under the heading.
    """

    id: str
    heading: str
    summary: str
    label: str
    chart: dict[str, Any] | None
    table: Table
    csv_url: str
    controls: str = ""
    table_collapsed: bool = False

    @property
    def chart_id(self) -> str:
        return f"{self.id}-data"


def chart_number(value: Value, decimals: int) -> float | None:
    """A figure for a chart, rounded as the table shows it (so tooltips and table agree)."""
    if value.value is None:
        return None
    return float(csv_number(value.value, decimals))


def number_format(meta: IndicatorMeta) -> dict[str, Any]:
    """How ``charts.js`` writes the indicator's numbers on axes and in tooltips."""
    return {
        "prefix": "£" if meta.unit == Unit.CURRENCY else "",
        "suffix": "%" if meta.unit == Unit.PERCENT else "",
        "decimals": meta.decimals,
    }


def line_spec(
    meta: IndicatorMeta,
    rows: Sequence[tuple[str, Sequence[Value]]],
    columns: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """A line per column (label, chart role) over the rows' periods (period, values)."""
    return {
        "kind": "line",
        "labels": [period for period, _ in rows],
        "series": [
            {
                "label": label,
                "role": role,
                "values": [chart_number(v[i], meta.decimals) for _, v in rows],
            }
            for i, (label, role) in enumerate(columns)
        ],
        "highlight": None,
        "axisTitle": UNIT_LABELS[Unit(meta.unit)].capitalize(),
        "format": number_format(meta),
    }


def bar_spec(
    meta: IndicatorMeta,
    names: Sequence[str],
    values: Sequence[Value],
    highlight: int | None,
    reference: int | None = None,
) -> dict[str, Any]:
    """A bar per place; ``highlight`` marks the chosen one, ``reference`` England's."""
    return {
        "kind": "bar",
        "labels": list(names),
        "series": [
            {
                "label": meta.title,
                "role": "la",
                "values": [chart_number(v, meta.decimals) for v in values],
            }
        ],
        "highlight": highlight,
        "reference": reference,
        "axisTitle": UNIT_LABELS[Unit(meta.unit)].capitalize(),
        "format": number_format(meta),
    }


def scatter_spec(
    meta: IndicatorMeta,
    context: IndicatorMeta,
    names: Sequence[str],
    xs: Sequence[Value],
    ys: Sequence[Value],
    highlight: int | None,
) -> dict[str, Any]:
    """A point per place: ``xs`` a measure of local context (``context``), ``ys`` the
    indicator; ``highlight`` marks the chosen place. No trend line: context is not a target."""
    return {
        "kind": "scatter",
        "labels": list(names),
        "x": [chart_number(x, context.decimals) for x in xs],
        "series": [
            {
                "label": meta.title,
                "role": "la",
                "values": [chart_number(y, meta.decimals) for y in ys],
            }
        ],
        "highlight": highlight,
        "reference": None,
        "axisTitle": UNIT_LABELS[Unit(meta.unit)].capitalize(),
        "format": number_format(meta),
        "xAxisTitle": f"{context.title} (%)",
        "xFormat": number_format(context),
    }
