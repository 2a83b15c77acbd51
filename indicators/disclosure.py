"""Small-number suppression: what a DfE role, or any output leaving the service, may be shown.

Pure (no Django), so every view and export uses the same function and the property tests can
run it on any table. The rule is the one in ``docs/indicators.md``, "Disclosure control" (the
DfE's own convention for its published children's social care statistics, where small LA
figures are ``c``):

* **Primary.** A count of 1 to 4, and any percentage, rate or ratio whose numerator or
  denominator is 1 to 4, is shown as ``c``. A row (a figure, or a group of children in a
  breakdown) is suppressed as a whole, numerator, denominator and value together: showing
  one of them would bound the others (a numerator never exceeds its denominator, and the
  value and one count give the other count). Zero is shown: it identifies no child.
* **Secondary.** Where the rows of a table add up to a total that is shown (a breakdown's
  groups partition the children of the LA's figure, "Unknown" included), a single suppressed
  row could be recovered by subtracting the others from the total. So when exactly one row
  is suppressed and the total is shown, the shown row with the smallest non-zero count
  (denominator, else numerator) is suppressed too. With two or more rows suppressed, the
  total gives only their sum, which fixes none of them.

LA users see their own LA unsuppressed: the caller decides who needs this (``indicators.
queries`` applies it to a viewer without ``Action.VIEW_CHILD_LEVEL`` for the LA).

What this does not cover: differences between overlapping tables, such as two rolling
12-month periods a month apart, or a breakdown of a breakdown (none is offered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, Literal, Protocol

__all__ = [
    "SMALL",
    "SUPPRESSED",
    "Disclosed",
    "Figure",
    "Hidden",
    "Suppression",
    "disclose",
    "disclose_table",
    "is_small",
]

#: What a suppressed number is shown as (the DfE's code for "confidential").
SUPPRESSED: Final = "c"
#: Counts that are suppressed.
SMALL: Final = range(1, 5)

#: The type of a suppressed number.
Hidden = Literal["c"]


class Figure(Protocol):
    """Anything with the three numbers of an indicator value (``IndicatorValue``,
    ``IndicatorBreakdown``, a calculator's row as an object)."""

    @property
    def numerator(self) -> int | None: ...

    @property
    def denominator(self) -> int | None: ...

    @property
    def value(self) -> Decimal | None: ...


class Suppression(StrEnum):
    """Why a row is shown as ``c``. For the service's own use only: an export or a page says
    whether a row is suppressed, never why. Told which rows are secondary (so hold no count of
    1 to 4), an attacker can recover a primary one from the total (see
    ``tests/indicators/test_disclosure.py``)."""

    NONE = ""
    PRIMARY = "primary"  # a count of 1 to 4 in the row itself
    SECONDARY = "secondary"  # so that another row cannot be recovered from the total


@dataclass(frozen=True)
class Disclosed:
    """A row as it may be shown: its numbers, or ``c`` for each of them."""

    numerator: int | Hidden | None
    denominator: int | Hidden | None
    value: Decimal | Hidden | None
    suppression: Suppression

    @property
    def suppressed(self) -> bool:
        return self.suppression is not Suppression.NONE


def is_small(count: int | None) -> bool:
    """A count of 1 to 4 (blank and zero are not small)."""
    return count is not None and count in SMALL


def _shown(figure: Figure) -> Disclosed:
    return Disclosed(figure.numerator, figure.denominator, figure.value, Suppression.NONE)


def _hidden(figure: Figure, why: Suppression) -> Disclosed:
    # A blank stays blank: a count has no denominator, a period without data no numbers.
    def hide(number: object) -> Hidden | None:
        return None if number is None else SUPPRESSED

    return Disclosed(hide(figure.numerator), hide(figure.denominator), hide(figure.value), why)


def disclose(figure: Figure) -> Disclosed:
    """One figure on its own (an LA's value for a period): the primary rule."""
    if is_small(figure.numerator) or is_small(figure.denominator):
        return _hidden(figure, Suppression.PRIMARY)
    return _shown(figure)


def _size(figure: Figure) -> int:
    return figure.denominator if figure.denominator is not None else figure.numerator or 0


def disclose_table(
    rows: Sequence[Figure], total: Figure | None
) -> tuple[list[Disclosed], Disclosed | None]:
    """The rows of one table (the groups of one breakdown) and the total they add up to.

    ``total`` is the figure the rows partition, wherever it is shown (for a breakdown, the
    LA's value for the same indicator and period); None only when no total of these rows is
    shown anywhere. Returns the rows in their order, and the total, as they may be shown.
    """
    shown = [disclose(row) for row in rows]
    shown_total = None if total is None else disclose(total)
    total_visible = shown_total is not None and not shown_total.suppressed
    if total_visible and sum(row.suppressed for row in shown) == 1:
        candidates = [
            (_size(row), row.numerator or 0, n)
            for n, row in enumerate(rows)
            if not shown[n].suppressed and _size(row) > 0
        ]
        if candidates:
            *_, n = min(candidates)
            shown[n] = _hidden(rows[n], Suppression.SECONDARY)
        else:
            # Every other row is zero (rows that do not partition the total): hide them all,
            # so the suppressed row is not simply the total.
            shown = [
                row if row.suppressed else _hidden(rows[n], Suppression.SECONDARY)
                for n, row in enumerate(shown)
            ]
    return shown, shown_total
