"""Rules that fit the formats: a rule that needs a field no format sent carries is not run,
and is listed as not applicable with the reason (``Rule.needs``, ``FORMAT_FIELDS``)."""

from __future__ import annotations

import pandas as pd
import pytest

from submissions.extract.canonical import FORMAT_FIELDS, Extract, Format, carried
from submissions.extract.check import validate
from submissions.extract.rules import RULES
from submissions.extract.rules.registry import RuleContext, RuleRegistry
from tests.rules.conftest import make_extract, referral


def _need_missing(ctx: RuleContext) -> pd.Series:
    return ctx.table("referral")["primary_need"].isna()


def _registry() -> RuleRegistry:
    registry = RuleRegistry(("2024_25",))
    registry.rule(
        "NEED",
        severity=RULES.rules_for("2024_25")["8610"].severity,
        message="Primary need is missing.",
        fields=("primary_need",),
        tables=("referral",),
        needs=("referral.primary_need",),
    )(_need_missing)
    return registry


def _extract(*formats: Format) -> Extract:
    return make_extract(referral=[referral(primary_need=None)], formats=formats)


def test_a_rule_is_skipped_and_listed_when_no_format_sent_carries_what_it_needs() -> None:
    registry, extract = _registry(), _extract(Format.DFE_API_JSON)

    assert registry.run(extract) == []
    [skipped] = registry.not_applicable(extract)
    assert (skipped.code, skipped.missing) == ("NEED", ("referral.primary_need",))
    assert skipped.reason == (
        "Needs primary need code (referral.primary_need), which DfE API JSON does not carry."
    )


@pytest.mark.parametrize(
    "formats",
    [(Format.CIN_XML,), (Format.DFE_API_JSON, Format.CIN_XML), ()],
    ids=["cin", "api-and-cin", "hand-built"],
)
def test_the_rule_runs_when_a_format_sent_carries_the_field(formats: tuple[Format, ...]) -> None:
    registry, extract = _registry(), _extract(*formats)

    assert [f.code for f in registry.run(extract)] == ["NEED"]
    assert registry.not_applicable(extract) == []


def test_a_rule_with_no_rows_to_look_at_is_not_listed() -> None:
    registry = _registry()
    extract = make_extract(formats=(Format.DFE_API_JSON,))

    assert registry.not_applicable(extract) == []


def test_the_reason_names_every_missing_field_and_format() -> None:
    registry = RuleRegistry(("2024_25",))
    registry.rule(
        "TWO",
        severity=RULES.rules_for("2024_25")["8610"].severity,
        message="m",
        fields=("factors",),
        tables=("assessment",),
        needs=("assessment.factors", "assessment.referral_id"),
    )(lambda ctx: ctx.table("assessment")["factors"].isna())
    extract = make_extract(
        assessment=[{"assessment_id": "A1", "child_id": "C1"}], formats=(Format.ANNEX_A,)
    )

    [skipped] = registry.not_applicable(extract)
    assert skipped.reason == (
        "Needs assessment factors (assessment.factors) and the CIN episode of each assessment "
        "(assessment.referral_id), which Ofsted Annex A does not carry."
    )


def test_a_need_that_is_not_a_canonical_field_is_caught_at_registration() -> None:
    with pytest.raises(ValueError, match=r"not a canonical table\.field"):
        RuleRegistry(("2024_25",)).rule(
            "X", severity=RULES.rules_for("2024_25")["8610"].severity, message="m",
            fields=("primary_need",), tables=("referral",), needs=("referral.need",),
        )(_need_missing)  # fmt: skip


def test_every_service_rules_needs_are_canonical_and_some_format_carries_them() -> None:
    everything = carried(FORMAT_FIELDS)
    for year in RULES.years:
        for rule in RULES.rules_for(year).values():
            assert set(rule.needs) <= everything, rule.code


def test_validate_reports_the_service_rules_the_api_payload_cannot_meet() -> None:
    extract = make_extract(referral=[referral(primary_need=None)], formats=(Format.DFE_API_JSON,))

    result = validate(extract)

    assert "8610" not in {f.code for f in result.findings}
    assert "8610" in {rule.code for rule in result.not_applicable}
    cin = validate(make_extract(referral=[referral(primary_need=None)], formats=(Format.CIN_XML,)))
    assert "8610" in {f.code for f in cin.findings}
    assert cin.not_applicable == []


def test_a_rule_about_a_table_no_format_sent_has_is_not_listed() -> None:
    """A CIN census has no looked-after episodes: the 903 rules do not concern it."""
    extract = make_extract(child=[{"child_id": "C1"}], formats=(Format.CIN_XML,))

    assert "359" not in {rule.code for rule in RULES.not_applicable(extract)}
