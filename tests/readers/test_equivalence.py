"""The same children's services history, sent as a CIN census or as the DfE API payload, must
give the same canonical rows: the indicators are computed from either and must agree."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from submissions.extract.readers import api_json, cin_xml
from tests.readers.factories import (
    cin_assessment,
    cin_child,
    cin_cpp,
    cin_details,
    cin_message,
    cin_plan,
    cin_s47,
    write,
)

# Child C1: a referral that went to a CIN plan, a section 47, an ICPC and a CP plan; then a
# referral closed after assessment with no further action. Child C2: an NFA referral.
CIN = cin_message(
    cin_child(
        "C1",
        cin_details(
            "2023-04-10",
            cin_assessment("2023-04-11", "2023-05-02", ("3A", "4B")),
            cin_plan("2023-05-03", "2023-06-30"),
            cin_s47("2023-06-01", "2023-06-14"),
            cin_cpp("2023-06-14", "2024-01-20", "NEG", "1"),
            closure=("2024-01-20", "RC7"),
        ),
        cin_details(
            "2024-02-05", cin_assessment("2024-02-06", "2024-02-20"), closure=("2024-02-21", "RC8")
        ),
        sex="2",
        disabilities=("NONE",),
    ),
    cin_child("C2", cin_details("2023-09-09", closure=("2023-09-09", "RC8"), nfa="true"), sex="1"),
)

API = [
    {
        "la_child_id": "C1",
        "child_details": {"date_of_birth": "2015-03-27", "sex": "F", "ethnicity": "WBRI",
                          "disabilities": ["NONE"]},
        "social_care_episodes": [
            {
                "social_care_episode_id": "C1/R1", "referral_date": "2023-04-10",
                "referral_source": "1A", "referral_no_further_action_flag": False,
                "closure_date": "2024-01-20", "closure_reason": "RC7",
                "child_and_family_assessments": [{
                    "child_and_family_assessment_id": "C1/R1/A1", "start_date": "2023-04-11",
                    "authorisation_date": "2023-05-02", "factors": ["3A", "4B"]}],
                "child_in_need_plans": [{"child_in_need_plan_id": "C1/R1/P1",
                                         "start_date": "2023-05-03", "end_date": "2023-06-30"}],
                "section_47_assessments": [{"section_47_assessment_id": "C1/R1/S1",
                                            "start_date": "2023-06-01", "icpc_required_flag": True,
                                            "icpc_date": "2023-06-14"}],
                "child_protection_plans": [{"child_protection_plan_id": "C1/R1/CP1",
                                            "start_date": "2023-06-14", "end_date": "2024-01-20"}],
            },
            {
                "social_care_episode_id": "C1/R2", "referral_date": "2024-02-05",
                "referral_source": "1A", "referral_no_further_action_flag": False,
                "closure_date": "2024-02-21", "closure_reason": "RC8",
                "child_and_family_assessments": [{
                    "child_and_family_assessment_id": "C1/R2/A1", "start_date": "2024-02-06",
                    "authorisation_date": "2024-02-20"}],
            },
        ],
    },
    {
        "la_child_id": "C2",
        "child_details": {"date_of_birth": "2015-03-27", "sex": "M", "ethnicity": "WBRI",
                          "disabilities": ["NONE"]},
        "social_care_episodes": [{
            "social_care_episode_id": "C2/R1", "referral_date": "2023-09-09",
            "referral_source": "1A", "referral_no_further_action_flag": True,
            "closure_date": "2023-09-09", "closure_reason": "RC8"}],
    },
]  # fmt: skip

# Canonical fields the API payload does not carry (and the census's missing UASC flag).
NOT_IN_API = {
    "child": ["uasc"],
    "referral": ["primary_need"],
    "cp_plan": ["initial_category", "latest_category", "number_of_previous_cpp"],
}


@pytest.mark.parametrize(
    "table", ["child", "referral", "assessment", "cin_plan", "s47_enquiry", "cp_plan"]
)
def test_cin_census_and_api_payload_give_the_same_rows(tmp_path: Path, table: str) -> None:
    from_cin = cin_xml.read(write(tmp_path, "c.xml", CIN), "c.xml")
    from_api = api_json.read(write(tmp_path, "a.json", json.dumps(API)), "a.json")
    assert from_cin.findings == from_api.findings == []

    drop = ["_file", "_location", *NOT_IN_API.get(table, [])]
    cin_rows = from_cin.tables[table].drop(columns=drop)
    api_rows = from_api.tables[table].drop(columns=drop)

    assert len(cin_rows) > 0
    pd.testing.assert_frame_equal(cin_rows, api_rows)
