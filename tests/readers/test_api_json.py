"""DfE CSC API JSON reader: the spec's sample, shapes, streaming, wrong types, deletions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from submissions.extract.canonical import TABLES, Format, Severity
from submissions.extract.readers import api_json
from tests.readers.factories import DATA, write

SAMPLE = DATA / "sample_payload_record0_spec_maximal.json"


def record(child_id: str = "C1", **episode: Any) -> dict[str, Any]:
    return {
        "la_child_id": child_id,
        "child_details": {"date_of_birth": "2015-03-27", "sex": "F", "disabilities": ["NONE"]},
        "social_care_episodes": [{"social_care_episode_id": f"{child_id}-E1",
                                  "referral_date": "2023-06-01", **episode}],
    }  # fmt: skip


def test_spec_sample_maps_to_the_right_rows() -> None:
    result = api_json.read(SAMPLE, "payload.json")
    t = result.tables

    assert result.format is Format.DFE_API_JSON
    assert result.findings == []
    for name, frame in t.items():
        assert list(frame.columns) == [*TABLES[name], "_file", "_location"]
    child = t["child"].iloc[0]
    assert (child["child_id"], child["sex"], child["ethnicity"]) == ("Child0034", "M", "WBRI")
    assert child["date_of_birth"] == pd.Timestamp("2007-06-14")
    assert (bool(child["disability"]), bool(child["uasc"])) == (True, True)
    assert child["_location"] == "/"

    referral = t["referral"].iloc[0]
    assert referral[["referral_id", "source", "closure_reason"]].tolist() == [
        "ABC123456",
        "1C",
        "RC7",
    ]
    assert (referral["referral_nfa"], referral["closure_date"]) == (
        False,
        pd.Timestamp("2023-09-01"),
    )
    assert pd.isna(referral["primary_need"])  # not in the payload
    assert referral["_location"] == "/social_care_episodes/0"

    assessment = t["assessment"].iloc[0]
    assert (assessment["referral_id"], assessment["factors"]) == ("ABC123456", "1C,4A")
    assert assessment["authorisation_date"] == pd.Timestamp("2022-06-14")
    assert t["cin_plan"]["end_date"].tolist() == [pd.Timestamp("2023-06-14")]
    s47 = t["s47_enquiry"].iloc[0]
    assert (bool(s47["icpc_required"]), s47["icpc_date"], s47["end_date"]) == (
        True,
        pd.Timestamp("2022-06-14"),
        pd.Timestamp("2022-09-01"),
    )
    cpp = t["cp_plan"].iloc[0]
    assert cpp["start_date"] == pd.Timestamp("2022-09-01")
    assert cpp[["initial_category", "latest_category", "number_of_previous_cpp"]].isna().all()
    cla = t["cla_episode"].iloc[0]
    assert cla[["start_reason", "placement_type", "end_reason"]].tolist() == ["S", "K1", "E3"]
    assert pd.isna(cla["legal_status"])
    assert cla["_location"] == "/social_care_episodes/0/child_looked_after_placements/0"


def test_array_is_streamed_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_json, "_CHUNK", 7)  # every record straddles several reads
    records = [record(f"C{i}", closure_reason="RC8") for i in range(25)]
    path = write(tmp_path, "p.json", json.dumps(records, indent=2))

    result = api_json.read(path, "p.json")

    assert result.findings == []
    assert result.tables["child"]["child_id"].tolist() == [f"C{i}" for i in range(25)]
    assert result.tables["referral"]["_location"].iloc[24] == "/24/social_care_episodes/0"


def test_wrapper_with_la_code_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", json.dumps({"la_code": 201, "Children": [record()]}))
    result = api_json.read(path, "p.json")

    assert result.la_code == "201"
    assert result.tables["referral"]["_location"].tolist() == ["/Children/0/social_care_episodes/0"]


def test_wrong_types_are_findings_never_crashes(tmp_path: Path) -> None:
    records: list[Any] = [
        record("C1", referral_no_further_action_flag="yes", closure_date=20240101),
        {"la_child_id": 7, "child_details": "oops", "social_care_episodes": {"not": "a list"}},
        "not a record",
        {"child_details": {}, "social_care_episodes": [{"referral_date": "2023-01-01"}]},
    ]
    result = api_json.read(write(tmp_path, "p.json", json.dumps(records)), "p.json")
    found = {(f.code, f.location, f.field) for f in result.findings}

    assert found == {
        ("JSON_TYPE", "/0/social_care_episodes/0", "referral_no_further_action_flag"),
        ("JSON_TYPE", "/0/social_care_episodes/0", "closure_date"),
        ("JSON_TYPE", "/1", "la_child_id"),
        ("JSON_TYPE", "/1", "child_details"),
        ("JSON_TYPE", "/1", "social_care_episodes"),
        ("JSON_TYPE", "/2", "child record"),
        ("MISSING_FIELD", "/3", "la_child_id"),
        ("MISSING_FIELD", "/3/social_care_episodes/0", "social_care_episode_id"),
    }
    assert all(f.severity is Severity.ERROR for f in result.findings)
    # A numeric id is reported but kept; a missing episode id is derived from the pointer.
    assert result.tables["child"]["child_id"].tolist() == ["C1", "7", pd.NA]
    assert result.tables["referral"]["referral_id"].tolist() == ["C1-E1", "/3/R1"]


def test_bad_dates_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", json.dumps([record(closure_date="31/02/2024")]))
    [finding] = api_json.read(path, "p.json").findings

    assert (finding.code, finding.location, finding.field, finding.child_id) == (
        "DATE_FORMAT",
        "/0/social_care_episodes/0",
        "closure_date",
        "C1",
    )


def test_purged_records_and_blocks_are_skipped_with_one_query(tmp_path: Path) -> None:
    plan = {"child_protection_plan_id": "P1", "start_date": "2023-07-01", "purge": True}
    keep = record("C1", child_protection_plans=[plan])
    records = [keep, {"la_child_id": "C2", "purge": True}]
    result = api_json.read(write(tmp_path, "p.json", json.dumps(records)), "p.json")

    assert result.tables["child"]["child_id"].tolist() == ["C1"]
    assert result.tables["cp_plan"].empty
    [finding] = result.findings
    assert (finding.code, finding.severity) == ("PURGED", Severity.QUERY)
    assert finding.message.startswith("2 record(s) or block(s)")


def test_duplicate_ids_in_one_file_are_errors(tmp_path: Path) -> None:
    second = record("C2")
    second["social_care_episodes"][0]["social_care_episode_id"] = "C1-E1"
    path = write(tmp_path, "p.json", json.dumps([record("C1"), second]))

    findings = api_json.read(path, "p.json").findings

    assert [(f.code, f.location) for f in findings] == [
        ("DUPLICATE_ID", "/0/social_care_episodes/0"),
        ("DUPLICATE_ID", "/1/social_care_episodes/0"),
    ]


def test_syntax_error_keeps_the_records_before_it(tmp_path: Path) -> None:
    text = json.dumps([record("C1"), record("C2")], indent=1)
    result = api_json.read(write(tmp_path, "p.json", text[:-40]), "p.json")

    assert result.tables["child"]["child_id"].tolist() == ["C1"]
    [finding] = result.findings
    assert finding.code == "JSON_SYNTAX"
    assert finding.location.startswith("line ")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[]", "NO_CHILDREN"),
        ("[" + "1" * 5000 + "]", "JSON_SYNTAX"),
        ("[" * 100_000, "JSON_SYNTAX"),
    ],
)
def test_degenerate_payloads_are_findings(tmp_path: Path, text: str, code: str) -> None:
    result = api_json.read(write(tmp_path, "p.json", text), "p.json")

    assert [f.code for f in result.findings] == [code]


@pytest.mark.parametrize(
    ("run", "start"),
    [(date(2026, 10, 31), date(2024, 4, 1)), (date(2026, 4, 1), date(2024, 4, 1)),
     (date(2026, 3, 31), date(2023, 4, 1))],
)  # fmt: skip
def test_window_is_24_months_back_anchored_to_1_april(run: date, start: date) -> None:
    assert api_json.window_start(run) == start
