"""The drill-down's records behind a figure (``calculators.figure_members``).

The rows must add up to the figure ``compute_all`` gives, for every indicator and every period
it reports a number for: checked over random small extracts (hypothesis, the strategy of
``test_properties``) and over a synthetic LA extract of three years. The hand-worked cases
check that the records and dates listed are the ones that put each child in or out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.calculators import (
    MEMBER_COLUMNS,
    MEMBER_RECORDS,
    NOT_REPORTED,
    compute_all,
    figure_members,
    members_finder,
)
from indicators.registry import REGISTRY, Unit
from submissions.synthetic.model import generate
from tests.indicators.conftest import records, tables
from tests.indicators.test_missing import EXTRACT as MISSING_EXTRACT
from tests.indicators.test_properties import AS_OF, COVERAGE, SETTINGS, extracts

COUNTED = ("ok", "no_population")
HAS_DENOMINATOR = (Unit.PERCENT, Unit.RATIO)


def _assert_members_add_up(
    data: dict[str, pd.DataFrame], as_of: date, coverage_start: date | None
) -> int:
    """Every figure's members match ``compute_all``'s numbers; returns how many figures had a
    number."""
    result = compute_all(data, as_of=as_of, coverage_start=coverage_start, population={2020: 7})
    find = members_finder(data, as_of=as_of, coverage_start=coverage_start)
    numbered = 0
    for row in records(result):
        indicator_id, end = row["indicator_id"], row["period_end"].date()
        members = find(indicator_id, end)
        where = (indicator_id, end)
        assert list(members.rows.columns) == list(MEMBER_COLUMNS)
        assert members.period_start == row["period_start"].date(), where
        if row["status"] not in COUNTED:
            assert members.status == row["status"], where
            assert members.rows.empty, where
            continue
        numbered += 1
        assert members.status == "ok", where
        assert members.numerator == row["numerator"], where
        if REGISTRY[indicator_id].unit in HAS_DENOMINATOR:
            assert members.denominator == row["denominator"], where
        else:
            assert members.denominator is None, where
            assert not members.rows["in_denominator"].any(), where
        assert (members.rows["in_numerator"] | members.rows["in_denominator"]).all(), where
    return numbered


def _assert_rows_are_real_records(data: dict[str, pd.DataFrame], rows: pd.DataFrame) -> None:
    """Each row names a record of its table, with that record's child and dates."""
    for row in records(rows):
        table = data[row["table"]]
        id_column, start, end = MEMBER_RECORDS[row["table"]]
        same = (table["child_id"] == row["child_id"]) & (table[start] == row["start_date"])
        if id_column is not None:
            same &= table[id_column] == row["record_id"]
        assert same.any(), row
        source = table[same.fillna(False)].iloc[0]
        if pd.isna(row["end_date"]):
            assert pd.isna(source[end]), row
        elif pd.notna(source[end]) and source[end] >= source[start]:
            assert source[end] == row["end_date"], row
        else:  # an end before its start is read as the start (calculators' cleaning)
            assert row["end_date"] == row["start_date"], row


@SETTINGS
@given(data=extracts(), as_of=st.sampled_from(AS_OF), coverage_start=COVERAGE)
def test_members_add_up_to_every_figure(
    data: dict[str, pd.DataFrame], as_of: date, coverage_start: date | None
) -> None:
    _assert_members_add_up(data, as_of, coverage_start)


@SETTINGS
@given(
    data=extracts(),
    indicator_id=st.sampled_from(sorted(REGISTRY)),
    end=st.sampled_from([date(2024, 3, 31), date(2024, 12, 31), date(2025, 2, 28)]),
)
def test_every_row_is_a_record_of_the_extract(
    data: dict[str, pd.DataFrame], indicator_id: str, end: date
) -> None:
    members = figure_members(
        data,
        as_of=date(2025, 6, 30),
        coverage_start=date(2022, 1, 1),
        indicator_id=indicator_id,
        period_end=end,
    )
    _assert_rows_are_real_records(data, members.rows)
    assert set(members.rows["table"]) <= set(REGISTRY[indicator_id].source_tables)


def test_members_add_up_for_a_synthetic_la_over_three_years() -> None:
    as_of = date(2026, 3, 31)
    extract = generate("370", date(2023, 4, 1), as_of, children=1_500, seed=12)
    numbered = _assert_members_add_up(extract.tables, as_of, extract.coverage_start)
    assert numbered >= 12 * len(REGISTRY)  # most of the grid is ok: this was not vacuous
    latest = figure_members(
        extract.tables,
        as_of=as_of,
        coverage_start=extract.coverage_start,
        indicator_id="repeat_cpp_12m",
        period_end=as_of,
    )
    assert latest.numerator > 0
    _assert_rows_are_real_records(extract.tables, latest.rows)


