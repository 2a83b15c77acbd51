"""SSDA903 CSV reader: samples, table recognition, structure, values, encodings, line numbers."""

from __future__ import annotations

import gzip
import random
import time
from pathlib import Path

import pandas as pd
import pytest

from submissions.extract.canonical import TABLES, Format, Severity
from submissions.extract.readers import ssda903
from submissions.extract.readers.base import ReaderResult

DATA = Path(__file__).parent / "data"
CSV_SAMPLES = sorted(p.name for p in DATA.glob("ssda903_*.csv*"))


def sample(tmp_path: Path, name: str) -> Path:
    if name.endswith(".gz"):
        path = tmp_path / name.removesuffix(".gz")
        path.write_bytes(gzip.decompress((DATA / name).read_bytes()))
        return path
    return DATA / name


def write(tmp_path: Path, text: str, name: str = "table.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_text(tmp_path: Path, text: str, **kwargs: str) -> ReaderResult:
    path = write(tmp_path, text, **kwargs)
    return ssda903.read(path, path.name)


def codes(result: ReaderResult) -> list[str]:
    return [f.code for f in result.findings]


EPISODES_HEADER = ",".join(ssda903.TABLE_COLUMNS["episodes"])
EPISODE = "C1,01/04/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,EF3 4GH,SC123456"


# --- samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CSV_SAMPLES)
def test_every_sample_is_read_into_rows_or_located_findings(tmp_path: Path, name: str) -> None:
    result = ssda903.read(sample(tmp_path, name), name)

    assert result.format is Format.SSDA903_CSV
    assert result.has_rows
    for table, frame in result.tables.items():
        assert list(frame.columns) == [*TABLES[table], "_file", "_location"]
        assert frame["_location"].str.fullmatch(r"line \d+").all()
        assert (frame["_file"] == name).all()
    assert all(f.file == name for f in result.findings)
    assert all(f.location.startswith("line ") for f in result.findings)


def test_episodes_sample_maps_to_cla_episodes_numbered_per_child(tmp_path: Path) -> None:
    result = ssda903.read(sample(tmp_path, "ssda903_episodes_head1000.csv.gz"), "episodes.csv")

    episodes = result.tables["cla_episode"]
    assert len(episodes) == 999
    first = episodes.iloc[0]
    # 566910,15/02/2016,L,C2,N3,T2,PR0,14/08/2017,X1,CLOSE,,,4244474
    assert first["episode_id"] == "566910/E1"
    assert first["start_date"] == pd.Timestamp("2016-02-15")
    assert (first["start_reason"], first["legal_status"], first["placement_type"]) == (
        "L",
        "C2",
        "T2",
    )
    assert first["end_date"] == pd.Timestamp("2017-08-14")
    assert first["end_reason"] == "X1"
    assert first["_location"] == "line 2"
    assert episodes.iloc[1]["episode_id"] == "566910/E2"
    assert episodes["episode_id"].is_unique
    assert result.tables["child"]["child_id"].is_unique


def test_header_and_uasc_samples_give_child_rows(tmp_path: Path) -> None:
    header = ssda903.read(sample(tmp_path, "ssda903_header.csv.gz"), "header.csv")
    uasc = ssda903.read(DATA / "ssda903_uasc.csv", "uasc.csv")

    child = header.tables["child"].set_index("child_id")
    assert len(child) == 2675
    # 566910,2,27/03/2008,WROM,…
    assert child.loc["566910", "sex"] == "F"
    assert child.loc["566910", "date_of_birth"] == pd.Timestamp("2008-03-27")
    assert child.loc["566910", "ethnicity"] == "WROM"
    assert child.loc["566910", "uasc"] is pd.NA
    assert uasc.tables["child"]["uasc"].all()


def test_missing_sample_maps_to_missing_episodes(tmp_path: Path) -> None:
    result = ssda903.read(DATA / "ssda903_missing.csv", "missing.csv")

    missing = result.tables["missing_episode"]
    assert len(missing) == 43
    # 510000,12/03/2002,A,13/11/2017,25/11/2017
    first = missing.iloc[0]
    assert (first["child_id"], first["type"]) == ("510000", "A")
    assert first["start_date"] == pd.Timestamp("2017-11-13")
    assert first["end_date"] == pd.Timestamp("2017-11-25")
    assert set(missing["type"]) <= {"M", "A"}


def test_pooled_liia_file_with_a_test_column_reads_with_a_query(tmp_path: Path) -> None:
    result = ssda903.read(DATA / "ssda903_liia_pipeline_2020_episodes.csv", "episodes.csv")

    assert codes(result) == ["UNKNOWN_COLUMN"]
    assert "TEST_COLUMN" in result.findings[0].message
    assert (result.findings[0].location, result.findings[0].field) == ("line 1", "TEST_COLUMN")
    assert result.findings[0].severity is Severity.QUERY
    pooled = ssda903.read(DATA / "ssda903_liia_episodes_for_testing_fixes_INPUT.csv", "x.csv")
    assert pooled.findings == []  # LA and YEAR are liia-tools' pooling columns
    assert pooled.tables["cla_episode"]["start_date"].notna().all()  # ISO dates read too


# --- recognising tables ----------------------------------------------------------------------


@pytest.mark.parametrize("table", list(ssda903.TABLE_COLUMNS))
def test_every_table_is_identified_from_its_header(table: str) -> None:
    columns = list(ssda903.TABLE_COLUMNS[table])
    shuffled = columns[:]
    random.Random(table).shuffle(shuffled)  # noqa: S311 - a repeatable shuffle, not a secret

    assert ssda903.identify_table(columns) == table
    assert ssda903.identify_table([f"  {c.lower()} " for c in shuffled]) == table
    assert ssda903.identify_table([*columns, "NOTES"]) == table


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["CHILD", "DOB", "REVIEW"], "reviews"),  # REVIEW_CODE missing
        (["CHILD", "SEX", "DOB", "ETHNIC", "UPN"], "header"),
        (["child", "mis start", "Mis-End", "missing"], "missing"),
        (["CHILD", "DOB"], None),  # nothing table-specific
        (["URN", "Setting name", "Postcode"], None),
        (["CHILD", "REVIEW", "REVIEW_CODE", "DOLO_START", "DOLO_END"], None),  # two tables
        ([], None),
    ],
)
def test_identification_tolerates_drift_but_not_guesswork(
    columns: list[str], expected: str | None
) -> None:
    assert ssda903.identify_table(columns) == expected


