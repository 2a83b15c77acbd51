"""Bad input never sticks: every file of a bad-input corpus ends, in bounded memory (how fast is
for the benchmarks), either refused at upload (``ValidationError``, nothing stored) or checked to a
finished state with a finding that says what is wrong. None is left in a working state.

The services run synchronously here (claim, then run_checks), exactly as the worker runs them.
"""

from __future__ import annotations

import io
import random
import stat
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile

from submissions import safety, services
from submissions.models import Submission
from tests.pipeline.conftest import SAMPLES

Status = Submission.Status
pytestmark = pytest.mark.django_db

UASC_HEADER = b"CHILD,SEX,DOB,DUC\n"
AS_OF = date(2026, 3, 31)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def truncated_zip(folder: Path) -> Path:
    whole = _zip(folder / "whole.zip", {"header.csv": UASC_HEADER + b"1,1,01/01/2010,\n" * 5000})
    path = folder / "extract.zip"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return path


def zip_bomb(folder: Path) -> Path:
    """50 MB of zeros deflated to about 50 KB (1000 to 1), streamed, never in memory."""
    path = folder / "extract.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("episodes.csv", "w") as w:
        for _ in range(50):
            w.write(b"0" * 1_000_000)
    return path


def zip_of_many_entries(folder: Path) -> Path:
    return _zip(folder / "extract.zip", {f"{n}.csv": UASC_HEADER for n in range(500)})


def nested_zip(folder: Path) -> Path:
    inner = _zip(folder / "inner.zip", {"header.csv": UASC_HEADER + b"1,1,01/01/2010,\n"})
    return _zip(folder / "extract.zip", {"inner.zip": inner.read_bytes()})


def external_entities(folder: Path) -> Path:
    path = folder / "census.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"\n<Message><Header><CollectionDetails>&xxe;</CollectionDetails></Header></Message>\n"
    )
    return path


def billion_laughs(folder: Path) -> Path:
    entities = "".join(f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    path = folder / "census.xml"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY l0 "lol">{entities}]>'
        "<Message>&l9;</Message>"
    )
    return path


def html_as_xml(folder: Path) -> Path:
    path = folder / "census.xml"
    path.write_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    return path


def truncated_xml(folder: Path) -> Path:
    whole = (SAMPLES / "CIN_Census_2024.xml").read_bytes()
    path = folder / "census.xml"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def workbook_as_csv(folder: Path) -> Path:
    path = folder / "header.csv"
    path.write_bytes((SAMPLES / "annex_a_liia.xlsx").read_bytes())
    return path


def other_json(folder: Path) -> Path:
    path = folder / "payload.json"
    path.write_bytes(b'{"children": [{"id": 1}]}')
    return path


def blank_file(folder: Path) -> Path:
    path = folder / "header.csv"
    path.write_bytes(b"\n  \n\t\n")
    return path


def zero_bytes(folder: Path) -> Path:
    path = folder / "header.csv"
    path.write_bytes(b"")
    return path


def binary_garbage(folder: Path) -> Path:
    path = folder / "header.csv"
    path.write_bytes(random.Random(1).randbytes(100_000))  # noqa: S311  (not for secrets)
    return path


def fifty_thousand_columns(folder: Path) -> Path:
    path = folder / "uasc.csv"
    extra = ",".join(f"X{n}" for n in range(50_000)).encode()
    values = b",v" * 50_000
    with path.open("wb") as out:
        out.write(UASC_HEADER.rstrip(b"\n") + b"," + extra + b"\n")
        for child in range(3):
            out.write(f"{child},1,01/01/2010,01/01/2020".encode() + values + b"\n")
    return path


def mixed_encodings(folder: Path) -> Path:
    path = folder / "uasc.csv"
    path.write_bytes(
        UASC_HEADER
        + b"1,1,01/01/2010,01/01/2020\n"
        + "2,1,01/01/2010,31/12/2020 café\n".encode()
        + "3,1,01/01/2010,31/12/2020 café\n".encode("cp1252")
    )
    return path


def utf16(folder: Path) -> Path:
    path = folder / "uasc.csv"
    path.write_bytes((UASC_HEADER + b"1,1,01/01/2010,01/01/2020\n").decode().encode("utf-16"))
    return path