# ---------------------------------------------------------------------------------------------
# Hand-worked: which records, and which dates


def _members(data: dict[str, pd.DataFrame], indicator_id: str, end: str, **options: Any) -> Any:
    return figure_members(
        data,
        as_of=date.fromisoformat(options.get("as_of", "2025-06-30")),
        coverage_start=date.fromisoformat(options.get("coverage_start", "2023-01-01")),
        indicator_id=indicator_id,
        period_end=date.fromisoformat(end),
    )


def _listed(members: Any, *columns: str) -> list[tuple[Any, ...]]:
    """The rows as tuples of ``columns``, dates as ISO strings and blanks as None."""

    def plain(value: Any) -> Any:
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        return value.date().isoformat() if isinstance(value, pd.Timestamp) else value

    return [tuple(plain(row[c]) for c in columns) for row in records(members.rows)]


def plan(child: str, plan_id: str, start: str, end: str | None = None) -> dict[str, Any]:
    return {"child_id": child, "plan_id": plan_id, "start_date": start, "end_date": end}


DATES = ("child_id", "table", "record_id", "start_date", "end_date")
FLAGS = ("in_numerator", "in_denominator")


def test_repeat_plans_list_the_plans_starting_in_the_period() -> None:
    data = tables(
        cp_plan=[
            plan("A", "A1", "2023-02-01", "2024-05-31"),
            plan("A", "A2", "2024-09-01"),  # a repeat
            plan("B", "B1", "2024-07-01", "2025-01-31"),
            plan("C", "C1", "2024-03-31"),  # before S
        ]
    )
    members = _members(data, "repeat_cpp_12m", "2025-03-31")  # P = 2024-04-01..2025-03-31
    assert (members.numerator, members.denominator) == (1, 2)
    assert (members.numerator_children, members.denominator_children) == (False, False)
    assert _listed(members, *DATES, *FLAGS) == [
        ("A", "cp_plan", "A2", "2024-09-01", None, True, True),
        ("B", "cp_plan", "B1", "2024-07-01", "2025-01-31", False, True),
    ]
    # Where they are in the LA's own file (``tables`` numbers the rows as a CSV reader would).
    assert _listed(members, "file", "location") == [
        ("cp_plan.csv", "line 3"),
        ("cp_plan.csv", "line 4"),
    ]


def test_a_long_open_plan_is_listed_with_its_start() -> None:
    data = tables(
        cp_plan=[
            plan("A", "A1", "2023-01-15"),  # open 2 years
            plan("B", "B1", "2024-06-01"),
            plan("C", "C1", "2023-02-01", "2025-03-31"),
        ]
    )
    members = _members(data, "cpp_open_2yrs", "2025-03-31")
    # C's plan ended on E: not open at E, so in neither.
    assert _listed(members, *DATES, *FLAGS) == [
        ("A", "cp_plan", "A1", "2023-01-15", None, True, True),
        ("B", "cp_plan", "B1", "2024-06-01", None, False, True),
    ]


def test_a_rate_lists_each_child_once_by_their_earliest_record() -> None:
    data = tables(
        cp_plan=[
            plan("A", "A1", "2024-01-10"),
            plan("A", "A2", "2024-11-01"),  # overlapping
            plan("B", "B1", "2024-02-01", "2024-12-31"),
            plan("D", "D1", "2025-01-05"),  # after E
        ]
    )
    members = _members(data, "cpp_rate", "2024-12-31")
    assert (members.numerator, members.denominator) == (1, None)
    assert members.numerator_children
    assert _listed(members, *DATES, *FLAGS) == [
        ("A", "cp_plan", "A1", "2024-01-10", None, True, False),
    ]


def test_assessments_list_start_and_authorisation() -> None:
    data = tables(
        assessment=[
            {"child_id": "A", "assessment_id": "A1", "start_date": "2024-04-02",
             "authorisation_date": "2024-05-01", "outcome_nfa": True},
            {"child_id": "B", "assessment_id": "B1", "start_date": "2024-03-01",
             "authorisation_date": "2024-04-10", "outcome_nfa": False},
            # authorised after E: in neither side
            {"child_id": "C", "assessment_id": "C1", "start_date": "2025-03-01",
             "authorisation_date": "2025-04-02", "outcome_nfa": True},
            # not authorised: not completed, in neither side
            {"child_id": "D", "assessment_id": "D1", "start_date": "2024-06-01"},
        ]
    )  # fmt: skip
    members = _members(data, "nfa_at_assessment", "2025-03-31")
    assert _listed(members, *DATES, *FLAGS) == [
        ("A", "assessment", "A1", "2024-04-02", "2024-05-01", True, True),
        ("B", "assessment", "B1", "2024-03-01", "2024-04-10", False, True),
    ]


