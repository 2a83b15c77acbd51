"""Properties of the calculators over small random extracts (hypothesis).

Dates are drawn partly from a pool of month ends, 28/29 Februaries and their neighbours, so
"exactly 12 months", clamping and same-day coincidences turn up often.

"Adding another LA's children changes nothing" is checked as additivity: one extract is one
LA and children are matched by identifier only, so for two extracts whose children (and
record identifiers) are disjoint, every numerator and denominator computed over their union
is the sum of the two computed separately. Any matching across identifiers (a plan of one
child seen as another's earlier plan, a referral of B closing an assessment of A) would break
the sum.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.calculators import compute_all, compute_breakdowns
from indicators.registry import REGISTRY, Unit
from submissions.extract.canonical import TABLES
from tests.indicators.conftest import records, tables
from tests.indicators.reference import Reference

POOL = [
    date(2022, 2, 28),
    date(2022, 12, 31),
    date(2023, 1, 1),
    date(2023, 2, 28),
    date(2023, 3, 1),
    date(2023, 3, 31),
    date(2023, 8, 31),
    date(2023, 12, 31),
    date(2024, 1, 1),
    date(2024, 2, 28),
    date(2024, 2, 29),
    date(2024, 3, 1),
    date(2024, 3, 31),
    date(2024, 8, 31),
    date(2024, 9, 30),
    date(2024, 12, 31),
    date(2025, 1, 1),
    date(2025, 2, 28),
    date(2025, 3, 1),
    date(2025, 3, 31),
]
DATES = st.one_of(st.sampled_from(POOL), st.dates(date(2022, 1, 1), date(2025, 6, 30)))
AS_OF = [date(2024, 6, 30), date(2024, 12, 31), date(2025, 3, 15), date(2025, 6, 30)]
SETTINGS = settings(max_examples=25, deadline=None)


def _later(draw: st.DrawFn, start: date, days: int) -> date | None:
    """Blank, or a date after ``start`` (occasionally before it: invalid data is read as
    ending on its start)."""
    choice = draw(st.sampled_from(["blank", "days", "pool"]))
    if choice == "blank":
        return None
    if choice == "pool":
        return draw(st.sampled_from(POOL))
    return start + timedelta(days=draw(st.integers(-3, days)))


@st.composite
def extracts(draw: st.DrawFn, prefix: str = "") -> dict[str, pd.DataFrame]:
    """A small canonical extract. ``prefix`` starts every child and record identifier."""
    children = [f"{prefix}{name}" for name in "ABC"]
    child = st.sampled_from(children)
    referrals: list[dict[str, Any]] = []
    for n in range(draw(st.integers(0, 5))):
        referred = draw(DATES)
        referrals.append(
            {
                "referral_id": f"{prefix}R{n}",
                "child_id": draw(child),
                "referral_date": referred,
                "closure_date": _later(draw, referred, 300),
                "closure_reason": draw(st.sampled_from([None, "RC7", "RC8", "RC9"])),
                "referral_nfa": draw(st.sampled_from([None, True, False])),
            }
        )

    def owner() -> tuple[str, str | None]:
        """A child and referral for an episode-owned record (sometimes no referral)."""
        linked = draw(st.booleans())
        if referrals and linked:
            referral: dict[str, Any] = draw(st.sampled_from(referrals))
            return referral["child_id"], referral["referral_id"]
        return draw(child), None

    def owned(table: str, count: int, **columns: Any) -> list[dict[str, Any]]:
        rows = []
        for n in range(count):
            child_id, referral_id = owner()
            start = draw(DATES)
            row = {"child_id": child_id, "referral_id": referral_id, "start_date": start}
            row.update({key: make(start) for key, make in columns.items()})
            id_column = next(iter(TABLES[table]))
            rows.append({**row, id_column: f"{prefix}{table}{n}"})
        return rows

    assessments = owned(
        "assessment",
        draw(st.integers(0, 6)),
        authorisation_date=lambda start: _later(draw, start, 120),
        outcome_nfa=lambda _: draw(st.sampled_from([None, None, True, False])),
    )
    plans = owned(
        "cp_plan",
        draw(st.integers(0, 6)),
        end_date=lambda start: _later(draw, start, 900),
        number_of_previous_cpp=lambda _: draw(st.sampled_from([None, None, 0, 1])),
    )
    cin_plans = owned("cin_plan", draw(st.integers(0, 2)))
    enquiries = owned("s47_enquiry", draw(st.integers(0, 2)))
    episodes = []
    for n in range(draw(st.integers(0, 4))):
        start = draw(DATES)
        episodes.append(
            {
                "episode_id": f"{prefix}E{n}",
                "child_id": draw(child),
                "start_date": start,
                "end_date": _later(draw, start, 500),
                "legal_status": draw(st.sampled_from([None, "C2", "V3", "V4"])),
            }
        )
    missing = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(DATES)
        missing.append(
            {
                "child_id": draw(child),
                "type": draw(st.sampled_from(["M", "A"])),
                "start_date": start,
                "end_date": _later(draw, start, 40),
            }
        )
    people = [
        {
            "child_id": child_id,
            "date_of_birth": draw(
                st.one_of(st.none(), st.dates(date(2006, 1, 1), date(2024, 12, 31)))
            ),
            "sex": draw(st.sampled_from([None, "M", "F", "U"])),
            "ethnicity": draw(
                st.sampled_from([None, "WBRI", "MWBA", "CHNE", "BAFR", "OOTH", "REFU"])
            ),
            "disability": draw(st.sampled_from([None, True, False])),
        }
        for child_id in children
        if draw(st.booleans())
    ]
    iso = _iso
    return tables(
        child=iso(people),
        referral=iso(referrals),
        assessment=iso(assessments),
        cp_plan=iso(plans),
        cin_plan=iso(cin_plans),
        s47_enquiry=iso(enquiries),
        cla_episode=iso(episodes),
        missing_episode=iso(missing),
    )


def _iso(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {key: value.isoformat() if isinstance(value, date) else value for key, value in row.items()}
        for row in rows
    ]


COVERAGE = st.sampled_from([None, date(2022, 1, 1), date(2022, 7, 15), date(2023, 1, 1)])


def _half_up(numerator: int, denominator: int, scale: int) -> float:
    exact = Decimal(numerator) * scale / Decimal(denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@settings(max_examples=60, deadline=None)
@given(data=extracts(), as_of=st.sampled_from(AS_OF), coverage_start=COVERAGE)
def test_matches_the_literal_definitions(
    data: dict[str, pd.DataFrame], as_of: date, coverage_start: date | None
) -> None:
    result = compute_all(data, as_of=as_of, coverage_start=coverage_start, population={2020: 7})
    reference = Reference(data)
    scale = {Unit.PERCENT: 100, Unit.RATIO: 1, Unit.RATE_PER_10K: 10_000}
    for row in records(result[result["status"] == "ok"]):
        where = (row["indicator_id"], row["period_end"])
        unit = REGISTRY[row["indicator_id"]].unit
        numerator, denominator = reference.counts(row["indicator_id"], row["period_end"].date())
        assert row["numerator"] == numerator, where
        if unit is Unit.RATE_PER_10K:
            assert row["value"] == _half_up(numerator, 7, scale[unit])
        elif unit is Unit.COUNT:
            assert pd.isna(row["denominator"])
            assert row["value"] == numerator
        else:
            assert row["denominator"] == denominator, where
            if denominator:
                assert row["value"] == _half_up(numerator, denominator, scale[unit])
            else:
                assert pd.isna(row["value"])


@SETTINGS
@given(data=extracts(), as_of=st.sampled_from(AS_OF), coverage_start=COVERAGE)
def test_numerators_are_within_their_denominators(
    data: dict[str, pd.DataFrame], as_of: date, coverage_start: date | None
) -> None:
    result = compute_all(data, as_of=as_of, coverage_start=coverage_start)
    units = result["indicator_id"].map(lambda i: REGISTRY[i].unit)
    ok = result["status"] == "ok"
    percent = result[ok & (units == Unit.PERCENT)]
    assert (percent["numerator"] >= 0).all()
    assert (percent["numerator"] <= percent["denominator"]).all()
    assert percent["value"].dropna().between(0, 100).all()
    # Every child counted in missing_episodes_per_child had at least one episode.
    ratio = result[ok & (units == Unit.RATIO)]
    assert (ratio["numerator"] >= ratio["denominator"]).all()
    # Non-ok periods never carry a number (rates keep their count under no_population).
    assert (
        result.loc[result["status"].isin(["insufficient_history", "no_data"]), "value"].isna().all()
    )


@SETTINGS
@given(data=extracts(), order=st.randoms(use_true_random=False), coverage_start=COVERAGE)
def test_row_order_changes_nothing(
    data: dict[str, pd.DataFrame], order: Any, coverage_start: date | None
) -> None:
    shuffled = {}
    for name, frame in data.items():
        positions = list(range(len(frame)))
        order.shuffle(positions)
        shuffled[name] = frame.iloc[positions].reset_index(drop=True)
    as_of = date(2025, 6, 30)
    pd.testing.assert_frame_equal(
        compute_all(data, as_of=as_of, coverage_start=coverage_start),
        compute_all(shuffled, as_of=as_of, coverage_start=coverage_start),
    )
    pd.testing.assert_frame_equal(
        compute_breakdowns(data, as_of=as_of, coverage_start=coverage_start),
        compute_breakdowns(shuffled, as_of=as_of, coverage_start=coverage_start),
    )


@SETTINGS
@given(first=extracts(prefix="X"), second=extracts(prefix="Y"))
def test_children_of_another_la_are_never_matched(
    first: dict[str, pd.DataFrame], second: dict[str, pd.DataFrame]
) -> None:
    both = {name: pd.concat([first[name], second[name]], ignore_index=True) for name in TABLES}
    options: dict[str, Any] = {"as_of": date(2025, 6, 30), "coverage_start": date(2022, 1, 1)}
    key = ["indicator_id", "period_end"]
    union = compute_all(both, **options).set_index(key)
    parts = [compute_all(part, **options).set_index(key) for part in (first, second)]
    # Only where all three have a number: "no data" (say, no missing episodes in one LA's
    # extract) is not zero, so it has no part in a sum.
    counted = union["status"].isin(["ok", "no_population"])
    for part in parts:
        counted &= part["status"].isin(["ok", "no_population"])
    for column in ("numerator", "denominator"):
        present = counted & union[column].notna()
        total = parts[0].loc[present, column] + parts[1].loc[present, column]
        assert (union.loc[present, column] == total).all(), column


@SETTINGS
@given(data=extracts(), coverage_start=COVERAGE, later=st.integers(1, 9))
def test_a_later_as_of_date_never_changes_a_completed_period(
    data: dict[str, pd.DataFrame], coverage_start: date | None, later: int
) -> None:
    key = ["indicator_id", "period_end"]
    earlier = compute_all(data, as_of=date(2024, 9, 30), coverage_start=coverage_start)
    as_of = date(2024 + (9 + later) // 12, (9 + later) % 12 + 1, 1) - timedelta(days=1)
    again = compute_all(data, as_of=as_of, coverage_start=coverage_start).set_index(key)
    done = earlier[earlier["status"] == "ok"].set_index(key)
    present = done.index.intersection(again.index)
    pd.testing.assert_frame_equal(done.loc[present], again.loc[present])
