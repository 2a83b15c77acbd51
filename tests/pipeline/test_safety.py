"""Checks before anything is stored: names, sizes, content matching the extension, zip
limits and row counts. Every refusal names the file and says how to fix it."""

from __future__ import annotations

import io
import stat
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from submissions import safety
from tests.pipeline.conftest import SAMPLES

CSV = b"CHILD,SEX,DOB,DUC\n1,1,01/01/2010,01/01/2020\n"
XML = b'<?xml version="1.0"?>\n<Message></Message>\n'


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        safety.check_upload(upload(name, content))
    return " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("census.xml", XML),
        ("census.XML", b"\xef\xbb\xbf\n  " + XML),  # BOM and blank space first
        ("header.csv", CSV),
        ("header.csv", "CHILD,SEX\n1,Zoë\n".encode("cp1252")),
        ("payload.json", b' [{"la_child_id": "1"}]'),
        ("payload.json", b'{"a": 1}'),
        ("extract.zip", zipped({"header.csv": CSV, "census.xml": XML})),
        ("annex_a.xlsx", (SAMPLES / "annex_a_liia.xlsx").read_bytes()),
        # UTF-16 passes here: the reader then asks for UTF-8 with its own finding.
        ("header.csv", "CHILD,SEX\n1,1\n".encode("utf-16")),
        ("census.xml", XML.decode().encode("utf-16-le")),
    ],
)
def test_it_accepts_files_whose_content_matches_their_extension(name: str, content: bytes) -> None:
    assert safety.check_upload(upload(name, content)) == name


@pytest.mark.parametrize("name", ["report.exe", "old.xls", "notes.txt", "noextension",
                                  "data.csv.exe", "macro.xlsm"])  # fmt: skip
def test_it_refuses_other_extensions(name: str) -> None:
    message = refusal(name, CSV)

    assert message.startswith(f"The file {name} is not a type we accept.")
    assert ".xml" in message
    assert ".zip" in message


def test_it_refuses_an_empty_file() -> None:
    assert refusal("header.csv", b"") == (
        "The file header.csv is empty (0 bytes). Check you chose the right file, or export it "
        "from your system again."
    )


def test_it_refuses_a_file_over_the_size_limit(settings: Any) -> None:
    settings.UPLOAD_MAX_FILE_BYTES = 200 * 1000 * 1000
    big = upload("episodes.csv", CSV)
    big.size = 200 * 1000 * 1000 + 1

    with pytest.raises(ValidationError, match=r"The file episodes\.csv is larger than 200 MB"):
        safety.check_upload(big)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("header.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "is named .csv but contains a PDF"),
        ("header.csv", zipped({"a.csv": CSV}), "contains a zip file or an Excel workbook"),
        ("header.csv", bytes(range(256)) * 40, "contains binary data, not text"),
        ("header.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old-style Excel"),
        ("census.xml", b'{"la_child_id": 1}', "is named .xml but contains text, not XML"),
        ("census.xml", b"\x89PNG\r\n\x1a\n" + bytes(100), "contains an image, not XML"),
        ("payload.json", XML, "is named .json but contains text, not JSON"),
        ("annex_a.xlsx", CSV, "should be an Excel workbook but contains text"),
        ("annex_a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "password-protected"),
        ("annex_a.xlsx", zipped({"a.csv": CSV}), "is a zip file, not an Excel workbook"),
        ("extract.zip", CSV, "should be a zip file but contains text"),
    ],
)
def test_it_refuses_content_that_does_not_match_the_extension(
    name: str, content: bytes, expected: str
) -> None:
    message = refusal(name, content)

    assert message.startswith(f"The file {name} ")
    assert expected in message


