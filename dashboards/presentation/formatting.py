"""How a figure is written: on the page (``format_value``), in a CSV file (``csv_number``),
and what a unit is called in captions, axis titles and sentences.

A leaf module (it needs only the ``Unit`` choices) so the published query API, which formats
every ``Value`` it returns, and the pages that show those values cannot round differently.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from dashboards.models import Unit

# What a unit's figures are called in axis titles, captions and summaries.
UNIT_LABELS = {
    Unit.PERCENT: "percentage",
    Unit.RATE_PER_10K: "rate per 10,000 children",
    Unit.COUNT: "number",
    Unit.MONTHS: "months",
    Unit.SCORE: "score",
    Unit.RATIO: "ratio",
    Unit.CURRENCY: "pounds",
}
# Figures that need their unit spelled out in a sentence ("67 per 10,000 children").
UNIT_SUFFIXES = {Unit.RATE_PER_10K: " per 10,000 children", Unit.MONTHS: " months"}


def format_value(value: Decimal, unit: str, decimals: int) -> str:
    """A number as shown: rounded half away from zero, thousands separated, % or £ added."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    if unit == Unit.PERCENT:
        return f"{text}%"
    if unit == Unit.CURRENCY:
        return f"£{text}"
    return text


def csv_number(number: Decimal, decimals: int) -> str:
    """A number for CSV: rounded as the tables show it, without separators or units."""
    return f"{number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"
