"""The attacker of the disclosure tests: what someone who sees a table can work out.

They know the shown cells, the total (when shown), that the rows add up to it, that every
count is a whole number >= 0 and that no numerator exceeds its denominator. They do not know
why a cell is "c". A hidden count is recovered when only one value of it is consistent with
all that. Used by ``tests/indicators/test_disclosure.py`` on generated tables and by
``tests/dashboards/test_exports.py`` on every table an export gives a DfE role.

``possible_under_the_rule`` is the stronger attacker, who also knows the rule and so keeps
only the tables that ``disclose_table`` would show exactly as it showed the real one.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from indicators.disclosure import Disclosed, Figure, disclose_table


def free_rows_feasible(rows: int, numerators: int, denominators: int | None) -> bool:
    """Can ``rows`` unknown rows add up to these sums? (Closed form, checked by brute force in
    ``test_the_attackers_closed_form``.)"""
    if numerators < 0 or (denominators is not None and denominators < 0):
        return False
    if rows == 0:
        return numerators == 0 and not denominators
    return denominators is None or numerators <= denominators


def possible_values(rest: int, field: str, numerators: int, denominators: int | None) -> set[int]:
    """Every value a hidden row's ``field`` can take, with ``rest`` other hidden rows and the
    hidden rows adding up to these sums."""
    top = denominators if denominators is not None else numerators
    values = set()
    for x in range(top + 1):
        if denominators is None:
            ok = free_rows_feasible(rest, numerators - x, None)
        elif field == "numerator":
            ok = any(
                free_rows_feasible(rest, numerators - x, denominators - d)
                for d in range(x, denominators + 1)
            )
        else:
            ok = any(
                free_rows_feasible(rest, numerators - m, denominators - x)
                for m in range(min(x, numerators) + 1)
            )
        if ok:
            values.add(x)
    return values


# --- an attacker who also knows the rule -----------------------------------------------------
#
# The rule is public (the cover sheet of every export states it), so an attacker can also try
# every table that agrees with the shown cells and the total, and keep those that the rule
# would have shown exactly as it showed the real one. ``possible_under_the_rule`` does that by
# brute force, with nothing of the rule's own reasoning: it only calls ``disclose_table``.


@dataclass(frozen=True)
class Counted:
    """A row as the attacker rebuilds it: a count (no denominator), or a percentage."""

    numerator: int
    denominator: int | None
    value: Decimal | None


def counted(numerator: int, denominator: int | None) -> Counted:
    if denominator is None:
        return Counted(numerator, None, Decimal(numerator))
    value = Decimal(100 * numerator / denominator).quantize(Decimal("0.1")) if denominator else None
    return Counted(numerator, denominator, value)


def _seen(shown: list[Disclosed], total: Disclosed | None) -> list[tuple[object, ...]]:
    return [(s.numerator, s.denominator, s.value, s.suppressed) for s in [*shown, total] if s]


def possible_under_the_rule(
    pairs: Sequence[tuple[int, int | None]],
    make: Callable[[int, int | None], Figure],
    total: tuple[int, int | None] | None = None,
    enough: bool = True,
) -> dict[tuple[int, str], set[int]]:
    """For each hidden row (by position) and field ("numerator", "denominator"), every value
    it has in a table that agrees with the shown cells and the total (the rows' sum unless
    given) and that ``disclose_table`` shows exactly as it shows ``pairs`` (numbers, values
    and which rows are "c"; not why). Counts (denominator None) have only numerators; other
    rows satisfy numerator <= denominator, as the attacker knows of a percentage.

    Searches outward from the real table, moving one child at a time between hidden rows, so
    every such table is reached; with ``enough`` it stops once every hidden field has two
    values or is really 0 (all that a test of "none is determined" needs)."""
    counts = all(d is None for _, d in pairs)

    def sum_of(table: Sequence[tuple[int, int | None]]) -> tuple[int, int | None]:
        return (sum(n for n, _ in table), None if counts else sum(d or 0 for _, d in table))

    given = total
    total = given or sum_of(pairs)
    shown, shown_total = disclose_table([make(n, d) for n, d in pairs], make(*total))
    # A hidden total is not known either: then any total is tried (the rows' sum), up to twice
    # the real numbers and ten more (a bound that can only help the attacker).
    free_total = shown_total is not None and shown_total.suppressed and given is None
    cap = 2 * max(x or 0 for pair in pairs for x in pair) + 10
    seen = _seen(shown, shown_total)
    hidden = [r for r, s in enumerate(shown) if s.suppressed]
    fields = ["numerator"] if counts else ["numerator", "denominator"]
    found: dict[tuple[int, str], set[int]] = {(r, f): set() for r in hidden for f in fields}
    moves = [(1, 0)] if counts else [(1, 0), (0, 1), (1, 1)]

    def valid(n: int, d: int | None) -> bool:
        return n >= 0 and (d is None or n <= d)

    start = tuple(pairs[r] for r in hidden)
    queue, visited = deque([start]), {start}
    while queue:
        state = queue.popleft()
        table = list(pairs)
        for r, pair in zip(hidden, state, strict=True):
            table[r] = pair
        again, again_total = disclose_table(
            [make(n, d) for n, d in table], make(*(sum_of(table) if free_total else total))
        )
        if _seen(again, again_total) == seen:
            for r, (n, d) in zip(hidden, state, strict=True):
                found[(r, "numerator")].add(n)
                if not counts:
                    assert d is not None
                    found[(r, "denominator")].add(d)
            if enough and all(len(v) > 1 or v == {0} for v in found.values()):
                break  # a real 0 gives nothing away, whatever else it could be
        for a, b in itertools.permutations(range(len(state)), 2):
            for dn, dd in moves:
                (na, da), (nb, db) = state[a], state[b]
                na, nb = na - dn, nb + dn
                if not counts:
                    assert da is not None
                    assert db is not None
                    da, db = da - dd, db + dd
                if not (valid(na, da) and valid(nb, db)):
                    continue
                step = list(state)
                step[a], step[b] = (na, da), (nb, db)
                following = tuple(step)
                if following not in visited:
                    visited.add(following)
                    queue.append(following)
        if free_total:  # one child more or fewer in one row
            for a in range(len(state)):
                for dn, dd in [(1, 0), (-1, 0)] if counts else [(1, 0), (0, 1), (-1, 0), (0, -1)]:
                    n, d = state[a]
                    n, d = n + dn, None if d is None else d + dd
                    if not valid(n, d) or max(n, d or 0) > cap:
                        continue
                    step = list(state)
                    step[a] = (n, d)
                    following = tuple(step)
                    if following not in visited:
                        visited.add(following)
                        queue.append(following)
    return found


def determined_under_the_rule(
    pairs: Sequence[tuple[int, int | None]],
    make: Callable[[int, int | None], Figure],
    total: tuple[int, int | None] | None = None,
) -> dict[tuple[int, str], set[int]]:
    """The hidden fields an attacker who knows the rule pins to one value other than 0."""
    possible = possible_under_the_rule(pairs, make, total)
    return {cell: v for cell, v in possible.items() if len(v) == 1 and v != {0}}
