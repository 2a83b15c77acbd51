"""What every format reader shares: its result type, safe byte sniffing and text decoding, the
hardened XML parser settings, and turning masks over a table into located findings.

No Django imports: the offline checker and the workers use this directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import pandas as pd
from lxml import etree

from submissions.extract.canonical import TABLES, Finding, Format, Severity

__all__ = [
    "ANNEX_A_ID_MAX",
    "CHILD_ID_PATTERN",
    "CIN_ID_MAX",
    "DOCTYPE_MESSAGE",
    "HEAD_BYTES",
    "SAFE_XML_OPTIONS",
    "SSDA903_ID_MAX",
    "UTF16_MESSAGE",
    "ReaderResult",
    "XmlProlog",
    "XmlStream",
    "canonical_frame",
    "child_id_findings",
    "date_findings",
    "decode_text",
    "element_line",
    "encoding_finding",
    "findings_for",
    "flag_findings",
    "looks_binary",
    "looks_utf16",
    "plain_child_id",
    "quoted_id",
    "read_head",
    "safe_xml_parser",
    "xml_prolog",
]


@dataclass(kw_only=True)
class ReaderResult:
    """What one format reader returns for one file.

    ``tables`` holds only the canonical tables the format provides, each with exactly the
    canonical columns plus ``_file`` and ``_location`` (build them with ``canonical_frame``).
    ``reference_date`` is the file's own as-of date (CIN ``ReferenceDate``) and
    ``coverage_start`` the date from which the format says the file is complete (C0), when the
    format defines them; ``read_files`` combines them across files.
    """

    format: Format
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    la_code: str | None = None
    reference_date: date | None = None
    coverage_start: date | None = None

    @property
    def has_rows(self) -> bool:
        """True when the file yielded at least one canonical row."""
        return any(len(df) for df in self.tables.values())


# --- bytes and text --------------------------------------------------------------------------

#: How much of a file is read to recognise it. Large enough for an XML prolog with comments
#: and a CSV header row, small enough to be instant on a 200 MB upload.
HEAD_BYTES = 64 * 1024

UTF16_MESSAGE = (
    "This file is saved as UTF-16. Save it as UTF-8 (CSV UTF-8 in Excel) and upload it again."
)
_UTF16_XML_MESSAGE = "This file is saved as UTF-16. Save it as UTF-8 and upload it again."


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file."""
    with path.open("rb") as fh:
        return fh.read(size)


def looks_utf16(head: bytes) -> bool:
    """True for UTF-16 text: a UTF-16 byte-order mark, or (no BOM) NUL bytes at nearly every
    other position, which is how UTF-16 stores plain Latin text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not head.startswith(b"\xff\xfe\x00\x00"):
        return True
    sample = head[:4096]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    return (odd_nul > 0.4 and even_nul < 0.05) or (even_nul > 0.4 and odd_nul < 0.05)


# Control characters other than tab, CR, LF and form feed never occur in a text extract.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def looks_binary(head: bytes) -> bool:
    """True when the bytes are not text (images, executables, random garbage, UTF-32): more
    than 1% control characters, or any NUL byte."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    return len(_CONTROL.findall(head)) > len(head) / 100


