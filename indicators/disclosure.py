"""Small-number suppression: what a DfE role, or any output leaving the service, may be shown.

Pure (no Django), so every view and export uses the same function and the property tests can
run it on any table. The rule is the one in ``docs/indicators.md``, "Disclosure control" (the
DfE's own convention for its published children's social care statistics, where small LA
figures are ``c``), made safe against someone who knows the rule.

* **Primary.** A count of 1 to 4, and any percentage, rate or ratio whose numerator or
  denominator is 1 to 4, is shown as ``c``. A row (a figure, or a group of children in a
  breakdown) is suppressed as a whole, numerator, denominator and value together: showing
  one of them would bound the others. Zero is shown: it identifies no child.
* **Secondary.** Where the rows of a table add up to a total that is shown (a breakdown's
  groups partition the children of the LA's figure, "Unknown" included), the total and the
  shown rows give the sum of the hidden ones. So, starting from the primary rows, the shown
  row with the smallest non-zero count (denominator, else numerator; then numerator, then
  position) is hidden too, then the next, until the hidden rows are *protected* (below).
  If no row is left to add, or the rows do not add up to the total, every row is hidden.
  Where the total is itself hidden it is still known to be small, which bounds the rows
  (four hidden counts under a hidden total could only be 1 each), so the rows of no
  children are hidden with the primary ones: a ``c`` may then be a 0 as well.

**What the attacker knows.** The shown cells and the total; that the rows add up to it; that
counts are whole numbers >= 0; how numerators relate to denominators in this table (never
more than it, as a percentage's; never less, with a child behind every episode, as a
ratio's; equal, as a count's: whatever every row of the table satisfies is assumed known);
that a primary row has a numerator or denominator of 1 to 4; and the whole rule, this
function included: so also that a secondary row is not small, not empty, and came before
every shown row in the order above (no larger than the smallest shown row), and that the
rule stopped where it did. They are not told which hidden rows are primary and which
secondary (``Suppression`` stays inside the service: pages and exports say only "c").

**Protected.** A set of hidden rows is protected when every hidden numerator and denominator
keeps at least two possible values (or can only be 0, which identifies no child) over a set
of *alternative tables*: tables with the same shown cells and total that this function
shows exactly as it shows the real one. That last condition is what makes the check hold
against someone who knows the rule, its stopping point included; the alternatives counted
are those for which it holds for a reason that needs no further search:

* every hidden row small (such a table hides exactly these rows as primaries, and the
  check, which reads only what is shown, stops there as it did); and
* with two rows hidden, one small and the other not small, not empty, and before every
  shown row in the order (such a table hides its one primary, which alone is never
  protected, then adds that other row as its secondary, and stops).

Every alternative counted is one the attacker cannot rule out, so the guarantee holds for
tables of any size; other alternatives exist and are not needed. The check is exact and
fast: each kind of row (small, or secondary) is a few polygons in (numerator, denominator)
bounded by numerator, denominator and their difference; the sums of such polygons are
again such polygons, with no gaps in their whole points, so a hidden cell's possible values
are intervals computed from the bounds alone, whatever the size of the counts.

Hiding every row is the one outcome not checked: nothing more can be hidden, and only the
total, which is shown anyway, is then known. Nor is the hidden-total case checked here: it
has no sum to work from, only the bound. ``tests/indicators/test_disclosure.py`` runs a
brute-force attacker who tries every table against this function (which covers both), on
generated tables.

LA users see their own LA unsuppressed: the caller decides who needs this (``indicators.
queries`` applies it to a viewer without ``Action.VIEW_CHILD_LEVEL`` for the LA).

What this does not cover: differences between overlapping tables, such as two rolling
12-month periods a month apart (each table is protected on its own, not their difference),
a breakdown of a breakdown (none is offered), and outside knowledge of a group (say that a
group is usually empty).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
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
    1 to 4), an attacker can narrow the primary ones (see ``tests/indicators/
    test_disclosure.py``)."""

    NONE = ""
    PRIMARY = "primary"  # a count of 1 to 4 in the row itself
    SECONDARY = "secondary"  # so that no hidden row can be worked out from the others


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
    # A blank count stays blank (a count has no denominator, a period without data no
    # numbers); a hidden row's value is ``c`` whenever it has a numerator, even one without a
    # value (0 of 0), or the blank would tell the row apart.
    def hide(number: object) -> Hidden | None:
        return None if number is None else SUPPRESSED

    value = SUPPRESSED if figure.numerator is not None else hide(figure.value)
    return Disclosed(hide(figure.numerator), hide(figure.denominator), value, why)


