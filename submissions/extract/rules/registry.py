"""The rules registry and engine: one rule = one small vectorised function, grouped by year.

A rule is registered with :meth:`RuleRegistry.rule`, which records its DfE code (or ours), its
severity, the message shown to the user, the canonical fields and tables it looks at, the
collection year from which it applies, for rules of one return (CIN census or SSDA903) the
formats of that return, and the canonical fields it cannot be checked without (``needs``).
The function takes a :class:`RuleContext` and returns a boolean mask of offending rows: one
``pd.Series`` for the rule's first table, or a mapping ``{"table": mask}`` /
``{"table.field": mask}`` when it flags several tables (the ``.field`` form says which field
to point the user at; otherwise the rule's first field that the table has).

Collection years follow the DfE validators' design (``data-to-insight/csc-validator-be-903``
and ``csc-validator-be-cin``):
each year starts from the previous year's rule set, then adds, replaces (same code registered
again with ``year=``) or removes (:meth:`RuleRegistry.remove`) rules.

Fitting the rules to the formats: each format carries only some canonical fields
(``canonical.FORMAT_FIELDS``; the DfE API payload has no primary need, for one). A rule whose
``needs`` no format sent carries is not run: it would flag every row for a value the user
could not have sent. :meth:`RuleRegistry.not_applicable` lists those rules with the reason,
for the report. ``needs`` is explicit, not derived from ``fields``: ``fields`` also names what
a rule merely points the user at or reads when present (a rule about closures that only looks
at the assessment outcome when known still applies without it). It is set on every rule that
tests a value some format leaves blank, or links records by a key a format lacks.
Hand-built extracts (tests, no formats) run every rule, as before.

The engine (:meth:`RuleRegistry.run`) runs every rule of the year on one shared
:class:`RuleContext`, so expensive preparation (sorted frames, child and referral look-ups) is
done once per extract. A rule that raises becomes a ``RULE_FAILED:<code>`` error finding and is
logged; the other rules still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from submissions.extract.canonical import (
    FORMAT_LABELS,
    TABLES,
    Extract,
    Finding,
    Format,
    Severity,
    carried,
)

__all__ = [
    "CIN_RETURN",
    "CLA_RETURN",
    "FIELD_NAMES",
    "RULES",
    "YEARS",
    "NotApplicable",
    "Rule",
    "RuleContext",
    "RuleRegistry",
    "collection_year",
    "resolve_year",
]

logger = logging.getLogger(__name__)

#: Collection years with a rule set, oldest first. Collection year 2024_25 runs from
#: 1 April 2024 to 31 March 2025.
YEARS: tuple[str, ...] = ("2023_24", "2024_25", "2025_26")

#: Formats that carry the DfE CIN census data items (the API payload is built from them).
CIN_RETURN = frozenset({Format.CIN_XML, Format.DFE_API_JSON})
#: Formats of the SSDA903 (children looked after) return.
CLA_RETURN = frozenset({Format.SSDA903_CSV, Format.SSDA903_XML})

RuleResult = pd.Series | Mapping[str, pd.Series]
RuleFunc = Callable[["RuleContext"], RuleResult]
F = TypeVar("F", bound=RuleFunc)
T = TypeVar("T")

FAILED_MESSAGE = (
    "Rule {code} could not be checked: {error}. This is a fault in the service, not in your "
    "data; it has been logged."
)


#: What users call the canonical fields a rule may need (default: the column name in words).
FIELD_NAMES = {
    "referral.primary_need": "primary need code",
    "assessment.outcome_nfa": "assessment outcome",
    "assessment.referral_id": "the CIN episode of each assessment",
    "assessment.factors": "assessment factors",
    "s47_enquiry.referral_id": "the CIN episode of each section 47 enquiry",
    "s47_enquiry.end_date": "section 47 enquiry end date",
    "cp_plan.referral_id": "the CIN episode of each child protection plan",
    "cp_plan.initial_category": "initial category of abuse",
    "cp_plan.latest_category": "latest category of abuse",
    "cp_plan.number_of_previous_cpp": "number of previous child protection plans",
    "cla_episode.legal_status": "legal status",
    "cla_episode.start_reason": "reason for new episode (RNE)",
    "cla_episode.start_date": "the start date of each placement (episode)",
    "child.uasc": "UASC status",
    "child.disability": "disability",
}


def field_name(qualified: str) -> str:
    """``referral.primary_need`` -> ``primary need code``."""
    return FIELD_NAMES.get(qualified, qualified.partition(".")[2].replace("_", " "))


@dataclass(frozen=True)
class NotApplicable:
    """A rule that was not run because the formats sent do not carry a field it needs."""

    code: str
    message: str
    #: The needed ``table.field`` names none of the formats sent carries.
    missing: tuple[str, ...]
    #: Why, in words: "Needs primary need code (referral.primary_need), which DfE API JSON
    #: does not carry."
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "missing": list(self.missing),
            "reason": self.reason,
        }


def _reason(missing: Iterable[str], formats: Iterable[Format]) -> str:
    needed = [f"{field_name(f)} ({f})" for f in missing]
    labels = [FORMAT_LABELS[f] for f in dict.fromkeys(formats)]
    fields = needed[0] if len(needed) == 1 else ", ".join(needed[:-1]) + " and " + needed[-1]
    sent = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    verb = "does" if len(labels) == 1 else "do"
    return f"Needs {fields}, which {sent} {verb} not carry."


def collection_year(day: date) -> str:
    """The DfE collection year containing ``day``: 2024-04-01 … 2025-03-31 -> "2024_25"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}_{(start + 1) % 100:02d}"


