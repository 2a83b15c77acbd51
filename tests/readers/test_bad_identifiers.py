"""Bad data is never accepted silently: a child's repeated or conflicting 903 rows, and child
identifiers too long for the return or holding characters no case-management system writes,
in every format; a symbolic link in a zip and an XML entity in a workbook part get messages
that say what was wrong."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from submissions.extract.canonical import Finding, Severity
from submissions.extract.readers import annex_a, api_json, cin_xml, read_files, ssda903
from submissions.extract.rules import run_rules
from tests.readers.factories import DATA, cin_child, cin_message
from tests.readers.test_annex_a import CHILD, LIST4, workbook
from tests.readers.test_ssda903_xml import child_xml, document

HEADER = ",".join(ssda903.TABLE_COLUMNS["header"])
NEW_CODES = {"CONFLICTING_CHILD", "DUPLICATE_CHILD", "CHILD_ID_TOO_LONG", "CHILD_ID_CHARACTERS",
             "1570", "ZIP_SYMLINK", "XLSX_ENTITY"}  # fmt: skip

#: Identifiers no case-management system writes: markup, spreadsheet formulas, control
#: characters, quotes, separators and non-ASCII letters.
ODD_IDS = ["<script>", "C1<b>", '=HYPERLINK("http://x","y")', "+441234", "-12", "@SUM(A1)",
           "C\x071", "C\t1", 'C"1', "C'1", "C;1", "C,1", "C&1", "Zoë1"]  # fmt: skip
#: Identifiers as systems do write them.
PLAIN_IDS = ["566910", "C123", "LL-00123", "AB_12", "C/12.3", "AB 123"]


def csv_text(rows: list[list[str]], header: str = HEADER) -> str:
    """A 903 CSV of ``rows``, quoted as Excel would."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return header + "\n" + buffer.getvalue()


def read_csv(tmp_path: Path, text: str, name: str = "header.csv") -> list[Finding]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return ssda903.read(path, name).findings


def only(findings: list[Finding], *codes: str) -> list[Finding]:
    return [f for f in findings if f.code in codes]


# --- repeated 903 header rows --------------------------------------------------------------


def test_conflicting_header_rows_are_one_error_naming_both_lines_and_fields(
    tmp_path: Path,
) -> None:
    text = csv_text([
        ["C1", "1", "01/02/2015", "WBRI", "", "", ""],
        ["C2", "2", "01/01/2014", "WBRI", "", "", ""],
        ["C1", "2", "02/01/2015", "WBRI", "", "", ""],
    ])  # fmt: skip

    findings = read_csv(tmp_path, text)

    [finding] = only(findings, "CONFLICTING_CHILD", "DUPLICATE_CHILD")
    assert (finding.code, finding.severity) == ("CONFLICTING_CHILD", Severity.ERROR)
    assert (finding.file, finding.location, finding.child_id) == ("header.csv", "line 4", "C1")
    assert finding.field == "SEX, DOB"
    assert finding.message == (
        "Child C1 has two Header rows that disagree, line 2 and line 4: SEX 1 on line 2, 2 on "
        "line 4; DOB 01/02/2015 on line 2, 02/01/2015 on line 4. A child has only one Header "
        "row: correct the values that are wrong and delete the other Header row."
    )


@pytest.mark.parametrize(
    ("second", "field"),
    [
        (["C1", "1", "01/02/2015", "WIRI", "", "", ""], "ETHNIC"),
        (["C1", "1", "01/02/2015", "", "", "", ""], "ETHNIC"),  # blank against a value
        (["C1", "1", "01/02/2015", "WBRI", "A123456789012", "", ""], "UPN"),
    ],
)
def test_any_differing_value_is_a_conflict(tmp_path: Path, second: list[str], field: str) -> None:
    text = csv_text([["C1", "1", "01/02/2015", "WBRI", "", "", ""], second])

    [finding] = only(read_csv(tmp_path, text), "CONFLICTING_CHILD", "DUPLICATE_CHILD")
    assert (finding.code, finding.location, finding.field) == ("CONFLICTING_CHILD", "line 3", field)


