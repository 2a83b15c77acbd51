"""The writers: every format as real files look, from the same canonical tables."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from django.core.management import call_command
from lxml import etree

from submissions.extract.canonical import Extract
from submissions.extract.readers import api_json
from submissions.management.commands.generate_extracts import la_population
from submissions.synthetic.model import SIZES, generate
from submissions.synthetic.writers import FORMATS, write_extract
from tests.generator.conftest import END, LA, START

SPECS = Path("/work/shared/data/specs")
CIN_XSD = SPECS / "cin-census" / "CIN_schema_2024.xsd"
CLA_XSD = SPECS / "ssda903" / "CLA.xsd"
ANNEX_A_SPEC = SPECS / "annex-a" / "annex-a-merge.yml"
needs_specs = pytest.mark.skipif(not SPECS.exists(), reason="shared specs not mounted")

# The 903 column sets the DfE validator recognises tables by (domain.md section 3.1).
SSDA903_COLUMNS = {
    "header.csv": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "episodes.csv": ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC",
                     "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    "missing.csv": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
    "uasc.csv": ["CHILD", "SEX", "DOB", "DUC"],
}  # fmt: skip
DMY = r"\d{2}/\d{2}/\d{4}"


def _file(files: dict[str, list[Path]], fmt: str, name: str = "") -> Path:
    return next(p for p in files[fmt] if p.name.endswith(name))


def _schema(path: Path, xpath: str, attribute: str, value: str) -> etree.XMLSchema:
    """The schema with one attribute of the node at ``xpath`` changed."""
    tree = etree.parse(str(path))
    nodes = tree.xpath(xpath, namespaces={"xs": "http://www.w3.org/2001/XMLSchema"})
    assert isinstance(nodes, list)
    assert len(nodes) == 1
    node = nodes[0]
    assert isinstance(node, etree._Element)
    node.set(attribute, value)
    return etree.XMLSchema(tree)


def _messages(schema: etree.XMLSchema) -> set[str]:
    """The distinct messages of the last validation (``file:line:col:level:domain:type: msg``)."""
    return {line.split(":", 6)[6].strip() for line in str(schema.error_log).splitlines()}


def test_same_seed_same_files(small_files: dict[str, list[Path]], tmp_path: Path) -> None:
    again = write_extract(generate(LA, START, END, children=SIZES["small"], seed=1), tmp_path)
    assert again.keys() == FORMATS.keys()
    for fmt, paths in small_files.items():
        assert [p.name for p in paths] == [p.name for p in again[fmt]]
        for first, second in zip(paths, again[fmt], strict=True):
            assert first.read_bytes() == second.read_bytes(), first.name


@needs_specs
def test_cin_census_is_one_valid_file_per_year(
    small: Extract, small_files: dict[str, list[Path]]
) -> None:
    paths = small_files["cin"]
    assert [p.name for p in paths] == [f"CIN_Census_370_{y}.xml" for y in (2024, 2025, 2026)]
    # The copied XSD types NumberOfPreviousCPP as positiveInteger, but DfE rule 8730 wants it
    # "greater than or equal to zero" (0 on a first plan): only that check is relaxed.
    strict = etree.XMLSchema(etree.parse(str(CIN_XSD)))
    schema = _schema(
        CIN_XSD, "//xs:element[@name='NumberOfPreviousCPP']", "type", "xs:nonNegativeInteger"
    )
    referrals = set()
    for path, year in zip(paths, (2024, 2025, 2026), strict=True):
        doc = etree.parse(str(path))
        assert schema.validate(doc), schema.error_log
        if not strict.validate(doc):
            assert _messages(strict) == {
                "Element 'NumberOfPreviousCPP': '0' is not a valid value of the atomic type "
                "'xs:positiveInteger'."
            }
        root = doc.getroot()
        assert root.findtext("Header/Source/LEA") == LA
        assert root.findtext("Header/CollectionDetails/ReferenceDate") == f"{year}-03-31"
        assert {e.text for e in root.iter("GenderCurrent")} <= {"1", "2"}
        # Everything ended in the census year: closures, authorisations, plan ends.
        for tag in ("CINclosureDate", "AssessmentAuthorisationDate", "CPPendDate",
                    "CINPlanEndDate", "DateOfInitialCPC"):  # fmt: skip
            dates = [e.text or "" for e in root.iter(tag)]
            assert all(f"{year - 1}-04-01" <= d <= f"{year}-03-31" for d in dates), tag
        for child in root.iter("Child"):
            child_id = child.findtext("ChildIdentifiers/LAchildID")
            referrals |= {(child_id, d.text) for d in child.iter("CINreferralDate")}
    truth = small.tables["referral"]
    assert referrals == set(
        zip(truth["child_id"], truth["referral_date"].dt.strftime("%Y-%m-%d"), strict=True)
    )


@needs_specs
def test_903_xml_validates_against_cla_xsd(small_files: dict[str, list[Path]]) -> None:
    doc = etree.parse(str(_file(small_files, "903xml")))
    # CLA.xsd caps CHILDID at 10 characters; the generator's ids (370C000123) have 10.
    strict = etree.XMLSchema(etree.parse(str(CLA_XSD)))
    assert strict.validate(doc), strict.error_log


def test_903_csvs_have_the_dfe_columns(small: Extract, small_files: dict[str, list[Path]]) -> None:
    t = small.tables
    tables = {p.name: pd.read_csv(p, dtype=str) for p in small_files["903"]}
    assert {name: list(df.columns) for name, df in tables.items()} == SSDA903_COLUMNS
    header, episodes, missing = tables["header.csv"], tables["episodes.csv"], tables["missing.csv"]
    assert set(header["SEX"]) <= {"1", "2"}
    assert header["DOB"].str.fullmatch(DMY).all()
    assert episodes["DECOM"].str.fullmatch(DMY).all()
    assert episodes["DEC"].dropna().str.fullmatch(DMY).all()
    assert missing["MIS_START"].str.fullmatch(DMY).all()
    assert missing["MIS_END"].isna().sum() == t["missing_episode"]["end_date"].isna().sum()
    assert len(episodes) == len(t["cla_episode"])
    assert len(missing) == len(t["missing_episode"])
    assert set(header["CHILD"]) == set(t["cla_episode"]["child_id"])
    assert set(tables["uasc.csv"]["CHILD"]) <= set(t["child"].loc[t["child"]["uasc"], "child_id"])
    moved = episodes["REASON_PLACE_CHANGE"].notna()
    assert moved.any()
    assert (episodes.loc[moved, "REC"] == "X1").all()


@needs_specs
def test_annex_a_opens_read_only_with_the_real_headers(
    small: Extract, small_files: dict[str, list[Path]]
) -> None:
    spec = yaml.safe_load(ANNEX_A_SPEC.read_text(encoding="utf-8"))["datasources"]
    wb = openpyxl.load_workbook(_file(small_files, "annexa"), read_only=True)
    assert wb.sheetnames == [f"List {n}" for n in range(1, 12)]
    rows = {name: list(wb[name].iter_rows(values_only=True)) for name in wb.sheetnames}
    for name, columns in spec.items():
        assert list(rows[name][0]) == list(columns), name
    t = small.tables
    counts = {"List 3": "referral", "List 4": "assessment", "List 5": "s47_enquiry",
              "List 6": "referral", "List 7": "cp_plan"}  # fmt: skip
    for name, table in counts.items():
        assert len(rows[name]) - 1 == len(t[table]), name
        assert wb[name].max_row == len(t[table]) + 1  # the sheet's <dimension>
    assert 0 < len(rows["List 8"]) - 1 <= t["cla_episode"]["child_id"].nunique() * 3
    list_3 = pd.DataFrame(rows["List 3"][1:], columns=rows["List 3"][0])
    assert set(list_3["Gender"]) <= {"a) Male", "b) Female"}
    assert list_3["Ethnicity"].str.fullmatch(r"[a-s]\) [A-Z]{4}").all()
    assert list_3["Referral NFA?"].isin(["a) Yes", "b) No"]).all()
    assert pd.api.types.is_datetime64_any_dtype(pd.to_datetime(list_3["Date of referral"]))
    list_4 = pd.DataFrame(rows["List 4"][1:], columns=rows["List 4"][0])
    answer = list_4["Was the child assessed as requiring LA children's social care support?"]
    assert (answer == "b) No").sum() == t["assessment"]["outcome_nfa"].sum()


def test_api_payload_has_a_record_per_child(
    small: Extract, small_files: dict[str, list[Path]]
) -> None:
    records = json.loads(_file(small_files, "api").read_text(encoding="utf-8"))
    t = small.tables
    assert isinstance(records, list)
    assert [r["la_child_id"] for r in records] == sorted(t["child"]["child_id"])
    assert all(r["la_child_id"] and r["child_details"]["date_of_birth"] for r in records)
    episodes = [e for r in records for e in r["social_care_episodes"]]
    # Like the D2I sender: only what overlaps the window, no history that ended before it.
    assert small.as_of is not None
    window = pd.Timestamp(api_json.window_start(small.as_of))
    sent = {
        name: t[name][~(t[name][column] < window).fillna(False).astype(bool)]
        for name, column in [("referral", "closure_date"), ("assessment", "authorisation_date"),
                             ("cp_plan", "end_date"), ("cla_episode", "end_date")]
    }  # fmt: skip
    s47 = t["s47_enquiry"]
    sent["s47_enquiry"] = s47[
        ~((s47["end_date"] < window) | (s47["icpc_date"] < window)).fillna(False).astype(bool)
    ]
    assert sorted(e["social_care_episode_id"] for e in episodes) == sorted(
        sent["referral"]["referral_id"]
    )
    referrals = set(sent["referral"]["referral_id"])
    for key, table in [("child_and_family_assessments", "assessment"),
                       ("child_protection_plans", "cp_plan"),
                       ("section_47_assessments", "s47_enquiry")]:  # fmt: skip
        expected = sent[table][sent[table]["referral_id"].isin(referrals)]
        assert sum(len(e[key]) for e in episodes) == len(expected), key
    placements = sum(len(e["child_looked_after_placements"]) for e in episodes)
    assert 0 < placements <= len(sent["cla_episode"])
    dates = [e["referral_date"] for e in episodes]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert all(e.get("closure_date", "9999") >= f"{window:%Y-%m-%d}" for e in episodes)
    assert {r["child_details"]["sex"] for r in records} <= {"M", "F"}


def test_command_writes_every_format(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "generate_extracts", "--la", LA, "--from", "2025-04-01", "--to", "2026-03-31",
        "--size", "300", "--seed", "4", "--out", str(tmp_path), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "children" in text
    assert "cp_plan" in text
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted([
        "CIN_Census_370_2026.xml", "SSDA903_370.xml", "Annex_A_370.xlsx", "dfe_csc_api_370.json",
        *(f"ssda903/{name}" for name in SSDA903_COLUMNS),
    ])  # fmt: skip
    for path in written:
        assert path.split("/")[-1] in text


def test_command_sizes_an_la_by_its_population() -> None:
    assert la_population("370") == 51_799  # Barnsley, 0-17, mid-2024
    assert la_population("999") is None
