"""Small-number suppression (``indicators.disclosure``): no count of 1 to 4 is shown, and none
can be recovered from the other cells of its table and the total they add up to."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import disclosure
from indicators.disclosure import SUPPRESSED, Suppression, disclose, disclose_table
from tests.indicators import attacker
from tests.indicators.attacker import (
    determined_under_the_rule,
    free_rows_feasible,
    possible_under_the_rule,
    possible_values,
)


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
# consistent with all that (``tests.indicators.attacker``).


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
        assert free_rows_feasible(rows, numerators, denominators) == _brute_feasible(
            rows, numerators, denominators
        ), (rows, numerators, denominators)


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
                possible = possible_values(len(hidden) - 1, field, numerators, denominators)
                assert true in possible
                assert len(possible) > 1, f"the {field} {true} of a group can be recovered"


def _residual(
    rows: list[Row], shown: list[disclosure.Disclosed], total: Row, counts: bool
) -> tuple[int, int | None]:
    """What the total leaves for the hidden rows once the shown ones are subtracted."""
    visible = [r for r, s in zip(rows, shown, strict=True) if not s.suppressed]
    numerators = (total.numerator or 0) - sum(r.numerator or 0 for r in visible)
    if counts:
        return numerators, None
    return numerators, (total.denominator or 0) - sum(r.denominator or 0 for r in visible)


@settings(max_examples=400, deadline=None)
@given(rows_strategy, st.booleans())
def test_no_suppressed_cell_is_determined_by_the_others(
    pairs: list[tuple[int, int]], counts: bool
) -> None:
    """Not only the small counts: every hidden numerator and denominator, the secondary ones
    included, keeps at least two values that the shown cells and the total allow (solving
    "the rows add up to the total" for it), unless it is 0. A hidden cell that can be pinned
    down is a published figure, and pinning a secondary cell narrows the primary one."""
    rows = [Row(n, None, Decimal(n)) if counts else percent(n, d) for n, d in pairs]
    total = total_of(rows, counts)
    shown, shown_total = disclose_table(rows, total)
    assert shown_total is not None
    if shown_total.suppressed:
        return
    hidden = [row for row, cell in zip(rows, shown, strict=True) if cell.suppressed]
    numerators, denominators = _residual(rows, shown, total, counts)
    for row in hidden:
        for field in ["numerator"] if counts else ["numerator", "denominator"]:
            possible = possible_values(len(hidden) - 1, field, numerators, denominators)
            true = getattr(row, field)
            assert true in possible
            assert len(possible) > 1 or true == 0, f"a hidden {field} {true} is determined"


def test_why_a_cell_is_suppressed_must_not_be_shown() -> None:
    """Exports say whether a row is suppressed, never whether for its own small count or to
    protect another (``Suppression.PRIMARY``/``SECONDARY`` stay inside the service): told
    which is which, the attacker knows the secondary row holds no count of 1 to 4, and here
    that recovers the primary row's 4."""
    rows = [percent(4, 10), percent(0, 5), percent(20, 50)]
    shown, total = disclose_table(rows, total_of(rows, counts=False))
    assert total is not None
    assert not total.suppressed
    assert [r.suppression for r in shown] == [
        Suppression.PRIMARY, Suppression.SECONDARY, Suppression.NONE,
    ]  # fmt: skip
    numerators, denominators = _residual(rows, shown, total_of(rows, counts=False), counts=False)
    # Not told why: the primary row's numerator could be anything from 0 to 4.
    assert possible_values(1, "numerator", numerators, denominators) == {0, 1, 2, 3, 4}
    # Told why: the secondary numerator is not 1 to 4, and at most 4, so it is 0.
    secondary = {n for n in range(numerators + 1) if not disclosure.is_small(n)}
    assert {numerators - n for n in secondary} == {4}


# --- an attacker who also knows the rule -----------------------------------------------------
#
# The rule is public (the cover sheet of every export states it), so an attacker can also try
# every table that agrees with the shown cells and the total, and keep those that this rule
# would have shown exactly as it did (``tests.indicators.attacker.possible_under_the_rule``,
# brute force that only calls ``disclose_table``). The linear model above does not use that.


def make(numerator: int, denominator: int | None) -> Row:
    if denominator is None:
        return Row(numerator, None, Decimal(numerator))
    return percent(numerator, denominator)