def test_it_refuses_a_damaged_zip() -> None:
    whole = zipped({"header.csv": CSV * 1000})

    assert "looks like a zip file but is damaged or incomplete. Create the zip file again" in (
        refusal("extract.zip", whole[: len(whole) // 2])
    )


def test_it_refuses_a_zip_bomb_from_its_directory() -> None:
    bomb = zipped({"header.csv": b"0" * 20_000_000})  # deflates about 1000 to 1

    assert "header.csv is compressed more than 100 to 1" in refusal("extract.zip", bomb)


def test_it_refuses_a_zip_with_too_many_entries() -> None:
    many = zipped({f"{n}.csv": CSV for n in range(201)})

    assert "It has 201 entries; the limit is 200." in refusal("extract.zip", many)


def test_it_refuses_a_zip_with_an_unsafe_member_name() -> None:
    assert "is not a safe file name inside an archive" in refusal(
        "extract.zip", zipped({"../../etc/cron.d/x.csv": CSV})
    )


def with_symlink(members: dict[str, bytes], link: str = "header.csv") -> bytes:
    """A zip of ``members`` plus a Unix symbolic link called ``link`` to /etc/passwd."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
        info = zipfile.ZipInfo(link)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_it_refuses_a_zip_holding_a_symbolic_link_and_says_so() -> None:
    message = refusal("extract.zip", with_symlink({"episodes.csv": CSV}))

    assert message == (
        "The file extract.zip contains a symbolic link (header.csv). Zip the files themselves, "
        "not links to them, and upload the new zip file."
    )


def test_it_refuses_a_workbook_holding_a_symbolic_link_and_says_so() -> None:
    with zipfile.ZipFile(SAMPLES / "annex_a_liia.xlsx") as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}

    message = refusal("annex.xlsx", with_symlink(parts, link="xl/media/image1.png"))

    assert message.startswith(
        "The file annex.xlsx contains a symbolic link (xl/media/image1.png), which an Excel "
        "workbook never does. Save it again from Excel"
    )


def test_it_refuses_a_csv_with_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_CSV_ROWS", 100)

    assert safety.check_upload(upload("header.csv", b"CHILD\n" + b"1\n" * 99))
    message = refusal("header.csv", b"CHILD\n" + b"1\n" * 100)
    assert message == (
        "The file header.csv has more than 100 rows, the most we accept in one file. Check it "
        "is one local authority's extract, with one row per record."
    )


def test_it_counts_the_rows_of_csv_files_inside_a_zip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_CSV_ROWS", 100)
    # XML has a line per element: its line count says nothing, so it is not limited.
    long_xml = b"<Message>\n" + b"<Child/>\n" * 500 + b"</Message>\n"
    assert safety.check_upload(upload("extract.zip", zipped({"census.xml": long_xml})))

    message = refusal("extract.zip", zipped({"census.xml": XML, "big.csv": b"1\n" * 101}))

    assert "holds big.csv, which has more than 100 rows" in message


def test_it_checks_every_file_and_reports_every_problem_at_once() -> None:
    uploads = [upload("good.csv", CSV), upload("empty.csv", b""), upload("virus.exe", b"MZ")]

    with pytest.raises(ValidationError) as caught:
        safety.check_uploads(uploads)

    assert [m.split(" is ")[0] for m in caught.value.messages] == [
        "The file empty.csv",
        "The file virus.exe",
    ]


def test_it_refuses_two_files_with_the_same_name() -> None:
    with pytest.raises(ValidationError, match=r"You chose 2 files called header\.csv"):
        safety.check_uploads([upload("header.csv", CSV), upload("HEADER.csv", CSV)])


def test_it_refuses_too_many_files_and_none(settings: Any) -> None:
    settings.UPLOAD_MAX_FILES = 2
    with pytest.raises(ValidationError, match="Put them in a zip file"):
        safety.check_uploads([upload(f"{n}.csv", CSV) for n in range(3)])
    with pytest.raises(ValidationError, match="Choose at least one file"):
        safety.check_uploads([])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\me\\Desktop\\header.csv", "header.csv"),
        ("../../header.csv", "header.csv"),
        ("  head\x00er\x1b.csv ", "header.csv"),
        ("a" * 300 + ".csv", "a" * 251 + ".csv"),
    ],
)
def test_it_cleans_the_name_it_shows(raw: str, clean: str) -> None:
    assert safety.clean_name(raw) == clean
