"""Validation rules for canonical extracts.

``run_rules(extract)`` checks an :class:`~submissions.extract.canonical.Extract` against the rule
set of its collection year and returns the findings (errors and queries), each located by file,
row, child and field. The rules live in ``structure`` (single-record checks), ``cin`` (CIN
census rules) and ``ssda903`` (SSDA903 rules); ``registry`` holds the year-by-year registry
and the engine.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from submissions.extract.canonical import Extract, Finding
from submissions.extract.rules import cin, ssda903, structure
from submissions.extract.rules.registry import (
    RULES,
    YEARS,
    NotApplicable,
    Rule,
    RuleContext,
    resolve_year,
)

__all__ = [
    "RULES",
    "YEARS",
    "NotApplicable",
    "Rule",
    "RuleContext",
    "not_applicable",
    "resolve_year",
    "run_rules",
]

# Imported for their side effect: each module registers its rules into RULES.
_RULE_MODULES = (structure, cin, ssda903)


def run_rules(
    extract: Extract,
    year: str | None = None,
    *,
    today: date | None = None,
    only: Collection[str] | None = None,
) -> list[Finding]:
    """Validate ``extract`` with the rules of collection ``year`` ("2024_25"; by default the
    collection year of ``extract.as_of``, or the latest year for later or unknown dates).
    ``today`` stands in for the as-of date when the extract has none; ``only`` limits the
    run to some rule codes."""
    return RULES.run(extract, year, today=today, only=only)


def not_applicable(
    extract: Extract, year: str | None = None, *, only: Collection[str] | None = None
) -> list[NotApplicable]:
    """The rules ``run_rules`` leaves out because the formats sent do not carry a field they
    need, each with the reason (for the report)."""
    return RULES.not_applicable(extract, year, only=only)
