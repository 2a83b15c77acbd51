"""Timely indicators: pure, vectorised calculators over one local authority's canonical tables.

``compute_all`` returns every indicator in ``indicators.registry.REGISTRY`` for every rolling
12-month period of the extract; ``compute_breakdowns`` the same values by age band, sex,
ethnicity group and disability for the indicators whose registry entry has ``breakdowns``.
No Django, no clock: the extract date (``as_of``, C1) and coverage start (C0) are arguments.
The binding definitions are ``docs/indicators.md``; this docstring records how the
ambiguous points are read.

Periods. P = [S, E] is the 12 whole calendar months ending with E's month: S = E - 12 months
+ 1 day as indicators.md says, except for E = 28 February after a leap year, where that
formula gives 29 February (2025-02-28 - 12 months = 2024-02-28) and would put 29 February
2024 in two consecutive years' periods; S is 1 March then, as it is every other year. So
"date in P" is "the date's month is one of the 12 months ending with E's" and "open at E" is
"started in E's month or earlier and ended in a later month". Every indicator therefore
reduces to *contributions*: each record (or child) counts in a run of consecutive period
ends, which a difference array over the month grid turns into the whole monthly series at
once.

Which periods are reported. One grid for every indicator, so pages line up: from the first
month end whose whole period lies inside the extract (S >= C0) to the month end on or before
C1 (a period ending after C1 is never reported). Earlier periods would all be
``insufficient_history`` for every indicator that counts events in P, which is noise. An
indicator that also needs history before S (``look_back_months``: repeat_cpp_12m and
rereferral_12m 12, nfa_reassessed_k k) reports ``insufficient_history`` until
S - look-back >= C0. When the extract covers less than one whole period, only the latest
period is reported, so its page still says why there is no value. C0 defaults to the
earliest date of any record in the extract (indicators.md) when ``coverage_start`` is None.

Follow-up. nfa_reassessed_k's cohort is defined by follow-up windows that *end* in P, and
E <= C1, so no reported period ever lacks follow-up: ``incomplete_follow_up`` never arises.
The as-of date cuts the data at the other end instead: the earliest periods' cohorts were
authorised up to k months before S, which must lie inside the extract
(``insufficient_history``). A value can still move when a later extract arrives (an episode
closed RC8 after this extract's date makes an assessment NFA): that is the "Knowledge" rule,
which revises recent periods and is not a coverage status.

Knowledge. Every record counts, whatever its date, as indicators.md says; nothing is cut at
E or C1. So the same data with a later ``as_of`` only adds periods.

Statuses. ``no_data``: one of the indicator's ``source_tables`` has no rows (an extract
without missing episodes - the DfE API payload - must not show 0% missing).
``no_population``: a rate with no population for its period (the count is still given as the
numerator). Any other non-ok status leaves numerator, denominator and value empty. An ok
period with a zero denominator has an empty value.

Drill-down. ``figure_members`` lists the records behind one figure (child, record, the dates
that put it in or out, and which side it counts in) from the very contributions the series
count: each carries its cleaned table's row positions, or the contribution its (child,
period) keys were drawn from. So the rows listed add up to the numerator and denominator by
construction, and a definition changed here changes the figure and its rows together.

Cleaning, applied before any indicator: rows without a child or start date are left out (they
cannot be placed; validation reports them); duplicates (same child, same kind, same start;
for missing episodes the type is part of the kind) count once, keeping the record with the
smallest identifier (missing episodes: the earliest end) so the result never depends on row
order; a referral dropped as a duplicate hands its assessments, plans and enquiries to the
one kept; an end (or authorisation) date before its start is read as the start date, so a
record can never match itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from indicators.registry import REGISTRY, Indicator, Kind, Status, Unit
from submissions.extract.canonical import TABLES, empty_table

__all__ = [
    "BREAKDOWN_COLUMNS",
    "DIMENSIONS",
    "MEMBER_COLUMNS",
    "MEMBER_RECORDS",
    "NOT_REPORTED",
    "RESULT_COLUMNS",
    "Members",
    "compute_all",
    "compute_breakdowns",
    "figure_members",
    "members_finder",
]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Days = npt.NDArray[np.datetime64]

RESULT_COLUMNS = (
    "indicator_id",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "status",
    "note",
)
BREAKDOWN_COLUMNS = (
    "indicator_id",
    "period_end",
    "dimension",
    "category",
    "numerator",
    "denominator",
    "value",
    "status",
)

#: Columns of ``Members.rows``: the child, the record (its table, identifier where the table
#: has one, and the two dates ``MEMBER_RECORDS`` names), where it is in the LA's own files
#: (``_file`` and ``_location`` of the canonical row), and which side of the figure it counts in.
MEMBER_COLUMNS = (
    "child_id",
    "table",
    "record_id",
    "start_date",
    "end_date",
    "file",
    "location",
    "in_numerator",
    "in_denominator",
)
#: Source table -> (identifier column or None, start column, end column): the dates that put
#: a record in or out of a figure (an end before its start is read as the start, as cleaning
#: reads it: the dates listed are the ones the figure counted).
MEMBER_RECORDS: dict[str, tuple[str | None, str, str]] = {
    "referral": ("referral_id", "referral_date", "closure_date"),
    "assessment": ("assessment_id", "start_date", "authorisation_date"),
    "cin_plan": ("plan_id", "start_date", "end_date"),
    "s47_enquiry": ("s47_id", "start_date", "end_date"),
    "cp_plan": ("plan_id", "start_date", "end_date"),
    "cla_episode": ("episode_id", "start_date", "end_date"),
    "missing_episode": (None, "start_date", "end_date"),
}
#: ``Members.status`` of a period the extract does not report (not one of its month ends).
NOT_REPORTED = "not_reported"

#: Breakdown dimension -> its categories, in display order (DfE labels). "Unknown" collects
#: children without the characteristic recorded (or not in the child table at all).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "age_band": ("Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over", "Unknown"),
    "sex": ("Male", "Female", "Unknown"),
    "ethnicity": ("White", "Mixed", "Asian", "Black", "Other", "Unknown"),
    "disability": ("Yes", "No", "Unknown"),
}
_AGE_EDGES = (1, 5, 10, 16)  # years: the lower bounds of the DfE age bands after "Under 1"
_SEX = {"M": "Male", "F": "Female"}
# DfE major ethnic groups by the first letter of the 4-letter code. CHNE (Chinese) is in
# "Asian or Asian British" in the DfE's current statistics (official_statistics_cla_who_were_
# missing.csv: "3d. Chinese"); REFU and NOBT (refused, not obtained) and anything else are
# Unknown.
_ETHNIC_PREFIX = {
    "W": "White",
    "M": "Mixed",
    "A": "Asian",
    "C": "Asian",
    "B": "Black",
    "O": "Other",
}
_SHORT_BREAK_STATUSES = ("V3", "V4")
_NFA_CLOSURES = ("RC8", "RC9")  # "closed after assessment": no further action / early help
_OPEN = np.int64(2**40)  # month index standing for "no end yet"
# Value scale per unit: value = round_half_up(numerator * scale / denominator) / 10.
_SCALE = {Unit.PERCENT: 1_000, Unit.RATIO: 10, Unit.RATE_PER_10K: 100_000}


# ---------------------------------------------------------------------------------------------
# Public API


def compute_all(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: date,
    coverage_start: date | None,
    population: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Every registry indicator for every reported period of one LA's extract.

    ``tables`` are the canonical tables (``submissions.extract.canonical``; a missing key is an
    empty table), ``as_of`` is C1, ``coverage_start`` C0 (None: the earliest record date), and
    ``population`` maps a mid-year (``2024`` = 30 June 2024) to the LA's 0-17 population.
    One row per (indicator, period end), columns ``RESULT_COLUMNS``; ``note`` says where the
    numerator's flag came from when a format may or may not supply it (repeat_cpp_ever,
    nfa_*), else it is empty.
    """
    extract = _Extract(tables, as_of, coverage_start)
    blocks = []
    for indicator in REGISTRY.values():
        status = extract.status(indicator)
        parts = extract.parts(indicator.id) if indicator.id not in extract.missing_data else None
        numerator = denominator = np.zeros(extract.grid.size, np.int64)
        notes: list[str | None] = [None] * extract.grid.size
        if parts is not None:
            numerator = extract.series(parts.numerator)
            denominator = (
                extract.series(parts.denominator) if parts.denominator is not None else numerator
            )
            if parts.recorded is not None and parts.note is not None:
                recorded = extract.series(parts.recorded)
                pairs = zip(recorded, denominator, strict=True)
                notes = [parts.note(int(r), int(d)) for r, d in pairs]
        if indicator.unit is Unit.RATE_PER_10K:
            denominator, status = _with_population(extract.grid, status, population)
        blocks.append(_block(indicator, extract.grid, numerator, denominator, status, notes))
    return _frame(blocks, RESULT_COLUMNS)