def test_identical_duplicate_header_rows_are_a_query(tmp_path: Path) -> None:
    # The same values written differently (case, spacing, date form) are the same values.
    text = csv_text([
        ["C1", "1", "01/02/2015", "WBRI", "", "", ""],
        ["C2", "2", "01/01/2014", "WBRI", "", "", ""],
        ["C1", " 1", "2015-02-01", "wbri ", "", "", ""],
    ])  # fmt: skip

    [finding] = only(read_csv(tmp_path, text), "CONFLICTING_CHILD", "DUPLICATE_CHILD")
    assert (finding.code, finding.severity) == ("DUPLICATE_CHILD", Severity.QUERY)
    assert (finding.location, finding.child_id, finding.field) == ("line 4", "C1", "CHILD")
    assert finding.message == (
        "Line 4 repeats line 2 exactly: child C1 has the same Header row twice. It was read "
        "once; delete the repeated Header row."
    )


def test_a_third_row_is_compared_with_the_first(tmp_path: Path) -> None:
    row = ["C1", "1", "01/02/2015", "WBRI", "", "", ""]
    text = csv_text([row, row, ["C1", "2", "01/02/2015", "WBRI", "", "", ""]])

    found = only(read_csv(tmp_path, text), "CONFLICTING_CHILD", "DUPLICATE_CHILD")
    assert [(f.code, f.location) for f in found] == [
        ("DUPLICATE_CHILD", "line 3"),
        ("CONFLICTING_CHILD", "line 4"),
    ]
    assert "line 2 and line 4" in found[1].message


def test_repeated_uasc_rows_are_reported_too(tmp_path: Path) -> None:
    header = ",".join(ssda903.TABLE_COLUMNS["uasc"])
    text = csv_text(
        [["C1", "1", "01/02/2015", "01/02/2033"], ["C1", "1", "01/02/2015", "01/02/2034"]],
        header=header,
    )

    [finding] = only(read_csv(tmp_path, text, "uasc.csv"), "CONFLICTING_CHILD")
    assert (finding.location, finding.field) == ("line 3", "DUC")
    assert "two UASC rows" in finding.message


def test_many_rows_per_child_in_other_tables_are_fine(tmp_path: Path) -> None:
    header = ",".join(ssda903.TABLE_COLUMNS["episodes"])
    rows = [["C1", f"0{m}/04/2023", "S", "C2", "N1", "U1", "PR1", "", "", "", "", "", ""]
            for m in range(1, 4)]  # fmt: skip

    assert not only(read_csv(tmp_path, csv_text(rows, header), "episodes.csv"), *NEW_CODES)


