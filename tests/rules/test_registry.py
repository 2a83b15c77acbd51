"""The registry: year inheritance, replacing and removing rules, failures, formats, findings."""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd
import pytest

from submissions.extract.canonical import Finding, Format, Severity
from submissions.extract.rules import RULES, YEARS, resolve_year, run_rules
from submissions.extract.rules.registry import RuleContext, RuleRegistry, collection_year
from tests.rules.conftest import child, flagged, make_extract, referral


def _sex_u(ctx: RuleContext) -> pd.Series:
    return ctx.table("child")["sex"].eq("U")


def _always_fails(ctx: RuleContext) -> pd.Series:
    raise KeyError("no such column")


def _registry() -> RuleRegistry:
    registry = RuleRegistry(("2023_24", "2024_25", "2025_26"))
    registry.rule(
        "X1", severity=Severity.ERROR, message="old wording", fields=("sex",), tables=("child",)
    )(_sex_u)
    return registry


def test_a_year_inherits_the_previous_years_rules() -> None:
    registry = _registry()
    registry.rule(
        "X2",
        severity=Severity.QUERY,
        message="new in 24/25",
        fields=("sex",),
        tables=("child",),
        year="2024_25",
    )(_sex_u)

    assert list(registry.rules_for("2023_24")) == ["X1"]
    assert list(registry.rules_for("2024_25")) == ["X1", "X2"]
    assert list(registry.rules_for("2025_26")) == ["X1", "X2"]


def test_registering_a_code_again_replaces_it_from_that_year() -> None:
    registry = _registry()
    registry.rule(
        "X1",
        severity=Severity.ERROR,
        message="new wording",
        fields=("sex",),
        tables=("child",),
        year="2024_25",
    )(_sex_u)

    assert registry.rules_for("2023_24")["X1"].message == "old wording"
    assert registry.rules_for("2024_25")["X1"].message == "new wording"
    assert registry.rules_for("2025_26")["X1"].message == "new wording"


def test_a_removed_rule_is_gone_from_that_year_on() -> None:
    registry = _registry()
    registry.remove("X1", year="2024_25")

    assert "X1" in registry.rules_for("2023_24")
    assert registry.rules_for("2024_25") == {}
    assert registry.rules_for("2025_26") == {}


def test_a_rule_removed_then_added_back_returns() -> None:
    registry = _registry()
    registry.remove("X1", year="2024_25")
    registry.rule(
        "X1",
        severity=Severity.ERROR,
        message="back",
        fields=("sex",),
        tables=("child",),
        year="2025_26",
    )(_sex_u)

    assert registry.rules_for("2025_26")["X1"].message == "back"


def test_mistakes_in_a_registration_are_caught_at_import() -> None:
    registry = _registry()
    with pytest.raises(ValueError, match="registered twice"):
        registry.rule(
            "X1", severity=Severity.ERROR, message="m", fields=("sex",), tables=("child",)
        )(_sex_u)
    with pytest.raises(ValueError, match="unknown table"):
        registry.rule(
            "X9", severity=Severity.ERROR, message="m", fields=("sex",), tables=("children",)
        )
    with pytest.raises(ValueError, match="must be columns"):
        registry.rule(
            "X9", severity=Severity.ERROR, message="m", fields=("gender",), tables=("child",)
        )
    with pytest.raises(ValueError, match="unknown collection year"):
        registry.remove("X1", year="2030_31")


def test_a_rule_that_raises_is_reported_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = _registry()
    registry.rule("BOOM", severity=Severity.QUERY, message="m", fields=("sex",), tables=("child",))(
        _always_fails
    )
    registry.rule(
        "X3", severity=Severity.ERROR, message="after", fields=("sex",), tables=("child",)
    )(_sex_u)
    extract = make_extract(child=[child(sex="U")])

    with caplog.at_level(logging.ERROR, logger="submissions.extract.rules.registry"):
        findings = registry.run(extract, "2024_25")

    assert [f.code for f in findings] == ["X1", "RULE_FAILED:BOOM", "X3"]
    failed = findings[1]
    assert failed.severity is Severity.ERROR
    assert failed.message == (
        "Rule BOOM could not be checked: KeyError. This is a fault in the service, not in your "
        "data; it has been logged."
    )
    assert "validation rule BOOM failed" in caplog.text