def resolve_year(as_of: date | None, years: tuple[str, ...] = YEARS) -> str:
    """The rule set to use for an extract dated ``as_of``: its collection year when we have
    one; the latest for later (or unknown) dates, since rules rarely loosen; the earliest for
    older extracts."""
    if as_of is None:
        return years[-1]
    year = collection_year(as_of)
    if year in years:
        return year
    # "YYYY_YY" strings sort chronologically.
    return years[-1] if year > years[-1] else years[0]


@dataclass(frozen=True)
class Rule:
    """One validation rule as registered for a collection year."""

    code: str
    severity: Severity
    message: str
    fields: tuple[str, ...]
    tables: tuple[str, ...]
    func: RuleFunc
    #: The rule runs only when the extract has one of these formats (None: any format).
    formats: frozenset[Format] | None = None
    #: Canonical ``table.field`` names the rule cannot be checked without: when no format
    #: sent carries one of them the rule is not applicable (see the module docstring).
    needs: tuple[str, ...] = ()

    def missing_needs(self, formats: Iterable[Format]) -> tuple[str, ...]:
        """The needed fields none of ``formats`` carries (none for a hand-built extract)."""
        present = list(formats)
        if not present:
            return ()
        have = carried(present)
        return tuple(f for f in self.needs if f not in have)

    def applies_to(self, formats: Iterable[Format]) -> bool:
        present = set(formats)
        # Hand-built extracts (tests, the API before detection) have no formats: run everything.
        return self.formats is None or not present or bool(self.formats & present)

    def field_for(self, table: str) -> str:
        """The field to point the user at in ``table``: the first of ours it has."""
        columns = TABLES[table]
        return next((f for f in self.fields if f in columns), self.fields[0])


@dataclass
class _YearChanges:
    added: dict[str, Rule] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)