def symlink_in_zip(folder: Path) -> Path:
    path = folder / "extract.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("uasc.csv", UASC_HEADER + b"1,1,01/01/2010,\n")
        link = zipfile.ZipInfo("header.csv")
        link.create_system = 3  # Unix, mode S_IFLNK: a symbolic link to /etc/passwd
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return path


def entity_in_workbook(folder: Path) -> Path:
    path = folder / "annex_a.xlsx"
    with zipfile.ZipFile(SAMPLES / "annex_a_liia.xlsx") as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                laughs = "".join(f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">'
                                 for n in range(1, 10))  # fmt: skip
                data = data.replace(b"?>", f'?><!DOCTYPE sst [<!ENTITY l0 "lol">{laughs}]>'
                                    .encode(), 1)  # fmt: skip
            zout.writestr(item, data)
    return path


def huge_child_id(folder: Path) -> Path:
    path = folder / "uasc.csv"
    path.write_bytes(UASC_HEADER + b"C" * 10_000 + b",1,01/01/2010,01/01/2028\n")
    return path


def formula_child_id_in_annex_a(folder: Path) -> Path:
    import openpyxl

    path = folder / "annex_a.xlsx"
    book = openpyxl.load_workbook(SAMPLES / "annex_a_liia.xlsx")
    sheet = next(ws for ws in book.worksheets if ws.title.strip().lower().startswith("list 4"))
    cell = sheet["A2"]
    cell.value, cell.data_type = '=HYPERLINK("http://evil.example","Click")', "s"
    book.save(path)
    return path


def conflicting_header_rows(folder: Path) -> Path:
    path = folder / "header.csv"
    path.write_bytes(
        b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
        b"C1,1,01/02/2015,WBRI,,,\nC2,2,01/01/2014,WBRI,,,\nC1,2,01/02/2015,WBRI,,,\n"
    )
    return path


#: name: (build the file, "refused" at upload or a "finding" after checking, expected text)
CORPUS: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "truncated zip": (truncated_zip, "refused", "looks like a zip file but is damaged"),
    "zip bomb": (zip_bomb, "refused", "episodes.csv is compressed more than 100 to 1"),
    "zip with 500 entries": (zip_of_many_entries, "refused", "It has 500 entries"),
    "zip inside a zip": (nested_zip, "finding", "Archives inside archives are not accepted"),
    "XML with external entities": (external_entities, "finding", "XML with a DOCTYPE"),
    "XML billion laughs": (billion_laughs, "finding", "XML with a DOCTYPE"),
    "truncated XML": (truncated_xml, "finding", "The XML is not well formed at line"),
    "wrong format: HTML as .xml": (html_as_xml, "finding", "Its XML starts with <html>"),
    "wrong format: workbook as .csv": (workbook_as_csv, "refused", "is named .csv but contains"),
    "wrong format: other JSON": (other_json, "finding", "not a DfE API payload"),
    "empty file": (blank_file, "finding", "It holds only blank space"),
    "0-byte upload": (zero_bytes, "refused", "The file header.csv is empty (0 bytes)"),
    "binary garbage named .csv": (binary_garbage, "refused", "contains binary data, not text"),
    "50,000 columns": (
        fifty_thousand_columns,
        "finding",
        "Rule UNKNOWN_COLUMN was broken 50,000 times; the first 5,000 are listed.",
    ),
    "mixed encodings": (mixed_encodings, "finding", "is not a date we can read"),
    "UTF-16": (utf16, "finding", "This file is saved as UTF-16"),
    "symbolic link in a zip": (symlink_in_zip, "refused", "contains a symbolic link (header.csv)"),
    "XML entity in a workbook part": (
        entity_in_workbook,
        "finding",
        "contains an XML entity declaration in part xl/sharedStrings.xml",
    ),
    "child id of 10,000 characters": (
        huge_child_id,
        "finding",
        "is 10,000 characters long; the SSDA903 return allows at most 10",
    ),
    "formula as an Annex A child id": (
        formula_child_id_in_annex_a,
        "finding",
        "starts with '=', which makes a spreadsheet run it as a formula",
    ),
    "conflicting 903 header rows": (
        conflicting_header_rows,
        "finding",
        "Child C1 has two Header rows that disagree, line 2 and line 4: SEX 1 on line 2, 2 on",
    ),
}


