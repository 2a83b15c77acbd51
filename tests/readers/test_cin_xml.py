"""CIN census XML reader: samples, mapping, schema findings, value findings, hostile XML."""

from __future__ import annotations

import gzip
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from submissions.extract.canonical import TABLES, Format, Severity
from submissions.extract.readers import cin_xml
from tests.readers.factories import (
    DATA,
    HEADER,
    cin_assessment,
    cin_child,
    cin_cpp,
    cin_details,
    cin_message,
    cin_plan,
    cin_s47,
    write,
)

# Every upstream CIN census sample (see data/PROVENANCE.md; CIN_la_issues_2887Q.xml is
# byte-identical to CIN_Census_2021.xml and is left out).
SAMPLES = [
    "BAR_cin_2022.xml", "CIN2rows.xml", "CIN_Census_2021.xml", "CIN_Census_2024.xml",
    "CIN_Census_2026.xml", "CIN_header_issues_100.xml", "fake_CIN_data.xml.gz",
    "liia_cin-2022.xml",
]  # fmt: skip


def sample(tmp_path: Path, name: str) -> Path:
    if name.endswith(".gz"):
        return write(
            tmp_path, name.removesuffix(".gz"), gzip.decompress((DATA / name).read_bytes())
        )
    return DATA / name


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_read_into_rows_or_located_findings(tmp_path: Path, name: str) -> None:
    result = cin_xml.read(sample(tmp_path, name), name)

    assert result.format is Format.CIN_XML
    assert result.has_rows
    for table, frame in result.tables.items():
        assert list(frame.columns) == [*TABLES[table], "_file", "_location"]
        assert (frame["_file"] == name).all()
        assert frame["_location"].notna().all()
    assert all(f.file == name and f.location for f in result.findings)


def test_sample_header_gives_la_reference_date_and_window() -> None:
    result = cin_xml.read(DATA / "CIN_Census_2024.xml", "c.xml")

    assert result.la_code == "201"
    assert result.reference_date == date(2024, 3, 31)
    assert result.coverage_start == date(2023, 4, 1)


def test_maps_every_module_with_derived_ids_and_locations(tmp_path: Path) -> None:
    xml = cin_message(
        cin_child(
            "C1",
            cin_details(
                "2023-06-01",
                cin_assessment("2023-06-02", "2023-06-20", ("2A", "4B")),
                cin_plan("2023-07-01", "2023-12-01"),
                cin_s47("2023-06-05", "2023-06-15", not_required="false"),
                cin_cpp("2023-06-16", "2024-01-10", "EMO", "2"),
                closure=("2024-01-10", "RC7"),
            ),
            cin_details("2024-02-01", cin_s47("2024-02-02", not_required="1"), nfa="1"),
            disabilities=("HAND", "NONE"),
        )
    )
    result = cin_xml.read(write(tmp_path, "c.xml", xml), "c.xml")
    t = result.tables

    child = t["child"].iloc[0]
    assert (child["child_id"], child["sex"], child["ethnicity"]) == ("C1", "M", "WBRI")
    assert child["date_of_birth"] == pd.Timestamp("2015-03-27")
    assert bool(child["disability"]) is True
    assert t["child"]["uasc"].isna().all()  # the census does not record it

    assert t["referral"]["referral_id"].tolist() == ["C1/R1", "C1/R2"]
    assert t["referral"]["referral_nfa"].tolist() == [False, True]
    assert t["referral"]["closure_reason"].tolist()[0] == "RC7"
    assert t["referral"]["_location"].iloc[1].startswith("Child[LAchildID=C1]/CINdetails[2] (line ")

    assessment = t["assessment"].iloc[0]
    assert assessment["assessment_id"] == "C1/R1/A1"
    assert assessment["referral_id"] == "C1/R1"
    assert assessment["factors"] == "2A,4B"
    assert pd.isna(assessment["outcome_nfa"])
    assert assessment["_location"].startswith(
        "Child[LAchildID=C1]/CINdetails[1]/Assessments[1] (line "
    )

    assert t["cin_plan"]["plan_id"].tolist() == ["C1/R1/P1"]
    assert t["s47_enquiry"]["s47_id"].tolist() == ["C1/R1/S1", "C1/R2/S1"]
    assert t["s47_enquiry"]["icpc_required"].tolist() == [True, False]  # ICPCnotRequired negated
    assert t["s47_enquiry"]["icpc_date"].iloc[0] == pd.Timestamp("2023-06-15")
    cpp = t["cp_plan"].iloc[0]
    assert (cpp["plan_id"], cpp["initial_category"], cpp["number_of_previous_cpp"]) == (
        "C1/R1/CP1",
        "EMO",
        2,
    )
    assert result.findings == []


