"""The simulation: canonical tables, consistent records, published rates, speed.

Rates are computed here with plain pandas over the extract's last full year (not with the
indicators engine) and compared with the England figures the model is calibrated to.
"""

from __future__ import annotations

import time
from datetime import date

import pandas as pd
import pytest

from submissions.extract.canonical import SOURCE_COLUMNS, TABLES, Extract
from submissions.synthetic.model import SIZES, generate, population_for_children
from tests.generator.conftest import END, LA, START

YEAR_START = pd.Timestamp(END) - pd.DateOffset(months=12) + pd.Timedelta(days=1)
YEAR_END = pd.Timestamp(END)


def _in_year(dates: pd.Series) -> pd.Series:
    return (dates >= YEAR_START) & (dates <= YEAR_END)


def _rereferral_share(t: dict[str, pd.DataFrame]) -> float:
    """Referrals in the year with an earlier referral of the same child in the 12 months
    before it (c1: 22.6% in England, 2025)."""
    r = t["referral"]
    year = r[_in_year(r["referral_date"])]
    pairs = year.merge(r[["child_id", "referral_date"]], on="child_id", suffixes=("", "_prev"))
    earlier = (pairs["referral_date_prev"] < pairs["referral_date"]) & (
        pairs["referral_date_prev"] >= pairs["referral_date"] - pd.DateOffset(months=12)
    )
    return pairs.loc[earlier, "referral_id"].nunique() / len(year)


def _second_cpp_share(t: dict[str, pd.DataFrame]) -> float:
    """CPPs starting in the year that were a second or subsequent plan (d3: 24.5%)."""
    plans = t["cp_plan"][_in_year(t["cp_plan"]["start_date"])]
    return float((plans["number_of_previous_cpp"] >= 1).mean())


def _looked_after(t: dict[str, pd.DataFrame]) -> set[str]:
    """Children looked after in the year, not only on short breaks (V3/V4)."""
    ep = t["cla_episode"]
    ep = ep[
        (ep["start_date"] <= YEAR_END) & (ep["end_date"].isna() | (ep["end_date"] >= YEAR_START))
    ]
    return set(ep.loc[~ep["legal_status"].isin(["V3", "V4"]), "child_id"])


def _missing_in_year(t: dict[str, pd.DataFrame], kind: str = "M") -> pd.DataFrame:
    m = t["missing_episode"]
    overlaps = (m["start_date"] <= YEAR_END) & (
        m["end_date"].isna() | (m["end_date"] >= YEAR_START)
    )
    return m[overlaps & (m["type"] == kind) & m["child_id"].isin(_looked_after(t))]


def _nfa_assessment_share(t: dict[str, pd.DataFrame]) -> float:
    """Assessments authorised in the year whose episode closed RC8/RC9 with nothing after."""
    a = t["assessment"]
    year = a[_in_year(a["authorisation_date"])]
    r = t["referral"].set_index("referral_id")
    later = pd.concat(
        [t[name][["referral_id", "start_date"]] for name in ("cin_plan", "s47_enquiry", "cp_plan")]
    ).rename(columns={"start_date": "later"})
    last = a.sort_values(["start_date", "authorisation_date"]).groupby("referral_id").tail(1)
    x = year[year["assessment_id"].isin(last["assessment_id"])].join(
        r[["closure_date", "closure_reason"]], on="referral_id"
    )
    pairs = x.merge(later, on="referral_id")
    followed = set(pairs.loc[pairs["later"] >= pairs["start_date"], "assessment_id"])
    nfa = (
        x["closure_reason"].isin(["RC8", "RC9"])
        & (x["closure_date"] >= x["authorisation_date"])
        & ~x["assessment_id"].isin(followed)
    )
    return nfa.sum() / len(year)


def test_tables_have_the_canonical_columns_and_dtypes(small: Extract) -> None:
    for name, columns in TABLES.items():
        table = small.tables[name]
        assert list(table.columns) == [*columns, *SOURCE_COLUMNS], name
        for column, dtype in columns.items():
            assert str(table[column].dtype) == str(pd.Series(dtype=dtype).dtype), (name, column)
    assert (small.la_code, small.as_of, small.coverage_start) == (LA, END, START)


