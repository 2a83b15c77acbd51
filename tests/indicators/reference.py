"""A literal, slow reading of docs/indicators.md, to check the vectorised calculators.

Written independently of ``indicators.calculators``: plain Python over records, one period
at a time, dates as ``datetime.date``. Only numerators and denominators of the periods the
calculators report as ``ok`` are compared, so the coverage rules are not repeated here (they
have their own hand-worked tests). Cleaning follows the calculators' documented choices:
records without a child or start are left out, duplicates (same child, kind and start) keep
the smallest id (missing episodes: the earliest end, blank last), an end before its start
reads as the start, and the records of a dropped duplicate referral move to the one kept.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

Record = dict[str, Any]


def add_months(day: date, months: int) -> date:
    """Calendar months, day clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _records(frame: pd.DataFrame) -> list[Record]:
    rows = []
    for row in frame.to_dict("records"):
        clean: Record = {}
        for name, value in row.items():
            key = str(name)
            if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
                clean[key] = None
            elif isinstance(value, pd.Timestamp):
                clean[key] = value.date()
            else:
                clean[key] = value
        rows.append(clean)
    return rows


def _dedupe(rows: Iterable[Record], key: tuple[str, ...], order: str) -> list[Record]:
    kept: dict[tuple[Any, ...], Record] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        if any(v is None for v in k):
            continue
        current = kept.get(k)
        rank = (row[order] is None, row[order] or "")
        if current is None or rank < (current[order] is None, current[order] or ""):
            kept[k] = row
    return list(kept.values())


def _clip(rows: list[Record], start: str, end: str) -> None:
    for row in rows:
        if row[end] is not None and row[end] < row[start]:
            row[end] = row[start]