def disclose(figure: Figure) -> Disclosed:
    """One figure on its own (an LA's value for a period): the primary rule."""
    if is_small(figure.numerator) or is_small(figure.denominator):
        return _hidden(figure, Suppression.PRIMARY)
    return _shown(figure)


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
    primary = [n for n, row in enumerate(shown) if row.suppressed]
    if total is None or shown_total is None or total.numerator is None or not primary:
        return shown, shown_total  # no total, no numbers in it, or nothing to protect
    if shown_total.suppressed:
        # The total is hidden, but known to be small, which bounds the hidden rows (four
        # hidden counts under a hidden total could only be 1 each): the empty rows are
        # hidden too, so that a "c" may also be a 0.
        for n, row in enumerate(rows):
            if not shown[n].suppressed and _size(row) == 0:
                shown[n] = _hidden(row, Suppression.SECONDARY)
        return shown, shown_total
    table = _Table.of(rows, total)
    for n in table.protect(primary):
        if not shown[n].suppressed:
            shown[n] = _hidden(rows[n], Suppression.SECONDARY)
    return shown, shown_total


def _size(figure: Figure) -> int:
    return (figure.denominator if figure.denominator is not None else figure.numerator) or 0


# --- the secondary rule ------------------------------------------------------------------------
#
# A region is the whole points (n, d) with n0 <= n <= n1, d0 <= d <= d1, g0 <= d - n <= g1,
# stored "tight" (every bound attained). With n negated these are integral generalised
# polymatroids (M-natural-convex sets), so the sum of two regions is a region, its bounds
# the sums of theirs, and every whole point of it is a sum of whole points of the two (no
# gaps); the whole points of a region project onto an interval of n and one of d.

_INF: Final = 1 << 62  # no bound
_Region = tuple[int, int, int, int, int, int]
_ZERO: Final[_Region] = (0, 0, 0, 0, 0, 0)
_Key = tuple[int, int, int]


def _tight(n0: int, n1: int, d0: int, d1: int, g0: int, g1: int) -> _Region | None:
    """The region with these bounds, tightened; None when it has no point."""
    for _ in range(3):  # shortest paths between n, d and 0: two rounds suffice, one checks
        n0, n1 = max(n0, d0 - g1), min(n1, d1 - g0)
        d0, d1 = max(d0, n0 + g0), min(d1, n1 + g1)
        g0, g1 = max(g0, d0 - n1), min(g1, d1 - n0)
        if n0 > n1 or d0 > d1 or g0 > g1:
            return None
    return (n0, n1, d0, d1, g0, g1)


def _meet(a: _Region, b: _Region) -> _Region | None:
    return _tight(
        max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]),
        min(a[3], b[3]), max(a[4], b[4]), min(a[5], b[5]),
    )  # fmt: skip


def _plus(a: _Region, b: _Region) -> _Region:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5])


def _less(total: tuple[int, int], a: _Region) -> _Region:
    """The points ``total - p`` for the points p of ``a``."""
    n, d = total
    return (n - a[1], n - a[0], d - a[3], d - a[2], d - n - a[5], d - n - a[4])


@dataclass(frozen=True)
class _Model:
    """The regions a hidden row may lie in, as the attacker sees it."""

    g0: int  # the least d - n may be: 0 when no numerator exceeds its denominator
    g1: int  # the most: 0 when none is below it
    ratio: bool  # and a denominator of 0 only with a numerator of 0

    def _relation(self, n0: int, n1: int, d0: int, d1: int) -> _Region | None:
        return _tight(n0, n1, d0, d1, self.g0, self.g1)

    def small(self) -> list[_Region]:
        """A primary row: numerator 1 to 4 (denominator 0 or 5 and more), or denominator 1
        to 4."""
        regions = [
            None if self.ratio else self._relation(1, 4, 0, 0),
            self._relation(1, 4, 5, _INF),
            self._relation(0, _INF, 1, 4),
        ]
        return [r for r in regions if r is not None]

    def secondary(self, row: int, bound: _Key | None) -> list[_Region]:
        """A secondary row: not small, not empty, and before ``bound`` (the first shown row
        in the order, None when there is none)."""
        kinds = [self._relation(0, 0, 5, _INF), self._relation(5, _INF, 5, _INF)]
        if bound is None:
            before: list[_Region | None] = [(0, _INF, 0, _INF, -_INF, _INF)]
        else:
            size, numerator, position = bound
            before = [
                _tight(0, _INF, 0, size - 1, -_INF, _INF),
                _tight(0, numerator - 1, size, size, -_INF, _INF),
                _tight(numerator, numerator, size, size, -_INF, _INF) if row < position else None,
            ]
        return [
            region
            for kind, order in itertools.product(kinds, before)
            if kind is not None and order is not None
            for region in [_meet(kind, order)]
            if region is not None
        ]


