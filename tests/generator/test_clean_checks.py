"""A clean generated extract passes the checks in every format (issue 13): no errors, and the
rules a format cannot meet are listed as not applicable rather than reported as errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from submissions.extract.check import CheckResult, check_files
from submissions.synthetic.model import SIZES, generate
from submissions.synthetic.writers import write_extract
from tests.generator.conftest import END, LA, START

#: The CIN census and the API payload say when they were taken; the SSDA903 files and the
#: Annex A workbook do not, so (as the portal does from the submission) the extract date is
#: given.
AS_OF = {"cin": None, "api": None, "903": END, "903xml": END, "annexa": END}
#: Rules the API payload cannot meet: it has no primary need, category of abuse,
#: previous-plan count or legal status.
API_NOT_APPLICABLE = {"8610", "8650", "8730", "8905", "8910", "144", "359", "408"}


@pytest.fixture(scope="module")
def clean_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    extract = generate(LA, START, END, children=SIZES["small"], seed=1, clean=True)
    return write_extract(extract, tmp_path_factory.mktemp("clean"))


def _check(clean_files: dict[str, list[Path]], name: str) -> CheckResult:
    paths = clean_files[name]
    if name == "cin":
        paths = paths[-1:]  # one census year per file; the latest
    return check_files([(p.name, p) for p in paths], as_of=AS_OF[name])


@pytest.mark.parametrize("name", list(AS_OF))
def test_a_clean_extract_has_no_errors_in_any_format(
    clean_files: dict[str, list[Path]], name: str
) -> None:
    result = _check(clean_files, name)

    errors = [f for f in result.findings if f.severity == "error"]
    assert result.errors == 0, {f.code for f in errors}


def test_the_api_payload_lists_the_rules_it_cannot_meet(
    clean_files: dict[str, list[Path]],
) -> None:
    api, cin = _check(clean_files, "api"), _check(clean_files, "cin")

    assert {rule.code for rule in api.not_applicable} >= API_NOT_APPLICABLE
    assert not {rule.code for rule in cin.not_applicable} & API_NOT_APPLICABLE
    by_code = {rule.code: rule for rule in api.not_applicable}
    assert by_code["8610"].reason == (
        "Needs primary need code (referral.primary_need), which DfE API JSON does not carry."
    )


def test_annex_a_does_not_apply_the_episode_rules(clean_files: dict[str, list[Path]]) -> None:
    """Rule 357 (a first episode starts with RNE S) failed on every clean Annex A: List 8 has
    one row per period of care and no reason for new episode."""
    codes = {rule.code for rule in _check(clean_files, "annexa").not_applicable}

    assert {"357", "217", "371"} <= codes


def test_check_extract_json_lists_the_rules_not_applicable(
    clean_files: dict[str, list[Path]],
) -> None:
    out = io.StringIO()
    call_command("check_extract", "--json", *map(str, clean_files["api"]), stdout=out)
    document: dict[str, Any] = json.loads(out.getvalue())

    by_code = {rule["code"]: rule for rule in document["not_applicable"]}
    assert by_code["8610"]["missing"] == ["referral.primary_need"]
    assert by_code["8610"]["message"].startswith("Primary Need code is missing")
    assert "DfE API JSON does not carry" in by_code["8610"]["reason"]

    text = io.StringIO()
    call_command("check_extract", *map(str, clean_files["api"]), stdout=text)
    assert "NOT APPLIED:" in text.getvalue()
    assert "  8610  Needs primary need code" in text.getvalue()
