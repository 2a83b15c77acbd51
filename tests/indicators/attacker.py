"""The attacker of the disclosure tests: what someone who sees a table can work out.

They know the shown cells, the total (when shown), that the rows add up to it, that every
count is a whole number >= 0 and that no numerator exceeds its denominator. They do not know
why a cell is "c". A hidden count is recovered when only one value of it is consistent with
all that. Used by ``tests/indicators/test_disclosure.py`` on generated tables and by
``tests/dashboards/test_exports.py`` on every table an export gives a DfE role.
"""

from __future__ import annotations


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