@pytest.mark.parametrize(
    ("tag", "code", "expected"),
    [("GenderCurrent", "1", "M"), ("GenderCurrent", "2", "F"), ("GenderCurrent", "0", "U"),
     ("GenderCurrent", "9", "U"), ("Sex", "1", "M"), ("Sex", "F", "F"), ("Sex", "U", "U")],
)  # fmt: skip
def test_sex_from_gendercurrent_or_sex(tmp_path: Path, tag: str, code: str, expected: str) -> None:
    xml = cin_message(cin_child("C1", sex_tag=tag, sex=code))
    result = cin_xml.read(write(tmp_path, "c.xml", xml), "c.xml")

    assert result.tables["child"]["sex"].tolist() == [expected]
    assert [f for f in result.findings if f.code == "XSD"] == []


def test_namespaced_file_reads_and_validates_like_a_plain_one(tmp_path: Path) -> None:
    plain = cin_message(cin_child("C1", cin_details("2023-06-01", cin_assessment("2023-06-02"))))
    spaced = cin_message(
        cin_child("C1", cin_details("2023-06-01", cin_assessment("2023-06-02"))),
        xmlns="http://www.dfe.gov.uk/CIN",
    )
    a = cin_xml.read(write(tmp_path, "a.xml", plain), "x.xml")
    b = cin_xml.read(write(tmp_path, "b.xml", spaced), "x.xml")

    assert b.findings == a.findings == []
    assert b.la_code == "201"
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_schema_errors_are_located_by_line(tmp_path: Path) -> None:
    xml = cin_message(
        cin_child("C1", cin_details("2023-06-01", cin_cpp("2023-07-01", category="XYZ")))
    )
    path = write(tmp_path, "c.xml", xml)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "XYZ" in text)

    result = cin_xml.read(path, "c.xml")

    xsd = [f for f in result.findings if f.code == "XSD"]
    assert {(f.location, f.field, f.child_id) for f in xsd} == {
        (f"line {line}", "InitialCategoryOfAbuse", "C1"),
        (f"line {line}", "LatestCategoryOfAbuse", "C1"),
    }
    assert all(f.severity is Severity.ERROR for f in xsd)
    assert "'XYZ' is not an allowed code. Allowed codes: NEG, PHY, SAB, EMO, MUL." in xsd[0].message
    # …and the data is still mapped.
    assert result.tables["cp_plan"]["initial_category"].tolist() == ["XYZ"]


def test_sample_schema_errors_are_readable() -> None:
    result = cin_xml.read(DATA / "CIN_Census_2024.xml", "c.xml")
    messages = {f.location: f.message for f in result.findings if f.code == "XSD"}

    assert messages == {
        "line 19": "ChildIdentifiers contains stray text between its elements. Remove it.",
        "line 46": "AssessmentFactors 'RB' is not an allowed code.",
        "line 95": "FactorsIdentifiedAtAssessment is missing AssessmentFactors.",
    }


def test_bad_and_two_digit_dates_are_located_findings_not_xsd_repeats(tmp_path: Path) -> None:
    xml = cin_message(
        cin_child("C1", cin_details("31/02/2024", cin_assessment("01/04/24")), dob="01/04/2015")
    )
    result = cin_xml.read(write(tmp_path, "c.xml", xml), "c.xml")
    by_field = {f.field: f for f in result.findings}

    assert set(by_field) == {"CINreferralDate", "AssessmentActualStartDate", "PersonBirthDate"}
    bad = by_field["CINreferralDate"]
    assert (bad.code, bad.child_id) == ("DATE_FORMAT", "C1")
    assert bad.location.startswith("Child[LAchildID=C1]/CINdetails[1] (line ")
    assert "'31/02/2024' is not a date we can read" in bad.message
    assert "two-digit year" in by_field["AssessmentActualStartDate"].message
    # Readable, but not the census's YYYY-MM-DD: still reported, and still read.
    assert "must be written as YYYY-MM-DD" in by_field["PersonBirthDate"].message
    assert result.tables["child"]["date_of_birth"].tolist() == [pd.Timestamp("2015-04-01")]
    assert result.tables["referral"]["referral_date"].isna().all()


def test_bad_flag_is_a_flag_finding(tmp_path: Path) -> None:
    xml = cin_message(cin_child("C1", cin_details("2023-06-01", nfa="maybe")))
    result = cin_xml.read(write(tmp_path, "c.xml", xml), "c.xml")

    assert [(f.code, f.field) for f in result.findings] == [("FLAG_FORMAT", "ReferralNFA")]
    assert result.tables["referral"]["referral_nfa"].isna().all()