class Reference:
    """One extract's records, cleaned, with the indicators as methods of a period end E."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        raw = {name: _records(frame) for name, frame in tables.items()}
        referrals = _dedupe(raw["referral"], ("child_id", "referral_date"), "referral_id")
        kept = {(r["child_id"], r["referral_date"]): r["referral_id"] for r in referrals}
        alias = {
            r["referral_id"]: kept[(r["child_id"], r["referral_date"])]
            for r in raw["referral"]
            if r["child_id"] is not None and r["referral_date"] is not None
        }
        for name in ("assessment", "cin_plan", "s47_enquiry", "cp_plan"):
            for row in raw[name]:
                row["referral_id"] = alias.get(row["referral_id"], row["referral_id"])
        self.referrals = referrals
        _clip(self.referrals, "referral_date", "closure_date")
        self.assessments = _dedupe(raw["assessment"], ("child_id", "start_date"), "assessment_id")
        _clip(self.assessments, "start_date", "authorisation_date")
        self.plans = _dedupe(raw["cp_plan"], ("child_id", "start_date"), "plan_id")
        _clip(self.plans, "start_date", "end_date")
        self.cin_plans = _dedupe(raw["cin_plan"], ("child_id", "start_date"), "plan_id")
        self.s47 = _dedupe(raw["s47_enquiry"], ("child_id", "start_date"), "s47_id")
        self.episodes = _dedupe(raw["cla_episode"], ("child_id", "start_date"), "episode_id")
        _clip(self.episodes, "start_date", "end_date")
        self.missing = _dedupe(
            [
                {**m, "order": m["end_date"] and m["end_date"].isoformat()}
                for m in raw["missing_episode"]
            ],
            ("child_id", "type", "start_date"),
            "order",
        )
        _clip(self.missing, "start_date", "end_date")

    # -- helpers

    @staticmethod
    def start_of(end: date) -> date:
        """S: the first day of the 12 whole months ending with E's month (E - 12 months + 1
        day, except that E = 28 February after a leap year gives 1 March, not 29 February)."""
        return add_months(date(end.year, end.month, 1), -11)

    @staticmethod
    def open_at(start: date, end: date | None, day: date) -> bool:
        return start <= day and (end is None or end > day)

    @staticmethod
    def overlaps(start: date, end: date | None, s: date, e: date) -> bool:
        return start <= e and (end is None or end >= s)

    def is_nfa(self, a: Record) -> bool:
        if a["authorisation_date"] is None:
            return False
        if a["outcome_nfa"] is not None:
            return bool(a["outcome_nfa"])
        episode = [r for r in self.referrals if r["referral_id"] == a["referral_id"]]
        if a["referral_id"] is None or not episode:
            return False
        referral = episode[0]
        siblings = [b for b in self.assessments if b["referral_id"] == a["referral_id"]]
        never = date.min
        latest = max(siblings, key=lambda b: (b["start_date"], b["authorisation_date"] or never))
        if latest is not a:
            return False
        if referral["closure_reason"] not in ("RC8", "RC9") or referral["closure_date"] is None:
            return False
        if referral["closure_date"] < a["authorisation_date"]:
            return False
        actions = self.cin_plans + self.s47 + self.plans
        return not any(
            x["referral_id"] == a["referral_id"] and x["start_date"] >= a["start_date"]
            for x in actions
        )

    # -- indicators: (numerator, denominator); the denominator is None for counts and rates

    def repeat_cpp_12m(self, e: date) -> tuple[int, int]:
        s = self.start_of(e)
        new = [p for p in self.plans if s <= p["start_date"] <= e]
        repeats = [
            p
            for p in new
            if any(
                q is not p
                and q["child_id"] == p["child_id"]
                and q["start_date"] < p["start_date"]
                and q["end_date"] is not None
                and add_months(p["start_date"], -12) <= q["end_date"] <= p["start_date"]
                for q in self.plans
            )
        ]
        return len(repeats), len(new)

    def repeat_cpp_ever(self, e: date) -> tuple[int, int]:
        s = self.start_of(e)
        new = [p for p in self.plans if s <= p["start_date"] <= e]

        def ever(p: Record) -> bool:
            if p["number_of_previous_cpp"] is not None:
                return bool(p["number_of_previous_cpp"] >= 1)
            return any(
                q["child_id"] == p["child_id"] and q["start_date"] < p["start_date"]
                for q in self.plans
            )

        return sum(ever(p) for p in new), len(new)

    def nfa_at_assessment(self, e: date) -> tuple[int, int]:
        s = self.start_of(e)
        done = [
            a
            for a in self.assessments
            if a["authorisation_date"] is not None and s <= a["authorisation_date"] <= e
        ]
        return sum(self.is_nfa(a) for a in done), len(done)

    def nfa_reassessed(self, e: date, months: int) -> tuple[int, int]:
        s = self.start_of(e)
        cohort = [
            a
            for a in self.assessments
            if self.is_nfa(a) and s <= add_months(a["authorisation_date"], months) <= e
        ]
        again = [
            a
            for a in cohort
            if any(
                b is not a
                and b["child_id"] == a["child_id"]
                and a["authorisation_date"]
                < b["start_date"]
                <= add_months(a["authorisation_date"], months)
                for b in self.assessments
            )
        ]
        return len(again), len(cohort)

    def rereferral_12m(self, e: date) -> tuple[int, int]:
        s = self.start_of(e)
        new = [r for r in self.referrals if s <= r["referral_date"] <= e]
        again = [
            r
            for r in new
            if any(
                q["child_id"] == r["child_id"]
                and add_months(r["referral_date"], -12) <= q["referral_date"] < r["referral_date"]
                for q in self.referrals
            )
        ]
        return len(again), len(new)

    def cpp_open_2yrs(self, e: date) -> tuple[int, int]:
        open_plans = [p for p in self.plans if self.open_at(p["start_date"], p["end_date"], e)]
        long = [p for p in open_plans if p["start_date"] <= add_months(e, -24)]
        return len(long), len(open_plans)

    def cpp_rate(self, e: date) -> tuple[int, None]:
        children = {
            p["child_id"] for p in self.plans if self.open_at(p["start_date"], p["end_date"], e)
        }
        return len(children), None

    def cin_rate(self, e: date) -> tuple[int, None]:
        children = {
            r["child_id"]
            for r in self.referrals
            if r["referral_nfa"] is not True
            and self.open_at(r["referral_date"], r["closure_date"], e)
        }
        return len(children), None

    def _in_care(self, ep: Record) -> bool:
        return ep["legal_status"] not in ("V3", "V4")

    def cla_rate(self, e: date) -> tuple[int, None]:
        children = {
            ep["child_id"]
            for ep in self.episodes
            if self._in_care(ep) and self.open_at(ep["start_date"], ep["end_date"], e)
        }
        return len(children), None

    def _looked_after(self, e: date) -> set[str]:
        s = self.start_of(e)
        return {
            ep["child_id"]
            for ep in self.episodes
            if self._in_care(ep) and self.overlaps(ep["start_date"], ep["end_date"], s, e)
        }

    def _episodes(self, e: date, kind: str) -> list[Record]:
        s, children = self.start_of(e), self._looked_after(e)
        return [
            m
            for m in self.missing
            if m["type"] == kind
            and m["child_id"] in children
            and self.overlaps(m["start_date"], m["end_date"], s, e)
        ]

    def cla_missing_pct(self, e: date) -> tuple[int, int]:
        return len({m["child_id"] for m in self._episodes(e, "M")}), len(self._looked_after(e))

    def cla_away_pct(self, e: date) -> tuple[int, int]:
        return len({m["child_id"] for m in self._episodes(e, "A")}), len(self._looked_after(e))

    def missing_episodes_per_child(self, e: date) -> tuple[int, int]:
        episodes = self._episodes(e, "M")
        return len(episodes), len({m["child_id"] for m in episodes})

    def missing_at_period_end(self, e: date) -> tuple[int, None]:
        children = self._looked_after(e)
        missing = {
            m["child_id"]
            for m in self.missing
            if m["type"] == "M"
            and m["child_id"] in children
            and self.open_at(m["start_date"], m["end_date"], e)
        }
        return len(missing), None

    def counts(self, indicator_id: str, e: date) -> tuple[int, int | None]:
        if indicator_id.startswith("nfa_reassessed_"):
            return self.nfa_reassessed(e, int(indicator_id.removeprefix("nfa_reassessed_")[:-1]))
        result: tuple[int, int | None] = getattr(self, indicator_id)(e)
        return result