def test_a_mask_for_an_undeclared_table_is_a_failed_rule() -> None:
    registry = RuleRegistry()
    registry.rule("BAD", severity=Severity.ERROR, message="m", fields=("sex",), tables=("child",))(
        lambda ctx: {"referral": pd.Series([True])}
    )
    findings = registry.run(make_extract(child=[child()]))
    assert [f.code for f in findings] == ["RULE_FAILED:BAD"]


def test_findings_are_located_by_file_row_child_and_field() -> None:
    extract = make_extract(
        child=[child()], referral=[referral(), referral("R2", primary_need="N99")]
    )
    (finding,) = [f for f in run_rules(extract) if f.code == "8650"]
    assert finding == Finding(
        code="8650",
        severity=Severity.ERROR,
        message="Primary Need Code invalid (see Primary Need table in CIN census code set)",
        file="referral.csv",
        location="referral[1]",
        child_id="C1",
        field="primary_need",
    )


def test_multi_table_rules_name_the_field_per_table() -> None:
    extract = make_extract(
        referral=[referral(), referral("R2", child_id="C2")],
        cp_plan=[
            {"plan_id": "P1", "referral_id": "R1", "child_id": "C1", "start_date": "2024-05-01"},
            {"plan_id": "P2", "referral_id": "R1", "child_id": "C1", "start_date": "2024-05-01"},
        ],
    )
    found = [(f.location, f.field) for f in run_rules(extract) if f.code == "DUPLICATE_RECORD"]
    assert found == [("cp_plan[1]", "start_date")]


def test_rules_scoped_to_formats_run_only_for_those_formats() -> None:
    rows = {"referral": [referral(referral_nfa=None)]}
    assert flagged(make_extract(rows), "8568") == ["referral[0]"]  # no formats: all rules
    assert flagged(make_extract(rows, formats=(Format.CIN_XML,)), "8568") == ["referral[0]"]
    assert flagged(make_extract(rows, formats=(Format.ANNEX_A,)), "8568") == []


def test_a_finding_the_reader_already_made_is_not_repeated() -> None:
    extract = make_extract(referral=[referral(primary_need="X")])
    extract.findings.append(
        Finding("8650", Severity.ERROR, "reader said so", "referral.csv", "referral[0]")
    )
    assert [f.code for f in run_rules(extract) if f.code == "8650"] == []


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2024, 4, 1), "2024_25"),
        (date(2025, 3, 31), "2024_25"),
        (date(2025, 4, 1), "2025_26"),
        (date(1999, 12, 31), "1999_00"),
    ],
)
def test_collection_year(day: date, year: str) -> None:
    assert collection_year(day) == year


def test_the_year_comes_from_the_as_of_date() -> None:
    assert resolve_year(date(2024, 3, 31)) == "2023_24"
    assert resolve_year(date(2024, 4, 1)) == "2024_25"
    assert resolve_year(date(2031, 1, 1)) == YEARS[-1]  # after the last defined year
    assert resolve_year(date(2019, 1, 1)) == YEARS[0]
    assert resolve_year(None) == YEARS[-1]


def test_run_rules_uses_the_extracts_collection_year() -> None:
    # 8945Q (factor 18A) is new in 2024/25.
    rows = {"assessment": [{"assessment_id": "A1", "child_id": "C1", "factors": "18A"}]}
    before = make_extract(rows, as_of=date(2024, 3, 31), coverage_start=date(2023, 4, 1))
    after = make_extract(rows, as_of=date(2024, 6, 30))
    assert "8945Q" not in {f.code for f in run_rules(before)}
    assert "8945Q" in {f.code for f in run_rules(after)}
    assert "8945Q" not in {f.code for f in run_rules(after, "2023_24")}


def test_the_service_rule_sets() -> None:
    """Every registered rule is well formed: Q codes are queries, messages are set."""
    for year in YEARS:
        for code, rule in RULES.rules_for(year).items():
            assert rule.message.strip(), code
            if code.endswith("Q"):
                assert rule.severity is Severity.QUERY, code
    # DfE changes between years that the registry carries.
    assert RULES.rules_for("2023_24")["101"].message == "Gender code is not valid."
    assert "sex" in RULES.rules_for("2024_25")["101"].message
    assert "445" in RULES.rules_for("2023_24")
    assert "445" not in RULES.rules_for("2024_25")
    assert "1570" not in RULES.rules_for("2023_24")
    assert "1570" in RULES.rules_for("2025_26")


def test_an_empty_extract_has_no_findings() -> None:
    assert run_rules(make_extract()) == []