def test_missing_child_id_and_referral_date_are_missing_field_findings(tmp_path: Path) -> None:
    child = cin_child("", cin_details("")).replace("<LAchildID></LAchildID>", "")
    child = child.replace("<CINreferralDate></CINreferralDate>", "")
    result = cin_xml.read(write(tmp_path, "c.xml", cin_message(child)), "c.xml")

    assert sorted((f.code, f.field) for f in result.findings) == [
        ("MISSING_FIELD", "CINreferralDate"),
        ("MISSING_FIELD", "LAchildID"),
    ]
    assert result.tables["referral"]["referral_id"].tolist() == ["Child[1]/R1"]
    assert result.tables["referral"]["child_id"].isna().all()


def test_missing_reference_date_is_not_an_error(tmp_path: Path) -> None:
    header = "<Header><Source><LEA>201</LEA></Source></Header>"
    result = cin_xml.read(
        write(tmp_path, "c.xml", cin_message(cin_child(), header=header)), "c.xml"
    )

    assert result.findings == []
    assert (result.reference_date, result.coverage_start) == (None, None)


def test_la_code_must_be_three_digits(tmp_path: Path) -> None:
    header = HEADER.replace("<LEA>201</LEA>", "<LEA>20A</LEA>")
    result = cin_xml.read(
        write(tmp_path, "c.xml", cin_message(cin_child(), header=header)), "c.xml"
    )

    assert result.la_code is None
    [finding] = result.findings
    assert (finding.code, finding.field) == ("XSD", "LEA")
    assert finding.message == "LEA '20A' is not in the right form: it should be 3 digits."


def test_child_split_over_two_elements_keeps_unique_referral_ids(tmp_path: Path) -> None:
    xml = cin_message(cin_child("C1"), cin_child("C1"))
    result = cin_xml.read(write(tmp_path, "c.xml", xml), "c.xml")

    assert result.tables["referral"]["referral_id"].tolist() == ["C1/R1", "C1/R2"]


def test_malformed_xml_keeps_children_read_before_the_error(tmp_path: Path) -> None:
    head, tail = cin_message(cin_child("C1"), cin_child("C2")).rsplit("</Ethnicity>", 1)
    broken = head + "</Ethn>" + tail  # C2's end tag is wrong
    result = cin_xml.read(write(tmp_path, "c.xml", broken), "c.xml")

    assert result.tables["child"]["child_id"].tolist() == ["C1"]
    [finding] = result.findings
    assert finding.code == "XML_SYNTAX"
    assert finding.location.startswith("line ")


def test_file_without_children_is_an_error(tmp_path: Path) -> None:
    result = cin_xml.read(write(tmp_path, "c.xml", cin_message()), "c.xml")

    assert [f.code for f in result.findings] == ["NO_CHILDREN"]
    assert not result.has_rows


XXE = """<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&e;</LAchildID></ChildIdentifiers>
</Child></Children></Message>"""

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE Message [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<Message><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID>"
    "</ChildIdentifiers></Child></Children></Message>"
)


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    result = cin_xml.read(write(tmp_path, "x.xml", XXE), "x.xml")

    assert [f.code for f in result.findings] == ["XML_DOCTYPE"]
    assert "DOCTYPE or entities is not accepted" in result.findings[0].message
    assert not result.has_rows
    assert "root:" not in repr(result)


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = cin_xml.read(write(tmp_path, "x.xml", LAUGHS), "x.xml")

    assert time.perf_counter() - started < 1
    assert [f.code for f in result.findings] == ["XML_DOCTYPE"]


def test_utf16_file_gets_the_save_as_utf8_finding(tmp_path: Path) -> None:
    path = write(tmp_path, "c.xml", cin_message(cin_child()).encode("utf-16"))
    result = cin_xml.read(path, "c.xml")

    assert [f.code for f in result.findings] == ["FILE_ENCODING"]
    assert "UTF-16" in result.findings[0].message


@pytest.mark.parametrize(
    ("reference", "start"),
    [(date(2024, 3, 31), date(2023, 4, 1)), (date(2024, 4, 1), date(2023, 4, 1)),
     (date(2024, 10, 31), date(2024, 4, 1))],
)  # fmt: skip
def test_census_window_starts_on_the_1_april_before(reference: date, start: date) -> None:
    assert cin_xml.window_start(reference) == start


def test_a_first_plan_may_have_no_previous_plans(tmp_path: Path) -> None:
    # The XSD says positiveInteger, DfE rule 8730 says >= 0; a first plan has 0 previous.
    plan = cin_cpp("2024-05-01", previous="0")
    xml = cin_message(cin_child("C1", cin_details("2024-04-01", plan)))

    result = cin_xml.read(write(tmp_path, "c.xml", xml), "c.xml")

    assert result.tables["cp_plan"]["number_of_previous_cpp"].tolist() == [0]
    assert [f for f in result.findings if f.code == "XSD"] == []