def test_missing_columns_are_one_error_listing_them(tmp_path: Path) -> None:
    result = read_text(tmp_path, "CHILD,DECOM,RNE,LS,PLACE,DEC,REC\nC1,01/04/2023,S,C2,U1,,\n")

    missing = [f for f in result.findings if f.code == "MISSING_COLUMN"]
    assert len(missing) == 1
    assert missing[0].severity is Severity.ERROR
    for column in ("CIN", "PLACE_PROVIDER", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"):
        assert column in missing[0].message
    assert result.tables["cla_episode"]["legal_status"].tolist() == ["C2"]


def test_unknown_and_duplicate_columns(tmp_path: Path) -> None:
    text = f"{EPISODES_HEADER},Notes,LS\n{EPISODE},hello,V2\n"
    result = read_text(tmp_path, text)

    unknown = [f for f in result.findings if f.code == "UNKNOWN_COLUMN"]
    assert [f.severity for f in unknown] == [Severity.QUERY]
    assert "NOTES" in unknown[0].message
    duplicate = [f for f in result.findings if f.code == "DUPLICATE_COLUMN"]
    assert len(duplicate) == 1
    assert "LS" in duplicate[0].message
    assert result.tables["cla_episode"]["legal_status"].tolist() == ["C2"]  # the first LS


def test_unrecognised_csv_is_a_file_format_error(tmp_path: Path) -> None:
    result = read_text(tmp_path, "URN,Setting name\n1,The Home\n")

    assert codes(result) == ["FILE_FORMAT"]
    assert "URN" in result.findings[0].message
    assert not result.has_rows


# --- line numbers ----------------------------------------------------------------------------


def test_an_error_on_line_12_says_line_12(tmp_path: Path) -> None:
    rows = [EPISODES_HEADER] + [EPISODE.replace("C1", f"C{n}") for n in range(2, 12)]
    rows.append(EPISODE.replace("01/04/2023", "31/02/2023"))
    result = read_text(tmp_path, "\n".join(rows) + "\n")

    [finding] = result.findings
    assert (finding.code, finding.location, finding.field) == ("DATE_FORMAT", "line 12", "DECOM")
    assert "31/02/2023" in finding.message
    assert result.tables["cla_episode"]["_location"].iloc[-1] == "line 12"


def test_line_numbers_survive_blank_lines_quoted_breaks_and_bad_rows(tmp_path: Path) -> None:
    lines = [
        "CHILD,DOB,MISSING,MIS_START,MIS_END",  # 1
        "A,01/01/2010,M,01/02/2024,",  # 2
        "",  # 3: blank, skipped silently
        '"B\r\nb",01/01/2010,M,01/02/2024,',  # 4-5: a line break inside quotes
        "C,01/01/2010,M,01/02/2024,,extra,more",  # 6: too many values
        "CHILD,DOB,MISSING,MIS_START,MIS_END",  # 7: header repeated
        "D,01/01/2010,M,1/2/24,",  # 8: two-digit year
        ",01/01/2010,M,01/02/2024,",  # 9: no child id
    ]
    result = read_text(tmp_path, "\r\n".join(lines) + "\r\n")

    found = {(f.code, f.location) for f in result.findings}
    assert found == {
        ("CHILD_ID_CHARACTERS", "line 4"),  # a line break is no part of an identifier
        ("ROW_LENGTH", "line 6"),
        ("DUPLICATE_HEADER", "line 7"),
        ("DATE_FORMAT", "line 8"),
        ("MISSING_FIELD", "line 9"),
    }
    missing = result.tables["missing_episode"]
    assert missing["_location"].tolist() == ["line 2", "line 4", "line 8"]
    assert missing["child_id"].tolist() == ["A", "B\r\nb", "D"]


def test_too_long_lines_anywhere_are_left_out_and_trailing_commas_are_fine(
    tmp_path: Path,
) -> None:
    lines = [
        "CHILD,DOB,MISSING,MIS_START,MIS_END",
        "A,01/01/2010,M,01/02/2024,,x,y",  # 2: two extra values on the first data line
        "B,01/01/2010,M,01/02/2024,,z",  # 3: one extra
        "C,01/01/2010,M,01/02/2024,,",  # 4: a trailing comma
        "D,01/01/2010,M,01/02/2024,,1,2,3,4",  # 5: four extra
        "E,01/01/2010,M,01/02/2024",  # 6: short, read as blank MIS_END
    ]
    result = read_text(tmp_path, "\n".join(lines) + "\n")

    assert [(f.code, f.location) for f in result.findings] == [
        ("ROW_LENGTH", "line 2"),
        ("ROW_LENGTH", "line 3"),
        ("ROW_LENGTH", "line 5"),
    ]
    assert "9 values" in result.findings[2].message
    missing = result.tables["missing_episode"]
    assert missing["child_id"].tolist() == ["C", "E"]
    assert missing["_location"].tolist() == ["line 4", "line 6"]


def test_unclosed_quote_is_a_located_finding_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = f'{EPISODES_HEADER}\n{EPISODE}\n"C2,01/04/2023,S\n{EPISODE}\n'
    result = read_text(tmp_path, text)

    assert [(f.code, f.location) for f in result.findings] == [("CSV_SYNTAX", "line 3")]
    assert 'quote (")' in result.findings[0].message

    monkeypatch.setattr(ssda903, "_CHUNK_THRESHOLD", 0)
    monkeypatch.setattr(ssda903, "_CHUNK_ROWS", 1)
    chunked = read_text(tmp_path, text)
    assert chunked.tables["cla_episode"]["child_id"].tolist() == ["C1"]  # read before it


def test_large_files_are_read_in_chunks_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [EPISODES_HEADER]
    for n in range(50):
        lines.append(EPISODE.replace("C1", f"C{n % 7}"))
        if n == 20:
            lines.append("")
        if n == 30:
            lines.append(EPISODE + ",oops")
    lines.append(EPISODE.replace("01/04/2023", "1/4/23"))
    path = write(tmp_path, "\n".join(lines) + "\n")
    whole = ssda903.read(path, "e.csv")

    monkeypatch.setattr(ssda903, "_CHUNK_THRESHOLD", 0)
    monkeypatch.setattr(ssda903, "_CHUNK_ROWS", 8)
    chunked = ssda903.read(path, "e.csv")

    for name, frame in whole.tables.items():
        pd.testing.assert_frame_equal(frame, chunked.tables[name])
    assert sorted(whole.findings, key=str) == sorted(chunked.findings, key=str)
    assert {(f.code, f.location) for f in whole.findings} == {
        ("ROW_LENGTH", "line 34"),
        ("DATE_FORMAT", "line 54"),
    }
    assert whole.tables["cla_episode"]["episode_id"].iloc[-1] == "C1/E8"


# --- values ----------------------------------------------------------------------------------


def test_bad_dates_and_two_digit_years_get_their_own_messages(tmp_path: Path) -> None:
    text = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,1/4/24,WBRI,,,\nC2,2,tomorrow,WBRI,,,\n"
    result = read_text(tmp_path, text)

    by_child = {f.child_id: f for f in result.findings}
    assert "two-digit year" in by_child["C1"].message
    assert "'tomorrow' is not a date" in by_child["C2"].message
    assert {f.location for f in result.findings} == {"line 2", "line 3"}
    assert result.tables["child"]["date_of_birth"].isna().all()


@pytest.mark.parametrize("value", ["01/01/3024", "31/12/1066", "/2/01", "9999-12-31 10:00:00"])
def test_dates_pandas_cannot_hold_are_findings_not_crashes(tmp_path: Path, value: str) -> None:
    text = f"CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/01/2010,{value},PN1\nC2,01/01/2010,,PN1\n"
    result = read_text(tmp_path, text)

    assert [(f.code, f.location, f.field) for f in result.findings] == [
        ("DATE_FORMAT", "line 2", "REVIEW")
    ]


def test_stray_whitespace_case_and_trailing_zero_are_cleaned(tmp_path: Path) -> None:
    text = (
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
        " 566910.0 ,2.0, 27/03/2008 , wbri ,,,\n"
        "C7,1,2008-03-27,Wbri,,,\n"
    )
    result = read_text(tmp_path, text)

    assert result.findings == []
    child = result.tables["child"]
    assert child["child_id"].tolist() == ["566910", "C7"]
    assert child["sex"].tolist() == ["F", "M"]
    assert child["ethnicity"].tolist() == ["WBRI", "WBRI"]
    assert (child["date_of_birth"] == pd.Timestamp("2008-03-27")).all()


def test_unlisted_codes_are_kept_for_the_code_list_rules(tmp_path: Path) -> None:
    result = read_text(tmp_path, "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,3,,XXXX,,,\n")

    assert result.findings == []
    assert result.tables["child"][["sex", "ethnicity"]].iloc[0].tolist() == ["3", "XXXX"]


def test_numbers_and_partial_permanence_dates(tmp_path: Path) -> None:
    oc2 = ",".join(ssda903.TABLE_COLUMNS["oc2"])
    result = read_text(tmp_path, f"{oc2}\nC1,01/01/2010,abc,,0,0,0,0,0,0,0,0\n", name="oc2.csv")
    assert [(f.code, f.field, f.location) for f in result.findings] == [
        ("NUMBER_FORMAT", "SDQ_SCORE", "line 2")
    ]

    perm = "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\nC1,01/01/2010,P1,201,zz/zz/2015\n"
    assert read_text(tmp_path, perm, name="perm.csv").findings == []


def test_other_tables_give_child_rows_and_their_date_findings(tmp_path: Path) -> None:
    text = "CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/01/2010,32/01/2024,PN1\nC1,01/01/2010,,PN1\n"
    result = read_text(tmp_path, text, name="reviews.csv")

    assert list(result.tables) == ["child"]
    assert result.tables["child"]["child_id"].tolist() == ["C1"]
    assert [(f.code, f.field, f.location) for f in result.findings] == [
        ("DATE_FORMAT", "REVIEW", "line 2")
    ]


def test_blank_child_id_is_reported_and_the_row_left_out(tmp_path: Path) -> None:
    result = read_text(tmp_path, f"{EPISODES_HEADER}\n{EPISODE.replace('C1', '  ')}\n")

    assert [(f.code, f.field, f.location) for f in result.findings] == [
        ("MISSING_FIELD", "CHILD", "line 2")
    ]
    assert result.tables["cla_episode"].empty


# --- encodings and empty files ---------------------------------------------------------------


def test_windows_1252_file_is_decoded(tmp_path: Path) -> None:
    text = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nRené,1,01/01/2010,WBRI,£12,,\n"
    result = read_text(tmp_path, text, encoding="cp1252")

    assert result.tables["child"]["child_id"].tolist() == ["René"]
    # Decoded right, and then reported: no case-management system writes an "é" in an id.
    [finding] = result.findings
    assert (finding.code, finding.location) == ("CHILD_ID_CHARACTERS", "line 2")
    assert finding.message.startswith("CHILD 'René' contains the character 'é'.")


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    result = ssda903.read(DATA / "ssda903_sw_episodes.csv", "sw.csv")

    assert result.findings == []
    assert result.tables["child"]["child_id"].tolist() == ["CHILD10"]


def test_utf16_file_gets_the_save_as_utf8_finding(tmp_path: Path) -> None:
    result = read_text(tmp_path, f"{EPISODES_HEADER}\n{EPISODE}\n", encoding="utf-16")

    assert codes(result) == ["FILE_ENCODING"]
    assert "UTF-8" in result.findings[0].message
    assert not result.has_rows


@pytest.mark.parametrize("text", ["", "\n\n", "  ,  \n"])
def test_empty_file_is_an_error(tmp_path: Path, text: str) -> None:
    result = read_text(tmp_path, text)

    assert codes(result) == ["FILE_EMPTY"]
    assert result.findings[0].severity is Severity.ERROR


def test_blank_lines_above_the_header_are_reported(tmp_path: Path) -> None:
    result = read_text(tmp_path, f"\n,,\n{EPISODES_HEADER}\n{EPISODE}\n")

    assert [(f.code, f.location) for f in result.findings] == [("FILE_FORMAT", "line 1")]
    assert "first line" in result.findings[0].message


def test_header_only_file_is_a_query(tmp_path: Path) -> None:
    result = read_text(tmp_path, f"{EPISODES_HEADER}\n")

    assert codes(result) == ["NO_DATA_ROWS"]
    assert result.findings[0].severity is Severity.QUERY
    assert not result.has_rows


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(bytes(range(256)) * 4)

    assert codes(ssda903.read(path, "table.csv")) == ["FILE_FORMAT"]


# --- merging child rows ----------------------------------------------------------------------


def test_child_rows_from_several_tables_merge_to_one_per_child(tmp_path: Path) -> None:
    header = read_text(
        tmp_path, "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,01/01/2010,WBRI,,,\n", name="h.csv"
    )
    uasc = read_text(tmp_path, "CHILD,SEX,DOB,DUC\nC1,1,01/01/2010,01/01/2028\n", name="u.csv")
    episodes = read_text(tmp_path, f"{EPISODES_HEADER}\n{EPISODE}\n", name="e.csv")
    rows = pd.concat([r.tables["child"] for r in (episodes, header, uasc)], ignore_index=True)

    merged = ssda903.merge_child_rows(rows)

    assert len(merged) == 1
    child = merged.iloc[0]
    assert (child["sex"], child["ethnicity"], bool(child["uasc"])) == ("M", "WBRI", True)
    assert child["date_of_birth"] == pd.Timestamp("2010-01-01")
    assert (child["_file"], child["_location"]) == ("h.csv", "line 2")  # first fullest row
    assert merged.dtypes.to_dict() == rows.dtypes.to_dict()


# --- speed -----------------------------------------------------------------------------------


def test_fifty_thousand_episodes_read_quickly(tmp_path: Path) -> None:
    lines = gzip.decompress((DATA / "ssda903_episodes_head1000.csv.gz").read_bytes())
    header, *rows = lines.decode().splitlines()
    body = [f"{row.split(',', 1)[0]}_{k},{row.split(',', 1)[1]}" for k in range(51) for row in rows]
    path = write(tmp_path, "\n".join([header, *body]) + "\n")

    started = time.perf_counter()
    result = ssda903.read(path, "episodes.csv")

    assert len(result.tables["cla_episode"]) == 51 * 999
    assert time.perf_counter() - started < 10  # about 0.6 s on the reference machine