def test_the_conflict_reaches_the_rules_run_as_an_error(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(csv_text([["C1", "1", "01/02/2015", "WBRI", "", "", ""],
                              ["C1", "2", "01/02/2015", "WBRI", "", "", ""]]))  # fmt: skip

    extract = read_files([("header.csv", path)])

    assert [f.code for f in extract.findings] == ["CONFLICTING_CHILD"]
    assert len(extract.tables["child"]) == 1  # merged, but not silently


def test_two_xml_children_with_the_same_childid_and_different_dob_conflict(
    tmp_path: Path,
) -> None:
    path = tmp_path / "return.xml"
    path.write_text(document(child_xml("C1"), child_xml("C2"), child_xml("C1", dob="06/05/2010")))

    findings = ssda903.read(path, "return.xml").findings

    [finding] = only(findings, "CONFLICTING_CHILD", "DUPLICATE_CHILD")
    assert finding.location == "CHILD[CHILDID=C1]/HEADER (line 16)"
    assert finding.field == "DOB"
    assert "two CHILD records that disagree, line 4 and line 16" in finding.message
    assert "DOB 05/06/2010 on line 4, 06/05/2010 on line 16" in finding.message


def test_an_xml_child_repeated_exactly_is_a_query(tmp_path: Path) -> None:
    path = tmp_path / "return.xml"
    path.write_text(document(child_xml("C1"), child_xml("C1")))

    [finding] = only(ssda903.read(path, "return.xml").findings, "CONFLICTING_CHILD",
                     "DUPLICATE_CHILD")  # fmt: skip
    assert (finding.code, finding.field) == ("DUPLICATE_CHILD", "CHILDID")


# --- identifiers: SSDA903 ------------------------------------------------------------------


def test_a_903_identifier_longer_than_10_characters_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    huge = "C" * 10_000
    text = csv_text([["C123456789", "1", "01/02/2015", "WBRI", "", "", ""],
                     ["C1234567890", "1", "01/02/2015", "WBRI", "", "", ""],
                     [huge, "1", "01/02/2015", "WBRI", "", "", ""]])  # fmt: skip

    found = only(read_csv(tmp_path, text), *NEW_CODES)

    assert [(f.code, f.severity, f.location, f.field) for f in found] == [
        ("CHILD_ID_TOO_LONG", Severity.ERROR, "line 3", "CHILD"),
        ("CHILD_ID_TOO_LONG", Severity.ERROR, "line 4", "CHILD"),
    ]
    assert found[0].message == (
        "CHILD 'C1234567890' is 11 characters long; the SSDA903 return allows at most 10. Use "
        "the child's identifier from your case-management system."
    )
    assert "is 10,000 characters long" in found[1].message
    assert len(found[1].message) < 300
    assert len(found[1].child_id) <= 64


#: Rows that keep one control character under the 1% that makes a file "not text".
PADDING = [[f"P{n}", "1", "01/02/2015", "WBRI", "", "", ""] for n in range(10)]


@pytest.mark.parametrize("child_id", ODD_IDS)
def test_a_903_identifier_with_odd_characters_is_an_error(tmp_path: Path, child_id: str) -> None:
    text = csv_text([["C1", "1", "01/02/2015", "WBRI", "", "", ""],
                     [child_id, "1", "01/02/2015", "WBRI", "", "", ""], *PADDING])  # fmt: skip

    found = only(read_csv(tmp_path, text), "CHILD_ID_CHARACTERS")

    assert [(f.severity, f.location, f.field) for f in found] == [
        (Severity.ERROR, "line 3", "CHILD")
    ]
    assert "Identifiers from a case-management system are letters and digits" in found[0].message


@pytest.mark.parametrize(
    ("child_id", "why"),
    [
        ("=1+1", "starts with '=', which makes a spreadsheet run it as a formula"),
        ("<script>", "starts with '<' (markup)"),
        ("C\x071", "contains a control character (\\x07)"),
        ("C;1", "contains the character ';'"),
    ],
)
def test_the_message_says_what_is_odd(tmp_path: Path, child_id: str, why: str) -> None:
    text = csv_text([[child_id, "1", "01/02/2015", "WBRI", "", "", ""], *PADDING])

    [finding] = only(read_csv(tmp_path, text), "CHILD_ID_CHARACTERS")
    assert why in finding.message
    assert "\x07" not in finding.message


@pytest.mark.parametrize("child_id", PLAIN_IDS)
def test_identifiers_as_systems_write_them_are_fine(tmp_path: Path, child_id: str) -> None:
    text = csv_text([[child_id, "1", "01/02/2015", "WBRI", "", "", ""]])

    assert not only(read_csv(tmp_path, text), *NEW_CODES)


def test_an_odd_903_xml_identifier_is_located_without_repeating_it(tmp_path: Path) -> None:
    path = tmp_path / "return.xml"
    path.write_text(document(child_xml("C1"), child_xml("X" * 10_000)))

    result = ssda903.read(path, "return.xml")

    [finding] = only(result.findings, *NEW_CODES)
    assert (finding.code, finding.field) == ("CHILD_ID_TOO_LONG", "CHILDID")
    assert finding.location == "CHILD[2]/HEADER (line 10)"
    episodes = result.tables["cla_episode"]["_location"]
    assert episodes.iloc[-1] == "CHILD[2]/EPISODE[1] (line 13)"
    assert episodes.str.len().max() < 100


# --- identifiers: CIN census, DfE API, Annex A -----------------------------------------------


def test_a_cin_identifier_over_20_characters_is_1570_at_the_child_once(tmp_path: Path) -> None:
    path = tmp_path / "census.xml"
    path.write_text(cin_message(cin_child("C1"), cin_child("C" * 10_000)))
    extract = read_files([("census.xml", path)])

    [finding] = only(extract.findings, *NEW_CODES)
    assert (finding.code, finding.severity) == ("1570", Severity.ERROR)
    assert (finding.location, finding.field) == ("Child[2] (line 20)", "LAchildID")
    assert "is 10,000 characters long; the CIN census allows at most 20" in finding.message
    # The DfE rule 1570 (from 2024/25) flags the same child at the same place: reported once.
    rules = run_rules(extract, "2024_25")
    assert not [f for f in rules if f.code == "1570"]


@pytest.mark.parametrize("child_id", ["&lt;script&gt;", "=cmd|' /C calc'!A0", "C&amp;1"])
def test_a_cin_identifier_with_markup_or_a_formula_is_an_error(
    tmp_path: Path, child_id: str
) -> None:
    path = tmp_path / "census.xml"
    path.write_text(cin_message(cin_child(child_id)))

    result = cin_xml.read(path, "census.xml")

    [finding] = only(result.findings, *NEW_CODES)
    assert (finding.code, finding.location, finding.field) == (
        "CHILD_ID_CHARACTERS",
        "Child[1] (line 10)",
        "LAchildID",
    )


def test_api_identifiers_are_checked_like_the_census(tmp_path: Path) -> None:
    def record(child_id: str) -> dict[str, Any]:
        return {"la_child_id": child_id, "child_details": {"date_of_birth": "2015-03-27"}}

    path = tmp_path / "payload.json"
    path.write_text(json.dumps([record("C1"), record("C" * 21), record("<img src=x>")]))

    result = api_json.read(path, "payload.json")

    found = only(result.findings, *NEW_CODES)
    assert [(f.code, f.location, f.field) for f in found] == [
        ("1570", "/1", "la_child_id"),
        ("CHILD_ID_CHARACTERS", "/2", "la_child_id"),
    ]


def _annex_a(tmp_path: Path, child_id: str) -> Path:
    values: list[Any] = [
        "b) Female",
        "a) WBRI",
        datetime(2012, 5, 1),
        11,
        "No",
        datetime(2024, 1, 2),
        "Yes",
        datetime(2024, 1, 9),
        "Yes",
        "T",
        "W",
    ]
    rows: list[list[Any]] = [LIST4, ["C1", *values], [child_id, *values]]
    contacts: list[list[Any]] = [[*CHILD, "Date of Contact", "Contact Source"]]
    path = workbook(tmp_path, {"List 1": contacts, "List 4": rows})
    # openpyxl would store "=…" as a formula; a case-management export stores it as text.
    book = openpyxl.load_workbook(path)
    cell = book["List 4"]["A3"]
    cell.value, cell.data_type = child_id, "s"
    book.save(path)
    return path


@pytest.mark.parametrize(
    "child_id", ['=HYPERLINK("http://evil","click")', "<script>alert(1)</script>", "@SUM(1)"]
)
def test_annex_a_identifier_with_markup_or_a_formula_is_an_error_at_the_cell(
    tmp_path: Path, child_id: str
) -> None:
    result = annex_a.read(_annex_a(tmp_path, child_id), "annex.xlsx")

    found = only(result.findings, "CHILD_ID_CHARACTERS")
    assert [(f.severity, f.location, f.field) for f in found] == [
        (Severity.ERROR, "List 4!A3", "Child Unique ID")
    ]


def test_annex_a_identifier_over_20_characters_is_an_error_at_the_cell(tmp_path: Path) -> None:
    result = annex_a.read(_annex_a(tmp_path, "1" * 10_000), "annex.xlsx")

    [finding] = only(result.findings, *NEW_CODES)
    assert (finding.code, finding.location) == ("CHILD_ID_TOO_LONG", "List 4!A3")
    assert "Annex A, like the CIN census, allows at most 20" in finding.message


# --- archives and workbooks ----------------------------------------------------------------


def symlink_zip(path: Path, *, workbook_from: Path | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if workbook_from is not None:
            with zipfile.ZipFile(workbook_from) as source:
                for item in source.infolist():
                    zf.writestr(item, source.read(item.filename))
        else:
            zf.writestr("episodes.csv", "CHILD,SEX,DOB,DUC\nC1,1,01/01/2010,\n")
        link = zipfile.ZipInfo("header.csv")
        link.create_system = 3  # Unix
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return path


def test_a_symbolic_link_in_a_zip_is_named(tmp_path: Path) -> None:
    extract = read_files([("extract.zip", symlink_zip(tmp_path / "extract.zip"))])

    [finding] = extract.findings
    assert (finding.code, finding.severity, finding.file) == (
        "ZIP_SYMLINK",
        Severity.ERROR,
        "extract.zip",
    )
    assert finding.message == (
        "The zip file extract.zip contains a symbolic link (header.csv). Zip the files "
        "themselves, not links to them, and upload the new zip file."
    )


def test_a_symbolic_link_in_a_workbook_is_named(tmp_path: Path) -> None:
    source = workbook(tmp_path, {"List 1": [[*CHILD, "Date of Contact", "Contact Source"]]})
    path = symlink_zip(tmp_path / "annex.xlsx", workbook_from=source)

    [finding] = read_files([("annex.xlsx", path)]).findings
    assert finding.code == "ZIP_SYMLINK"
    assert finding.message.startswith(
        "The spreadsheet annex.xlsx contains a symbolic link (header.csv)"
    )


def with_doctype(source: Path, target: Path, part: str, encoding: str = "utf-8") -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                body = data.decode("utf-8")
                if body.startswith("<?xml"):
                    body = body.split("?>", 1)[1]
                text = (
                    f'<?xml version="1.0" encoding="{encoding}"?>\n'
                    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>' + body
                )
                data = text.encode(encoding)
            zout.writestr(item, data)
    return target


@pytest.mark.parametrize(
    "part",
    ["xl/sharedStrings.xml", "xl/worksheets/sheet4.xml", "xl/workbook.xml", "[Content_Types].xml",
     "xl/styles.xml", "xl/_rels/workbook.xml.rels", "docProps/core.xml", "xl/theme/theme1.xml"],
)  # fmt: skip
def test_an_xml_entity_in_any_workbook_part_is_named(tmp_path: Path, part: str) -> None:
    # A workbook saved by Excel (openpyxl writes no shared strings and no XML declarations).
    path = with_doctype(DATA / "annex_a_liia.xlsx", tmp_path / "entity.xlsx", part)

    result = annex_a.read(path, "annex.xlsx")

    [finding] = result.findings
    assert (finding.code, finding.severity) == ("XLSX_ENTITY", Severity.ERROR)
    assert finding.message == (
        f"The spreadsheet annex.xlsx contains an XML entity declaration in part {part}, which "
        "the service does not accept for security reasons (Excel never writes one). Save it "
        "again from Excel as an Excel Workbook (.xlsx), or export it again from your system, "
        "and upload the new file."
    )
    assert not result.tables


def test_an_xml_entity_in_a_utf16_part_is_named(tmp_path: Path) -> None:
    source = workbook(tmp_path, {"List 4": [LIST4]})
    path = with_doctype(source, tmp_path / "e.xlsx", "xl/workbook.xml", encoding="utf-16")

    [finding] = annex_a.read(path, "annex.xlsx").findings
    assert finding.code == "XLSX_ENTITY"


# --- clean files raise none of these -------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples"
CLEAN_SAMPLES = [
    "csc-validator-be-903/header.csv", "csc-validator-be-903/episodes.csv",
    "csc-validator-be-903/uasc.csv", "csc-validator-be-903/fake_903.xml",
    "csc-validator-be-cin/fake_CIN_data.xml", "liia-tools/Annex_A.xlsx",
    "liia-tools-pipeline/Annex_A_2024_Jan.xlsx", "liia-tools-pipeline/SSDA903_2020_episodes.csv",
    "liia-tools/SSDA903_episodes_for_testing_fixes_INPUT.csv", "liia-tools/cin-2022.xml",
]  # fmt: skip


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples not available")
@pytest.mark.parametrize("name", CLEAN_SAMPLES)
def test_sample_files_raise_none_of_the_new_findings(name: str) -> None:
    extract = read_files([(name, SAMPLES / name)])

    assert not only(extract.findings, *NEW_CODES)


def test_generated_clean_extract_raises_none_of_the_new_findings(tmp_path: Path) -> None:
    from submissions.synthetic.model import generate
    from submissions.synthetic.writers import write_extract

    extract = generate("370", date(2024, 4, 1), date(2025, 3, 31), children=300, seed=1, clean=True)
    written = write_extract(extract, tmp_path, ["cin", "903", "903xml", "annexa", "api"])
    for paths in written.values():
        for path in paths:
            found = only(read_files([(path.name, path)]).findings, *NEW_CODES)
            assert not found, (path.name, found[:3])