class RuleRegistry:
    """Rules per collection year, each year inheriting the previous year's set."""

    def __init__(self, years: tuple[str, ...] = YEARS) -> None:
        self.years = years
        self._changes = {year: _YearChanges() for year in years}

    def rule(
        self,
        code: str,
        *,
        severity: Severity,
        message: str,
        fields: tuple[str, ...],
        tables: tuple[str, ...],
        year: str | None = None,
        formats: frozenset[Format] | None = None,
        needs: tuple[str, ...] = (),
    ) -> Callable[[F], F]:
        """Register the decorated function as rule ``code`` from ``year`` (default: the
        first year) onwards. Registering a code again for a later year replaces it from then
        on. Returns the function unchanged, so decorators can be stacked.

        ``needs`` lists the ``table.field`` names without which the rule cannot be checked."""
        year = year or self.years[0]
        self._check_year(year)
        for table in tables:
            if table not in TABLES:
                raise ValueError(f"rule {code}: unknown table {table!r}")
        known = {col for table in tables for col in TABLES[table]}
        if not fields or any(f not in known for f in fields):
            raise ValueError(f"rule {code}: fields {fields} must be columns of {tables}")
        for need in needs:
            table, _, column = need.partition(".")
            if column not in TABLES.get(table, {}):
                raise ValueError(f"rule {code}: needs {need!r} is not a canonical table.field")

        def register(func: F) -> F:
            changes = self._changes[year]
            if code in changes.added:
                raise ValueError(f"rule {code} registered twice for {year}")
            changes.added[code] = Rule(
                code, severity, message, fields, tables, func, formats, needs
            )
            return func

        return register

    def remove(self, code: str, *, year: str) -> None:
        """Drop rule ``code`` from ``year`` onwards (the DfE deleted it)."""
        self._check_year(year)
        self._changes[year].removed.add(code)

    def rules_for(self, year: str) -> dict[str, Rule]:
        """The rule set of ``year``: the previous year's, minus removals, plus additions."""
        self._check_year(year)
        rules: dict[str, Rule] = {}
        for y in self.years[: self.years.index(year) + 1]:
            changes = self._changes[y]
            for code in changes.removed:
                rules.pop(code, None)
            rules.update(changes.added)
        return rules

    def run(
        self,
        extract: Extract,
        year: str | None = None,
        *,
        today: date | None = None,
        only: Collection[str] | None = None,
    ) -> list[Finding]:
        """Run the year's rules (or just the codes in ``only``) on ``extract``; the year
        comes from ``extract.as_of`` when None.

        Findings that a reader already reported for the same code and row are left out, so a
        check done by both is reported once."""
        year = year or resolve_year(extract.as_of, self.years)
        ctx = RuleContext(extract, year, today=today)
        already = {(f.code, f.file, f.location) for f in extract.findings}
        findings: list[Finding] = []
        for rule in self.rules_for(year).values():
            if not _should_run(rule, ctx, only) or rule.missing_needs(extract.formats):
                continue
            try:
                found = _findings(rule, rule.func(ctx), ctx)
            except Exception as exc:
                logger.exception("validation rule %s failed", rule.code)
                findings.append(
                    Finding(
                        code=f"RULE_FAILED:{rule.code}",
                        severity=Severity.ERROR,
                        message=FAILED_MESSAGE.format(code=rule.code, error=type(exc).__name__),
                    )
                )
                continue
            findings.extend(f for f in found if (f.code, f.file, f.location) not in already)
        return findings

    def not_applicable(
        self,
        extract: Extract,
        year: str | None = None,
        *,
        only: Collection[str] | None = None,
    ) -> list[NotApplicable]:
        """The rules :meth:`run` leaves out because the formats sent do not carry a field
        they need, in registry order, each with the reason. Rules that would not run anyway
        (another return's rules, tables with no rows) are not listed: they do not concern
        this extract, and neither do rules about a table no format sent has at all (a CIN
        census has no looked-after episodes to check)."""
        year = year or resolve_year(extract.as_of, self.years)
        ctx = RuleContext(extract, year)
        sent_tables = {name.partition(".")[0] for name in carried(extract.formats)}
        skipped: list[NotApplicable] = []
        for rule in self.rules_for(year).values():
            missing = rule.missing_needs(extract.formats)
            if any(need.partition(".")[0] not in sent_tables for need in missing):
                continue
            if missing and _should_run(rule, ctx, only):
                reason = _reason(missing, extract.formats)
                skipped.append(NotApplicable(rule.code, rule.message, missing, reason))
        return skipped

    def _check_year(self, year: str) -> None:
        if year not in self._changes:
            raise ValueError(f"unknown collection year {year!r} (known: {self.years})")


def _should_run(rule: Rule, ctx: RuleContext, only: Collection[str] | None) -> bool:
    """Whether ``rule`` runs on this extract: selected, for one of its formats, and with rows
    to look at (a rule only flags rows of its own tables, so a CIN census skips 903 rules)."""
    return (
        (only is None or rule.code in only)
        and rule.applies_to(ctx.extract.formats)
        and not all(ctx.table(table).empty for table in rule.tables)
    )