def check(lead: Any, la: Any, path: Path) -> Submission:
    """Upload ``path`` and check it synchronously, as the worker would."""
    with path.open("rb") as handle:
        submission = services.create_submission(
            local_authority=la, user=lead, as_of=AS_OF, uploads=[File(handle, name=path.name)]
        )
    claimed = services.claim(submission.pk)
    assert claimed is not None
    return services.run_checks(claimed)


@pytest.mark.parametrize("case", CORPUS)
def test_bad_input_ends_in_a_clear_message(
    barnsley: Any, lead: Any, tmp_path: Path, case: str
) -> None:
    build, outcome, expected = CORPUS[case]
    path = build(tmp_path)

    if outcome == "refused":
        with pytest.raises(ValidationError) as caught:
            check(lead, barnsley, path)
        assert expected in " ".join(caught.value.messages)
        assert caught.value.messages[0].startswith(f"The file {path.name} ")
        assert not Submission.objects.exists()
    else:
        checked = check(lead, barnsley, path)
        assert checked.status == Status.HAS_ERRORS
        messages = list(checked.findings.values_list("message", flat=True))
        assert any(expected in m for m in messages), messages[:5]
    assert not Submission.objects.filter(status__in=Submission.WORKING).exists()


def test_ten_million_tiny_rows_are_refused_in_bounded_memory(
    barnsley: Any, lead: Any, tmp_path: Path
) -> None:
    path = tmp_path / "uasc.csv"
    with path.open("wb") as out:  # about 30 MB, written a million rows at a time
        out.write(UASC_HEADER)
        for _ in range(10):
            out.write(b"1,\n" * 1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as caught:
            check(lead, barnsley, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.messages == [
        "The file uasc.csv has more than 1,000,000 rows, the most we accept in one file. Check "
        "it is one local authority's extract, with one row per record."
    ]
    assert peak < 64 * 1024 * 1024, f"peaked at {peak / 1e6:.0f} MB"
    assert not Submission.objects.exists()


def test_a_million_tiny_rows_are_checked_in_bounded_memory(
    barnsley: Any, lead: Any, tmp_path: Path
) -> None:
    # How fast is for the benchmarks (make bench), not a timed test on a shared machine.
    path = tmp_path / "uasc.csv"
    path.write_bytes(UASC_HEADER + b"1,\n" * (safety.MAX_CSV_ROWS - 1))
    tracemalloc.start()
    try:
        checked = check(lead, barnsley, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert checked.status == Status.HAS_ERRORS
    assert checked.findings.exists()
    assert peak < 1024 * 1024 * 1024, f"peaked at {peak / 1e6:.0f} MB"


def test_findings_from_a_huge_file_are_listed_up_to_a_bound(
    barnsley: Any, lead: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_FINDINGS_PER_CODE", 100)
    path = tmp_path / "uasc.csv"
    path.write_bytes(UASC_HEADER + b"".join(b"%d,1,99/99/9999,\n" % n for n in range(5000)))

    checked = check(lead, barnsley, path)

    listed = checked.findings.filter(code="DATE_FORMAT")
    assert listed.count() == 101
    summary = listed.last()
    assert summary is not None
    assert "was broken 5,000 times; the first 100 are listed" in summary.message
    assert checked.error_count >= 5000


def test_an_in_memory_zip_with_a_bad_member_is_checked(barnsley: Any, lead: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("__MACOSX/._header.csv", b"\x00\x05\x16\x07")
        zf.writestr("header.csv", b"\x00garbage")
    submission = services.create_submission(
        local_authority=barnsley,
        user=lead,
        as_of=AS_OF,
        uploads=[SimpleUploadedFile("extract.zip", buffer.getvalue())],
    )
    claimed = services.claim(submission.pk)
    assert claimed is not None

    checked = services.run_checks(claimed)

    assert checked.status == Status.HAS_ERRORS
    assert checked.findings.filter(file="extract.zip/header.csv").exists()