def _decode(data: bytes) -> str:
    """UTF-8 (BOM dropped) when valid, else Windows-1252 (Excel's "CSV" on Windows); a file
    holding one of the five bytes 1252 leaves undefined is read as Latin-1, so decoding never
    fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def decode_text(path: Path, display_name: str = "") -> tuple[str | None, Finding | None]:
    """Read a text file whatever Excel or a case-management system saved it as.

    Returns ``(text, None)``, or ``(None, finding)`` for a UTF-16 file (we ask for UTF-8 rather
    than guess, as the peers' 903 validator does) or a binary one.
    """
    name = display_name or path.name
    data = path.read_bytes()
    if looks_utf16(data[:HEAD_BYTES]):
        return None, Finding("FILE_ENCODING", Severity.ERROR, UTF16_MESSAGE, file=name)
    if looks_binary(data[:HEAD_BYTES]):
        return None, Finding(
            "FILE_FORMAT",
            Severity.ERROR,
            "This file is not a text file. Check you uploaded the right file.",
            file=name,
        )
    return _decode(data), None


def encoding_finding(display_name: str, *, xml: bool = False) -> Finding:
    """The UTF-16 finding (without the Excel hint for XML, which Excel does not save)."""
    message = _UTF16_XML_MESSAGE if xml else UTF16_MESSAGE
    return Finding("FILE_ENCODING", Severity.ERROR, message, file=display_name)


# --- XML -------------------------------------------------------------------------------------

#: Parser settings for every XML reader: no entity expansion, no network, no DTD loading and
#: libxml2's default size limits (huge_tree=False). Readers also refuse any DOCTYPE up front
#: (``xml_prolog``), so entity tricks (XXE, billion laughs) never reach the parser.
SAFE_XML_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}


def safe_xml_parser() -> etree.XMLParser:
    """A hardened lxml parser for whole-document parsing (``etree.parse(path, parser)``)."""
    return etree.XMLParser(**SAFE_XML_OPTIONS)


@dataclass(frozen=True)
class XmlProlog:
    """What the start of an XML document says: its root element and whether it has a DTD."""

    root: str | None  # local name, e.g. "Message"
    namespace: str | None  # a namespace URI declared on the root element, if any
    doctype: bool


_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^>]*)>?", re.DOTALL)
_DEFAULT_NS = re.compile(rb"""xmlns(?::[\w.\-]+)?\s*=\s*["']([^"']*)["']""")


def xml_prolog(head: bytes) -> XmlProlog | None:
    """Parse the prolog at the start of ``head`` (UTF-8/ASCII bytes): skip the XML declaration,
    comments and processing instructions, note a ``<!DOCTYPE`` (the only place one may occur)
    and read the root element's name. ``None`` when the bytes do not start like XML."""
    data = head.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while match := _PROLOG_ITEM.match(data, pos):
        pos = match.end()
    rest = data[pos:].lstrip()
    if rest.startswith(b"<!"):
        # A DOCTYPE (or any other markup declaration) before the root element.
        return XmlProlog(root=None, namespace=None, doctype=True)
    root = _ROOT_TAG.match(rest)
    if root is None:
        return None
    ns = _DEFAULT_NS.search(root.group(3))
    return XmlProlog(
        root=root.group(2).decode("ascii", "replace"),
        namespace=ns.group(1).decode("utf-8", "replace") if ns else None,
        doctype=False,
    )


DOCTYPE_MESSAGE = (
    "XML with a DOCTYPE or entities is not accepted. Remove the <!DOCTYPE …> declaration "
    "(statutory return files do not need one) and upload the file again."
)


def element_line(element: etree._Element) -> int:
    """The element's line in the file (lxml's stubs leave ``sourceline`` untyped)."""
    return cast("int | None", element.sourceline) or 0


class XmlStream:
    """Stream the elements named ``tags`` out of an XML file with the hardened parser settings,
    keeping memory flat: after the caller has handled an element (when it asks for the next
    one) the element is cleared and the finished siblings before it are deleted.

    A file that is not well formed ends the stream where it breaks, never with an exception:
    ``syntax_error`` then holds the located ``XML_SYNTAX`` finding, and everything yielded
    before that point stands. Check the prolog (``xml_prolog``) first: a DOCTYPE is refused
    before any parsing.
    """

    def __init__(self, path: Path, tags: str | tuple[str, ...], display_name: str) -> None:
        self.path = path
        self.tags = tags
        self.display_name = display_name
        self.syntax_error: Finding | None = None

    def __iter__(self) -> Iterator[etree._Element]:
        events = etree.iterparse(str(self.path), events=("end",), tag=self.tags, **SAFE_XML_OPTIONS)
        try:
            for _event, element in events:
                yield element
                # Free what the caller has mapped: the element itself and the finished
                # siblings before it.
                element.clear(keep_tail=False)
                parent = element.getparent()
                while element.getprevious() is not None and parent is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            line = exc.lineno or (exc.position[0] if exc.position else 0)
            self.syntax_error = Finding(
                "XML_SYNTAX",
                Severity.ERROR,
                f"The XML is not well formed at line {line}: {exc.msg}. Everything before "
                "this point was read; fix the file and upload it again.",
                file=self.display_name,
                location=f"line {line}",
            )


# --- tables and findings ---------------------------------------------------------------------


def canonical_frame(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    """Build canonical table ``name`` from already-converted columns (Series or lists, all the
    same length); columns not given are all-missing. Returns exactly the canonical columns plus
    ``_file`` and ``_location`` in contract order and dtypes, so ``pd.concat`` keeps them."""
    dtypes: dict[str, Any] = {**TABLES[name], "_file": "string", "_location": "string"}
    length = next((len(v) for v in columns.values()), 0)
    data: dict[str, pd.Series] = {}
    for col, dtype in dtypes.items():
        value = columns.get(col)
        if value is None:
            data[col] = pd.Series(
                pd.NA if dtype != "datetime64[ns]" else pd.NaT, index=range(length), dtype=dtype
            )
        else:
            series = value if isinstance(value, pd.Series) else pd.Series(value)
            data[col] = series.reset_index(drop=True).astype(dtype)
    return pd.DataFrame(data)


def _shorten(value: str, limit: int = 80) -> str:
    """Quote at most ``limit`` characters of a cell: a finding must stay readable even when a
    cell holds megabytes."""
    return value if len(value) <= limit else f"{value[: limit - 1]}…"


def findings_for(
    mask: pd.Series,
    df: pd.DataFrame,
    *,
    code: str,
    severity: Severity,
    field: str,
    message: str,
    values: pd.Series | None = None,
) -> list[Finding]:
    """One located finding per row of ``df`` where ``mask`` is True.

    ``message`` may contain ``{value}``, filled from ``values`` (the raw value as read, aligned
    with ``df``) so the user sees what we could not read. Location, file and child come from
    the ``_file``, ``_location`` and ``child_id`` columns. Only the flagged rows are visited.
    """
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return []
    hit = df.loc[mask.to_numpy()]
    files = hit["_file"].fillna("").astype(str).tolist()
    locations = hit["_location"].fillna("").astype(str).tolist()
    if "child_id" in hit.columns:
        children = hit["child_id"].fillna("").astype(str).tolist()
    else:
        children = [""] * len(hit)
    if values is not None and "{value}" in message:
        raw = values.loc[mask.to_numpy()] if len(values) == len(df) else values
        texts = [message.format(value=_shorten(v)) for v in raw.fillna("").astype(str).str.strip()]
    else:
        texts = [message] * len(hit)
    return [
        Finding(code, severity, text, file=f, location=loc, child_id=child, field=field)
        for f, loc, child, text in zip(files, locations, children, texts, strict=True)
    ]


# Matched on stripped values and without \s, so pyarrow's RE2 runs it rather than Python's re.
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def date_findings(
    raw: pd.Series,
    invalid: pd.Series,
    two_digit: pd.Series,
    df: pd.DataFrame,
    field: str,
    *,
    iso_only: bool = False,
) -> list[Finding]:
    """DATE_FORMAT findings for one date column, from ``common.parse_dates``' masks.

    Two-digit years get their own message (is ``01/04/24`` 1924 or 2024?). With ``iso_only``
    (XML and JSON formats, whose schemas require ``YYYY-MM-DD``) a date we could read in
    another form is still an error, and its message says what we read it as.
    """
    example = "2024-04-01" if iso_only else "01/04/2024"
    findings = findings_for(
        two_digit,
        df,
        code="DATE_FORMAT",
        severity=Severity.ERROR,
        field=field,
        values=raw,
        message=f"{field} '{{value}}' has a two-digit year. Write the full year, for example "
        f"{example}.",
    )
    findings += findings_for(
        invalid & ~two_digit,
        df,
        code="DATE_FORMAT",
        severity=Severity.ERROR,
        field=field,
        values=raw,
        message=f"{field} '{{value}}' is not a date we can read. Write it as {example}.",
    )
    if iso_only:
        stripped = raw.astype("string").str.strip()
        present = stripped.notna() & (stripped != "")
        other_form = present & ~invalid & ~stripped.str.fullmatch(_ISO_DATE).fillna(False)
        findings += findings_for(
            other_form,
            df,
            code="DATE_FORMAT",
            severity=Severity.ERROR,
            field=field,
            values=raw,
            message=f"{field} '{{value}}' must be written as YYYY-MM-DD, for example {example}.",
        )
    return findings


def flag_findings(
    raw: pd.Series,
    invalid: pd.Series,
    df: pd.DataFrame,
    field: str,
    *,
    allowed: frozenset[str] | None = None,
) -> list[Finding]:
    """FLAG_FORMAT findings for one yes/no column, from ``common.parse_flags``' mask.

    With ``allowed`` (the exact spellings a schema permits, e.g. ``true``/``false``/``1``/``0``
    in the CIN census) a value we could read but the schema would reject is also reported.
    """
    shown = "true, false, 1 or 0" if allowed else "Yes or No (or 1 or 0)"
    bad = invalid
    if allowed is not None:
        stripped = raw.astype("string").str.strip()
        bad = invalid | (stripped.notna() & (stripped != "") & ~stripped.isin(allowed))
    return findings_for(
        bad,
        df,
        code="FLAG_FORMAT",
        severity=Severity.ERROR,
        field=field,
        values=raw,
        message=f"{field} '{{value}}' is not a yes/no value we accept. Write {shown}.",
    )


# --- child identifiers -----------------------------------------------------------------------

#: The longest child identifier each return allows. CIN census: DfE rule 1570 ("LA Child ID
#: must not be longer than 20 characters"); the DfE API's ``la_child_id`` is the same item (the
#: SSD's ``pers_person_id``: "no longer than 20 characters"). SSDA903: CLA.xsd caps ``CHILDID``
#: at 10 characters, and the CSV tables carry the same item. Annex A sets no limit of its own;
#: its Child Unique ID is the case-management system's person id, which the CIN census carries
#: as LAchildID, so the census limit applies.
CIN_ID_MAX = 20
SSDA903_ID_MAX = 10
ANNEX_A_ID_MAX = 20

#: What a case-management system's child identifier looks like: it starts with a letter or
#: digit (A-Z, a-z, 0-9), followed by letters, digits, spaces, hyphens, underscores, slashes
#: and full stops (``566910``, ``LL-00123``, ``C/123.4``). Anything else no system produces
#: and is a sign of a damaged or tampered file: control characters, markup (``<``, ``>``,
#: ``&``), quotes, commas and semicolons, non-ASCII letters, and a leading ``=``, ``+``, ``-``
#: or ``@``, which spreadsheets run as a formula. A plain string without ``\s`` so pandas can
#: hand it to pyarrow's regex engine.
CHILD_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9 ._/-]*"
_CHILD_ID = re.compile(CHILD_ID_PATTERN)
_FORMULA_START = "=+-@"
_ALLOWED_INSIDE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._/-")
_CONTROL_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain_child_id(value: str, limit: int) -> bool:
    """True when ``value`` is an identifier as a case-management system writes it (see
    ``CHILD_ID_PATTERN``) and at most ``limit`` characters: safe to show in a location."""
    return len(value) <= limit and _CHILD_ID.fullmatch(value) is not None


def quoted_id(value: str) -> str:
    """A child identifier as findings quote it: at most 40 characters, control characters
    escaped (the finding's ``child_id`` field and messages alike)."""
    return _visible(value)


def _visible(value: str, limit: int = 40) -> str:
    """A cell quoted in a message: at most ``limit`` characters, control characters shown as
    ``\\xNN`` escapes so the user sees they are there."""
    short = _shorten(value, limit)
    return _CONTROL_TEXT.sub(lambda m: f"\\x{ord(m.group()):02x}", short)


def _id_problem(value: str) -> str:
    """What is wrong with an identifier that does not match ``CHILD_ID_PATTERN``."""
    if value[0] in _FORMULA_START:
        return f"starts with '{value[0]}', which makes a spreadsheet run it as a formula"
    bad = value[0] if not value[0].isascii() or not value[0].isalnum() else None
    bad = bad or next(ch for ch in value if ch not in _ALLOWED_INSIDE)
    if _CONTROL_TEXT.fullmatch(bad):
        return f"contains a control character (\\x{ord(bad):02x})"
    where = "starts with" if bad == value[0] else "contains"
    if bad in "<>&":
        return f"{where} '{bad}' (markup)"
    return f"{where} the character '{bad}'"


def child_id_findings(
    df: pd.DataFrame,
    *,
    field: str,
    limit: int,
    source: str,
    length_code: str = "CHILD_ID_TOO_LONG",
) -> list[Finding]:
    """Errors for child identifiers (``df["child_id"]``, already trimmed) that are longer than
    ``limit`` (the ``source`` return's maximum) or hold characters no case-management system
    produces (``CHILD_ID_PATTERN``): ``length_code`` (``CHILD_ID_TOO_LONG``, or the DfE's own
    code where it has one) and ``CHILD_ID_CHARACTERS``, located by ``_file``/``_location``.

    Vectorised; only flagged rows are visited in Python. Findings quote at most the first 40
    characters of an identifier (findings are child-level data; logs never get them).
    """
    ids = df["child_id"].astype("string")
    present = ids.notna()
    if not present.any():
        return []
    too_long = (present & (ids.str.len() > limit)).fillna(False).to_numpy(dtype=bool)
    odd = (present & ~ids.str.fullmatch(CHILD_ID_PATTERN).fillna(True)).to_numpy(dtype=bool)
    if not (too_long.any() or odd.any()):
        return []
    findings: list[Finding] = []
    for code, mask in ((length_code, too_long), ("CHILD_ID_CHARACTERS", odd)):
        hit = df.loc[mask]
        values = ids[mask].tolist()
        files = hit["_file"].fillna("").astype(str).tolist()
        locations = hit["_location"].fillna("").astype(str).tolist()
        for value, file, location in zip(values, files, locations, strict=True):
            shown = _visible(value)
            if code == length_code:
                message = (
                    f"{field} '{shown}' is {len(value):,} characters long; {source} allows "
                    f"at most {limit}. Use the child's identifier from your case-management "
                    "system."
                )
            else:
                message = (
                    f"{field} '{shown}' {_id_problem(value)}. Identifiers from a "
                    "case-management system are letters and digits, with only spaces, "
                    "hyphens, underscores, slashes or full stops between them: check this cell "
                    "was not edited or damaged, and use the child's identifier."
                )
            findings.append(
                Finding(
                    code,
                    Severity.ERROR,
                    message,
                    file=file,
                    location=location,
                    child_id=quoted_id(value),
                    field=field,
                )
            )
    return findings