#: The service's rules; ``structure``, ``cin`` and ``ssda903`` register into it on import.
RULES = RuleRegistry()


def _findings(rule: Rule, result: RuleResult, ctx: RuleContext) -> list[Finding]:
    """Turn a rule's masks into located findings (only flagged rows are touched in Python)."""
    masks = {rule.tables[0]: result} if isinstance(result, pd.Series) else result
    findings: list[Finding] = []
    for key, mask in masks.items():
        table, _, field_name = key.partition(".")
        if table not in rule.tables:
            raise ValueError(f"rule {rule.code} returned a mask for undeclared table {table}")
        df = ctx.table(table)
        if not mask.index.equals(df.index):
            mask = mask.reindex(df.index)
        flagged = df.loc[
            mask.to_numpy(dtype=bool, na_value=False), ["_file", "_location", "child_id"]
        ]
        if flagged.empty:
            continue
        field_name = field_name or rule.field_for(table)
        columns = [flagged[c].astype("string").fillna("").tolist() for c in flagged.columns]
        findings.extend(
            Finding(rule.code, rule.severity, rule.message, file, location, child, field_name)
            for file, location, child in zip(*columns, strict=True)
        )
    return findings


class RuleContext:
    """What every rule sees: the extract, its period, and look-ups shared between rules.

    The period is [C0, C1] of ``docs/indicators.md``: ``period_end`` is the extract's
    as-of date (today when unknown: nothing can have happened later), ``period_start`` its
    coverage start (None when unknown; rules that need it then check nothing). For a CIN
    census this is the census year, 1 April to the ReferenceDate, as in the DfE rules.
    """

    def __init__(self, extract: Extract, year: str, *, today: date | None = None) -> None:
        self.extract = extract
        self.year = year
        self.period_end = pd.Timestamp(extract.as_of or today or date.today())
        self.period_start = pd.Timestamp(extract.coverage_start) if extract.coverage_start else None
        self._cache: dict[Hashable, Any] = {}

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per extract; rules share the result under ``key``."""
        if key not in self._cache:
            self._cache[key] = compute()
        value: T = self._cache[key]
        return value

    def table(self, name: str) -> pd.DataFrame:
        """The canonical table, with a unique index (masks are aligned on it)."""

        def load() -> pd.DataFrame:
            df = self.extract.tables[name]
            return df if df.index.is_unique else df.reset_index(drop=True)

        return self.memo(("table", name), load)

    def child_value(self, table: str, column: str) -> pd.Series:
        """``child.<column>`` for each row of ``table`` (by child_id; NA when unknown)."""

        def lookup() -> pd.Series:
            children = self.table("child")
            values = children[column][children["child_id"].notna()]
            values.index = children["child_id"].dropna()
            # A child listed twice is itself a finding (8510/INT32); use the first row.
            values = values[~values.index.duplicated()]
            return values

        by_child = self.memo(("child_by_id", column), lookup)
        rows = self.table(table)["child_id"]
        return pd.Series(by_child.reindex(rows).to_numpy(), index=rows.index)

    def referral_value(self, table: str, column: str) -> pd.Series:
        """``referral.<column>`` of each row's referral (CIN episode), by referral_id."""

        def lookup() -> pd.Series:
            refs = self.table("referral")
            values = refs[column][refs["referral_id"].notna()]
            values.index = refs["referral_id"].dropna()
            return values[~values.index.duplicated()]

        by_referral = self.memo(("referral_by_id", column), lookup)
        rows = self.table(table)["referral_id"]
        return pd.Series(by_referral.reindex(rows).to_numpy(), index=rows.index)

    def outside_period(self, dates: pd.Series) -> pd.Series:
        """Present dates after the period end or (when known) before its start."""
        outside = dates > self.period_end
        if self.period_start is not None:
            outside |= dates < self.period_start
        return outside

    def mask(self, table: str, rows: pd.Index | pd.Series | np.ndarray) -> pd.Series:
        """A boolean mask of ``table`` that is True at the given index labels."""
        index = self.table(table).index
        return pd.Series(index.isin(rows), index=index)