def compute_breakdowns(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: date,
    coverage_start: date | None,
) -> pd.DataFrame:
    """The indicators with ``breakdowns`` by child characteristic, for every reported period.

    Same inputs and periods as ``compute_all``. Dimensions and categories are ``DIMENSIONS``:
    age band at the period end (DfE bands), sex, DfE major ethnic group, disability. Each
    record counts in its child's category (a child changes age band over time; the other
    characteristics are the child table's). The rate indicators have none: the population by
    characteristic is not an input. Columns ``BREAKDOWN_COLUMNS``; a period that is not ``ok``
    overall is not ``ok`` in any category.
    """
    extract = _Extract(tables, as_of, coverage_start)
    size = extract.grid.size
    blocks = []
    for indicator in REGISTRY.values():
        if not indicator.breakdowns:
            continue
        status = extract.status(indicator)
        parts = extract.parts(indicator.id) if indicator.id not in extract.missing_data else None
        for dimension, categories in DIMENSIONS.items():
            numerator = denominator = np.zeros((len(categories), size), np.int64)
            if parts is not None:
                numerator = extract.series_by(parts.numerator, dimension)
                denominator = (
                    extract.series_by(parts.denominator, dimension)
                    if parts.denominator is not None
                    else numerator
                )
            # One block per dimension: each category in turn over the whole grid.
            block = _block(
                indicator,
                extract.grid,
                numerator.ravel(),
                denominator.ravel(),
                status * len(categories),
            )
            block["dimension"] = np.full(len(categories) * size, dimension, dtype=object)
            block["category"] = np.repeat(np.array(categories, dtype=object), size)
            blocks.append(block)
    return _frame(blocks, BREAKDOWN_COLUMNS)


@dataclass(frozen=True)
class Members:
    """The records behind one indicator's figure for one reported period (``figure_members``).

    ``status`` is the period's coverage status before population (``Status``; a rate whose
    stored status is ``no_population`` still has its numerator's members), or ``NOT_REPORTED``.
    ``rows`` (columns ``MEMBER_COLUMNS``, by child id and start date) is empty unless it is
    ``ok``. Exactly ``numerator`` rows are ``in_numerator`` and ``denominator`` rows
    ``in_denominator``, the figure's own numbers. A row is one record for an indicator that
    counts records, one child (their earliest record that counts) for one that counts
    children. Where both sides count the same records (or the same children), a row is in
    both; the record listed for a child counted on both sides from different tables (looked
    after, and went missing) is the one that put them in the numerator. Counts and rates have
    no denominator rows (``has_denominator`` is False: a rate's is the population).
    ``numerator_children`` and ``denominator_children`` say whether a side counts children
    (one row each) rather than records.
    """

    indicator_id: str
    period_start: date | None
    period_end: date
    status: str
    rows: pd.DataFrame
    has_denominator: bool
    numerator_children: bool = False
    denominator_children: bool = False

    @property
    def numerator(self) -> int:
        return int(self.rows["in_numerator"].sum())

    @property
    def denominator(self) -> int | None:
        return int(self.rows["in_denominator"].sum()) if self.has_denominator else None


def members_finder(
    tables: Mapping[str, pd.DataFrame], *, as_of: date, coverage_start: date | None
) -> Callable[[str, date], Members]:
    """``figure_members`` for many figures of one extract: the tables are cleaned once."""
    return _Extract(tables, as_of, coverage_start).members


