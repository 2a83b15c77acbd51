"""Recognising files by content, and refusing the ones that are not what they claim."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import submissions.extract.readers as readers
from submissions.extract.canonical import Format
from submissions.extract.readers import detect_format, read_files
from tests.readers.factories import DATA, cin_child, cin_message, write, zip_bomb


def xlsx_bytes() -> bytes:
    """The zip signature of a workbook: enough for detection."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (cin_message(cin_child()), Format.CIN_XML),
        (
            "\ufeff<?xml version='1.0'?><!-- export --><Message><Children/></Message>",
            Format.CIN_XML,
        ),
        ('<Message xmlns="urn:x"><Header/></Message>', Format.CIN_XML),
        ("<?xml version='1.0'?>\n<EXPSSDA903><CHILD/></EXPSSDA903>", Format.SSDA903_XML),
        ('[{"la_child_id": "C1"}]', Format.DFE_API_JSON),
        ('{"la_child_id": "C1", "child_details": {}}', Format.DFE_API_JSON),
        ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2015,WBRI,,,\n", Format.SSDA903_CSV),
        ("\ufeffCHILD,DECOM,RNE,LS\r\n1,01/01/2020,S,C2\r\n", Format.SSDA903_CSV),
        ('"CHILD","DOB","MISSING","MIS_START","MIS_END"\n', Format.SSDA903_CSV),
        (xlsx_bytes(), Format.ANNEX_A),
    ],
)
def test_each_format_is_recognised_by_content(
    tmp_path: Path, content: str | bytes, expected: Format
) -> None:
    # The extension is deliberately wrong: content decides.
    detected = detect_format(write(tmp_path, "upload.txt", content), "upload.txt")

    assert (detected.format, detected.problem) == (expected, None)


def test_json_sample_is_recognised() -> None:
    path = DATA / "sample_payload_record0_spec_maximal.json"
    assert detect_format(path, "p.json").format is Format.DFE_API_JSON


@pytest.mark.parametrize(
    ("content", "code", "phrase"),
    [
        (b"", "FILE_EMPTY", "empty (0 bytes)"),
        (b"  \r\n ", "FILE_EMPTY", "only blank space"),
        (bytes(range(256)) * 40, "FILE_FORMAT", "binary data"),
        (b"\x89PNG\r\n\x1a\n" + bytes(500), "FILE_FORMAT", "binary data"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "FILE_FORMAT", "save it as .xlsx"),
        (b"Name,Age\nAnn,3\n", "FILE_FORMAT", "not an SSDA903 header row"),
        (b"<html><body/></html>", "FILE_FORMAT", "starts with <html>"),
        (b'{"hello": 1}', "FILE_FORMAT", "no la_child_id"),
        (b"<Message><Header><CollectionDetails><Collection>SC</Collection>", "FILE_FORMAT", "'SC'"),
    ],
)
def test_unrecognised_files_get_one_clear_finding(
    tmp_path: Path, content: bytes, code: str, phrase: str
) -> None:
    extract = read_files([("upload.csv", write(tmp_path, "upload.csv", content))])

    [finding] = extract.findings
    assert (finding.code, finding.file) == (code, "upload.csv")
    assert finding.message.startswith("This file is not a CIN census XML, SSDA903 CSV or XML")
    assert phrase in finding.message
    assert extract.unreadable


def test_utf16_file_gets_the_save_as_utf8_finding(tmp_path: Path) -> None:
    text = "CHILD,SEX,DOB\n1,1,01/01/2015\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le")):  # with and without a BOM
        extract = read_files([("h.csv", write(tmp_path, "h.csv", data))])

        [finding] = extract.findings
        assert finding.code == "FILE_ENCODING"
        assert finding.message == (
            "This file is saved as UTF-16. Save it as UTF-8 (CSV UTF-8 in Excel) and upload "
            "it again."
        )


def test_doctype_is_refused_before_any_reader_runs(tmp_path: Path) -> None:
    xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><EXPSSDA903/>'
    extract = read_files([("x.xml", write(tmp_path, "x.xml", xml))])

    assert [f.code for f in extract.findings] == ["XML_DOCTYPE"]


# --- archives --------------------------------------------------------------------------------


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_members_are_read_with_archive_display_names(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "upload.zip",
        {"inner.xml": cin_message(cin_child("C1")), "__MACOSX/._inner.xml": b"\x00\x05junk"},
    )
    extract = read_files([("x.zip", archive)])

    assert extract.findings == []
    assert extract.formats == [Format.CIN_XML]
    assert extract.tables["child"]["_file"].tolist() == ["x.zip/inner.xml"]
    assert extract.la_code == "201"


def test_zip_bomb_is_refused_before_extraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = zip_bomb(tmp_path / "bomb.zip")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("extraction was attempted")

    monkeypatch.setattr(readers, "_extract_members", never)
    extract = read_files([("bomb.zip", bomb)])

    [finding] = extract.findings
    assert finding.code == "ZIP_REFUSED"
    assert "larger than 1 GB" in finding.message
    assert extract.unreadable


def test_zip_with_too_high_a_ratio_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"big.csv": "CHILD\n" + "0" * 5_000_000})
    [finding] = read_files([("a.zip", archive)]).findings

    assert finding.code == "ZIP_REFUSED"
    assert "compressed more than 100 to 1" in finding.message


def test_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {f"f{i}.csv": "CHILD\n1\n" for i in range(201)})
    [finding] = read_files([("a.zip", archive)]).findings

    assert "201 entries" in finding.message


@pytest.mark.parametrize(
    "name", ["../evil.xml", "/etc/evil.xml", "a/../../evil.xml", "C:\\evil.xml"]
)
def test_zip_with_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "a.zip", {name: cin_message(cin_child())})
    extract = read_files([("a.zip", archive)])

    [finding] = extract.findings
    assert finding.code == "ZIP_REFUSED"
    assert "not a safe file name" in finding.message
    assert not (tmp_path.parent / "evil.xml").exists()


def test_nested_zip_is_refused_but_siblings_are_read(tmp_path: Path) -> None:
    inner = make_zip(tmp_path / "inner.zip", {"c.xml": cin_message(cin_child())}).read_bytes()
    archive = make_zip(
        tmp_path / "outer.zip", {"inner.zip": inner, "c.xml": cin_message(cin_child("C9"))}
    )
    extract = read_files([("outer.zip", archive)])

    assert [(f.code, f.file) for f in extract.findings] == [("ZIP_REFUSED", "outer.zip/inner.zip")]
    assert extract.tables["child"]["child_id"].tolist() == ["C9"]
