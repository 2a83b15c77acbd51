"""Annex A reader: samples, coded values, header drift, Excel dates, List 6, hostile files."""

from __future__ import annotations

import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from submissions.extract.canonical import TABLES, Format, Severity
from submissions.extract.readers import annex_a
from submissions.extract.readers.base import ReaderResult

DATA = Path(__file__).parent / "data"
SAMPLES = ["annex_a_liia.xlsx", "annex_a_liia_pipeline_2024_jan.xlsx"]

CHILD = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
LIST3 = [*CHILD, "Date of referral", "Referral Source", "Referral NFA?",
         "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker"]  # fmt: skip
LIST4 = [*CHILD, "Does the Child have a Disability", "Continuous Assessment Start Date",
         "Child Seen During Continuous Assessment", "Continuous Assessment Date of Authorisation",
         "Was the child assessed as requiring LA children's social care support?",
         "Allocated Team", "Allocated Worker"]  # fmt: skip
LIST6 = [*CHILD, "Does the Child have a Disability", "CIN Start Date", "Primary Need Code",
         "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case Status",
         "Allocated Team", "Allocated Worker"]  # fmt: skip
LIST7 = [*CHILD, "Does the Child have a Disability", "Child Protection Plan Start Date",
         "Initial Category of Abuse", "Latest Category of Abuse", "Child Protection Plan End Date",
         "Number of Previous Child Protection Plans"]  # fmt: skip


