"""Small-number suppression (``indicators.disclosure``): no count of 1 to 4 is shown, and none
can be recovered from the other cells of its table and the total they add up to."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import disclosure
from indicators.disclosure import SUPPRESSED, Suppression, disclose, disclose_table


@dataclass(frozen=True)
class Row:
    numerator: int | None
    denominator: int | None
    value: Decimal | None = None


def percent(numerator: int, denominator: int) -> Row:
    value = Decimal(100 * numerator / denominator).quantize(Decimal("0.1")) if denominator else None
    return Row(numerator, denominator, value)


def total_of(rows: list[Row], counts: bool) -> Row:
    numerator = sum(r.numerator or 0 for r in rows)
    if counts:
        return Row(numerator, None, Decimal(numerator))
    return percent(numerator, sum(r.denominator or 0 for r in rows))


@pytest.mark.parametrize(
    ("numerator", "denominator", "hidden"),
    [(0, 10, False), (1, 10, True), (4, 10, True), (5, 10, False), (0, 4, True), (5, 4, True),
     (0, 0, False), (7, 7, False), (3, None, True), (5, None, False), (None, None, False)],
)  # fmt: skip
def test_the_primary_rule(numerator: int | None, denominator: int | None, hidden: bool) -> None:
    shown = disclose(Row(numerator, denominator, Decimal("1.0")))
    assert shown.suppressed is hidden
    if hidden:
        assert shown.suppression is Suppression.PRIMARY
        assert shown.value == SUPPRESSED
        assert shown.numerator == SUPPRESSED
        assert shown.denominator == (None if denominator is None else SUPPRESSED)
    else:
        assert (shown.numerator, shown.denominator) == (numerator, denominator)


def test_a_single_suppressed_group_takes_the_next_smallest_with_it() -> None:
    rows = [percent(20, 40), percent(3, 9), percent(6, 12), percent(0, 0)]
    shown, total = disclose_table(rows, total_of(rows, counts=False))
    assert [r.suppression for r in shown] == [
        Suppression.NONE, Suppression.PRIMARY, Suppression.SECONDARY, Suppression.NONE,
    ]  # fmt: skip
    assert total is not None
    assert not total.suppressed


def test_no_secondary_suppression_when_the_total_is_hidden_or_two_groups_are() -> None:
    rows = [percent(2, 3), percent(0, 1)]
    shown, total = disclose_table(rows, total_of(rows, counts=False))
    assert total is not None
    assert total.suppression is Suppression.PRIMARY
    assert [r.suppression for r in shown] == [Suppression.PRIMARY, Suppression.PRIMARY]
    rows = [percent(2, 30), percent(3, 30), percent(9, 30)]
    shown, _ = disclose_table(rows, total_of(rows, counts=False))
    assert [r.suppression for r in shown] == [Suppression.PRIMARY] * 2 + [Suppression.NONE]


# --- the attacker ----------------------------------------------------------------------------
#
# Someone who sees a table knows the shown cells, the total (when shown), that the rows add up
# to it, that every count is a whole number >= 0 and that no numerator exceeds its denominator.
# They do not know why a cell is "c". A hidden count is recovered when only one value of it is
# consistent with all that.


def _free_rows_feasible(rows: int, numerators: int, denominators: int | None) -> bool:
    """Can ``rows`` unknown rows add up to these sums? (Closed form, checked by brute force in
    ``test_the_attackers_closed_form``.)"""
    if numerators < 0 or (denominators is not None and denominators < 0):
        return False
    if rows == 0:
        return numerators == 0 and not denominators
    return denominators is None or numerators <= denominators


def _brute_feasible(rows: int, numerators: int, denominators: int) -> bool:
    for dens in itertools.product(range(denominators + 1), repeat=rows):
        if sum(dens) != denominators:
            continue
        for nums in itertools.product(*(range(d + 1) for d in dens)):
            if sum(nums) == numerators:
                return True
    return rows == 0 and numerators == 0 and denominators == 0


@pytest.mark.parametrize("rows", [0, 1, 2, 3])
def test_the_attackers_closed_form(rows: int) -> None:
    for numerators, denominators in itertools.product(range(7), repeat=2):
        assert _free_rows_feasible(rows, numerators, denominators) == _brute_feasible(
            rows, numerators, denominators
        ), (rows, numerators, denominators)


def _possible_values(rest: int, field: str, numerators: int, denominators: int | None) -> set[int]:
    """Every value a hidden row's ``field`` can take, with ``rest`` other hidden rows and the
    hidden rows adding up to these sums."""
    top = denominators if denominators is not None else numerators
    values = set()
    for x in range(top + 1):
        if denominators is None:
            ok = _free_rows_feasible(rest, numerators - x, None)
        elif field == "numerator":
            ok = any(
                _free_rows_feasible(rest, numerators - x, denominators - d)
                for d in range(x, denominators + 1)
            )
        else:
            ok = any(
                _free_rows_feasible(rest, numerators - m, denominators - x)
                for m in range(min(x, numerators) + 1)
            )
        if ok:
            values.add(x)
    return values


rows_strategy = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 12)).map(lambda t: (min(t), max(t))),
    min_size=2,
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(rows_strategy, st.booleans())
def test_no_suppressed_count_can_be_derived_from_the_total(
    pairs: list[tuple[int, int]], counts: bool
) -> None:
    rows = [Row(n, None, Decimal(n)) if counts else percent(n, d) for n, d in pairs]
    total = total_of(rows, counts)
    shown, shown_total = disclose_table(rows, total)

    for cell in [*shown, shown_total]:
        assert cell is not None
        for number in (cell.numerator, cell.denominator):
            assert not (isinstance(number, int) and 1 <= number <= 4), "a small count is shown"
        if cell.suppressed:
            assert cell.value == SUPPRESSED
    assert shown_total is not None
    if shown_total.suppressed:
        return  # the rows add up to an unknown: nothing hidden is bounded from above
    hidden = [rows[n] for n, cell in enumerate(shown) if cell.suppressed]
    numerators = (total.numerator or 0) - sum(
        r.numerator or 0 for r, s in zip(rows, shown, strict=True) if not s.suppressed
    )
    denominators = (
        None
        if counts
        else (total.denominator or 0)
        - sum(r.denominator or 0 for r, s in zip(rows, shown, strict=True) if not s.suppressed)
    )
    for row in hidden:
        fields = ["numerator"] if counts else ["numerator", "denominator"]
        for field in fields:
            true = getattr(row, field)
            if true in disclosure.SMALL:
                possible = _possible_values(len(hidden) - 1, field, numerators, denominators)
                assert true in possible
                assert len(possible) > 1, f"the {field} {true} of a group can be recovered"