@pytest.mark.parametrize(
    ("pairs", "hidden"),
    [
        # Three primary groups: the total leaves 12 for them, and three groups of at most 4
        # could only hold 4 each, so the fourth is hidden too.
        ([(4, 6), (4, 8), (6, 11), (4, 11)], [0, 1, 2, 3]),
        # With 8 of 8 as the secondary, the shown 0 of 9 bounds it: two primary groups could
        # not hold the 12 the total leaves, so one is secondary, at most 8 children, so 8 of 8
        # beside 4 of 8. Hiding 0 of 9 as well leaves that open.
        ([(0, 9), (4, 8), (8, 8)], [0, 1, 2]),
        # A lone primary group takes the smallest other one with it, and that is enough.
        ([(20, 40), (3, 9), (6, 12), (0, 0)], [1, 2]),
        # Two primary groups protect each other: nothing more is hidden.
        ([(2, 30), (3, 30), (9, 30)], [0, 1]),
    ],
)
def test_an_attacker_who_knows_the_rule_recovers_no_cell(
    pairs: list[tuple[int, int]], hidden: list[int]
) -> None:
    rows = [percent(n, d) for n, d in pairs]
    shown, _ = disclose_table(rows, total_of(rows, counts=False))
    assert [n for n, cell in enumerate(shown) if cell.suppressed] == hidden
    possible = possible_under_the_rule(pairs, make)
    assert set(possible) == {(n, f) for n in hidden for f in ("numerator", "denominator")}
    for (n, field), values in possible.items():
        assert getattr(rows[n], field) in values
        assert len(values) > 1, f"the {field} of row {n} is recovered: {values}"


def test_the_attacker_finds_what_the_old_rule_gave_away() -> None:
    """Not vacuous: the brute-force attacker does recover cells from a rule that only stops
    plain subtraction (the next smallest row when exactly one is primary), as this one did."""

    def old_rule(
        rows: list[Row], total: Row | None
    ) -> tuple[list[disclosure.Disclosed], disclosure.Disclosed | None]:
        shown = [disclose(r) for r in rows]
        if sum(s.suppressed for s in shown) == 1:
            n = min(
                (r.denominator or 0, r.numerator or 0, n)
                for n, (r, s) in enumerate(zip(rows, shown, strict=True))
                if not s.suppressed and (r.denominator or 0) > 0
            )[2]
            shown[n] = disclosure._hidden(rows[n], Suppression.SECONDARY)
        return shown, None if total is None else disclose(total)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(attacker, "disclose_table", old_rule)
        assert determined_under_the_rule([(4, 6), (4, 8), (6, 11), (4, 11)], make) == {
            (r, "numerator"): {4} for r in (0, 1, 3)
        }
        recovered = determined_under_the_rule([(0, 9), (4, 8), (8, 8)], make)
        assert recovered == {(1, "denominator"): {8}, (2, "denominator"): {8}}


small_rows = st.lists(
    st.tuples(st.integers(0, 8), st.integers(0, 8)).map(lambda t: (min(t), max(t))),
    min_size=2,
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(small_rows, st.booleans())
def test_no_hidden_cell_is_determined_for_an_attacker_who_knows_the_rule(
    pairs: list[tuple[int, int]], counts: bool
) -> None:
    """On random tables (small, so that brute force is quick): every hidden numerator and
    denominator keeps two values, or can only be 0, for an attacker who knows the shown
    cells, the total (or, when it is hidden, that it is small) and the whole rule."""
    table: list[tuple[int, int | None]] = [(n, None) if counts else (n, d) for n, d in pairs]
    assert determined_under_the_rule(table, make) == {}


tiny_rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5)).map(lambda t: (min(t), max(t))),
    min_size=2,
    max_size=3,
)


@settings(max_examples=25, deadline=None)
@given(tiny_rows, st.booleans())
def test_the_rules_own_alternatives_are_real(pairs: list[tuple[int, int]], counts: bool) -> None:
    """The check inside the rule counts only alternative tables that the rule shows exactly
    as it shows the real one, and computes their values from polygon bounds: both hold, the
    values being exactly those of the tables of that kind found by enumeration, each of which
    the rule shows alike."""
    table = [make(n, None if counts else d) for n, d in pairs]
    total = make(sum(n for n, _ in pairs), None if counts else sum(d for _, d in pairs))
    shown, shown_total = disclose_table(table, total)
    assert shown_total is not None
    if shown_total.suppressed:
        return
    model = disclosure._Table.of(table, total)
    hidden = [n for n, s in enumerate(shown) if s.suppressed]
    computed = model.possible(hidden)
    seen = [(s.numerator, s.denominator, s.value, s.suppressed) for s in shown]
    for field in ("n", "d"):
        for row in hidden:
            values = {v for lo, hi in computed[(row, field)] for v in range(lo, hi + 1)}
            assert values == _enumerated(model, hidden, row, field, counts, seen)