def figure_members(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: date,
    coverage_start: date | None,
    indicator_id: str,
    period_end: date,
) -> Members:
    """The records behind ``indicator_id``'s numerator and denominator for the period ending
    ``period_end``, computed by the very contributions ``compute_all`` counts (same inputs),
    so the rows always add up to the figure. ``KeyError`` for an id not in the registry."""
    return members_finder(tables, as_of=as_of, coverage_start=coverage_start)(
        indicator_id, period_end
    )


# ---------------------------------------------------------------------------------------------
# Dates. Arrays are datetime64[D] (NaT = blank); months are numpy month indices
# (months since January 1970).


def _days(series: pd.Series) -> Days:
    return series.to_numpy(dtype="datetime64[D]", na_value=np.datetime64("NaT"))


def _months(days: Days) -> Ints:
    """Month index of each date; a blank date (an end not yet reached) is ``_OPEN``."""
    months = days.astype("datetime64[M]").astype(np.int64)
    return np.where(np.isnat(days), _OPEN, months)


def _add_months(days: Days, months: int) -> Days:
    """The same day ``months`` calendar months later (or earlier), clamped to the month's last
    day: 2024-02-29 + 12 months = 2025-02-28 (indicators.md "Within N months"). NaT stays NaT."""
    month = days.astype("datetime64[M]")
    target = month + np.timedelta64(months, "M")
    same_day = target.astype("datetime64[D]") + (days - month.astype("datetime64[D]"))
    last_day = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return np.minimum(same_day, last_day).astype("datetime64[D]")


def _month_ends(months: Ints) -> Days:
    """The last day of each month index."""
    next_month = (months + 1).astype("datetime64[M]").astype("datetime64[D]")
    return (next_month - np.timedelta64(1, "D")).astype("datetime64[D]")


def _days_in_month(months: Ints) -> Ints:
    return _day_of_month(_month_ends(months))