def test_referrals_list_referral_and_closure() -> None:
    data = tables(
        referral=[
            {"child_id": "A", "referral_id": "R1", "referral_date": "2023-09-01",
             "closure_date": "2023-10-01"},
            {"child_id": "A", "referral_id": "R2", "referral_date": "2024-06-01"},  # re-referral
            {"child_id": "B", "referral_id": "R3", "referral_date": "2024-05-01",
             "closure_date": "2024-05-20"},
        ]
    )  # fmt: skip
    members = _members(data, "rereferral_12m", "2025-03-31")
    assert _listed(members, *DATES, *FLAGS) == [
        ("A", "referral", "R2", "2024-06-01", None, True, True),
        ("B", "referral", "R3", "2024-05-01", "2024-05-20", False, True),
    ]


def test_missing_children_are_listed_by_the_episode_that_put_them_in() -> None:
    # test_missing's extract: in 2024 A, C, D and F were looked after (B had short breaks
    # only, E left before S) and A, C and F went missing; G went missing but was never looked
    # after.
    members = _members(MISSING_EXTRACT, "cla_missing_pct", "2024-12-31")
    assert (members.numerator, members.denominator) == (3, 4)
    assert _listed(members, "child_id", "table", "start_date", "end_date", *FLAGS) == [
        ("A", "missing_episode", "2024-02-01", "2024-02-03", True, True),
        ("C", "missing_episode", "2023-12-20", "2024-01-01", True, True),
        ("D", "cla_episode", "2023-02-01", "2024-01-01", False, True),
        ("F", "missing_episode", "2024-10-01", "2024-10-02", True, True),
    ]
    away = _members(MISSING_EXTRACT, "cla_away_pct", "2024-12-31")
    assert _listed(away, "child_id", "table", "start_date", *FLAGS) == [
        ("A", "missing_episode", "2024-03-01", True, True),
        ("C", "missing_episode", "2024-09-01", True, True),
        ("D", "cla_episode", "2023-02-01", False, True),
        ("F", "cla_episode", "2024-05-01", False, True),
    ]


def test_episodes_per_child_lists_every_episode_and_counts_each_child_once() -> None:
    members = _members(MISSING_EXTRACT, "missing_episodes_per_child", "2024-12-31")
    assert (members.numerator, members.denominator) == (6, 3)
    assert (members.numerator_children, members.denominator_children) == (False, True)
    assert _listed(members, "child_id", "start_date", "end_date", *FLAGS) == [
        ("A", "2024-02-01", "2024-02-03", True, True),  # the duplicate counts once
        ("A", "2024-05-10", None, True, False),
        ("C", "2023-12-20", "2024-01-01", True, True),
        ("C", "2024-12-01", "2024-12-31", True, False),
        ("F", "2024-10-01", "2024-10-02", True, True),
        ("F", "2024-12-31", "2025-01-02", True, False),
    ]
    now = _members(MISSING_EXTRACT, "missing_at_period_end", "2024-12-31")
    assert _listed(now, "child_id", "start_date", "end_date", *FLAGS) == [
        ("A", "2024-05-10", None, True, False),
        ("F", "2024-12-31", "2025-01-02", True, False),
    ]


@pytest.mark.parametrize(
    ("end", "status"),
    [
        ("2023-11-30", NOT_REPORTED),  # before the first whole period (C0 2023-01-01)
        ("2025-07-31", NOT_REPORTED),  # after the extract date
        ("2024-12-30", NOT_REPORTED),  # not a month end
        ("2023-12-31", "insufficient_history"),  # repeat_cpp_12m needs 12 months before S
    ],
)
def test_a_period_without_a_figure_has_no_members_and_says_why(end: str, status: str) -> None:
    data = tables(cp_plan=[{"child_id": "A", "start_date": "2023-06-01"}])
    members = _members(data, "repeat_cpp_12m", end)
    assert members.status == status
    assert members.rows.empty
    assert members.numerator == 0


def test_an_extract_without_the_source_table_has_no_data() -> None:
    data = tables(cla_episode=[{"child_id": "A", "start_date": "2023-06-01"}])
    members = _members(data, "cla_missing_pct", "2024-12-31")
    assert (members.status, members.rows.empty) == ("no_data", True)


def test_an_unknown_indicator_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        _members(tables(), "no_such_indicator", "2024-12-31")
