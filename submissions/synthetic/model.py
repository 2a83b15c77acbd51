"""A vectorised simulation of children's journeys through one LA's children's social care.

``generate`` returns an ``Extract`` holding the canonical tables (``submissions.extract.canonical``)
for the window ``[start, end]``: children, referrals (CIN episodes) with their assessments,
section 47 enquiries, CIN plans and child protection plans (CPPs), looked-after (CLA) episodes
and missing/away episodes. The extract looks like a real one: episodes open on ``start`` come
with their earlier history (a referral from 2019 for a child in care since then), anything
closed before ``start`` is absent, and anything still open on ``end`` has no end date.

How it works. Children come from four cohorts, all drawn at once with numpy:
ordinary referral chains (first referral uniform over a three-year warm-up plus the window),
unaccompanied asylum-seeking children (UASC), children already in care before the warm-up,
and disabled children on short breaks (legal status V3/V4). A child's referrals form a chain:
each episode's pathway (no further action at referral, assessed not in need, CIN plan,
section 47 -> conference -> CPP, care) fixes when it closes, and the next referral follows
after a gap. The only Python loop runs over the referral *ordinal* (1st, 2nd, ... at most
``_MAX_REFERRALS``), because a referral's date depends on when the previous one closed;
every step inside is vectorised over all children.

Calibration targets (England, DfE published statistics in dashboards/published_data/):
re-referrals within 12 months 22.6% of referrals (c1, 2025); referrals 520 per 10,000
children a year (c1: 632,830 / 12.18M); assessed not in need 30.8% of referrals (c1);
second or subsequent CPPs 24.5% of CPP starts (d3); CPPs open 2+ years 2.3% of open plans
(d5, whose duration bands also shape the plan lengths); 67 children looked after per 10,000
(cla_number_and_rate...); 11% of looked-after children go missing, 6.5 incidents per child
who went missing, away 2% with 4 incidents each (la_children_who_were_missing...).
tests/generator checks the achieved figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from submissions.extract.canonical import TABLES, Extract

__all__ = ["SIZES", "generate", "population_for_children"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.str_]
Objects = npt.NDArray[np.object_]

#: Named sizes: children in the extract over a three-year window (about the smallest LAs, a
#: typical LA, the largest county).
SIZES: dict[str, int] = {"small": 1_000, "medium": 10_000, "large": 60_000}

_YEAR = 365.25
_WARM_UP_YEARS = 3  # chains start this long before the window, so it opens in steady state
_CARE_HISTORY_YEARS = 18  # children already in care may have entered as babies
_MAX_REFERRALS = 12

# Rates per 10,000 children aged 0-17 per year.
_CHAIN_STARTS = 320.0  # first referrals; with re-referrals gives ~520 referrals (c1, 2025)
_UASC_ENTRIES = 3.2  # UASC arriving: with those in care before, ~8% of children in care
_CARE_ENTRIES_BEFORE = 24.0  # children starting to be looked after (cla_number_and_rate...)
_SHORT_BREAK_CHILDREN = 4.0  # disabled children on a series of short breaks (V3/V4)

# Extract children per 10,000 children aged 0-17: _CHILDREN_BASE + _CHILDREN_PER_YEAR * years
# (fitted to this model's output; used to size an LA from a wanted number of children).
_CHILDREN_BASE = 320.0
_CHILDREN_PER_YEAR = 333.0

# Referral pathways.
_NFA, _NOT_IN_NEED, _CIN, _NO_PLAN, _S47, _CARE, _SHORT_BREAKS = range(7)
# Rows: low-risk, high-risk child. Columns: _NFA .. _CARE. High-risk children (a quarter)
# are re-referred more and go to section 47 more, which is what makes CPPs repeat.
_PATHWAY_P = np.array(
    [
        [0.065, 0.36, 0.23, 0.075, 0.25, 0.02],
        [0.065, 0.20, 0.215, 0.05, 0.44, 0.03],
    ]
)
_BABY_CARE_P = 0.12  # extra chance a baby's referral leads to care (a fifth of entrants)
_HIGH_RISK_SHARE = 0.25
_CONTINUE_P = np.array([0.35, 0.67])  # chance of a further referral after closure, by risk

# Care tracks: the legal-status story of one period of care.
_EMERGENCY, _CARE_ORDER, _ADOPTION, _S20, _REMAND, _UASC_TRACK = range(6)
# Rows: age at entry <1, 1-4, 5-9, 10-15, 16-17. Columns: _EMERGENCY .. _REMAND.
_TRACK_P = np.array(
    [
        [0.10, 0.40, 0.35, 0.15, 0.00],
        [0.15, 0.45, 0.15, 0.25, 0.00],
        [0.15, 0.50, 0.00, 0.35, 0.00],
        [0.15, 0.42, 0.00, 0.38, 0.05],
        [0.10, 0.22, 0.00, 0.53, 0.15],
    ]
)
# Legal status by episode number within the period of care (the last repeats).
_TRACK_LS: dict[int, tuple[str, ...]] = {
    _EMERGENCY: ("L1", "C1", "C2"),
    _CARE_ORDER: ("C1", "C2"),
    _ADOPTION: ("C1", "C2", "E1"),
    _S20: ("V2",),
    _REMAND: ("J1",),
    _UASC_TRACK: ("V2",),
}

# Approximate England mixes for children in need (ethnicity, referral source, primary need).
_ETHNICITY = {
    "WBRI": 64.0, "WIRI": 0.3, "WIRT": 0.2, "WOTH": 6.0, "WROM": 0.8, "MWBC": 2.5, "MWBA": 1.0,
    "MWAS": 1.0, "MOTH": 3.0, "AIND": 1.5, "APKN": 3.5, "ABAN": 1.2, "AOTH": 2.0, "BCRB": 1.5,
    "BAFR": 4.0, "BOTH": 1.5, "CHNE": 0.3, "OOTH": 3.0, "REFU": 0.5, "NOBT": 2.0,
}  # fmt: skip
_UASC_ETHNICITY = {"AOTH": 35.0, "BAFR": 30.0, "OOTH": 20.0, "WOTH": 8.0, "MOTH": 4.0, "NOBT": 3.0}
# Referral sources (CIN ReferralSource); 5D (early help) is left out because Annex A's code
# list (annex-a data-map.yml) has no label for it.
_SOURCES = {
    "1A": 3.5, "1B": 0.8, "1C": 1.2, "1D": 1.0, "2A": 19.5, "2B": 1.5, "3A": 2.5, "3B": 2.5,
    "3C": 0.8, "3D": 2.5, "3E": 2.5, "3F": 3.5, "4": 2.0, "5A": 4.0, "5B": 3.0, "5C": 3.5,
    "6": 29.0, "7": 3.5, "8": 5.5, "9": 0.7, "10": 1.5,
}  # fmt: skip
_UASC_SOURCES = {"7": 45.0, "6": 30.0, "5C": 15.0, "8": 10.0}
_NEEDS = {
    "N1": 57.0, "N3": 2.5, "N4": 9.0, "N5": 12.0, "N6": 2.5, "N7": 0.3, "N8": 3.0, "N9": 3.5,
    "N0": 0.5,
}  # fmt: skip
# Factors identified at the end of assessment, weighted by the c3 national counts (2025);
# "8F" stands for all privately-fostered codes.
_FACTORS = {
    "1A": 10620, "1B": 73250, "1C": 11600, "2A": 24550, "2B": 72620, "2C": 15930, "3A": 57930,
    "3B": 162890, "3C": 25560, "4A": 90400, "4B": 171780, "4C": 23600, "5A": 63240,
    "5B": 15170, "5C": 7510, "6A": 24220, "6B": 27600, "6C": 5310, "7A": 18960, "8F": 1950,
    "9A": 6340, "10A": 16940, "11A": 12400, "12A": 2250, "13A": 8860, "14A": 35980,
    "15A": 25470, "16A": 90370, "17A": 97700, "18B": 15270, "18C": 61410, "19B": 12590,
    "19C": 18900, "20": 83770, "22A": 780, "23A": 2240, "24A": 16250,
}  # fmt: skip
_CATEGORIES = {"NEG": 50.0, "EMO": 37.0, "PHY": 7.0, "SAB": 4.0, "MUL": 2.0}
# Placement types by age at the start of the episode (<1, 1-4, 5-9, 10-15, 16-17).
_SUPPORTED = "supported"  # semi-independent / supported accommodation, coded by date below
_PLACEMENTS = ("U6", "U4", "U3", "U1", "U5", "P1", "K2", _SUPPORTED, "K1", "S1", "R3")
_PLACEMENT_P = np.array(
    [
        [51, 10, 15, 3, 8, 4, 0, 0, 0, 0, 9],
        [49, 18, 15, 5, 3, 6, 2, 0, 0, 0, 2],
        [45, 22, 15, 6, 0, 6, 5, 0, 0, 1, 0],
        [44, 15, 8, 3, 0, 4, 23, 0, 1, 2, 0],
        [26, 10, 5, 2, 0, 3, 20, 34, 0, 0, 0],
    ],
    dtype=float,
)
_UASC_PLACEMENTS = {_SUPPORTED: 50.0, "U6": 35.0, "K2": 15.0}
# Supported accommodation for 16-17 year olds is K3 (Ofsted-registered) from 2024/25. The
# codes it replaced (H5 semi-independent, P2 independent living) and Z1 are invalid from
# 2025/26, and a multi-year extract is checked against the latest list, so they are not
# generated: before 2024/25 such placements are children's homes (K2).
_K3_FROM = float((date(2024, 4, 1) - date(1970, 1, 1)).days)
# Special guardianship by former foster carers (E45, E46) needs a foster placement (rule 516).
_FOSTER_PLACEMENTS = ("U1", "U2", "U3", "U4", "U5", "U6")
_REMAND_PLACEMENTS = {"R5": 40.0, "K1": 20.0, "U6": 20.0, "K2": 20.0}
# Reasons a period of care ended (903 REC).
_REC_AT_18 = {"E5": 35.0, "E6": 5.0, "E17": 20.0, "E8": 30.0, "E7": 5.0, "E13": 5.0}
_REC_UASC_AT_18 = {"E5": 50.0, "E8": 40.0, "E16": 5.0, "E15": 5.0}
_REC_ADOPTION = {"E11": 45.0, "E12": 40.0, "E45": 5.0, "E47": 5.0, "E4A": 5.0}
_REC_REMAND = {"E14": 70.0, "E9": 20.0, "E4A": 10.0}
_REC_OTHER = {
    "E4A": 48.0, "E4B": 6.0, "E13": 6.0, "E41": 4.0, "E45": 8.0, "E46": 2.0, "E47": 6.0,
    "E48": 2.0, "E3": 3.0, "E8": 13.0, "E16": 1.0, "E2": 0.2,
}  # fmt: skip
# CIN closure reason that follows a period of care ending with each REC (else RC7).
_RC_AFTER_CARE = {
    "E11": "RC1", "E12": "RC1", "E2": "RC2", "E41": "RC3", "E45": "RC4", "E46": "RC4",
    "E47": "RC4", "E48": "RC4", "E3": "RC5", "E7": "RC6",
}  # fmt: skip


def population_for_children(children: int, years: float) -> int:
    """The 0-17 population of an LA whose extract over ``years`` holds about ``children``."""
    per_10k = _CHILDREN_BASE + _CHILDREN_PER_YEAR * years
    return max(1, round(children / per_10k * 10_000))


def generate(
    la_code: str,
    start: date,
    end: date,
    *,
    population: int | None = None,
    children: int | None = None,
    seed: int = 1,
    clean: bool = False,
) -> Extract:
    """Simulate one LA's extract covering ``[start, end]`` (``end`` is the extract date).

    Size the LA by its 0-17 ``population`` or by the number of ``children`` wanted in the
    extract (about; see ``SIZES``). The same arguments always give the same tables.
    Child identifiers look like ``370C000123`` (10 characters, the most the SSDA903 allows).
    ``clean`` leaves out the deliberate data-quality errors (overlapping child protection
    plans), so the extract can be accepted.
    """
    if end <= start:
        raise ValueError("end must be after start")
    if (population is None) == (children is None):
        raise ValueError("give exactly one of population and children")
    if population is None:
        assert children is not None
        population = population_for_children(children, (end - start).days / _YEAR)
    sim = _Simulation(np.random.default_rng(seed), population, _day(start), _day(end), clean=clean)
    tables = sim.run(la_code)
    return Extract(tables=tables, la_code=la_code, as_of=end, coverage_start=start)


# ---------------------------------------------------------------------------------------------
# Small vectorised helpers. Dates are float day numbers since 1970-01-01 (NaN = none) so that
# missing values propagate through arithmetic; they become datetime64 only at the end.


def _day(d: date) -> float:
    return float((np.datetime64(d, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))


def _add_years(days: Floats, years: int) -> Floats:
    """The same calendar date ``years`` later (29 February becomes 1 March)."""
    d = days.astype(np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    later = (month + 12 * years).astype("datetime64[D]") + day_of_month
    return later.astype(np.int64).astype(np.float64)


def _weekday(days: Floats) -> Floats:
    """The date, or the Monday after it when it falls at a weekend (conferences, rule 8875)."""
    out = days.copy()
    ok = ~np.isnan(days)
    moved = np.busday_offset(days[ok].astype(np.int64).astype("datetime64[D]"), 0, roll="forward")
    out[ok] = moved.astype(np.int64)
    return out


def _gamma(rng: np.random.Generator, n: int, shape: float, mean: float) -> Floats:
    return np.floor(rng.gamma(shape, mean / shape, n))


def _uniform_days(rng: np.random.Generator, n: int, low: int, high: int) -> Floats:
    """Whole days in ``[low, high]``."""
    return rng.integers(low, high + 1, n).astype(np.float64)


def _pick(rng: np.random.Generator, n: int, weights: dict[str, float]) -> Codes:
    codes = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return codes[rng.choice(len(codes), n, p=p / p.sum())]


def _pick_rows(rng: np.random.Generator, rows: Ints, table: Floats) -> Ints:
    """For each item, a column index drawn from the probability row ``table[rows[i]]``."""
    cum = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] >= cum[rows]).sum(axis=1), table.shape[1] - 1)


def _ages(rng: np.random.Generator, n: int, weights: list[float]) -> Floats:
    """Ages in years, drawn by age group (<1, 1-4, 5-9, 10-15, 16-17) then uniformly."""
    p = np.array(weights) / sum(weights)
    group = rng.choice(5, n, p=p)
    low = np.array([0.0, 1.0, 5.0, 10.0, 16.0])[group]
    high = np.array([1.0, 5.0, 10.0, 16.0, 17.6])[group]
    return low + rng.random(n) * (high - low)


def _age_group(age_years: Floats) -> Ints:
    """0: under 1, 1: 1-4, 2: 5-9, 3: 10-15, 4: 16-17."""
    return np.searchsorted(np.array([1.0, 5.0, 10.0, 16.0]), age_years, side="right")


def _group_starts(counts: Ints) -> Ints:
    return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)


def _rank_within(groups: Ints) -> Ints:
    """0, 1, 2 ... within runs of equal values (``groups`` must be sorted)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.concatenate(([True], groups[1:] != groups[:-1]))
    starts = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return np.arange(n) - starts