def test_same_seed_same_tables_and_another_seed_differs(small: Extract) -> None:
    again = generate(LA, START, END, children=SIZES["small"], seed=1)
    for name in TABLES:
        pd.testing.assert_frame_equal(small.tables[name], again.tables[name])
    other = generate(LA, START, END, children=SIZES["small"], seed=2)
    assert not other.tables["referral"].equals(small.tables["referral"])


def test_identifiers(small: Extract) -> None:
    t = small.tables
    ids = t["child"]["child_id"]
    assert ids.str.fullmatch(r"370C\d{6}").all()
    assert ids.is_unique
    for name, key in [("referral", "referral_id"), ("assessment", "assessment_id"),
                      ("cin_plan", "plan_id"), ("s47_enquiry", "s47_id"), ("cp_plan", "plan_id"),
                      ("cla_episode", "episode_id")]:  # fmt: skip
        assert t[name][key].is_unique, name
        assert t[name]["child_id"].isin(ids).all(), name
        if "referral_id" in t[name] and name != "referral":
            assert t[name]["referral_id"].isin(t["referral"]["referral_id"]).all(), name
    assert t["missing_episode"]["child_id"].isin(ids).all()


@pytest.mark.parametrize("size", ["small", "medium"])
def test_sizes(size: str, small: Extract, medium: Extract) -> None:
    extract = {"small": small, "medium": medium}[size]
    assert abs(len(extract.tables["child"]) / SIZES[size] - 1) < 0.15


def test_records_are_consistent(medium: Extract) -> None:
    t = medium.tables
    end = pd.Timestamp(END)
    r = t["referral"].sort_values(["child_id", "referral_date"])
    # One episode at a time: a child is referred again only after the last case closed.
    nxt = r.groupby("child_id")["referral_date"].shift(-1)
    assert (r["closure_date"].isna() & nxt.notna()).sum() == 0
    assert (r["closure_date"] < nxt).where(nxt.notna(), True).all()
    assert (r["closure_date"] >= r["referral_date"]).where(r["closure_date"].notna(), True).all()
    assert (r["closure_reason"].isna() == r["closure_date"].isna()).all()
    # Nothing happens after the extract date; nothing ends before it starts.
    for name, start, stop in [("assessment", "start_date", "authorisation_date"),
                              ("cin_plan", "start_date", "end_date"),
                              ("s47_enquiry", "start_date", "end_date"),
                              ("cp_plan", "start_date", "end_date"),
                              ("cla_episode", "start_date", "end_date"),
                              ("missing_episode", "start_date", "end_date")]:  # fmt: skip
        table = t[name]
        assert (table[start] <= end).all(), name
        assert (table[stop].isna() | ((table[stop] >= table[start]) & (table[stop] <= end))).all()
    # A closed case closes after everything in it (CIN rule 8565).
    closes = r.set_index("referral_id")["closure_date"]
    for name, column in [("assessment", "authorisation_date"), ("cin_plan", "end_date"),
                         ("cp_plan", "end_date"), ("s47_enquiry", "icpc_date")]:  # fmt: skip
        table = t[name]
        closed = table["referral_id"].map(closes)
        assert (table[column] <= closed).where(closed.notna() & table[column].notna(), True).all()
    # NFA referrals have no assessment and close the day they came in.
    nfa = r[r["referral_nfa"]]
    assert not t["assessment"]["referral_id"].isin(nfa["referral_id"]).any()
    assert (nfa["closure_date"] == nfa["referral_date"]).all()
    # CLA episodes of a period of care follow on (the first in the extract may continue one
    # that ended before it); X1 marks an episode the care continued after.
    ep = t["cla_episode"].sort_values(["child_id", "start_date"])
    follows = ep["start_date"].eq(ep.groupby("child_id")["end_date"].shift())
    carried_in = ep["start_date"] < pd.Timestamp(START)
    assert ((ep["start_reason"] == "S") | follows | carried_in).all()
    continued = ep.groupby("child_id")["start_reason"].shift(-1).isin(["L", "P", "T", "B", "U"])
    assert (ep.loc[continued, "end_reason"] == "X1").all()
    assert (ep["end_reason"].isna() == ep["end_date"].isna()).all()