def _enumerated(
    model: disclosure._Table,
    hidden: list[int],
    row: int,
    field: str,
    counts: bool,
    seen: Sequence[tuple[object, ...]],
) -> set[int]:
    """The values of ``row``'s ``field`` over every table of the two kinds the rule counts
    (every hidden row small; or two hidden, one small and one a possible secondary), found by
    enumeration; each such table is checked to be shown as the real one."""
    shown_rows = [r for r in range(len(model.n)) if r not in hidden]
    rest_n = model.total[0] - sum(model.n[r] for r in shown_rows)
    rest_d = model.total[1] - sum(model.d[r] for r in shown_rows)
    bound = min(((model.d[r], model.n[r], r) for r in shown_rows if model.d[r] > 0), default=None)

    def small(n: int, d: int) -> bool:
        return disclosure.is_small(n) or disclosure.is_small(d)

    def secondary(r: int, n: int, d: int) -> bool:
        return not small(n, d) and d > 0 and (bound is None or (d, n, r) < bound)

    def splits(rows: int, n: int, d: int) -> Iterator[tuple[tuple[int, int], ...]]:
        if rows == 1:
            if n <= d:
                yield ((n, d),)
            return
        for first_d in range(d + 1):
            for first_n in range(min(first_d, n) + 1):
                if counts and first_n != first_d:
                    continue
                for others in splits(rows - 1, n - first_n, d - first_d):
                    yield ((first_n, first_d), *others)

    values = set()
    for candidate in splits(len(hidden), rest_n, rest_d):
        kinds = [small(*c) for c in candidate]
        if not all(kinds):
            if len(hidden) != 2 or sum(kinds) != 1:
                continue
            r, c = next((r, c) for r, c, k in zip(hidden, candidate, kinds, strict=True) if not k)
            if not secondary(r, *c):
                continue
        rows = [make(model.n[r], None if counts else model.d[r]) for r in range(len(model.n))]
        for r, (n, d) in zip(hidden, candidate, strict=True):
            rows[r] = make(n, None if counts else d)
        total = make(model.total[0], None if counts else model.total[1])
        again, _ = disclose_table(rows, total)
        assert [(s.numerator, s.denominator, s.value, s.suppressed) for s in again] == seen
        values.add(candidate[hidden.index(row)][0 if field == "n" else 1])
    return values


def test_large_tables_are_checked_quickly() -> None:
    """Totals in the thousands: the check works from bounds, not by trying values."""
    rows = [percent(n, d) for n, d in
            [(1200, 4000), (3, 2600), (950, 3100), (2, 7), (700, 1900), (1, 4)]]  # fmt: skip
    start = time.perf_counter()
    shown, total = disclose_table(rows, total_of(rows, counts=False))
    assert time.perf_counter() - start < 0.05
    assert total is not None
    assert not total.suppressed
    assert [s.suppressed for s in shown] == [False, True, False, True, False, True]


def test_rows_that_do_not_add_up_to_the_total_are_all_hidden() -> None:
    rows = [percent(3, 10), percent(20, 40), percent(30, 60)]
    shown, total = disclose_table(rows, percent(60, 120))
    assert all(s.suppressed for s in shown)
    assert total is not None
    assert not total.suppressed


def test_a_ratio_table_is_read_as_one() -> None:
    """Episodes per child who went missing: no numerator below its denominator, which the
    attacker may know; a lone primary group still takes the smallest other one with it."""
    rows = [Row(9, 3, Decimal("3.0")), Row(40, 12, Decimal("3.3")), Row(25, 10, Decimal("2.5"))]
    total = Row(74, 25, Decimal("3.0"))
    model = disclosure._Table.of(rows, total)._model([0])
    assert (model.g0, model.g1, model.ratio) == (-disclosure._INF, 0, True)
    shown, _ = disclose_table(rows, total)
    assert [s.suppressed for s in shown] == [True, False, True]