@dataclass(frozen=True)
class _Table:
    """A table's counts as the rule reads them: blanks as 0, a count's denominator its
    numerator (so its size is its denominator, like every other row's)."""

    n: tuple[int, ...]
    d: tuple[int, ...]
    total: tuple[int, int]

    @classmethod
    def of(cls, rows: Sequence[Figure], total: Figure) -> _Table:
        figures = [*rows, total]
        counts = all(f.denominator is None for f in figures)
        n = [f.numerator or 0 for f in figures]
        d = list(n) if counts else [f.denominator or 0 for f in figures]
        return cls(n=tuple(n[:-1]), d=tuple(d[:-1]), total=(n[-1], d[-1]))

    def key(self, row: int) -> _Key:
        """The order secondary rows are taken in: size, then numerator, then position."""
        return (self.d[row], self.n[row], row)

    def protect(self, primary: Sequence[int]) -> list[int]:
        """Every row to hide: the primary rows and the secondary ones the rule adds."""
        everything = list(range(len(self.n)))
        if (sum(self.n), sum(self.d)) != self.total:
            return everything  # no partition of the total: nothing below would hold
        hidden = list(primary)
        while not self.protected(hidden):
            rest = [r for r in everything if r not in hidden and self.d[r] > 0]
            if not rest:
                return everything
            hidden.append(min(rest, key=self.key))
        return hidden

    def _model(self, hidden: Sequence[int]) -> _Model:
        """What the attacker may know of how numerators relate to denominators: whatever the
        shown rows and the total all satisfy (read from what is shown, so that a table with
        the same shown cells gets the same answer)."""
        pairs = [(self.n[r], self.d[r]) for r in range(len(self.n)) if r not in hidden]
        pairs.append(self.total)
        at_most = all(n <= d for n, d in pairs)
        at_least = all(n >= d and (d > 0 or n == 0) for n, d in pairs)
        return _Model(0 if at_most else -_INF, 0 if at_least else _INF, at_least)

    def _alternatives(self, hidden: Sequence[int]) -> Iterator[list[list[_Region]]]:
        """For each kind of alternative table counted, the regions of each hidden row."""
        model = self._model(hidden)
        small = model.small()
        yield [small for _ in hidden]
        if len(hidden) == 2:
            shown = [r for r in range(len(self.n)) if r not in hidden and self.d[r] > 0]
            bound = min((self.key(r) for r in shown), default=None)
            first, second = hidden
            yield [small, model.secondary(second, bound)]
            yield [model.secondary(first, bound), small]

    def possible(self, hidden: Sequence[int]) -> dict[tuple[int, str], list[tuple[int, int]]]:
        """For each hidden row and field ("n" or "d"), the intervals of the values it takes
        in the alternative tables counted (see the module docstring)."""
        shown = [r for r in range(len(self.n)) if r not in hidden]
        rest = (
            self.total[0] - sum(self.n[r] for r in shown),
            self.total[1] - sum(self.d[r] for r in shown),
        )
        found: dict[tuple[int, str], list[tuple[int, int]]] = {
            (row, field): [] for row in hidden for field in "nd"
        }
        for choices in self._alternatives(hidden):
            for regions in itertools.product(*choices):
                before = [_ZERO]
                for region in regions[:-1]:
                    before.append(_plus(before[-1], region))
                after = _ZERO
                for place in range(len(regions) - 1, -1, -1):
                    # The others' sum leaves ``rest - it`` for this row.
                    others = _plus(before[place], after)
                    point = _meet(regions[place], _less(rest, others))
                    after = _plus(after, regions[place])
                    if point is None:
                        continue
                    row = hidden[place]
                    found[(row, "n")].append((point[0], point[1]))
                    found[(row, "d")].append((point[2], point[3]))
        return found

    def protected(self, hidden: Sequence[int]) -> bool:
        """Whether every hidden numerator and denominator keeps two possible values (or can
        only be 0) in the alternative tables counted."""
        for intervals in self.possible(hidden).values():
            values = {lo for lo, _ in intervals} | {hi for _, hi in intervals}
            if len(values) < 2 and values != {0}:
                return False
        return True