def _day_of_month(days: Days) -> Ints:
    return (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _month_index(day: date) -> int:
    return (day.year - 1970) * 12 + day.month - 1


def _first_whole_month(day: date) -> int:
    """The first month that starts on or after ``day``."""
    return _month_index(day) + (day.day > 1)


def _period_end_month(as_of: date) -> int:
    """The month of the last month end on or before ``as_of``."""
    month = _month_index(as_of)
    last_day = _days_in_month(np.array([month], np.int64))[0]
    return month if as_of.day == last_day else month - 1


@dataclass(frozen=True)
class _Grid:
    """The reported period ends: months ``first .. first + size - 1``.

    ``c0_whole`` is the first month wholly inside the extract and ``c0`` the month holding C0
    (both None when the extract has no records and no stated C0).
    """

    first: int
    size: int
    c0: int | None
    c0_whole: int | None

    @staticmethod
    def build(as_of: date, c0: date | None) -> _Grid:
        last = _period_end_month(as_of)
        if c0 is None:
            return _Grid(last, 1, None, None)
        first = _first_whole_month(c0) + 11
        if first > last:  # less than one whole period: report the latest, with its status
            first = last
        return _Grid(first, last - first + 1, _month_index(c0), _first_whole_month(c0))

    def ends(self) -> Days:
        return _month_ends(np.arange(self.first, self.first + self.size))

    def starts(self) -> Days:
        months = np.arange(self.first - 11, self.first - 11 + self.size)
        return months.astype("datetime64[M]").astype("datetime64[D]")


# ---------------------------------------------------------------------------------------------
# Contributions: each row counts once in every reported period lo..hi (grid offsets).


@dataclass(frozen=True)
class _Contrib:
    """Rows counting in the grid periods ``lo..hi`` each, and where they came from (for the
    drill-down, ``_Extract._rows_at``): either rows of the cleaned ``table``, or, for counts
    of distinct (child, period) keys (``_from_keys``), the contribution the keys were drawn
    from (``source``) and whether each key stands for one child (``distinct``) or for each of
    the source's rows of that child and period. The rows are kept as the masks that chose
    them (``picked``: the caller's mask, or None for every row, then which of those count in
    a reported period), so the series, which never need them, pay nothing to carry them."""

    child: Ints
    lo: Ints
    hi: Ints
    table: str = ""
    picked: tuple[Bools | None, Bools] | None = None
    source: _Contrib | None = None
    distinct: bool = True

    def rows(self) -> Ints | None:
        """Positions in the cleaned ``table`` of the rows (None for keys)."""
        if self.picked is None:
            return None
        mask, keep = self.picked
        return np.flatnonzero(keep) if mask is None else np.flatnonzero(mask)[keep]


@dataclass(frozen=True)
class _Parts:
    """An indicator as contributions. ``denominator`` is None for counts and rates;
    ``recorded`` are the denominator rows whose flag came from a recorded field and ``note``
    turns (recorded, denominator) per period into the ``note`` text."""

    numerator: _Contrib
    denominator: _Contrib | None = None
    recorded: _Contrib | None = None
    note: Callable[[int, int], str | None] | None = None


def _keys(contrib: _Contrib, size: int) -> Ints:
    """One key ``child * size + period`` per (row, period) the row counts in."""
    lengths = contrib.hi - contrib.lo + 1
    rows = np.repeat(np.arange(len(lengths)), lengths)
    firsts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    periods = contrib.lo[rows] + (np.arange(len(rows)) - firsts)
    return contrib.child[rows] * size + periods


def _from_keys(keys: Ints, size: int, source: _Contrib, *, distinct: bool = True) -> _Contrib:
    """(child, period) keys drawn from ``source``'s rows as a contribution: one row per key.
    ``distinct``: the keys are distinct (one per child and period), else one per source row."""
    periods = keys % size
    return _Contrib(keys // size, periods, periods, source.table, None, source, distinct)


def _unique(keys: Ints) -> Ints:
    """Sorted distinct keys. A sort is several times faster than numpy 2.4's hash-based
    ``np.unique`` for these arrays of a few hundred thousand int64 keys."""
    ordered = np.sort(keys)
    return ordered[np.append(True, ordered[1:] != ordered[:-1])] if len(ordered) else ordered


def _member(keys: Ints, distinct: Ints) -> Bools:
    """Whether each key is in ``distinct`` (sorted, as ``_unique`` returns)."""
    if not len(distinct):
        return np.zeros(len(keys), bool)
    position = np.minimum(np.searchsorted(distinct, keys), len(distinct) - 1)
    return distinct[position] == keys


def _distinct(contrib: _Contrib, size: int) -> _Contrib:
    """The same periods, each child counted once per period."""
    return _from_keys(_unique(_keys(contrib, size)), size, contrib)


def _note_source(recorded_text: str, inferred_text: str, noun: str) -> Callable[..., str | None]:
    def note(recorded: int, total: int) -> str | None:
        if total == 0:
            return None
        if recorded == total:
            return recorded_text
        if recorded == 0:
            return inferred_text
        return f"{recorded_text} for {recorded} of {total} {noun}, else {inferred_text}"

    return note


# ---------------------------------------------------------------------------------------------
# The extract, cleaned, and the indicator definitions


class _Extract:
    """One LA's tables, cleaned (module docstring), with children as shared integer codes."""

    def __init__(
        self, tables: Mapping[str, pd.DataFrame], as_of: date, coverage_start: date | None
    ) -> None:
        raw = {name: tables[name] if name in tables else empty_table(name) for name in TABLES}
        kept = _kept_referrals(raw["referral"])
        for name in ("assessment", "cin_plan", "s47_enquiry", "cp_plan"):
            ids = raw[name]["referral_id"].astype("string")
            renamed = ids.isin(kept.index).fillna(False)
            if renamed.any():
                raw[name] = raw[name].assign(referral_id=ids.mask(renamed, ids.map(kept)))
        frames = {name: _clean(name, frame) for name, frame in raw.items()}
        self.frames = frames
        ids = pd.concat([frame["child_id"] for frame in frames.values()], ignore_index=True)
        codes, uniques = pd.factorize(ids, sort=True)
        self.child_ids = pd.Index(uniques)
        offset = 0
        self.child: dict[str, Ints] = {}
        for name, frame in frames.items():
            self.child[name] = codes[offset : offset + len(frame)].astype(np.int64)
            offset += len(frame)
        self.missing_data = {
            indicator.id
            for indicator in REGISTRY.values()
            if any(frames[table].empty for table in indicator.source_tables)
        }
        c0 = coverage_start if coverage_start is not None else _earliest_date(frames)
        self.grid = _Grid.build(as_of, c0)
        self._parts: dict[str, _Parts] = {}
        self._categories: dict[str, Ints] = {}

    # -- statuses and series

    def status(self, indicator: Indicator) -> list[Status]:
        """Coverage status of each reported period (before population)."""
        grid = self.grid
        if indicator.id in self.missing_data or grid.c0 is None or grid.c0_whole is None:
            return [Status.NO_DATA] * grid.size
        if indicator.kind is Kind.SNAPSHOT:
            first_ok = grid.c0  # E is a month end, so E >= C0 when E's month >= C0's
        else:
            first_ok = grid.c0_whole + 11 + indicator.look_back_months
        months = range(grid.first, grid.first + grid.size)
        return [Status.OK if m >= first_ok else Status.INSUFFICIENT_HISTORY for m in months]

    def series(self, contrib: _Contrib) -> Ints:
        """How many rows count in each reported period (a difference array)."""
        size = self.grid.size
        steps = np.bincount(contrib.lo, minlength=size + 1) - np.bincount(
            contrib.hi + 1, minlength=size + 1
        )
        return np.cumsum(steps[:size]).astype(np.int64)

    def series_by(self, contrib: _Contrib, dimension: str) -> Ints:
        """``series`` split by the child's category: shape (categories, periods)."""
        size = self.grid.size
        keys = _keys(contrib, size)
        child, period = keys // size, keys % size
        if dimension == "age_band":
            category = self._age_band(child, period)
        else:
            category = self._characteristic(dimension)[child]
        count = len(DIMENSIONS[dimension])
        flat = np.bincount(category * size + period, minlength=count * size)
        return flat.reshape(count, size).astype(np.int64)

    # -- the drill-down

    def members(self, indicator_id: str, period_end: date) -> Members:
        """``figure_members`` over this extract."""
        indicator = REGISTRY[indicator_id]
        has_denominator = indicator.unit in (Unit.PERCENT, Unit.RATIO)
        grid = self.grid
        period = _month_index(period_end) - grid.first
        reported = 0 <= period < grid.size and grid.ends()[period].astype(object) == period_end
        status = str(self.status(indicator)[period]) if reported else NOT_REPORTED
        rows = _empty_members()
        children = [False, False]
        if status == Status.OK:
            parts = self.parts(indicator_id)
            rows = self._member_rows(parts, period)
            for side, contrib in enumerate((parts.numerator, parts.denominator)):
                children[side] = contrib is not None and contrib.picked is None and contrib.distinct
        return Members(
            indicator_id=indicator_id,
            period_start=grid.starts()[period].astype(object) if reported else None,
            period_end=period_end,
            status=status,
            rows=rows,
            has_denominator=has_denominator,
            numerator_children=children[0],
            denominator_children=children[1],
        )

    def _member_rows(self, parts: _Parts, period: int) -> pd.DataFrame:
        """One row per record (or child) on either side of the figure, flagged with the
        sides it counts in. The sides are matched by record when they count the same table's
        records (each side holds a record at most once), else by child (both sides count
        distinct children); a row on both sides shows the numerator's record."""
        numerator = parts.numerator
        child, row = self._rows_at(numerator, period)
        # (table, rows, in the numerator, which are in the denominator: None for all of them)
        pieces: list[tuple[str, Ints, bool, Bools | None]] = [
            (numerator.table, row, True, np.zeros(len(row), bool))
        ]
        if parts.denominator is not None:
            denominator = parts.denominator
            other_child, other_row = self._rows_at(denominator, period)
            by_record = numerator.table == denominator.table
            key, other_key = (row, other_row) if by_record else (child, other_child)
            pieces = [
                (numerator.table, row, True, np.isin(key, other_key)),
                (denominator.table, other_row[~np.isin(other_key, key)], False, None),
            ]
        frames = [
            self._records(table, rows).assign(
                in_numerator=side, in_denominator=True if both is None else both
            )
            for table, rows, side, both in pieces
            if len(rows)
        ]
        if not frames:
            return _empty_members()
        joined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        joined = joined.sort_values(["child_id", "start_date", "table", "record_id"])
        return joined.reset_index(drop=True)

    def _rows_at(self, contrib: _Contrib, period: int) -> tuple[Ints, Ints]:
        """(child, row) of the records counting in grid period ``period``, one per row
        ``series`` counts there: a contribution's own rows, or for one of (child, period)
        keys the rows of its source (of those children) that count there: every one, or each
        child's earliest (frames are sorted by child and start) for distinct keys."""
        at = (contrib.lo <= period) & (period <= contrib.hi)
        rows = contrib.rows()
        if rows is not None:
            return contrib.child[at], rows[at]
        source = contrib.source
        assert source is not None, "keys without a source"
        source_rows = source.rows()
        assert source_rows is not None, "keys drawn from keys"
        covered = (source.lo <= period) & (period <= source.hi)
        covered &= np.isin(source.child, contrib.child[at])
        child, row = source.child[covered], source_rows[covered]
        if contrib.distinct:
            order = np.lexsort((row, child))
            child, row = child[order], row[order]
            first = np.ones(len(child), bool)
            first[1:] = child[1:] != child[:-1]
            child, row = child[first], row[first]
        return child, row

    def _records(self, table: str, rows: Ints) -> pd.DataFrame:
        """Rows ``rows`` of the cleaned ``table`` as member records (``MEMBER_COLUMNS`` but
        the flags)."""
        frame = self.frames[table].iloc[rows]
        id_column, start, end = MEMBER_RECORDS[table]

        def text(column: str | None) -> Any:
            if column is None or column not in frame:
                return pd.array([pd.NA] * len(frame), dtype="string")
            return frame[column].astype("string").array

        return pd.DataFrame(
            {
                "child_id": text("child_id"),
                "table": pd.array([table] * len(frame), dtype="string"),
                "record_id": text(id_column),
                "start_date": frame[start].to_numpy(dtype="datetime64[ns]"),
                "end_date": frame[end].to_numpy(dtype="datetime64[ns]"),
                "file": text("_file"),
                "location": text("_location"),
            }
        )

    # -- grid arithmetic

    def contrib(
        self, table: str, lo_month: Ints, hi_month: Ints, mask: Bools | None = None
    ) -> _Contrib:
        """Rows of ``table`` counting in the periods ending in months lo..hi, clipped to the
        grid; rows that count in no reported period are dropped."""
        child = self.child[table]
        if mask is not None:
            child, lo_month, hi_month = child[mask], lo_month[mask], hi_month[mask]
        lo = np.maximum(lo_month - self.grid.first, 0)
        hi = np.minimum(hi_month - self.grid.first, self.grid.size - 1)
        keep = lo <= hi
        return _Contrib(child[keep], lo[keep], hi[keep], table, (mask, keep))

    def in_period(self, table: str, days: Days, mask: Bools | None = None) -> _Contrib:
        """Rows whose date is in P: the periods ending in the date's month and the 11 after."""
        months = _months(days)
        return self.contrib(table, months, months + 11, mask)

    def open_at_end(
        self, table: str, start: Days, end: Days, mask: Bools | None = None
    ) -> _Contrib:
        """Rows open at E: started on or before E, and no end or an end after E
        (indicators.md "Open")."""
        return self.contrib(table, _months(start), _months(end) - 1, mask)

    def overlapping(
        self, table: str, start: Days, end: Days, mask: Bools | None = None
    ) -> _Contrib:
        """Rows overlapping P: start <= E and (no end or end >= S)."""
        return self.contrib(table, _months(start), _months(end) + 11, mask)

    # -- indicators

    def parts(self, indicator_id: str) -> _Parts:
        if indicator_id not in self._parts:
            builders: dict[str, Callable[[], dict[str, _Parts]]] = {
                "repeat_cpp_12m": self._cp_plans,
                "repeat_cpp_ever": self._cp_plans,
                "cpp_open_2yrs": self._cp_plans,
                "cpp_rate": self._cp_plans,
                "nfa_at_assessment": self._assessments,
                "nfa_reassessed_6m": self._assessments,
                "nfa_reassessed_12m": self._assessments,
                "rereferral_12m": self._referrals,
                "cin_rate": self._referrals,
                "cla_rate": self._missing,
                "cla_missing_pct": self._missing,
                "cla_away_pct": self._missing,
                "missing_episodes_per_child": self._missing,
                "missing_at_period_end": self._missing,
            }
            self._parts.update(builders[indicator_id]())
        return self._parts[indicator_id]

    def _cp_plans(self) -> dict[str, _Parts]:
        plans = self.frames["cp_plan"]
        child = self.child["cp_plan"]
        start, end = _days(plans["start_date"]), _days(plans["end_date"])
        starts = self.in_period("cp_plan", start)

        # repeat_cpp_12m: the latest end among the child's other plans that ended on or before
        # the new start; a repeat when it is on or after start - 12 months. An end equal to the
        # start is "ended on or before" (not open, indicators.md "Open"). The key 2*end + 1 for
        # a plan ending on its own start day keeps a plan from matching itself: that plan can
        # only be an earlier plan for a later start.
        start_int = start.astype(np.int64)
        end_int = end.astype(np.int64)
        ended = ~np.isnat(end)
        left = pd.DataFrame({"child": child, "key": 2 * start_int, "row": np.arange(len(plans))})
        right = pd.DataFrame(
            {
                "child": child[ended],
                "key": 2 * end_int[ended] + (end_int[ended] == start_int[ended]),
                "previous_end": end_int[ended],
            }
        )
        matched = pd.merge_asof(
            left.sort_values("key"), right.sort_values("key"), on="key", by="child"
        ).sort_values("row")
        previous_end = matched["previous_end"].to_numpy(dtype=np.float64, na_value=np.nan)
        window_start = _add_months(start, -12).astype(np.int64)
        repeat_12m = previous_end >= window_start  # NaN (no earlier plan) compares False

        # repeat_cpp_ever: NumberOfPreviousCPP >= 1 where supplied, else an earlier plan (an
        # earlier start: duplicates are gone, so an equal start is the plan itself) in the
        # extract.
        previous = plans["number_of_previous_cpp"]
        supplied = previous.notna().to_numpy()
        order = np.lexsort((start_int, child))
        earlier = np.zeros(len(plans), bool)
        earlier[order[1:]] = child[order[1:]] == child[order[:-1]]
        ever = np.where(supplied, previous.fillna(0).to_numpy(np.int64) >= 1, earlier)

        # cpp_open_2yrs: open at E and start <= E - 24 months. E is the last day of month m,
        # so the test holds from m = month(start) + 24, except that a start on a day that
        # month lacks (29 February 2024 against February 2026, whose E - 24 months is
        # 2024-02-28) waits one more month.
        start_month = _months(start)
        two_years = start_month + 24 + (_day_of_month(start) > _days_in_month(start_month + 24))
        open_plans = self.open_at_end("cp_plan", start, end)
        long_open = self.contrib("cp_plan", two_years, _months(end) - 1)

        count_note = _note_source("from NumberOfPreviousCPP", "from plans in the extract", "plans")
        return {
            "repeat_cpp_12m": _Parts(self.in_period("cp_plan", start, repeat_12m), starts),
            "repeat_cpp_ever": _Parts(
                self.in_period("cp_plan", start, ever),
                starts,
                self.in_period("cp_plan", start, supplied),
                count_note,
            ),
            "cpp_open_2yrs": _Parts(long_open, open_plans),
            "cpp_rate": _Parts(_distinct(open_plans, self.grid.size)),
        }

    def _assessments(self) -> dict[str, _Parts]:
        assessments = self.frames["assessment"]
        child = self.child["assessment"]
        start = _days(assessments["start_date"])
        authorised = _days(assessments["authorisation_date"])
        has_authorisation = ~np.isnat(authorised)
        recorded = assessments["outcome_nfa"].notna().to_numpy()
        recorded_nfa = assessments["outcome_nfa"].fillna(False).to_numpy(bool)
        nfa = np.where(recorded, recorded_nfa, self._inferred_nfa(start, authorised))
        nfa &= has_authorisation

        completed = self.in_period("assessment", authorised, has_authorisation)
        note = _note_source(
            "from the recorded assessment outcome",
            "inferred from the episode's closure reason (RC8 or RC9)",
            "assessments",
        )
        result = {
            "nfa_at_assessment": _Parts(
                self.in_period("assessment", authorised, nfa),
                completed,
                self.in_period("assessment", authorised, has_authorisation & recorded),
                note,
            )
        }

        # The first assessment of the same child starting after t0 (assessments are unique
        # per child and start, and none starts after its own authorisation, so it is another).
        start_int = start.astype(np.int64)
        t0 = authorised.astype(np.int64)
        rows = np.flatnonzero(nfa)
        left = pd.DataFrame({"child": child[rows], "key": t0[rows], "row": rows})
        right = pd.DataFrame({"child": child, "key": start_int, "next_start": start_int})
        matched = pd.merge_asof(
            left.sort_values("key"),
            right.sort_values("key"),
            on="key",
            by="child",
            direction="forward",
            allow_exact_matches=False,
        ).sort_values("row")
        next_start = np.full(len(assessments), np.nan)
        next_start[rows] = matched["next_start"].to_numpy(dtype=np.float64, na_value=np.nan)
        for months in (6, 12):
            due = _add_months(authorised, months)
            reassessed = next_start <= due.astype(np.int64)  # NaN: none, False
            result[f"nfa_reassessed_{months}m"] = _Parts(
                self.in_period("assessment", due, nfa & reassessed),
                self.in_period("assessment", due, nfa),
                self.in_period("assessment", due, nfa & recorded),
                note,
            )
        return result

    def _inferred_nfa(self, start: Days, authorised: Days) -> Bools:
        """indicators.md nfa_at_assessment rule 2: the latest assessment (by start, then
        authorisation) of its referral episode, the episode closed RC8/RC9 on or after the
        authorisation date, and no CIN plan, s47 enquiry or CPP in the episode starting on or
        after the assessment's start."""
        referrals = self.frames["referral"]
        episode = _positions(referrals["referral_id"], self.frames["assessment"]["referral_id"])
        linked = episode >= 0

        # Latest in its episode: last after sorting by (episode, start, authorisation), a
        # blank authorisation sorting first.
        never = np.iinfo(np.int64).min
        authorised_int = np.where(np.isnat(authorised), never, authorised.astype(np.int64))
        order = np.lexsort((authorised_int, start.astype(np.int64), episode))
        latest = np.zeros(len(episode), bool)
        last_of_group = np.append(episode[order[1:]] != episode[order[:-1]], True)
        latest[order[last_of_group]] = True

        # Per-episode facts, with one more entry at the end that index -1 (no episode) reads.
        closed = _days(referrals["closure_date"])
        closure = np.append(closed.astype(np.int64), never)
        reason = referrals["closure_reason"].isin(_NFA_CLOSURES).fillna(False).to_numpy(bool)
        closed_nfa = np.append(reason & ~np.isnat(closed), False)
        closed_after = closed_nfa[episode] & (closure[episode] >= authorised_int)

        # The latest start of any CIN plan, s47 enquiry or CPP per episode.
        action_start = np.full(len(referrals) + 1, never)
        for table in ("cin_plan", "s47_enquiry", "cp_plan"):
            frame = self.frames[table]
            owner = _positions(referrals["referral_id"], frame["referral_id"])
            known = owner >= 0
            np.maximum.at(
                action_start, owner[known], _days(frame["start_date"]).astype(np.int64)[known]
            )
        no_action = action_start[episode] < start.astype(np.int64)
        return linked & latest & closed_after & no_action & ~np.isnat(authorised)

    def _referrals(self) -> dict[str, _Parts]:
        referrals = self.frames["referral"]
        child = self.child["referral"]
        referred = _days(referrals["referral_date"])

        # The child's previous referral (rows are sorted by child and date, and dates are
        # unique per child): a re-referral when it is on or after the date minus 12 months.
        same_child = np.append(False, child[1:] == child[:-1])
        previous = np.append(np.datetime64("NaT", "D"), referred[:-1])
        rereferral = same_child & (previous >= _add_months(referred, -12))

        # Published CIN counts exclude referrals that ended in no further action.
        counted = ~referrals["referral_nfa"].fillna(False).to_numpy(bool)
        closed = _days(referrals["closure_date"])
        return {
            "rereferral_12m": _Parts(
                self.in_period("referral", referred, rereferral),
                self.in_period("referral", referred),
            ),
            "cin_rate": _Parts(
                _distinct(self.open_at_end("referral", referred, closed, counted), self.grid.size)
            ),
        }

    def _missing(self) -> dict[str, _Parts]:
        size = self.grid.size
        episodes = self.frames["cla_episode"]
        start, end = _days(episodes["start_date"]), _days(episodes["end_date"])
        # Short breaks: a child counts when any episode overlapping P is not V3/V4 (a blank
        # legal status is not a short break: the API payload has none).
        not_short_break = ~episodes["legal_status"].isin(_SHORT_BREAK_STATUSES).fillna(False)
        in_care = not_short_break.to_numpy(bool)
        in_care_episodes = self.overlapping("cla_episode", start, end, in_care)
        looked_after = _unique(_keys(in_care_episodes, size))

        missing = self.frames["missing_episode"]
        m_start, m_end = _days(missing["start_date"]), _days(missing["end_date"])
        kind = missing["type"].to_numpy(dtype=object, na_value="")

        def went(kind_code: str) -> tuple[Ints, _Contrib]:
            """(child, period) keys, one per episode of this type overlapping P, of children
            looked after in P; and the episodes they come from."""
            episodes = self.overlapping("missing_episode", m_start, m_end, kind == kind_code)
            episodes_keys = _keys(episodes, size)
            return episodes_keys[_member(episodes_keys, looked_after)], episodes

        (missing_keys, missing_from), (away_keys, away_from) = went("M"), went("A")
        went_missing = _unique(missing_keys)
        open_missing = self.open_at_end("missing_episode", m_start, m_end, kind == "M")
        open_keys = _keys(open_missing, size)
        missing_now = _unique(open_keys[_member(open_keys, looked_after)])
        children_in_care = _from_keys(looked_after, size, in_care_episodes)
        return {
            "cla_rate": _Parts(
                _distinct(self.open_at_end("cla_episode", start, end, in_care), size)
            ),
            "cla_missing_pct": _Parts(
                _from_keys(went_missing, size, missing_from), children_in_care
            ),
            "cla_away_pct": _Parts(
                _from_keys(_unique(away_keys), size, away_from), children_in_care
            ),
            "missing_episodes_per_child": _Parts(
                _from_keys(missing_keys, size, missing_from, distinct=False),
                _from_keys(went_missing, size, missing_from),
            ),
            "missing_at_period_end": _Parts(_from_keys(missing_now, size, open_missing)),
        }

    # -- child characteristics

    @cached_property
    def _children(self) -> pd.DataFrame:
        """One child-table row per child code (blank where the child has none)."""
        child = self.frames["child"].assign(code=self.child["child"])
        child = child.drop_duplicates("code").set_index("code")
        return child.reindex(np.arange(len(self.child_ids)))

    def _characteristic(self, dimension: str) -> Ints:
        """Each child's category index in ``DIMENSIONS[dimension]``."""
        if dimension not in self._categories:
            self._categories[dimension] = self._category_codes(dimension)
        return self._categories[dimension]

    def _category_codes(self, dimension: str) -> Ints:
        children = self._children
        categories = DIMENSIONS[dimension]
        if dimension == "sex":
            labels = children["sex"].map(_SEX)
        elif dimension == "ethnicity":
            labels = children["ethnicity"].astype("string").str[0].map(_ETHNIC_PREFIX)
        else:
            labels = children["disability"].map({True: "Yes", False: "No"})
        index = pd.Index(categories)
        codes = index.get_indexer(pd.Index(labels.fillna("Unknown"), dtype=object))
        return codes.astype(np.int64)

    def _age_band(self, child: Ints, period: Ints) -> Ints:
        """Age band at the period end: band k when the end is on or after the k-th edge
        birthday (E is a month end, so that is "E's month >= the birthday's month")."""
        month = period + self.grid.first
        band = (month >= self._birthday_months[:, child]).sum(axis=0)
        known = self._birthday_months[0, child] != _OPEN
        return np.where(known, band, len(_AGE_EDGES) + 1).astype(np.int64)

    @cached_property
    def _birthday_months(self) -> Ints:
        """Month of each child's 1st, 5th, 10th and 16th birthday (``_OPEN`` when the date of
        birth is blank): shape (edges, children)."""
        birth = _days(self._children["date_of_birth"])
        return np.stack([_months(_add_months(birth, 12 * years)) for years in _AGE_EDGES])


# ---------------------------------------------------------------------------------------------
# The drill-down's rows


def _empty_members() -> pd.DataFrame:
    """``Members.rows`` with no rows (built once: an empty frame is slow to make)."""
    return _EMPTY_MEMBERS.copy()


_EMPTY_MEMBERS = pd.DataFrame(
    {
        column: pd.Series(
            dtype="datetime64[ns]"
            if column.endswith("_date")
            else "bool"
            if column.startswith("in_")
            else "string"
        )
        for column in MEMBER_COLUMNS
    }
)


# ---------------------------------------------------------------------------------------------
# Table cleaning

#: table -> (start column, extra key columns, tie-break order, end columns to clip). The child
#: table is keyed by child alone; its tie-break is every other column, so which of two rows
#: for one child is kept never depends on row order.
_KEYS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "child": ("child_id", (), tuple(c for c in TABLES["child"] if c != "child_id"), ()),
    "referral": ("referral_date", (), ("referral_id",), ("closure_date",)),
    "assessment": ("start_date", (), ("assessment_id",), ("authorisation_date",)),
    "cin_plan": ("start_date", (), ("plan_id",), ("end_date",)),
    "s47_enquiry": ("start_date", (), ("s47_id",), ("end_date",)),
    "cp_plan": ("start_date", (), ("plan_id",), ("end_date",)),
    "cla_episode": ("start_date", (), ("episode_id",), ("end_date",)),
    "missing_episode": ("start_date", ("type",), ("end_date",), ("end_date",)),
}


def _clean(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that can be placed, one per (child, kind, start), sorted by child and start."""
    start, extra, order, ends = _KEYS[name]
    frame = frame[frame["child_id"].notna() & frame[start].notna()]
    key = ["child_id", *([start] if start != "child_id" else []), *extra]
    frame = frame.sort_values([*key, *order], na_position="last", kind="stable")
    frame = frame.drop_duplicates(key).reset_index(drop=True)
    for column in ends:
        early = frame[column] < frame[start]
        if early.any():
            frame = frame.assign(**{column: frame[column].mask(early, frame[start])})
    return frame


def _positions(ids: pd.Series, references: pd.Series) -> Ints:
    """Row of ``ids`` each reference names (-1: blank or unknown). Identifiers are unique in
    valid data; should one repeat, the first row answers (validation reports the repeat)."""
    named = ids.notna() & ~ids.duplicated()
    index = pd.Index(ids[named].astype(object))
    found = index.get_indexer(pd.Index(references.astype(object)))
    rows = np.append(np.flatnonzero(named.to_numpy()), -1)  # found = -1 picks the -1
    return np.where(references.notna().to_numpy(), rows[found], -1).astype(np.int64)


def _kept_referrals(referrals: pd.DataFrame) -> pd.Series:
    """referral_id -> the id of the referral kept for its (child, date): duplicates count once,
    and the assessments, plans and enquiries of a dropped one belong to the one kept."""
    keyed = referrals[referrals["child_id"].notna() & referrals["referral_date"].notna()]
    keyed = keyed[keyed.duplicated(["child_id", "referral_date"], keep=False)]
    keyed = keyed.sort_values(["child_id", "referral_date", "referral_id"], na_position="last")
    first = keyed.groupby(["child_id", "referral_date"])["referral_id"].transform("first")
    kept = pd.Series(first.to_numpy(), index=keyed["referral_id"].to_numpy())
    renamed = kept.index.notna() & (kept.index != kept.to_numpy())
    renamed &= ~kept.index.duplicated()  # ids should be unique; a repeated one is left alone
    return kept[renamed]


def _earliest_date(frames: Mapping[str, pd.DataFrame]) -> date | None:
    """The earliest record date in the extract (C0 when none is stated)."""
    earliest: pd.Timestamp | None = None
    for name, frame in frames.items():
        for column, dtype in TABLES[name].items():
            if dtype.startswith("datetime") and column != "date_of_birth":
                value = frame[column].min()
                if pd.notna(value) and (earliest is None or value < earliest):
                    earliest = value
    return None if earliest is None else earliest.date()


# ---------------------------------------------------------------------------------------------
# Output


def _with_population(
    grid: _Grid, status: list[Status], population: Mapping[int, int] | None
) -> tuple[Ints, list[Status]]:
    """Population per period: the latest mid-year (30 June) estimate on or before E, as the
    published rates use the previous mid-year; ``no_population`` when there is none."""
    denominator = np.zeros(grid.size, np.int64)
    result = list(status)
    for index, end in enumerate(grid.ends().astype(object)):
        years = [y for y in (population or {}) if date(y, 6, 30) <= end]
        if years and population is not None:
            denominator[index] = population[max(years)]
        elif result[index] is Status.OK:
            result[index] = Status.NO_POPULATION
    return denominator, result


def _values(unit: Unit, numerator: Ints, denominator: Ints) -> tuple[Floats, Bools]:
    """Value per unit, rounded half up to 1 decimal place with exact integer arithmetic, and
    where it is blank (a zero denominator)."""
    if unit is Unit.COUNT:
        return numerator.astype(np.float64), np.zeros(len(numerator), bool)
    scale = _SCALE[unit]
    safe = np.where(denominator > 0, denominator, 1)
    tenths = (2 * numerator * scale + safe) // (2 * safe)
    return tenths / 10, denominator <= 0


def _block(
    indicator: Indicator,
    grid: _Grid,
    numerator: Ints,
    denominator: Ints,
    status: list[Status],
    notes: list[str | None] | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """Result columns for the grid's periods, repeated as many times as ``status`` is long
    (the categories of a breakdown, each over the whole grid). ``*_blank`` are the masks of
    the nullable columns ``_frame`` builds."""
    rows = len(status)
    repeat = rows // grid.size
    ok = np.array([s is Status.OK for s in status], dtype=bool)
    counted = ok | np.array([s is Status.NO_POPULATION for s in status], dtype=bool)
    value, no_value = _values(indicator.unit, numerator, denominator)
    note = np.array(notes if notes is not None else [None] * rows, dtype=object)
    note[~ok] = None
    return {
        "indicator_id": np.full(rows, indicator.id, dtype=object),
        "period_start": np.tile(grid.starts(), repeat),
        "period_end": np.tile(grid.ends(), repeat),
        "numerator": numerator,
        "numerator_blank": ~counted,
        "denominator": denominator,
        "denominator_blank": ~ok | (indicator.unit is Unit.COUNT),
        "value": value,
        "value_blank": ~ok | no_value,
        "status": np.array([str(s) for s in status], dtype=object),
        "note": note,
    }


def _frame(blocks: list[dict[str, npt.NDArray[Any]]], columns: tuple[str, ...]) -> pd.DataFrame:
    """One frame from result blocks, with the output dtypes: nullable integers and floats,
    strings, and datetime64[ns] period dates."""
    joined = {key: np.concatenate([block[key] for block in blocks]) for key in blocks[0]}
    data: dict[str, Any] = {}
    for column in columns:
        values = joined[column]
        if column in ("numerator", "denominator"):
            data[column] = pd.arrays.IntegerArray(
                values.astype(np.int64), joined[f"{column}_blank"]
            )
        elif column == "value":
            data[column] = pd.arrays.FloatingArray(values, joined["value_blank"])
        elif column.startswith("period_"):
            data[column] = values.astype("datetime64[ns]")
        else:
            data[column] = pd.array(values, dtype="string")
    return pd.DataFrame(data)