def _fmax(*arrays: Floats) -> Floats:
    out = arrays[0]
    for a in arrays[1:]:
        out = np.fmax(out, a)
    return out


# ---------------------------------------------------------------------------------------------


@dataclass
class _Children:
    dob: Floats
    sex: Codes
    ethnicity: Codes
    disabled: Bools
    uasc: Bools
    high_risk: Bools
    hidden_cpps: Ints  # plans before the simulated history (another LA, or long ago)


@dataclass
class _Referrals:
    """Everything that happens in one referral episode, as absolute day numbers."""

    child: Ints
    date: Floats
    nfa: Bools
    pathway: Ints
    source: Codes
    need: Codes  # "" when none
    close: Floats  # before cutting at the extract date
    reason: Codes
    a1_start: Floats
    a1_auth: Floats
    a2_start: Floats
    a2_auth: Floats
    s47_start: Floats
    s47_end: Floats
    icpc_required: Bools
    icpc: Floats
    cpp_start: Floats
    cpp_end: Floats
    cpp2_start: Floats  # a second, overlapping plan (a transfer-in conference, rare)
    cpp2_end: Floats
    cin_start: Floats
    cin_end: Floats
    care_start: Floats
    care_end: Floats
    care_track: Ints
    care_rec: Codes

    @staticmethod
    def concat(parts: Sequence[_Referrals]) -> _Referrals:
        fields = _Referrals.__dataclass_fields__
        return _Referrals(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


class _Simulation:
    """One run: cohorts, their referral chains, care, missing episodes, canonical tables."""

    def __init__(
        self, rng: np.random.Generator, population: int, w0: float, w1: float, *, clean: bool
    ):
        self.rng = rng
        # The rare overlapping (transfer-in) plan is a real data-quality error (DfE 8940); a
        # clean extract, which can be accepted, has none. The random draw is made either way so
        # everything else stays identical for the seed.
        self.overlap_rate = 0.0 if clean else 0.015
        self.pop10k = population / 10_000
        self.w0 = w0
        self.w1 = w1
        self.sim_start = w0 - round(_WARM_UP_YEARS * _YEAR)

    # -- cohorts ------------------------------------------------------------------------------

    def run(self, la_code: str) -> dict[str, pd.DataFrame]:
        """The canonical tables of the extract."""
        rng = self.rng
        sim_years = (self.w1 - self.sim_start) / _YEAR
        n_chain = rng.poisson(_CHAIN_STARTS * self.pop10k * sim_years)
        n_uasc = rng.poisson(_UASC_ENTRIES * self.pop10k * sim_years)
        n_before = rng.poisson(_CARE_ENTRIES_BEFORE * self.pop10k * _CARE_HISTORY_YEARS)
        # Short-break children are known for years (referred up to five years before the
        # window); about half are still having breaks during it.
        n_short = rng.poisson(_SHORT_BREAK_CHILDREN * self.pop10k * 2)

        # First referral date and age at it, per cohort.
        first = np.concatenate(
            [
                self.sim_start + rng.random(n_chain + n_uasc) * (self.w1 - self.sim_start),
                self.sim_start - rng.random(n_before) * _CARE_HISTORY_YEARS * _YEAR,
                self.w0 - rng.random(n_short) * 5 * _YEAR,
            ]
        )
        before_age = _ages(rng, n_before, [19.0, 14.0, 15.0, 36.0, 16.0])  # entering care
        age = np.concatenate(
            [
                _ages(rng, n_chain, [9.0, 18.0, 24.0, 37.0, 12.0]),  # CIN ages at referral
                rng.uniform(14.5, 17.6, n_uasc),
                before_age,
                rng.uniform(2.0, 13.0, n_short),
            ]
        )
        n = len(first)
        uasc = np.zeros(n, dtype=bool)
        uasc[n_chain : n_chain + n_uasc] = True
        # UASC are about 8% of children in care, nearly all of them 14 or older on arrival.
        uasc[n_chain + n_uasc : n - n_short] = (before_age >= 14) & (rng.random(n_before) < 0.2)
        disabled = rng.random(n) < 0.09
        disabled[n - n_short :] = True
        forced = np.full(n, -1, dtype=np.int64)
        forced[uasc] = _CARE
        forced[n_chain + n_uasc : n - n_short] = _CARE
        forced[n - n_short :] = _SHORT_BREAKS
        max_referrals = np.where(forced >= 0, 1, _MAX_REFERRALS)

        dob = np.floor(first - age * _YEAR)
        kids = _Children(
            dob=dob,
            sex=np.where(rng.random(n) < np.where(uasc, 0.92, 0.52), "M", "F"),
            ethnicity=np.where(uasc, _pick(rng, n, _UASC_ETHNICITY), _pick(rng, n, _ETHNICITY)),
            disabled=disabled,
            uasc=uasc,
            high_risk=(rng.random(n) < _HIGH_RISK_SHARE) & (forced < 0),
            hidden_cpps=np.where(
                rng.random(n) < 0.08 + 0.009 * age, rng.choice([1, 1, 1, 2, 2, 3], n), 0
            ),
        )
        refs = self._chains(kids, np.floor(first), forced, max_referrals)
        return self._tables(la_code, kids, refs)

    def _chains(
        self, kids: _Children, first: Floats, forced: Ints, max_referrals: Ints
    ) -> _Referrals:
        """Each child's referrals, one ordinal at a time (the next waits for a closure)."""
        rng = self.rng
        b18 = _add_years(kids.dob, 18)
        idx = np.arange(len(first))
        when = first
        parts = []
        for ordinal in range(_MAX_REFERRALS):
            # No new referral in the last three months before 18: it could not run its course.
            live = (max_referrals[idx] > ordinal) & (when <= self.w1) & (when < b18[idx] - 90)
            idx, when = idx[live], when[live]
            if len(idx) == 0:
                break
            refs = self._referrals(idx, when, kids, forced[idx])
            parts.append(refs)
            again = rng.random(len(idx)) < _CONTINUE_P[kids.high_risk[idx].astype(int)]
            again &= refs.reason != "RC1"  # an adopted child has a new identity
            gap = np.where(
                rng.random(len(idx)) < 0.6,
                1 + _gamma(rng, len(idx), 1.3, 90),
                1 + _gamma(rng, len(idx), 1.5, 700),
            )
            idx, when = idx[again], (refs.close + gap)[again]
        return _Referrals.concat(parts)

    # -- one referral episode ----------------------------------------------------------------

    def _referrals(self, child: Ints, r: Floats, kids: _Children, forced: Ints) -> _Referrals:
        rng = self.rng
        n = len(child)
        nan = np.full(n, np.nan)
        dob = kids.dob[child]
        b18 = _add_years(dob, 18)
        uasc = kids.uasc[child]
        pathway = _pick_rows(rng, kids.high_risk[child].astype(np.int64), _PATHWAY_P)
        # Babies are the largest group starting to be looked after (often from birth, after a
        # pre-birth assessment); their referrals lead to care far more often.
        baby = (r - dob < _YEAR) & (rng.random(n) < _BABY_CARE_P)
        pathway = np.where(baby, _CARE, pathway)
        pathway = np.where(forced >= 0, forced, pathway)
        nfa = pathway == _NFA
        assessed = ~nfa

        source = np.where(uasc, _pick(rng, n, _UASC_SOURCES), _pick(rng, n, _SOURCES))
        need = _pick(rng, n, _NEEDS)
        need = np.where(kids.disabled[child] & (rng.random(n) < 0.6), "N2", need)
        need = np.where(pathway == _SHORT_BREAKS, "N2", need)
        need = np.where(uasc, np.where(rng.random(n) < 0.8, "N8", need), need)
        need = np.where((pathway == _NOT_IN_NEED) & (rng.random(n) < 0.35), "N9", need)
        need = np.where(nfa, "", need)

        a1_start = np.where(assessed, r + _gamma(rng, n, 1.0, 1.5), nan)
        a1_auth = a1_start + 1 + _gamma(rng, n, 2.2, 27)
        a2_start, a2_auth = nan.copy(), nan.copy()
        s47_start, s47_end, icpc = nan.copy(), nan.copy(), nan.copy()
        cpp_start, cpp_end, cpp2_start, cpp2_end = nan.copy(), nan.copy(), nan.copy(), nan.copy()
        cin_start, cin_end, care_start = nan.copy(), nan.copy(), nan.copy()
        close = nan.copy()
        reason = np.full(n, "RC7", dtype="<U3")

        # No further action at referral: closed the same day, RC7 (RC8 and RC9 mean "closed
        # after assessment"; the DfE queries them without one, rule 8825Q).
        close[nfa] = r[nfa]

        # Assessed, not in need: closed soon after authorisation, RC8 or RC9 (early help).
        m = pathway == _NOT_IN_NEED
        close[m] = (a1_auth + _uniform_days(rng, n, 0, 7))[m]
        reason[m] = np.where(rng.random(n) < 0.6, "RC8", "RC9")[m]

        # Child in need plan; some are re-assessed, a few come into care.
        m = pathway == _CIN
        dur = 14 + _gamma(rng, n, 2.0, 330)
        cin_start[m] = (a1_auth + _uniform_days(rng, n, 0, 10))[m]
        cin_end[m] = (cin_start + dur)[m]
        again = m & (rng.random(n) < 0.15)
        a2_start[again] = (cin_start + np.floor(rng.random(n) * 0.6 * dur))[again]
        into_care = m & (rng.random(n) < 0.035)
        care_start[into_care] = (cin_start + 1 + np.floor(rng.random(n) * dur))[into_care]
        cin_end[into_care] = care_start[into_care]
        a2_start[into_care & (a2_start >= care_start)] = np.nan  # no re-assessment in care

        # In need, no plan (services for a while, then closed).
        m = pathway == _NO_PLAN
        close[m] = (a1_auth + 7 + _gamma(rng, n, 2.0, 110))[m]

        # Section 47 -> initial conference -> CPP.
        m = pathway == _S47
        s47_start[m] = (a1_start + _uniform_days(rng, n, 0, 5))[m]
        s47_end[m] = (s47_start + 3 + _gamma(rng, n, 2.0, 10))[m]
        icpc_required = m & (rng.random(n) < np.where(kids.high_risk[child], 0.48, 0.36))
        icpc[icpc_required] = _weekday(s47_start + 5 + _gamma(rng, n, 4.0, 14))[icpc_required]
        s47_end = np.where(icpc_required, np.fmin(s47_end, icpc), s47_end)
        plan = icpc_required & (rng.random(n) < 0.75)
        dur = 7 + _gamma(rng, n, 2.0, 300)  # d5 duration bands: 2.3% open plans are 2y+
        cpp_start[plan] = icpc[plan]
        cpp_end[plan] = (cpp_start + dur)[plan]
        overlap = plan & (rng.random(n) < self.overlap_rate)
        cpp2_start[overlap] = (cpp_start + 1 + np.floor(rng.random(n) * 0.5 * dur))[overlap]
        cpp2_end[overlap] = (cpp_end + 1 + _gamma(rng, n, 2.0, 40))[overlap]
        again = plan & (rng.random(n) < 0.10)
        a2_start[again] = (cpp_start + np.floor(rng.random(n) * 0.7 * dur))[again]
        after = rng.random(n)
        into_care = plan & (after < 0.08)
        care_start[into_care] = cpp_end[into_care]  # the plan ends when care starts
        step_down = plan & (after >= 0.08) & (after < 0.63)
        no_plan = icpc_required & ~plan & (rng.random(n) < 0.6)
        no_icpc = m & ~icpc_required
        cin_after_s47 = no_icpc & (rng.random(n) < 0.45)
        cin_start[step_down] = _fmax(cpp_end, cpp2_end)[step_down]  # never alongside a CPP
        cin_start[no_plan] = (icpc + _uniform_days(rng, n, 0, 7))[no_plan]
        cin_start[cin_after_s47] = (_fmax(s47_end, a1_auth) + _uniform_days(rng, n, 0, 7))[
            cin_after_s47
        ]
        has_cin = step_down | no_plan | cin_after_s47
        cin_end[has_cin] = (cin_start + 7 + _gamma(rng, n, 2.0, 120))[has_cin]
        closed = no_icpc & ~cin_after_s47
        close[closed] = (_fmax(s47_end, a1_auth) + _uniform_days(rng, n, 0, 14))[closed]
        # Some LAs close unsubstantiated enquiries RC8: not "NFA at assessment", because a
        # section 47 followed the assessment (the indicator must not count these).
        reason[closed] = np.where(rng.random(n) < 0.3, "RC8", "RC7")[closed]

        # Straight into care (emergencies, UASC, remands) or a series of short breaks.
        m = pathway == _CARE
        care_start[m] = (r + _uniform_days(rng, n, 0, 3))[m]
        m = pathway == _SHORT_BREAKS
        cin_start[m] = (a1_auth + _uniform_days(rng, n, 0, 30))[m]
        cin_end[m] = (cin_start + 365 + _gamma(rng, n, 2.0, 1100))[m]

        # A re-assessment starts once the first is authorised (never two at once, 8863Q).
        a2_start = np.maximum(a2_start, a1_auth + 1)  # NaN (no re-assessment) stays NaN
        again = ~np.isnan(a2_start)
        a2_auth[again] = (a2_start + 1 + _gamma(rng, n, 2.2, 27))[again]

        care_start, care_track, care_end, care_rec = self._care(care_start, dob, b18, uasc)

        # Nothing runs past the 18th birthday; items that would start after it never happen.
        for start, end in (
            (a1_start, a1_auth),
            (a2_start, a2_auth),
            (cpp_start, cpp_end),
            (cpp2_start, cpp2_end),
            (cin_start, cin_end),
            (s47_start, s47_end),
        ):
            late = start >= b18
            start[late] = np.nan
            end[late] = np.nan
            np.fmin(end, b18, out=end, where=~np.isnan(end))
        icpc[icpc >= b18] = np.nan
        natural = _fmax(
            close, a1_auth, a2_auth, s47_end, icpc, cpp_end, cpp2_end, cin_end, care_end
        )
        after_plan = np.isnan(close) & ~np.isnan(natural)  # plans and care: close after them
        close = np.where(after_plan, natural + _uniform_days(rng, n, 0, 14), _fmax(close, natural))
        care_closed = ~np.isnan(care_end)
        close[care_closed] = np.fmax(care_end + _uniform_days(rng, n, 0, 30), natural)[care_closed]
        after_care = pd.Series(care_rec).map(_RC_AFTER_CARE).fillna("RC7").to_numpy(dtype=str)
        reason = np.where(care_closed, after_care, reason)
        # A few cases move away or end with a court order instead of services ceasing.
        other = rng.choice(np.array(["RC5", "RC3", "RC4", "RC7"]), n, p=[0.04, 0.01, 0.01, 0.94])
        reason = np.where(~care_closed & ~nfa & (reason == "RC7"), other, reason)
        at_18 = close >= b18
        close = np.fmin(close, b18)
        reason = np.where(at_18 & (reason == "RC7") & (rng.random(n) < 0.4), "RC6", reason)
        return _Referrals(
            child=child, date=r, nfa=nfa, pathway=pathway, source=source, need=need,
            close=close, reason=reason, a1_start=a1_start, a1_auth=a1_auth,
            a2_start=a2_start, a2_auth=a2_auth, s47_start=s47_start, s47_end=s47_end,
            icpc_required=icpc_required, icpc=icpc, cpp_start=cpp_start, cpp_end=cpp_end,
            cpp2_start=cpp2_start, cpp2_end=cpp2_end, cin_start=cin_start, cin_end=cin_end,
            care_start=care_start, care_end=care_end, care_track=care_track,
            care_rec=care_rec,
        )  # fmt: skip

    def _care(
        self, start: Floats, dob: Floats, b18: Floats, uasc: Bools
    ) -> tuple[Floats, Ints, Floats, Codes]:
        """Start, track, end and ending reason (903 REC) of each period of care (NaN start:
        none)."""
        rng = self.rng
        n = len(start)
        # Care that would start on the 18th birthday never happens.
        start = np.where(start < b18 - 1, start, np.nan)
        age = (start - dob) / _YEAR
        track = _pick_rows(rng, _age_group(np.nan_to_num(age)), _TRACK_P)
        track = np.where(uasc, _UASC_TRACK, track)
        # Care orders last years (67 per 10,000 in care with 25 starting a year means a mean
        # stay near 2.7 years); half the section 20 stays are a few weeks; UASC mostly stay
        # until 18; remands are short.
        long_stay = 30 + _gamma(rng, n, 1.3, 1750)
        dur = np.select(
            [
                track == _ADOPTION,
                track == _S20,
                track == _REMAND,
                track == _UASC_TRACK,
            ],
            [
                250 + _gamma(rng, n, 3.0, 500),
                np.where(rng.random(n) < 0.5, 1 + _gamma(rng, n, 1.2, 40), 30 + long_stay),
                1 + _gamma(rng, n, 1.2, 60),
                np.where(rng.random(n) < 0.85, b18 - start, 30 + _gamma(rng, n, 1.5, 400)),
            ],
            long_stay,
        )
        end = np.fmin(start + np.maximum(dur, 1), b18)
        at_18 = end >= b18
        rec = np.select(
            [
                at_18 & uasc,
                at_18,
                track == _ADOPTION,
                track == _REMAND,
            ],
            [
                _pick(rng, n, _REC_UASC_AT_18),
                _pick(rng, n, _REC_AT_18),
                _pick(rng, n, _REC_ADOPTION),
                _pick(rng, n, _REC_REMAND),
            ],
            _pick(rng, n, _REC_OTHER),
        )
        none = np.isnan(start)
        return (
            start,
            np.where(none, -1, track),
            np.where(none, np.nan, end),
            np.where(none, "", rec),
        )

    # -- tables --------------------------------------------------------------------------------

    def _tables(self, la_code: str, kids: _Children, refs: _Referrals) -> dict[str, pd.DataFrame]:
        rng = self.rng
        w0, w1 = self.w0, self.w1
        care = _care_periods(refs)
        episodes = self._episodes(kids, refs, care)
        missing = self._missing(kids, care)

        # The extract: referrals still open on the window's first day or later, CLA episodes
        # and missing episodes overlapping the window, and the children they belong to.
        keep_ref = (refs.date <= w1) & (refs.close >= w0)
        keep_ep = (episodes["start"] <= w1) & (episodes["end"] >= w0)
        keep_mis = (missing["start"] <= w1) & ~(missing["end"] < w0)
        in_extract = np.zeros(len(kids.dob), dtype=bool)
        in_extract[refs.child[keep_ref]] = True
        in_extract[episodes["child"][keep_ep]] = True
        number = np.full(len(kids.dob), -1, dtype=np.int64)
        n_kept = int(in_extract.sum())
        # Identifiers are random (as in a case management system), not in order of contact.
        number[in_extract] = rng.choice(np.arange(1, 1_000_000), n_kept, replace=False)
        # 10 characters: the SSDA903's limit (CLA.xsd CHILDID), well within the CIN census's 20.
        kid_id = f"{la_code}C" + pd.Series(number).astype(str).str.zfill(6)

        cpp_number = self._previous_plans(kids, refs)
        child = pd.DataFrame(
            {
                "child_id": kid_id[in_extract].to_numpy(),
                "date_of_birth": _dates(kids.dob[in_extract]),
                "sex": kids.sex[in_extract],
                "ethnicity": kids.ethnicity[in_extract],
                "disability": kids.disabled[in_extract],
                "uasc": kids.uasc[in_extract],
            }
        ).sort_values("child_id", ignore_index=True)

        # Referral-level tables, cut at the extract date.
        sel = np.flatnonzero(keep_ref)
        order = np.lexsort((refs.date[sel], number[refs.child[sel]]))
        sel = sel[order]
        owner = kid_id.to_numpy()[refs.child[sel]]
        ref_id = _ids(owner, "R", number[refs.child[sel]])
        cut = _Cutter(w1)
        close = cut.end(refs.close[sel])
        referral = pd.DataFrame(
            {
                "referral_id": ref_id,
                "child_id": owner,
                "referral_date": _dates(refs.date[sel]),
                "source": refs.source[sel],
                "referral_nfa": refs.nfa[sel],
                "primary_need": _blank_to_na(refs.need[sel]),
                "closure_date": _dates(close),
                "closure_reason": _blank_to_na(np.where(np.isnan(close), "", refs.reason[sel])),
            }
        )

        # The outcome is known once the assessment is authorised: "not in need" is the only
        # assessment of a _NOT_IN_NEED episode.
        not_in_need = (refs.pathway[sel] == _NOT_IN_NEED).astype(np.float64)
        assessment = _items(
            owner,
            ref_id,
            "A",
            [(refs.a1_start[sel], refs.a1_auth[sel]), (refs.a2_start[sel], refs.a2_auth[sel])],
            cut,
            lambda auth, k: np.where(np.isnan(auth), np.nan, not_in_need * (k == 0)),
        )
        assessment = assessment.rename(
            columns={"item_id": "assessment_id", "end_date": "authorisation_date"}
        )
        assessment["outcome_nfa"] = assessment.pop("extra").astype("boolean")
        # Factors are identified at the end of the assessment: none while it is open.
        factors = self._factors(assessment["outcome_nfa"].fillna(False).to_numpy(dtype=bool))
        assessment["factors"] = _blank_to_na(
            np.where(assessment["authorisation_date"].isna(), "", factors)
        )

        cin_plan = _items(owner, ref_id, "P", [(refs.cin_start[sel], refs.cin_end[sel])], cut)
        cin_plan = cin_plan.rename(columns={"item_id": "plan_id"})

        s47 = _items(owner, ref_id, "S", [(refs.s47_start[sel], refs.s47_end[sel])], cut)
        s47 = s47.rename(columns={"item_id": "s47_id"})
        rows = sel[s47["row"].to_numpy()]
        s47["icpc_required"] = refs.icpc_required[rows]
        s47["icpc_date"] = _dates(cut.end(refs.icpc[rows]))

        cp_plan = self._cp_plans(owner, ref_id, refs, sel, cpp_number, cut)

        ep = {k: v[keep_ep] for k, v in episodes.items()}
        ep_order = np.lexsort((ep["start"], number[ep["child"]]))
        ep = {k: v[ep_order] for k, v in ep.items()}
        ep_owner = kid_id.to_numpy()[ep["child"]]
        ep_end = cut.end(ep["end"])
        cla_episode = pd.DataFrame(
            {
                "episode_id": _ids(ep_owner, "E", number[ep["child"]]),
                "child_id": ep_owner,
                "start_date": _dates(ep["start"]),
                "start_reason": ep["rne"],
                "legal_status": ep["ls"],
                "placement_type": ep["place"],
                "end_date": _dates(ep_end),
                "end_reason": _blank_to_na(np.where(np.isnan(ep_end), "", ep["rec"])),
            }
        )

        mis = {k: v[keep_mis] for k, v in missing.items()}
        mis_order = np.lexsort((mis["start"], number[mis["child"]]))
        mis = {k: v[mis_order] for k, v in mis.items()}
        missing_episode = pd.DataFrame(
            {
                "child_id": kid_id.to_numpy()[mis["child"]],
                "type": mis["type"],
                "start_date": _dates(mis["start"]),
                "end_date": _dates(cut.end(mis["end"])),
            }
        )

        tables = {
            "child": child,
            "referral": referral,
            "assessment": assessment,
            "cin_plan": cin_plan,
            "s47_enquiry": s47,
            "cp_plan": cp_plan,
            "cla_episode": cla_episode,
            "missing_episode": missing_episode,
        }
        return {name: _canonical(name, df) for name, df in tables.items()}

    def _previous_plans(self, kids: _Children, refs: _Referrals) -> tuple[Floats, Floats]:
        """NumberOfPreviousCPP for the first and the overlapping plan of every referral:
        hidden earlier plans plus this child's simulated plans that started before."""
        starts = np.concatenate([refs.cpp_start, refs.cpp2_start])
        owner = np.concatenate([refs.child, refs.child])
        has = ~np.isnan(starts)
        order = np.flatnonzero(has)[np.lexsort((starts[has], owner[has]))]
        counts = np.full(len(starts), np.nan)
        counts[order] = _rank_within(owner[order]) + kids.hidden_cpps[owner[order]]
        n = len(refs.child)
        return counts[:n], counts[n:]

    def _cp_plans(
        self,
        owner: Objects,
        ref_id: Objects,
        refs: _Referrals,
        sel: Ints,
        previous: tuple[Floats, Floats],
        cut: _Cutter,
    ) -> pd.DataFrame:
        rng = self.rng
        n = len(sel)
        initial = _pick(rng, n, _CATEGORIES)
        latest = np.where(rng.random(n) < 0.85, initial, _pick(rng, n, _CATEGORIES))
        first, second = previous
        plans = _items(
            owner,
            ref_id,
            "CP",
            [(refs.cpp_start[sel], refs.cpp_end[sel]), (refs.cpp2_start[sel], refs.cpp2_end[sel])],
            cut,
            lambda _end, k: first[sel] if k == 0 else second[sel],
        )
        kept = plans["row"].to_numpy()
        plans["initial_category"] = initial[kept]
        plans["latest_category"] = latest[kept]
        plans["number_of_previous_cpp"] = plans.pop("extra").astype("Int64")
        return plans.rename(columns={"item_id": "plan_id"})

    def _factors(self, nfa: Bools) -> Codes:
        """Comma-separated factor codes: about three per assessment (c3: 1.6M factors over
        513k episodes); "21" (no factors) for a third of assessments that found no need."""
        rng = self.rng
        n = len(nfa)
        codes = np.array(list(_FACTORS))
        p = np.array(list(_FACTORS.values()), dtype=float)
        draws = rng.choice(len(codes), (n, 6), p=p / p.sum())
        k = np.minimum(1 + rng.poisson(np.where(nfa, 0.7, 2.2)), 6)
        draws = np.where(np.arange(6)[None, :] < k[:, None], draws, len(codes))
        draws.sort(axis=1)
        repeat = np.zeros_like(draws, dtype=bool)
        repeat[:, 1:] = draws[:, 1:] == draws[:, :-1]
        draws[repeat] = len(codes)
        padded = np.append(codes, "")
        out = padded[draws[:, 0]]
        for col in range(1, 6):
            nxt = padded[draws[:, col]]
            out = np.where(nxt != "", np.char.add(np.char.add(out, ","), nxt), out)
        return np.where(nfa & (rng.random(n) < 0.35), "21", out)

    # -- looked-after episodes -----------------------------------------------------------------

    def _episodes(
        self, kids: _Children, refs: _Referrals, care: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """903 episodes: each period of care split where the legal status or placement
        changes, plus the short-break episodes (V3 one per stay, V4 one per agreement)."""
        ep = self._care_episodes(kids, care)
        breaks = self._short_breaks(refs)
        return {k: np.concatenate([ep[k], breaks[k]]) for k in ep}

    def _care_episodes(self, kids: _Children, care: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rng = self.rng
        child, start, end = care["child"], care["start"], care["end"]
        track, rec = care["track"], care["rec"]
        n = len(child)
        dur = np.maximum(end - start, 1).astype(np.int64)
        k = 1 + rng.poisson(0.3 + 0.8 * dur / _YEAR)
        k = np.where(track == _EMERGENCY, np.maximum(k, 3), k)
        k = np.where(track == _ADOPTION, np.maximum(k, 3), k)
        k = np.clip(k, 1, np.minimum(dur, 15)).astype(np.int64)
        total = int(k.sum())
        poc = np.repeat(np.arange(n), k)
        j = np.arange(total) - np.repeat(_group_starts(k), k)
        # Boundaries: strictly increasing whole days inside the period (random proportions).
        w = rng.exponential(size=total)
        cum = np.cumsum(w)
        group_cum = cum - np.repeat(cum[_group_starts(k)] - w[_group_starts(k)], k)
        frac = group_cum / np.repeat(group_cum[_group_starts(k) + k - 1], k)
        poc_start, poc_dur, poc_k = start[poc], dur[poc], k[poc]
        boundary = poc_start + np.floor(frac * (poc_dur - poc_k)) + j + 1
        # Police protection lasts at most 72 hours: the first emergency episode is 1-3 days.
        emergency_first = (track[poc] == _EMERGENCY) & (j == 0)
        short = poc_start + _uniform_days(rng, total, 1, 3)
        nxt = np.append(boundary[1:], np.inf)
        boundary = np.where(emergency_first, np.minimum(short, nxt - 1), boundary)
        ep_start = np.where(j == 0, poc_start, np.roll(boundary, 1))
        ep_end = np.where(j == poc_k - 1, end[poc], boundary)

        ls_table = np.array([(list(_TRACK_LS[t]) + [_TRACK_LS[t][-1]] * 2)[:3] for t in range(6)])
        ls = ls_table[track[poc], np.minimum(j, 2)]
        ls = np.where(ls == "L1", np.where(rng.random(total) < 0.2, "L2", "L1"), ls)
        changed = np.zeros(total, dtype=bool)
        changed[1:] = ls[1:] != ls[:-1]
        changed &= j > 0
        u = rng.random(total)
        rne = np.where(
            j == 0,
            "S",
            np.where(
                changed,
                np.where(u < 0.65, "L", np.where(u < 0.95, "T", "U")),
                np.where(u < 0.95, "P", "B"),
            ),
        )
        new_place = np.isin(rne, ["S", "T", "P"])

        age = (ep_start - kids.dob[child[poc]]) / _YEAR
        placed = np.array(_PLACEMENTS)[_pick_rows(rng, _age_group(age), _PLACEMENT_P)]
        placed = np.where(track[poc] == _UASC_TRACK, _pick(rng, total, _UASC_PLACEMENTS), placed)
        placed = np.where(track[poc] == _REMAND, _pick(rng, total, _REMAND_PLACEMENTS), placed)
        supported = np.where(ep_start >= _K3_FROM, "K3", "K2")
        placed = np.where(placed == _SUPPORTED, np.where(age >= 16, supported, "U6"), placed)
        # Placed with parents is not possible under section 20 (903 rule 378).
        voluntary = np.isin(track[poc], [_S20, _UASC_TRACK])
        placed = np.where(voluntary & (placed == "P1"), "U6", placed)
        adoptive = (track[poc] == _ADOPTION) & (j == poc_k - 1) & (ls == "E1")
        # Placed with the current foster carers (A5) when the placement order comes in, so the
        # episode starts with a legal status change (rule 217); otherwise new adopters (A6).
        with_carers = changed & (rng.random(total) < 0.3)
        placed = np.where(adoptive, np.where(with_carers, "A5", "A6"), placed)
        rne = np.where(adoptive & ~np.isin(rne, ["S", "T", "P"]), np.where(changed, "T", "P"), rne)
        new_place |= adoptive
        # Episodes without a new placement keep the previous episode's placement.
        last_new = np.maximum.accumulate(np.where(new_place | (j == 0), np.arange(total), 0))
        place = placed[last_new]
        ep_rec = np.where(j == poc_k - 1, rec[poc], "X1")
        not_fostered = ~np.isin(place, _FOSTER_PLACEMENTS)
        ep_rec = np.where(not_fostered & (ep_rec == "E45"), "E47", ep_rec)
        ep_rec = np.where(not_fostered & (ep_rec == "E46"), "E48", ep_rec)
        return {
            "child": child[poc],
            "start": ep_start,
            "end": ep_end,
            "rne": rne,
            "ls": ls,
            "place": place,
            "rec": ep_rec,
        }

    def _short_breaks(self, refs: _Referrals) -> dict[str, np.ndarray]:
        """Disabled children's short breaks inside their CIN plan: with V3 every stay of 1-3
        nights is an episode; with V4 each agreement (about ten months) is one episode."""
        rng = self.rng
        m = np.flatnonzero(refs.pathway == _SHORT_BREAKS)
        # Only the recent past matters: earlier breaks end before the window.
        lo = np.maximum(refs.cin_start[m] + 30, self.w0 - 400)
        hi = np.fmin(refs.cin_end[m], self.w1 + 60)
        ok = hi > lo
        m, lo, hi = m[ok], lo[ok], hi[ok]
        if not len(m):  # a small LA may have no short breaks in the window
            empty = np.array([], dtype=object)
            return {"child": refs.child[m], "start": np.array([], dtype=float),
                    "end": np.array([], dtype=float), "rne": empty, "ls": empty,
                    "place": empty, "rec": empty}  # fmt: skip
        v4 = rng.random(len(m)) < 0.3
        gap_mean = np.where(v4, 300.0, 35.0)
        cap = np.ceil((hi - lo) / np.where(v4, 150.0, 15.0)).astype(np.int64) + 2
        owner = np.repeat(np.arange(len(m)), cap)
        gaps = np.floor(rng.gamma(4.0, 1.0, len(owner)) * np.repeat(gap_mean, cap) / 4.0) + 1
        cum = np.cumsum(gaps)
        starts0 = _group_starts(cap)
        offset = cum - np.repeat(cum[starts0] - gaps[starts0], cap)
        start = np.repeat(lo, cap) + offset - gaps  # the first stay starts at ``lo``
        # A stay ends before the next begins: V3 stays last 1-3 nights, a V4 agreement
        # runs until shortly before the next one.
        stay = np.where(
            np.repeat(v4, cap),
            gaps - 1 - rng.integers(0, 14, len(owner)),
            1 + rng.poisson(1.0, len(owner)),
        )
        stay = np.minimum(np.minimum(stay, gaps - 1), hi[owner] - start)
        keep = (start < hi[owner]) & (stay >= 1)
        owner, start, end = owner[keep], start[keep], (start + stay)[keep]
        n = len(owner)
        place = np.where(rng.random(len(m)) < 0.45, "K2", "U6")[owner]
        return {
            "child": refs.child[m][owner],
            "start": start,
            "end": end,
            "rne": np.full(n, "S"),
            "ls": np.where(v4[owner], "V4", "V3"),
            "place": place,
            "rec": np.full(n, "E4A"),
        }

    def _missing(self, kids: _Children, care: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Missing (M) and away-without-authorisation (A) incidents during periods of care
        (not short breaks), from the year before the window: teenagers go missing most, a
        few very often, so 11% of children in care go missing in a year, 6.5 times each."""
        rng = self.rng
        child, lo, hi = care["child"], care["start"], care["end"]
        lo = np.maximum(lo, self.w0 - 400)
        hi = np.minimum(hi, self.w1 + 30)
        ok = hi > lo
        child, lo, hi = child[ok], lo[ok], hi[ok]
        # Who goes missing depends on age (teenagers), so it is decided per stretch of care
        # from one draw per child: a child can become prone as they grow up.
        n_kids = len(kids.dob)
        age = ((lo + hi) / 2 - kids.dob[child]) / _YEAR
        prone = np.select([age >= 13, age >= 10], [0.52, 0.15], 0.015)
        prone = np.where(kids.uasc[child], 0.25, prone)
        away = np.where(age >= 12, 0.06, 0.005)
        u_missing, u_away = rng.random(n_kids), rng.random(n_kids)
        # Most children who go missing do so once or twice; a few go missing very often.
        rate_m = np.where(
            rng.random(n_kids) < 0.6,
            rng.gamma(2.0, 0.6, n_kids),
            rng.gamma(0.6, 18.0 / 0.6, n_kids),
        )
        rate_a = rng.gamma(0.8, 4.0 / 0.8, n_kids)
        rate_m = np.where(u_missing[child] < prone, rate_m[child], 0.0)
        rate_a = np.where(u_away[child] < away, rate_a[child], 0.0)
        years = (hi - lo) / _YEAR
        parts = []
        for kind, rate in (("M", rate_m), ("A", rate_a)):
            count = rng.poisson(rate * years)
            owner = np.repeat(np.arange(len(child)), count)
            start = np.floor(lo[owner] + rng.random(len(owner)) * (hi - lo - 1)[owner])
            # Most incidents end the same or next day; a few last weeks.
            length = np.select(
                [rng.random(len(owner)) < 0.75, rng.random(len(owner)) < 0.8],
                [rng.integers(0, 2, len(owner)), rng.integers(2, 8, len(owner))],
                8 + np.floor(rng.gamma(1.2, 20.0, len(owner))),
            )
            # Found before care ends: a child missing when care ceases needs REC E8 (580).
            end = np.minimum(start + length, hi[owner] - 1)
            parts.append(
                {
                    "child": child[owner],
                    "start": start,
                    "end": end,
                    "type": np.full(len(owner), kind),
                }
            )
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        # One incident at a time per child: drop any that start before an earlier one ended.
        order = np.lexsort((out["start"], out["child"]))
        out = {k: v[order] for k, v in out.items()}
        latest_end = pd.Series(out["end"]).groupby(out["child"]).cummax().to_numpy()
        same = np.concatenate(([False], out["child"][1:] == out["child"][:-1]))
        previous_end = np.concatenate(([-np.inf], latest_end[:-1]))
        keep = ~same | (out["start"] > previous_end)
        return {k: v[keep] for k, v in out.items()}


def _care_periods(refs: _Referrals) -> dict[str, np.ndarray]:
    m = ~np.isnan(refs.care_start)
    return {
        "child": refs.child[m],
        "start": refs.care_start[m],
        "end": refs.care_end[m],
        "track": refs.care_track[m],
        "rec": refs.care_rec[m],
    }


class _Cutter:
    """Cuts records at the extract date: what has not happened yet is not known."""

    def __init__(self, as_of: float):
        self.as_of = as_of

    def end(self, days: Floats) -> Floats:
        return np.where(days > self.as_of, np.nan, days)


def _items(
    owner: Objects,
    ref_id: Objects,
    letter: str,
    pairs: list[tuple[Floats, Floats]],
    cut: _Cutter,
    extra: Callable[[Floats, int], Floats] | None = None,
) -> pd.DataFrame:
    """Child-owned items (assessments, plans ...) from per-referral (start, end) pairs; an
    item exists where start is set and not after the extract date. ``row`` is the item's
    referral (index into the referral arrays); ``extra(end, k)`` gives one more per-item
    value from the end as known at the extract date and k (which pair)."""
    frames = []
    for k, (start, end) in enumerate(pairs):
        rows = np.flatnonzero(~np.isnan(start) & (start <= cut.as_of))
        known_end = cut.end(end)
        value = extra(known_end, k) if extra else np.zeros(len(start))
        frames.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "referral_id": ref_id[rows],
                    "child_id": owner[rows],
                    "start_date": start[rows],
                    "end_date": known_end[rows],
                    "extra": value[rows],
                }
            )
        )
    df = pd.concat(frames, ignore_index=True).sort_values(
        ["child_id", "start_date", "row"], kind="stable", ignore_index=True
    )
    rank = df.groupby("child_id", sort=False).cumcount() + 1
    df.insert(0, "item_id", df["child_id"] + f"/{letter}" + rank.astype(str))
    df["start_date"] = _dates(df["start_date"].to_numpy(dtype=float))
    df["end_date"] = _dates(df["end_date"].to_numpy(dtype=float))
    return df


def _ids(owner: Objects, letter: str, sort_key: Ints) -> Objects:
    """``<child_id>/<letter><n>``: n counts the child's records in date order (rows are
    sorted by child, then date)."""
    rank = _rank_within(sort_key) + 1
    return (pd.Series(owner) + f"/{letter}" + pd.Series(rank).astype(str)).to_numpy()


def _dates(days: Floats) -> npt.NDArray[np.datetime64]:
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(days)
    out[ok] = days[ok].astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    return out


def _blank_to_na(codes: np.ndarray) -> pd.Series:
    s = pd.Series(codes, dtype="string")
    return s.mask(s == "")


def _canonical(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table with exactly the canonical columns and dtypes (source columns blank: the
    rows come from the simulation, not from a file)."""
    out = pd.DataFrame(
        {
            col: df[col].reset_index(drop=True).astype(pd.api.types.pandas_dtype(dtype))
            for col, dtype in TABLES[name].items()
        }
    )
    out["_file"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["_location"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out
