"""SSDA903 XML reader: the sample, the same mapping as the CSV tables, locations, hostile XML."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pandas as pd
import pytest

from submissions.extract.canonical import TABLES, Format, Severity
from submissions.extract.readers import ssda903

DATA = Path(__file__).parent / "data"


def child_xml(
    child_id: str = "C1",
    *,
    dob: str = "05/06/2010",
    uasc: str = "",
    missing: tuple[tuple[str, str, str], ...] = (),
    episodes: tuple[tuple[str, ...], ...] = (("01/04/2023", "S", "C2", "U1", "", ""),),
    extra: str = "",
) -> str:
    """One ``<CHILD>``, one element per line so line numbers are easy to predict.
    ``episodes`` are (DECOM, RNE, LS, PL, DEC, REC)."""
    absences = "".join(
        f"<AMISSING><MISSING>{kind}</MISSING><MIS_START>{start}</MIS_START>"
        f"<MIS_END>{end}</MIS_END></AMISSING>\n"
        for kind, start, end in missing
    )
    duc = "<DUC>01/01/2028</DUC>" if uasc == "1" else ""
    body = "".join(
        f"<EPISODE><DECOM>{decom}</DECOM><RNE>{rne}</RNE><LS>{ls}</LS><CIN>N1</CIN><PL>{pl}</PL>"
        f"<PL_POST/><HOME_POST/><URN/><PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>{dec}</DEC>"
        f"<REC>{rec}</REC><REASON_PLACE_CHANGE/></EPISODE>\n"
        for decom, rne, ls, pl, dec, rec in episodes
    )
    return (
        f"<CHILD>\n<HEADER><CHILDID>{child_id}</CHILDID><UPN>A123456789012</UPN><SEX>2</SEX>"
        f"<DOB>{dob}</DOB><ETHNIC>WBRI</ETHNIC><UASC>{uasc}</UASC>{duc}\n"
        f"{absences}<AREVIEW><REVIEW>01/06/2023</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>\n"
        f"<MOTHER/><MC_DOB/>{extra}</HEADER>\n{body}</CHILD>"
    )


def document(*children: str, prolog: str = "<?xml version='1.0' encoding='utf-8'?>\n") -> str:
    return f"{prolog}<EXPSSDA903>\n" + "\n".join(children) + "\n</EXPSSDA903>\n"


def write(tmp_path: Path, content: str | bytes, name: str = "return.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_sample_return_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, gzip.decompress((DATA / "ssda903_fake_903.xml.gz").read_bytes()))

    result = ssda903.read(path, "fake_903.xml")

    assert result.format is Format.SSDA903_XML
    assert result.findings == []
    assert {name: len(frame) for name, frame in result.tables.items()} == {
        "child": 253,
        "cla_episode": 459,
        "missing_episode": 6,
    }
    for name, frame in result.tables.items():
        assert list(frame.columns) == [*TABLES[name], "_file", "_location"]
    child = result.tables["child"].set_index("child_id")
    assert list(child.loc["907440", ["sex", "ethnicity"]]) == ["F", "BAFR"]
    assert child.loc["907440", "date_of_birth"] == pd.Timestamp("2010-07-28")
    assert int(child["uasc"].sum()) == 12
    episode = result.tables["cla_episode"].iloc[1]
    assert episode["episode_id"] == "907440/E2"
    assert episode["placement_type"] == "P2"  # from <PL>
    assert episode["_location"] == "CHILD[CHILDID=907440]/EPISODE[2] (line 2)"


def test_xml_maps_a_child_exactly_as_the_csv_tables_do(tmp_path: Path) -> None:
    episodes = (
        ("01/04/2023", "S", "C2", "U1", "01/07/2023", "X1"),
        ("01/07/2023", "P", "C2", "K2", "", ""),
    )
    missing = (("M", "03/05/2023", "04/05/2023"), ("A", "09/08/2023", ""))
    xml = ssda903.read(
        write(tmp_path, document(child_xml("C9", uasc="1", missing=missing, episodes=episodes))),
        "r.xml",
    )
    csv_files = {
        "header.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC9,2,05/06/2010,WBRI,A1,,\n",
        "uasc.csv": "CHILD,SEX,DOB,DUC\nC9,2,05/06/2010,01/01/2028\n",
        "episodes.csv": ",".join(ssda903.TABLE_COLUMNS["episodes"])
        + "\nC9,01/04/2023,S,C2,N1,U1,PR1,01/07/2023,X1,,,,\n"
        + "C9,01/07/2023,P,C2,N1,K2,PR1,,,,,,\n",
        "missing.csv": "CHILD,DOB,MISSING,MIS_START,MIS_END\n"
        "C9,05/06/2010,M,03/05/2023,04/05/2023\nC9,05/06/2010,A,09/08/2023,\n",
    }
    csv = [ssda903.read(write(tmp_path, text, name), name) for name, text in csv_files.items()]

    def content(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frame = pd.concat(frames, ignore_index=True).drop(columns=["_file", "_location"])
        return frame.reset_index(drop=True)

    assert xml.findings == []
    assert all(r.findings == [] for r in csv)
    child = ssda903.merge_child_rows(pd.concat([r.tables["child"] for r in csv]))
    pd.testing.assert_frame_equal(content([xml.tables["child"]]), content([child]))
    for table in ("cla_episode", "missing_episode"):
        from_csv = [r.tables[table] for r in csv if table in r.tables]
        pd.testing.assert_frame_equal(content([xml.tables[table]]), content(from_csv))


def test_locations_name_the_child_the_element_and_the_line(tmp_path: Path) -> None:
    episodes = (("01/04/2023", "S", "C2", "U1", "", ""), ("31/13/2023", "P", "C2", "U1", "", ""))
    missing = (("M", "1/5/23", ""),)
    path = write(
        tmp_path, document(child_xml("C1"), child_xml("C2", missing=missing, episodes=episodes))
    )

    result = ssda903.read(path, "r.xml")

    found = {(f.field, f.location, f.child_id) for f in result.findings}
    assert found == {
        ("MIS_START", "CHILD[CHILDID=C2]/HEADER/AMISSING[1] (line 11)", "C2"),
        ("DECOM", "CHILD[CHILDID=C2]/EPISODE[2] (line 15)", "C2"),
    }
    assert any("two-digit year" in f.message for f in result.findings)
    assert result.tables["cla_episode"]["_location"].tolist() == [
        "CHILD[CHILDID=C1]/EPISODE[1] (line 7)",
        "CHILD[CHILDID=C2]/EPISODE[1] (line 14)",
        "CHILD[CHILDID=C2]/EPISODE[2] (line 15)",
    ]


def test_child_without_childid_is_reported(tmp_path: Path) -> None:
    result = ssda903.read(write(tmp_path, document(child_xml(""))), "r.xml")

    assert [(f.code, f.field) for f in result.findings] == [("MISSING_FIELD", "CHILDID")]
    assert result.findings[0].location == "CHILD[1]/HEADER (line 4)"
    assert result.tables["child"].empty
    assert result.tables["cla_episode"].empty


def test_unknown_element_is_one_query_per_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        document(
            child_xml("C1", extra="<PETNAME>Rex</PETNAME>"), child_xml("C2", extra="<PETNAME/>")
        ),
    )

    result = ssda903.read(path, "r.xml")

    assert [(f.code, f.severity, f.field, f.location) for f in result.findings] == [
        ("UNKNOWN_ELEMENT", Severity.QUERY, "PETNAME", "line 6")
    ]


def test_malformed_xml_keeps_the_children_read_before_the_error(tmp_path: Path) -> None:
    text = document(child_xml("C1")).replace("</EXPSSDA903>", "<CHILD><HEADER>")

    result = ssda903.read(write(tmp_path, text), "r.xml")

    assert [f.code for f in result.findings] == ["XML_SYNTAX"]
    assert result.findings[0].location.startswith("line ")
    assert result.tables["child"]["child_id"].tolist() == ["C1"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("<?xml version='1.0'?><Message><Children/></Message>", "FILE_FORMAT"),
        ("<EXPSSDA903></EXPSSDA903>", "NO_CHILDREN"),
        (
            "<?xml version='1.0'?>\n<!DOCTYPE EXPSSDA903 [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
            "\n<EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID></HEADER></CHILD></EXPSSDA903>",
            "XML_DOCTYPE",
        ),
    ],
)
def test_file_level_problems(tmp_path: Path, content: str, code: str) -> None:
    result = ssda903.read(write(tmp_path, content), "r.xml")

    assert [f.code for f in result.findings] == [code]
    assert result.findings[0].severity is Severity.ERROR
    assert not result.has_rows


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE EXPSSDA903 [<!ENTITY l0 "lol">{entities}]>\n'
        "<EXPSSDA903><CHILD><HEADER><CHILDID>&l9;</CHILDID></HEADER></CHILD></EXPSSDA903>"
    )
    started = time.perf_counter()

    result = ssda903.read(write(tmp_path, text), "r.xml")

    assert [f.code for f in result.findings] == ["XML_DOCTYPE"]
    assert time.perf_counter() - started < 2


def test_utf16_xml_gets_the_encoding_finding(tmp_path: Path) -> None:
    content = document(child_xml(), prolog="<?xml version='1.0' encoding='utf-16'?>\n")

    result = ssda903.read(write(tmp_path, content.encode("utf-16")), "r.xml")

    assert result.format is Format.SSDA903_XML
    assert [f.code for f in result.findings] == ["FILE_ENCODING"]