def test_the_story_has_the_cases_indicators_need(medium: Extract) -> None:
    t = medium.tables
    assert (t["assessment"].groupby("referral_id").size() > 1).sum() > 50
    assert set(t["cla_episode"]["legal_status"]) >= {"C1", "C2", "V2", "V3", "V4", "E1", "L1"}
    assert t["missing_episode"]["end_date"].isna().any()  # someone missing on the extract date
    assert set(t["missing_episode"]["type"]) == {"M", "A"}
    assert t["referral"]["closure_date"].isna().any()
    # A few plans overlap another of the same child (transfer-in conferences).
    cp = t["cp_plan"].sort_values(["child_id", "start_date"])
    overlap = cp["start_date"] < cp.groupby("child_id")["end_date"].shift()
    assert 0 < overlap.sum() < 0.05 * len(cp)
    # Closed RC8 after a section 47: must not count as NFA at assessment.
    s47_refs = t["s47_enquiry"]["referral_id"]
    assert (
        t["referral"]["referral_id"].isin(s47_refs) & (t["referral"]["closure_reason"] == "RC8")
    ).any()
    assert t["child"]["uasc"].sum() > 0
    assert t["child"]["disability"].sum() > 0


def test_rates_match_england(medium: Extract) -> None:
    """Medium LA, last full year, against the published England figures."""
    t = medium.tables
    assert 0.17 <= _rereferral_share(t) <= 0.28  # 22.6%
    assert 0.18 <= _second_cpp_share(t) <= 0.30  # 24.5%
    looked_after = len(_looked_after(t))
    missing = _missing_in_year(t)
    assert 0.07 <= missing["child_id"].nunique() / looked_after <= 0.15  # 11%
    assert 4.5 <= len(missing) / missing["child_id"].nunique() <= 9  # 6.5 incidents each
    away = _missing_in_year(t, "A")
    assert 0.005 <= away["child_id"].nunique() / looked_after <= 0.04  # 2%
    assert 0.25 <= _nfa_assessment_share(t) <= 0.40  # about a third
    # CPPs open at the end: 2.3% have lasted 2 years or more.
    cp = t["cp_plan"]
    open_plans = cp[cp["end_date"].isna()]
    long = (open_plans["start_date"] <= YEAR_END - pd.DateOffset(months=24)).mean()
    assert 0.005 <= long <= 0.06
    # Looked after at the end: 67 per 10,000 children.
    ep = t["cla_episode"]
    in_care = ep[ep["end_date"].isna() & ~ep["legal_status"].isin(["V3", "V4"])]
    population = population_for_children(SIZES["medium"], (END - START).days / 365.25)
    assert 50 <= in_care["child_id"].nunique() / population * 10_000 <= 85
    # Referrals: 520 per 10,000 children a year, 6.5% no further action.
    year = t["referral"][_in_year(t["referral"]["referral_date"])]
    assert 430 <= len(year) / population * 10_000 <= 610
    assert 0.04 <= year["referral_nfa"].mean() <= 0.09


def test_largest_la_generates_in_seconds() -> None:
    began = time.perf_counter()
    extract = generate(LA, START, END, children=SIZES["large"], seed=1)
    took = time.perf_counter() - began
    assert len(extract.tables["child"]) > 50_000
    assert took < 30, f"{took:.1f}s"  # a loose bound for slow CI; about a second normally


def test_sizing_arguments() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        generate(LA, START, END, seed=1)
    with pytest.raises(ValueError, match="after"):
        generate(LA, END, START, population=1000)
    one_year = generate(LA, date(2025, 4, 1), END, population=20_000, seed=3)
    assert 0 < len(one_year.tables["child"]) < 20_000


def test_a_clean_extract_has_no_overlapping_plans() -> None:
    from datetime import date

    from submissions.synthetic.model import generate

    extract = generate(
        "370", date(2023, 4, 1), date(2026, 3, 31), children=3_000, seed=5, clean=True
    )
    plans = extract.tables["cp_plan"].sort_values(["child_id", "start_date"])
    previous_end = plans.groupby("child_id")["end_date"].shift()
    overlapping = plans["start_date"] < previous_end

    assert not overlapping.any()


@pytest.mark.parametrize("seed", [3, 5, 6])
def test_a_tiny_la_without_short_breaks_still_generates(seed: int) -> None:
    from datetime import date

    from submissions.synthetic.model import generate

    extract = generate("370", date(2023, 4, 1), date(2026, 3, 31), children=200, seed=seed)

    assert len(extract.tables["child"]) > 0
