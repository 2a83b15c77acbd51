"""``read_files``: combining files into one extract (tables, dates, LA, ids, failures)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import submissions.extract.readers as readers
from submissions.extract.canonical import TABLES, Format, empty_table
from submissions.extract.readers import read_files
from tests.readers.factories import DATA, HEADER, cin_child, cin_details, cin_message, write


def test_tables_from_several_formats_are_concatenated_with_canonical_dtypes(tmp_path: Path) -> None:
    files = [
        ("c.xml", write(tmp_path, "c.xml", cin_message(cin_child("C1")))),
        ("p.json", DATA / "sample_payload_record0_spec_maximal.json"),
    ]
    extract = read_files(files)

    assert extract.formats == [Format.CIN_XML, Format.DFE_API_JSON]
    assert extract.tables["child"]["child_id"].tolist() == ["C1", "Child0034"]
    for name in TABLES:
        assert extract.tables[name].dtypes.to_dict() == empty_table(name).dtypes.to_dict()
    assert not extract.unreadable


def test_as_of_and_coverage_come_from_the_census_unless_given(tmp_path: Path) -> None:
    files = [("c.xml", write(tmp_path, "c.xml", cin_message(cin_child())))]

    derived = read_files(files)
    assert (derived.as_of, derived.coverage_start) == (date(2024, 3, 31), date(2023, 4, 1))

    given = read_files(files, as_of=date(2024, 6, 30), coverage_start=date(2022, 1, 1))
    assert (given.as_of, given.coverage_start) == (date(2024, 6, 30), date(2022, 1, 1))


def test_api_payload_window_hangs_off_the_extract_date() -> None:
    files = [("p.json", DATA / "sample_payload_record0_spec_maximal.json")]

    assert read_files(files, as_of=date(2026, 10, 31)).coverage_start == date(2024, 4, 1)
    undated = read_files(files)
    assert (undated.as_of, undated.coverage_start) == (None, None)


def test_la_code_argument_wins_and_a_different_file_la_is_an_error(tmp_path: Path) -> None:
    files = [("c.xml", write(tmp_path, "c.xml", cin_message(cin_child())))]

    assert read_files(files).la_code == "201"
    extract = read_files(files, la_code="202")
    assert extract.la_code == "202"
    [finding] = extract.findings
    assert (finding.code, finding.file) == ("LA_MISMATCH", "c.xml")


def test_files_from_two_las_are_an_error(tmp_path: Path) -> None:
    other = HEADER.replace("<LEA>201</LEA>", "<LEA>202</LEA>")
    files = [
        ("a.xml", write(tmp_path, "a.xml", cin_message(cin_child()))),
        ("b.xml", write(tmp_path, "b.xml", cin_message(cin_child(), header=other))),
    ]
    extract = read_files(files)

    assert extract.la_code is None
    [finding] = extract.findings
    assert finding.code == "LA_MISMATCH"
    assert "201: a.xml; 202: b.xml" in finding.message


def test_a_child_in_several_files_is_one_child_row(tmp_path: Path) -> None:
    api = [{"la_child_id": "C1", "child_details": {"uasc_flag": True}}]
    files = [
        ("c.xml", write(tmp_path, "c.xml", cin_message(cin_child("C1"), cin_child("C2")))),
        ("p.json", write(tmp_path, "p.json", json.dumps(api))),
    ]
    child = read_files(files).tables["child"]

    assert child["child_id"].tolist() == ["C1", "C2"]
    # Each column's first non-blank value, the fullest row's location.
    assert (child.loc[0, "sex"], bool(child.loc[0, "uasc"]), child.loc[0, "_file"]) == (
        "M",
        True,
        "c.xml",
    )


def test_a_child_listed_twice_in_one_file_stays_visible(tmp_path: Path) -> None:
    files = [("c.xml", write(tmp_path, "c.xml", cin_message(cin_child("C1"), cin_child("C1"))))]

    assert read_files(files).tables["child"]["child_id"].tolist() == ["C1", "C1"]


def test_record_ids_stay_unique_across_files(tmp_path: Path) -> None:
    files = [
        ("a.xml", write(tmp_path, "a.xml", cin_message(cin_child("C1")))),
        (
            "b.xml",
            write(tmp_path, "b.xml", cin_message(cin_child("C1", cin_details("2024-01-01")))),
        ),
    ]
    referral = read_files(files).tables["referral"]

    assert referral["referral_id"].tolist() == ["C1/R1", "C1/R1~2"]
    assert referral["referral_id"].is_unique


def test_a_format_without_a_reader_yet_is_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(readers._MODULES, Format.DFE_API_JSON, "not_written_yet")
    extract = read_files([("a.json", write(tmp_path, "a.json", '[{"la_child_id": "C1"}]'))])

    [finding] = extract.findings
    assert finding.code == "FORMAT_UNAVAILABLE"
    assert finding.message == "Reading DfE API JSON files is not available yet."
    assert extract.unreadable


def test_a_failing_reader_is_reported_and_other_files_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path, display_name: str) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("submissions.extract.readers.api_json.read", broken)
    files = [
        ("p.json", write(tmp_path, "p.json", json.dumps([{"la_child_id": "C1"}]))),
        ("c.xml", write(tmp_path, "c.xml", cin_message(cin_child("C2")))),
    ]
    extract = read_files(files)

    assert [(f.code, f.file) for f in extract.findings] == [("READER_FAILED", "p.json")]
    assert extract.tables["child"]["child_id"].tolist() == ["C2"]


def test_no_files_is_unreadable() -> None:
    extract = read_files([])

    assert extract.unreadable
    assert [f.code for f in extract.findings] == ["NO_FILES"]


def test_an_episode_in_several_censuses_is_kept_once_from_the_latest(tmp_path: Path) -> None:
    import pandas as pd

    from tests.readers.factories import cin_assessment

    header_2024 = HEADER
    header_2025 = HEADER.replace("2024-03-31", "2025-03-31").replace(">2024<", ">2025<")
    open_then = cin_child("C1", cin_details("2024-02-01", cin_assessment("2024-02-02")))
    closed_later = cin_child(
        "C1",
        cin_details("2024-02-01", cin_assessment("2024-02-02", "2024-02-20"),
                    closure=("2024-05-01", "RC8")),
        cin_details("2024-09-01"),
    )  # fmt: skip
    first = write(tmp_path, "cin_2024.xml", cin_message(open_then, header=header_2024))
    second = write(tmp_path, "cin_2025.xml", cin_message(closed_later, header=header_2025))

    extract = read_files([("cin_2024.xml", first), ("cin_2025.xml", second)])

    referrals = extract.tables["referral"]
    assert len(referrals) == 2
    kept = referrals[referrals["referral_date"] == pd.Timestamp("2024-02-01")].iloc[0]
    assert kept["closure_reason"] == "RC8"
    assert kept["_file"] == "cin_2025.xml"
    assert len(extract.tables["assessment"]) == 1