def workbook(tmp_path: Path, sheets: dict[str, list[list[Any]]], name: str = "a.xlsx") -> Path:
    """An .xlsx with one sheet per entry, rows written from A1."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def read(path: Path) -> ReaderResult:
    return annex_a.read(path, path.name)


def child_cells(child_id: Any = "C1") -> list[Any]:
    return [child_id, "b) Female", "a) WBRI", datetime(2012, 5, 1), 11]


# --- samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_workbooks_are_read(name: str) -> None:
    result = annex_a.read(DATA / name, name)

    assert result.format is Format.ANNEX_A
    assert {t: len(f) for t, f in result.tables.items()} == {
        "child": 48,
        "referral": 11,
        "assessment": 5,
        "s47_enquiry": 5,
        "cp_plan": 7,
        "cla_episode": 5,
    }
    for table, frame in result.tables.items():
        assert list(frame.columns) == [*TABLES[table], "_file", "_location"]
        assert frame["_location"].str.fullmatch(r"List \d+![A-Z]+\d+").all()
        assert (frame["_file"] == name).all()
    child = result.tables["child"].set_index("child_id")
    assert set(child["sex"]) <= {"M", "F", "U"}
    assert not child["ethnicity"].str.contains(r"\)", na=False).any()
    # 9212044: 'Female', 'a) WBRI'; 6890906: 'c) Not stated/recorded', 's) NOBT'
    assert list(child.loc["9212044", ["sex", "ethnicity"]]) == ["F", "WBRI"]
    assert list(child.loc["6890906", ["sex", "ethnicity"]]) == ["U", "NOBT"]
    assert result.coverage_start == date(2020, 9, 16)
    # List 4's outcome column holds 'CS Assessment Updated': not a yes/no, so located errors.
    assert {(f.code, f.location) for f in result.findings} == {
        ("FLAG_FORMAT", f"List 4!J{row}") for row in range(2, 7)
    }


def test_sample_codes_are_extracted_from_their_labels() -> None:
    result = annex_a.read(DATA / SAMPLES[0], "a.xlsx")

    referral = result.tables["referral"].set_index("referral_id")
    assert referral.loc["6537810/L3R2", "source"] == "8"  # 's) 8: Other'
    assert referral.loc["4653765/L3R3", "source"] == "3D"  # 'j) 3D: Health services'
    assert referral.loc["6537810/L3R2", "_location"] == "List 3!F2"
    plans = result.tables["cp_plan"].set_index("plan_id")
    assert plans.loc["10721552/L7P2", "initial_category"] == "PHY"  # 'Physical abuse'
    assert plans.loc["5358472/L7P3", "number_of_previous_cpp"] == 1
    episodes = result.tables["cla_episode"].set_index("episode_id")
    # 'E1: Placement order', 'f) U6: Foster placement - not FFA'
    assert list(episodes.loc["1761444/L8E2", ["legal_status", "placement_type"]]) == [
        "E1",
        "U6",
    ]
    assert episodes.loc["3623204/L8E6", "end_reason"] == "E47"


# --- sheets and columns ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("List 3", 3), ("List_3", 3), ("list3", 3), ("List 10", 10), ("List 11 Adopters", 11),
        ("3. Referrals", 3), ("07 - CP", 7), ("Referrals", 3), ("Assessments", 4),
        ("Early help assessments", 2), ("Children in need", 6), ("Child protection", 7),
        ("Children Looked After", 8), ("Care leavers", 9), ("Adoption", 10),
        ("Adopters", 11), ("Section 47", 5), ("Cover", None), ("List 12", None),
        ("Guidance", None),
    ],
)  # fmt: skip
def test_list_sheets_are_found_by_name(title: str, number: int | None) -> None:
    assert annex_a.list_number(title) == number


def test_header_drift_is_tolerated_and_unknown_columns_queried(tmp_path: Path) -> None:
    headers = ["Child ID", "Sex", "Ethnic origin", "DOB", "Age", "Referral date",
               "Source of referral", "NFA", "Notes"]  # fmt: skip
    row = ["C1", "Male", "WBRI", datetime(2012, 5, 1), 11, datetime(2024, 1, 5), "1A", "Y", "x"]
    result = read(workbook(tmp_path, {"List_3": [headers, row]}))

    assert [(f.code, f.severity, f.location) for f in result.findings] == [
        ("UNKNOWN_COLUMN", Severity.QUERY, "List_3!I1")
    ]
    assert "Notes" in result.findings[0].message
    referral = result.tables["referral"].iloc[0]
    assert (referral["referral_id"], referral["source"], bool(referral["referral_nfa"])) == (
        "C1/L3R2",
        "1A",
        True,
    )
    assert referral["referral_date"] == pd.Timestamp("2024-01-05")
    assert result.tables["child"][["sex", "ethnicity"]].iloc[0].tolist() == ["M", "WBRI"]


def test_missing_required_column_is_an_error_naming_list_and_column(tmp_path: Path) -> None:
    headers = [h for h in LIST7 if h != "Child Protection Plan Start Date"]
    result = read(workbook(tmp_path, {"List 7": [headers, [*child_cells(), "b) No"]]}))

    [finding] = [f for f in result.findings if f.code == "MISSING_COLUMN"]
    assert finding.severity is Severity.ERROR
    assert "List 7" in finding.message
    assert "Child Protection Plan Start Date" in finding.message
    assert result.tables["cp_plan"]["start_date"].isna().all()


def test_title_rows_above_the_header_keep_excel_row_numbers(tmp_path: Path) -> None:
    rows = [
        ["Annex A - List 3: referrals"],
        [],
        LIST3,
        [*child_cells("C1"), datetime(2024, 1, 5), "1A", "No"],
        [*child_cells(None), datetime(2024, 1, 6), "1A", "No"],
        [],
        [*child_cells("C3"), "5/1/24", "1A", "No"],
    ]
    result = read(workbook(tmp_path, {"List 3": rows}))

    assert {(f.code, f.location) for f in result.findings} == {
        ("MISSING_FIELD", "List 3!A5"),
        ("DATE_FORMAT", "List 3!F7"),
    }
    assert result.tables["referral"]["_location"].tolist() == ["List 3!F4", "List 3!F7"]
    assert result.tables["referral"]["referral_id"].tolist() == ["C1/L3R4", "C3/L3R7"]


def test_excel_dates_as_datetimes_serials_and_text(tmp_path: Path) -> None:
    dates = [datetime(2024, 1, 5, 13, 30), 45000, "2024-02-03", "03/02/2024", "1/4/24",
             "#N/A", -5, datetime(9999, 12, 31), 2958465, "01/01/3024"]  # fmt: skip
    rows = [LIST4] + [
        [*child_cells(f"C{n}"), "a) Yes", start, "Yes", None, "No"] for n, start in enumerate(dates)
    ]
    result = read(workbook(tmp_path, {"List 4": rows}))

    starts = result.tables["assessment"]["start_date"].tolist()
    assert starts[:4] == [
        pd.Timestamp("2024-01-05"),  # time of day dropped
        pd.Timestamp("2023-03-15"),  # serial 45000
        pd.Timestamp("2024-02-03"),
        pd.Timestamp("2024-02-03"),
    ]
    assert all(pd.isna(start) for start in starts[4:])
    found = {f.location: f.message for f in result.findings}
    # Rows 6 to 11; dates past 2261 (Excel allows 9999) cannot be stored, so are findings.
    assert set(found) == {f"List 4!G{row}" for row in range(6, 12)}
    assert "two-digit year" in found["List 4!G6"]
    assert "'#N/A'" in found["List 4!G7"]


def test_assessment_outcome_and_flags(tmp_path: Path) -> None:
    answers = ["b) No", "a) Yes", "N", "c) Unknown", None, "maybe"]
    rows = [LIST4] + [
        [*child_cells(f"C{n}"), "a) Yes", datetime(2024, 1, 5), "Yes", datetime(2024, 2, 1), a]
        for n, a in enumerate(answers)
    ]
    result = read(workbook(tmp_path, {"List 4": rows}))

    assert result.tables["assessment"]["outcome_nfa"].tolist() == [
        True, False, True, pd.NA, pd.NA, pd.NA,
    ]  # fmt: skip
    assert [(f.code, f.location) for f in result.findings] == [("FLAG_FORMAT", "List 4!J7")]
    assert result.tables["child"]["disability"].all()


def test_list6_completes_matching_referrals_and_adds_the_others(tmp_path: Path) -> None:
    list3 = [LIST3, [*child_cells("C1"), datetime(2024, 1, 5), "1A", "No"]]
    list6 = [
        LIST6,
        [*child_cells("C1"), "b) No", datetime(2024, 1, 5), "N1 - Abuse or neglect", None,
         datetime(2024, 3, 1), "RC8 - Case closed after assessment", "e) Closed episode"],
        [*child_cells("C2"), "b) No", datetime(2019, 6, 1), "N4", None, None, None,
         "c) Child in need plan"],
    ]  # fmt: skip
    result = read(workbook(tmp_path, {"List 3": list3, "List 6": list6}))

    referral = result.tables["referral"]
    assert referral["referral_id"].tolist() == ["C1/L3R2", "C2/L6R3"]
    first, second = referral.iloc[0], referral.iloc[1]
    assert (first["source"], first["primary_need"], first["closure_reason"]) == ("1A", "N1", "RC8")
    assert first["closure_date"] == pd.Timestamp("2024-03-01")
    assert first["_location"] == "List 3!F2"
    assert (second["primary_need"], second["_location"]) == ("N4", "List 6!G3")
    assert pd.isna(second["referral_nfa"])
    assert result.coverage_start == date(2024, 1, 5)  # List 3 only, not List 6's 2019


def test_plans_and_looked_after_children(tmp_path: Path) -> None:
    list7 = [
        LIST7,
        [*child_cells("C1"), "b) No", datetime(2023, 1, 2), "b) Physical abuse", "a) Neglect",
         None, 2.0],
        [*child_cells("C2"), "b) No", datetime(2023, 1, 2), "MUL", "EMO", datetime(2024, 1, 2),
         "two"],
    ]  # fmt: skip
    result = read(workbook(tmp_path, {"List 7": list7}))

    plans = result.tables["cp_plan"]
    assert plans["initial_category"].tolist() == ["PHY", "MUL"]
    assert plans["latest_category"].tolist() == ["NEG", "EMO"]
    assert plans["number_of_previous_cpp"].tolist() == [2, pd.NA]
    assert [(f.code, f.location) for f in result.findings] == [("NUMBER_FORMAT", "List 7!K3")]


def test_duplicate_list_sheets_are_queried(tmp_path: Path) -> None:
    row = [*child_cells(), datetime(2024, 1, 5), "1A", "No"]
    result = read(workbook(tmp_path, {"List 3": [LIST3, row], "Referrals": [LIST3, row]}))

    assert [(f.code, f.severity) for f in result.findings] == [("DUPLICATE_LIST", Severity.QUERY)]
    assert len(result.tables["referral"]) == 1


def test_workbook_without_lists_is_a_file_format_error(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Provider information": [["URN", "Setting Name"], ["x", "y"]]})

    result = read(path)

    assert [f.code for f in result.findings] == ["FILE_FORMAT"]
    assert not result.has_rows


# --- hostile and broken files ----------------------------------------------------------------


def _replace_part(source: Path, target: Path, part: str, content: bytes) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for entry in zin.infolist():
            z.writestr(entry.filename, content if entry.filename == part else zin.read(entry))
    return target


def test_sheet_with_fifty_thousand_columns_is_refused_quickly(tmp_path: Path) -> None:
    base = workbook(tmp_path, {"List 4": [["Child Unique ID"]]}, name="base.xlsx")
    # Excel stops at 16,384 columns, so write the XML by hand: cells without a reference take
    # the next column, and there is no <dimension> to warn the reader.
    cells = "".join(f'<c t="inlineStr"><is><t>h{i}</t></is></c>' for i in range(50_000))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{cells}</row><row r="2">{cells}</row></sheetData></worksheet>'
    )
    path = _replace_part(base, tmp_path / "wide.xlsx", "xl/worksheets/sheet1.xml", sheet.encode())
    started = time.perf_counter()

    result = read(path)

    assert time.perf_counter() - started < 15  # about 2 s; the point is it is not a hang
    assert [(f.code, f.severity) for f in result.findings] == [("SHEET_TOO_WIDE", Severity.ERROR)]
    assert "50,000" in result.findings[0].message


def test_zip_bomb_disguised_as_xlsx_is_refused_before_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(32):
                member.write(bytes(1024 * 1024))  # 32 MB of zeros: about 1000 to 1

    def must_not_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not see a zip bomb")

    monkeypatch.setattr(annex_a.openpyxl, "load_workbook", must_not_open)

    result = read(path)

    assert [f.code for f in result.findings] == ["ZIP_REFUSED"]
    assert "compressed more than 100 to 1" in result.findings[0].message


def test_too_many_parts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(1_000):
            z.writestr(f"xl/media/{n}.bin", b"")

    assert [f.code for f in read(path).findings] == ["ZIP_REFUSED"]


def test_macro_workbook_is_refused(tmp_path: Path) -> None:
    base = workbook(tmp_path, {"List 3": [LIST3]}, name="base.xlsx")
    path = tmp_path / "macros.xlsm"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w") as z:
        for entry in zin.infolist():
            z.writestr(entry, zin.read(entry))
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")

    result = read(path)

    assert [f.code for f in result.findings] == ["XLSX_MACROS"]
    assert ".xlsx" in result.findings[0].message


@pytest.mark.parametrize(
    "content",
    [b"CHILD,DOB\n1,01/01/2010\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), b""],
)
def test_not_a_workbook_is_a_file_format_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "annex.xlsx"
    path.write_bytes(content)

    assert [f.code for f in read(path).findings] == ["FILE_FORMAT"]


def test_zip_without_workbook_parts_is_a_file_format_error(tmp_path: Path) -> None:
    path = tmp_path / "annex.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data.csv", "a,b\n")

    assert [f.code for f in read(path).findings] == ["FILE_FORMAT"]


def test_damaged_workbook_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    base = workbook(tmp_path, {"List 3": [LIST3]}, name="base.xlsx")
    path = _replace_part(base, tmp_path / "broken.xlsx", "xl/workbook.xml", b"<workbook><oops")

    result = read(path)

    assert [f.code for f in result.findings] == ["FILE_FORMAT"]
    assert not result.has_rows


def test_a_stored_upload_without_an_extension_is_read(tmp_path: Path) -> None:
    # Uploads are stored under random UUID names; openpyxl refuses such a path.
    import shutil

    from submissions.extract.readers import read_files

    stored = tmp_path / "3f6c2a9e-upload"
    shutil.copy(Path(__file__).parent / "data" / "annex_a_liia.xlsx", stored)

    extract = read_files([("Annex A.xlsx", stored)])

    assert len(extract.tables["referral"]) == 11
