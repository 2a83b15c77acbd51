"""Shared reader helpers: text decoding, XML prolog sniffing, the hardened parser, findings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from submissions.extract.canonical import Severity
from submissions.extract.readers.base import (
    decode_text,
    findings_for,
    safe_xml_parser,
    xml_prolog,
)
from tests.readers.factories import write


@pytest.mark.parametrize(
    "data",
    [
        "CHILD,NAME\n1,Zoë\n".encode(),
        b"\xef\xbb\xbf" + "CHILD,NAME\n1,Zoë\n".encode(),
        "CHILD,NAME\n1,Zoë\n".encode("cp1252"),
    ],
)
def test_decode_text_reads_utf8_with_or_without_bom_and_windows_1252(
    tmp_path: Path, data: bytes
) -> None:
    text, finding = decode_text(write(tmp_path, "f.csv", data), "f.csv")

    assert (text, finding) == ("CHILD,NAME\n1,Zoë\n", None)


def test_decode_text_refuses_utf16(tmp_path: Path) -> None:
    text, finding = decode_text(write(tmp_path, "f.csv", "CHILD\n1\n".encode("utf-16")), "f.csv")

    assert text is None
    assert finding is not None
    assert (finding.code, finding.file) == ("FILE_ENCODING", "f.csv")


@pytest.mark.parametrize(
    ("head", "root", "namespace", "doctype"),
    [
        (b"<Message><Header/>", "Message", None, False),
        (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- x --><?pi y?>\n<a:Message xmlns:a="u">',
         "Message", "u", False),
        (b'<Message xmlns="urn:cin">', "Message", "urn:cin", False),
        (b'<?xml version="1.0"?><!DOCTYPE Message SYSTEM "m.dtd"><Message/>', None, None, True),
    ],
)  # fmt: skip
def test_xml_prolog(head: bytes, root: str | None, namespace: str | None, doctype: bool) -> None:
    prolog = xml_prolog(head)

    assert prolog is not None
    assert (prolog.root, prolog.namespace, prolog.doctype) == (root, namespace, doctype)


def test_hardened_parser_never_expands_external_entities() -> None:
    # Defence in depth: readers refuse a DOCTYPE before parsing, but the parser alone is safe.
    xxe = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    root = etree.fromstring(xxe, safe_xml_parser())

    assert "root:" not in etree.tostring(root, encoding="unicode")


def test_findings_for_visits_only_flagged_rows_and_fills_the_value() -> None:
    df = pd.DataFrame(
        {"child_id": ["C1", None], "_file": ["f.csv", "f.csv"], "_location": ["line 2", "line 3"]}
    )
    raw = pd.Series(["x", "31/02/2024"])

    [finding] = findings_for(
        pd.Series([False, True]), df, code="DATE_FORMAT", severity=Severity.ERROR,
        field="DOB", message="DOB '{value}' is not a date.", values=raw,
    )  # fmt: skip

    assert finding.as_dict() == {
        "code": "DATE_FORMAT", "severity": "error", "file": "f.csv", "location": "line 3",
        "child_id": "", "field": "DOB", "message": "DOB '31/02/2024' is not a date.",
    }  # fmt: skip


def test_findings_quote_at_most_80_characters_of_a_cell() -> None:
    import pandas as pd

    from submissions.extract.canonical import Severity
    from submissions.extract.readers.base import findings_for

    df = pd.DataFrame({"_file": ["a.csv"], "_location": ["line 2"], "child_id": ["C1"]})
    values = pd.Series(["x" * 2_000_000])

    (finding,) = findings_for(
        pd.Series([True]), df, code="DATE_FORMAT", severity=Severity.ERROR, field="DOB",
        message="DOB '{value}' is not a date.", values=values,
    )  # fmt: skip

    assert len(finding.message) < 120
    assert finding.message.endswith("…' is not a date.")
