"""CIN census XML → canonical tables (child, referral, assessment, cin_plan, s47_enquiry,
cp_plan).

The file is streamed with ``iterparse`` one ``Child`` at a time and each child is cleared once
mapped, so memory stays flat however many children there are. Each ``Child`` (and the
``Header``) is validated against the DfE 2024 XSD as it streams; schema errors become located
findings but never stop the mapping, so the user sees every problem in one pass.

Namespaces: the DfE XSD has no target namespace and real census files have none. A file whose
elements are in a namespace (``<Message xmlns="…">``) is read as if they were not: tags are
reduced to their local names before validation and mapping, so the same schema and mapping
apply. (Only ``Header`` and each ``Child`` are validated, so the ``Message``/``Children``
wrapper itself is not.)

Ids: the census has no record ids, so they are derived from the child and the order of the
records: ``C1/R2`` (second CINdetails), ``C1/R2/A1`` (assessment), ``/P1`` (CIN plan), ``/S1``
(section 47), ``/CP1`` (CP plan). Not mapped (the canonical model has no place for them): UPNs,
expected birth and death dates, ``InitialCPCtarget``, the CINdetails-level
``DateOfInitialCPC`` (the Section47 one is), CP plan review dates and the 2026-27
``PreProceedingsandFGDM`` module. UASC and the assessment outcome are not in the census (<NA>).

Findings this reader emits (the DfE validation rules are elsewhere):

* ``XSD`` — schema errors, located ``line N``. Errors on the values we check ourselves below
  are left out so each problem is reported once, with the clearer message.
* ``DATE_FORMAT`` / ``FLAG_FORMAT`` — values of mapped dates and flags we could not read (or
  could read but are not in the form the census requires); ``MISSING_FIELD`` — no
  ``LAchildID`` or ``CINreferralDate``.
* ``1570`` (LAchildID over 20 characters, the DfE rule reported from every year) and
  ``CHILD_ID_CHARACTERS`` (``base.CHILD_ID_PATTERN``), located at the child. Such a child's
  locations use its position (``Child[3]``), never the identifier itself.
* ``XML_DOCTYPE``, ``XML_SYNTAX``, ``NO_CHILDREN``, ``FILE_ENCODING``, ``FILE_FORMAT`` — file-level.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast

import pandas as pd
from lxml import etree

from submissions.extract.canonical import Finding, Format, Severity
from submissions.extract.readers.base import (
    CIN_ID_MAX,
    DOCTYPE_MESSAGE,
    ReaderResult,
    XmlStream,
    canonical_frame,
    child_id_findings,
    date_findings,
    element_line,
    encoding_finding,
    findings_for,
    flag_findings,
    looks_binary,
    looks_utf16,
    plain_child_id,
    read_head,
    safe_xml_parser,
    xml_prolog,
)
from submissions.extract.readers.common import clean_codes, parse_dates, parse_flags, parse_ints

__all__ = ["SCHEMA_PATH", "read", "window_start"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "specs" / "CIN_schema_2024.xsd"
_XS = "{http://www.w3.org/2001/XMLSchema}"


def _xs(tag: str, **attrs: str) -> etree._Element:
    return etree.Element(_XS + tag, attrs)


@cache
def _load_schema() -> etree.XMLSchema:
    """The 2024 XSD, adapted in memory so it can validate a streamed file and newer files:

    * global ``Header`` and ``Child`` elements, so each can be validated on its own as it
      streams (the XSD only declares ``Message`` globally);
    * ``Sex`` accepted in place of ``GenderCurrent`` (the name newer collections use, coded
      1/2/0/9 or M/F/U), so a newer file is not rejected for using the newer name;
    * ``PreProceedingsandFGDM`` (the 2026-27 module) accepted at the end of ``CINdetails``
      without checking its content, which this service neither has a schema for nor maps;
    * ``NumberOfPreviousCPP`` may be 0: the XSD says positiveInteger, but the DfE's own rule
      8730 requires "greater than or equal to zero", and a first plan has no previous ones.
    """
    doc = etree.parse(str(SCHEMA_PATH), safe_xml_parser())
    root = doc.getroot()
    root.append(_xs("element", name="Header", type="headertype"))
    root.append(_xs("element", name="Child", type="childtype"))

    gender = root.find(
        f"{_XS}complexType[@name='childidentifierstype']//{_XS}element[@name='GenderCurrent']"
    )
    if gender is not None:
        choice = _xs("choice")
        gender.addprevious(choice)
        choice.append(gender)  # moves it into the choice
        choice.append(_xs("element", name="Sex", type="sextype"))
        sex = _xs("simpleType", name="sextype")
        restriction = etree.SubElement(sex, _XS + "restriction", base="nonEmptyString")
        for code in ("1", "2", "0", "9", "M", "F", "U"):
            etree.SubElement(restriction, _XS + "enumeration", value=code)
        root.append(sex)

    previous = root.find(f".//{_XS}element[@name='NumberOfPreviousCPP']")
    if previous is not None:
        previous.set("type", "xs:nonNegativeInteger")

    details = root.find(f"{_XS}complexType[@name='cindetailstype']/{_XS}sequence")
    if details is not None:
        pre = etree.SubElement(
            details,
            _XS + "element",
            name="PreProceedingsandFGDM",
            minOccurs="0",
            maxOccurs="unbounded",
        )
        seq = etree.SubElement(etree.SubElement(pre, _XS + "complexType"), _XS + "sequence")
        etree.SubElement(
            seq, _XS + "any", processContents="skip", minOccurs="0", maxOccurs="unbounded"
        )
    return etree.XMLSchema(doc)


def window_start(reference_date: date) -> date:
    """C0 of a single-year census: the 1 April before its ReferenceDate (31 March 2024 →
    1 April 2023)."""
    year = (
        reference_date.year
        if (reference_date.month, reference_date.day) > (4, 1)
        else reference_date.year - 1
    )
    return date(year, 4, 1)


# --- mapping ---------------------------------------------------------------------------------

_SEX = {"1": "M", "2": "F", "0": "U", "9": "U", "M": "M", "F": "F", "U": "U"}

_COLUMNS = {
    "child": ("child_id", "dob", "sex", "ethnicity", "disability", "_location"),
    "referral": ("referral_id", "child_id", "referral_date", "source", "nfa", "primary_need",
                 "closure_date", "closure_reason", "_location"),
    "assessment": ("assessment_id", "referral_id", "child_id", "start_date",
                   "authorisation_date", "factors", "_location"),
    "cin_plan": ("plan_id", "referral_id", "child_id", "start_date", "end_date", "_location"),
    "s47_enquiry": ("s47_id", "referral_id", "child_id", "start_date", "icpc_not_required",
                    "icpc_date", "_location"),
    "cp_plan": ("plan_id", "referral_id", "child_id", "start_date", "end_date",
                "initial_category", "latest_category", "previous_cpp", "_location"),
}  # fmt: skip


def _text(parent: etree._Element | None, tag: str) -> str | None:
    """The element's text (``""`` for an empty element), or None when it is absent. For the
    few header items; records use ``_items``."""
    if parent is None:
        return None
    value = parent.findtext(tag)
    return value.strip() if value is not None else None


def _items(parent: etree._Element | None) -> dict[str, str]:
    """``{tag: text}`` of an element's children in one pass (lxml's ``findtext`` goes through
    the Python ElementPath machinery: ~10x slower per item at 36,000 records). Text is
    stripped later, vectorised; an empty element gives ``""`` and an absent one no key."""
    if parent is None:
        return {}
    return {c.tag: c.text or "" for c in parent if isinstance(c.tag, str)}


def _codes(parent: etree._Element, group: str, tag: str) -> list[str]:
    """The non-blank codes in ``parent/group/tag`` (e.g. a child's disabilities)."""
    return [
        code
        for element in parent
        if element.tag == group
        for item in element
        if item.tag == tag and (code := (item.text or "").strip().upper())
    ]


def _disability(characteristics: etree._Element | None) -> bool | None:
    """Any disability recorded: True unless every code is NONE; None when none is given."""
    if characteristics is None:
        return None
    codes = _codes(characteristics, "Disabilities", "Disability")
    return any(c != "NONE" for c in codes) if codes else None


class _Mapper:
    """Collects one tuple of raw strings per canonical record while the file streams."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in _COLUMNS}
        self.ordinal = 0
        # LAchildID -> CINdetails seen so far, so a child split over two <Child> elements still
        # gets unique referral ids (R1, R2, R3 …) rather than two R1s.
        self.referrals_seen: dict[str, int] = defaultdict(int)

    def child(self, child: etree._Element) -> str | None:
        """Map one ``Child``; returns its LAchildID."""
        self.ordinal += 1
        ids_element = chars_element = None
        cin_details = []
        for part in child:  # one pass over the children instead of three ElementPath finds
            if part.tag == "CINdetails":
                cin_details.append(part)
            elif part.tag == "ChildIdentifiers":
                ids_element = part
            elif part.tag == "ChildCharacteristics":
                chars_element = part
        ids, chars = _items(ids_element), _items(chars_element)
        child_id = ids.get("LAchildID", "").strip() or None
        # An identifier that is too long or holds odd characters is reported (1570,
        # CHILD_ID_CHARACTERS), not repeated in every location: the child's position is used.
        plain = child_id is not None and plain_child_id(child_id, CIN_ID_MAX)
        label = f"Child[LAchildID={child_id}]" if plain else f"Child[{self.ordinal}]"
        key = child_id or label  # prefix of derived ids
        self.rows["child"].append((
            child_id, ids.get("PersonBirthDate"), ids.get("GenderCurrent", ids.get("Sex")),
            chars.get("Ethnicity"), _disability(chars_element),
            f"{label} (line {child.sourceline})",
        ))  # fmt: skip

        for n, details in enumerate(cin_details, start=1):
            self.referrals_seen[key] += 1
            referral_id = f"{key}/R{self.referrals_seen[key]}"
            where = f"{label}/CINdetails[{n}]"
            items = _items(details)
            self.rows["referral"].append((
                referral_id, child_id, items.get("CINreferralDate"), items.get("ReferralSource"),
                items.get("ReferralNFA"), items.get("PrimaryNeedCode"),
                items.get("CINclosureDate"), items.get("ReasonForClosure"),
                f"{where} (line {details.sourceline})",
            ))  # fmt: skip
            self._modules(details, referral_id, child_id, where)
        return child_id

    def _modules(
        self, details: etree._Element, referral_id: str, child_id: str | None, where: str
    ) -> None:
        counts: dict[str, int] = defaultdict(int)
        for module in details:
            tag = module.tag
            if not isinstance(tag, str) or tag not in _MODULES:
                continue
            counts[tag] += 1
            m = counts[tag]
            location = f"{where}/{tag}[{m}] (line {module.sourceline})"
            record_id = f"{referral_id}/{_MODULES[tag]}{m}"
            items = _items(module)
            if tag == "Assessments":
                codes = _codes(module, "FactorsIdentifiedAtAssessment", "AssessmentFactors")
                self.rows["assessment"].append((
                    record_id, referral_id, child_id, items.get("AssessmentActualStartDate"),
                    items.get("AssessmentAuthorisationDate"),
                    ",".join(codes) or None, location,
                ))  # fmt: skip
            elif tag == "CINPlanDates":
                self.rows["cin_plan"].append((
                    record_id, referral_id, child_id, items.get("CINPlanStartDate"),
                    items.get("CINPlanEndDate"), location,
                ))  # fmt: skip
            elif tag == "Section47":
                self.rows["s47_enquiry"].append((
                    record_id, referral_id, child_id, items.get("S47ActualStartDate"),
                    items.get("ICPCnotRequired"), items.get("DateOfInitialCPC"), location,
                ))  # fmt: skip
            else:
                self.rows["cp_plan"].append((
                    record_id, referral_id, child_id, items.get("CPPstartDate"),
                    items.get("CPPendDate"), items.get("InitialCategoryOfAbuse"),
                    items.get("LatestCategoryOfAbuse"), items.get("NumberOfPreviousCPP"),
                    location,
                ))  # fmt: skip


#: CINdetails module element -> the letter(s) of its derived id (``C1/R1/A2``).
_MODULES = {"Assessments": "A", "CINPlanDates": "P", "Section47": "S", "ChildProtectionPlans": "CP"}


# --- schema findings -------------------------------------------------------------------------

#: (parent, element) whose non-empty values this reader checks itself (DATE_FORMAT,
#: FLAG_FORMAT), so the schema's error about the same value is not repeated.
_SELF_CHECKED = {
    ("ChildIdentifiers", "PersonBirthDate"), ("CINdetails", "CINreferralDate"),
    ("CINdetails", "CINclosureDate"), ("Assessments", "AssessmentActualStartDate"),
    ("Assessments", "AssessmentAuthorisationDate"), ("CINPlanDates", "CINPlanStartDate"),
    ("CINPlanDates", "CINPlanEndDate"), ("Section47", "S47ActualStartDate"),
    ("Section47", "DateOfInitialCPC"), ("ChildProtectionPlans", "CPPstartDate"),
    ("ChildProtectionPlans", "CPPendDate"), ("CINdetails", "ReferralNFA"),
    ("Section47", "ICPCnotRequired"),
}  # fmt: skip
#: Required items reported as MISSING_FIELD (absent or empty) by this reader.
_REQUIRED = {("ChildIdentifiers", "LAchildID"), ("CINdetails", "CINreferralDate")}

_ELEMENT = re.compile(r"^Element '([^']+)': ")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")
_TYPE_NAMES = {
    "xs:date": "date (YYYY-MM-DD)",
    "xs:dateTime": "date and time (YYYY-MM-DDThh:mm:ss)",
    "xs:gYear": "year (YYYY)",
    "xs:positiveInteger": "whole number of 1 or more",
}
_UPN_FORM = "a letter and 12 more characters"
_PATTERN_NAMES = {"LEA": "3 digits", "SerialNo": "3 or more digits", "UPN": _UPN_FORM,
                  "FormerUPN": _UPN_FORM}  # fmt: skip


def _readable(name: str, message: str) -> str:
    """Reword libxml2's schema message for a data manager (its wording is stable across the
    libxml2 versions we support; anything unrecognised is shown as it is)."""
    body = _ELEMENT.sub("", message).strip()
    if match := re.search(
        r"\[facet 'enumeration'\] The value '([^']*)' is not an element of the set \{(.*)\}", body
    ):
        allowed = [c.strip().strip("'") for c in match.group(2).split(",")]
        shown = f" Allowed codes: {', '.join(allowed)}." if len(allowed) <= 12 else ""
        return f"{name} '{match.group(1)}' is not an allowed code.{shown}"
    if match := re.search(r"\[facet 'pattern'\] The value '([^']*)'", body):
        form = _PATTERN_NAMES.get(name, "the form the census requires")
        return f"{name} '{match.group(1)}' is not in the right form: it should be {form}."
    if "[facet 'minLength']" in body or "'' is not a valid value" in body:
        return f"{name} is empty. Fill it in, or leave the element out if it is optional."
    if match := re.search(r"'([^']*)' is not a valid value of the atomic type '([^']+)'", body):
        kind = _TYPE_NAMES.get(match.group(2), match.group(2))
        return f"{name} '{match.group(1)}' is not a valid {kind}."
    if "Character content other than whitespace is not allowed" in body:
        return f"{name} contains stray text between its elements. Remove it."
    if match := _EXPECTED.search(body):
        expected = match.group(1).replace(", ", " or ")
        if "Missing child element" in body:
            return f"{name} is missing {expected}."
        if "This element is not expected" in body:
            return (
                f"{name} is not expected here: {expected} should come here. Check the "
                "element's spelling and the order of the elements."
            )
    if "This element is not expected" in body:
        return f"{name} is not expected here. Check its spelling and position."
    return f"{name}: {body}"


def _schema_findings(
    target: etree._Element, schema: etree.XMLSchema, display_name: str, child_id: str | None
) -> list[Finding]:
    """Validate one streamed ``Header`` or ``Child`` and turn its errors into findings."""
    if schema.validate(target):
        return []
    by_line: dict[tuple[int, str], etree._Element] | None = None
    findings: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for error in cast(Any, schema.error_log):  # lxml-stubs omit _ErrorLog's iterator
        match = _ELEMENT.match(error.message)
        name = match.group(1) if match else ""
        if by_line is None:
            by_line = {
                (element_line(el), el.tag): el for el in target.iter() if isinstance(el.tag, str)
            }
        element = by_line.get((error.line, name))
        if element is not None and _explained_elsewhere(element, error.message):
            continue
        if (error.line, name) in seen:  # libxml2 may report one bad value twice (facet + type)
            continue
        seen.add((error.line, name))
        findings.append(
            Finding(
                "XSD",
                Severity.ERROR,
                _readable(name or "XML", error.message),
                file=display_name,
                location=f"line {error.line}",
                child_id=child_id or "",
                field=name,
            )
        )
    return findings


def _explained_elsewhere(element: etree._Element, message: str) -> bool:
    """True when this reader's own check reports the same problem with a clearer message."""
    parent = element.getparent()
    key = (parent.tag if parent is not None else "", element.tag)
    value_error = "[facet" in message or "is not a valid value" in message
    if value_error and key in _REQUIRED:
        return True
    if value_error and key in _SELF_CHECKED:
        return bool((element.text or "").strip())
    expected = _EXPECTED.search(message)
    if expected and expected.group(1) in ("LAchildID", "CINreferralDate"):
        # "Missing child element" names the parent; "not expected" names a sibling.
        holder = element if "Missing child element" in message else parent
        return holder is not None and holder.find(expected.group(1)) is None
    return False


# --- the reader ------------------------------------------------------------------------------


def _strip_namespaces(element: etree._Element) -> None:
    for el in element.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]


def _refusal(display_name: str, code: str, message: str) -> ReaderResult:
    return ReaderResult(
        format=Format.CIN_XML, findings=[Finding(code, Severity.ERROR, message, file=display_name)]
    )


def read(path: Path, display_name: str) -> ReaderResult:
    """Read one CIN census XML file into canonical tables, with located findings."""
    head = read_head(path)
    if looks_utf16(head):
        return ReaderResult(
            format=Format.CIN_XML, findings=[encoding_finding(display_name, xml=True)]
        )
    prolog = None if looks_binary(head) else xml_prolog(head)
    if prolog is not None and prolog.doctype:
        return _refusal(display_name, "XML_DOCTYPE", DOCTYPE_MESSAGE)
    if prolog is None or prolog.root != "Message":
        return _refusal(
            display_name,
            "FILE_FORMAT",
            "This file is not a CIN census XML file: it should start with <Message>.",
        )

    schema = _load_schema()
    mapper = _Mapper()
    findings: list[Finding] = []
    header: dict[str, str | None] = {}
    namespaced = prolog.namespace is not None
    stream = XmlStream(path, ("{*}Header", "{*}Child"), display_name)
    for element in stream:
        if namespaced or element.tag.startswith("{"):
            _strip_namespaces(element)
        if element.tag == "Header":
            findings += _schema_findings(element, schema, display_name, None)
            header = {
                "reference_date": _text(element.find("CollectionDetails"), "ReferenceDate"),
                "lea": _text(element.find("Source"), "LEA"),
            }
            continue
        child_id = mapper.child(element)
        findings += _schema_findings(element, schema, display_name, child_id)
    if stream.syntax_error is not None:
        findings.append(stream.syntax_error)
    if mapper.ordinal == 0 and stream.syntax_error is None:
        findings.append(
            Finding(
                "NO_CHILDREN",
                Severity.ERROR,
                "This CIN census file has no Child records.",
                file=display_name,
            )
        )

    tables, table_findings = _tables(mapper, display_name)
    reference_date = _header_date(header.get("reference_date"))
    lea = header.get("lea")
    return ReaderResult(
        format=Format.CIN_XML,
        tables=tables,
        findings=findings + table_findings,
        la_code=lea if lea and re.fullmatch(r"\d{3}", lea) else None,
        reference_date=reference_date,
        coverage_start=window_start(reference_date) if reference_date else None,
    )


def _header_date(raw: str | None) -> date | None:
    """ReferenceDate as a date; a missing or unreadable one is not an error here (the schema
    reports an unreadable one; coverage then falls back to the extract's events)."""
    if not raw:
        return None
    parsed, _, _ = parse_dates(pd.Series([raw]))
    value = parsed.iloc[0]
    return None if pd.isna(value) else value.date()


# XSD xs:date allows a time-zone suffix ("2024-03-31Z", "2024-03-31+01:00"); the date is what
# matters here, so drop it before parsing. Kept a plain str without \s so pandas hands it to
# pyarrow's RE2 (a compiled pattern or \s makes it loop in Python).
_TIMEZONE = r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})$"
_CIN_FLAGS = frozenset({"true", "false", "TRUE", "FALSE", "0", "1"})


def _raw_frame(rows: list[tuple[object, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows of raw values as object columns: no dtype inference, since every column is
    converted exactly once afterwards."""
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {c: pd.Series(v, dtype="object") for c, v in zip(columns, values, strict=True)}
    )


def _tables(mapper: _Mapper, display_name: str) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """Turn the collected raw strings into canonical tables, vectorised, with findings for
    values that could not be read."""
    findings: list[Finding] = []
    raw = {name: _raw_frame(rows, _COLUMNS[name]) for name, rows in mapper.rows.items()}
    for frame in raw.values():
        frame["_file"] = display_name

    def dates(frame: pd.DataFrame, column: str, field: str) -> pd.Series:
        values = (
            frame[column].astype("string").str.strip().str.replace(_TIMEZONE, r"\1", regex=True)
        )
        parsed, invalid, two_digit = parse_dates(values)
        findings.extend(
            date_findings(frame[column], invalid, two_digit, frame, field, iso_only=True)
        )
        return parsed

    def flags(frame: pd.DataFrame, column: str, field: str) -> pd.Series:
        parsed, invalid = parse_flags(frame[column])
        findings.extend(flag_findings(frame[column], invalid, frame, field, allowed=_CIN_FLAGS))
        return parsed

    def missing(frame: pd.DataFrame, column: str, field: str, what: str) -> None:
        blank = frame[column].isna() | (frame[column].astype("string").str.strip() == "")
        findings.extend(
            findings_for(
                blank,
                frame,
                code="MISSING_FIELD",
                severity=Severity.ERROR,
                field=field,
                message=f"{field} is missing. {what}",
            )
        )

    child = raw["child"]
    missing(child, "child_id", "LAchildID", "Every child needs the LA's identifier.")
    # DfE rule 1570 is the census's own length check; reported here from the first year, at
    # the child's location, so the rule's finding for the same child is not repeated.
    findings.extend(
        child_id_findings(
            child, field="LAchildID", limit=CIN_ID_MAX, source="the CIN census", length_code="1570"
        )
    )
    tables = {
        "child": canonical_frame("child", {
            "child_id": child["child_id"],
            "date_of_birth": dates(child, "dob", "PersonBirthDate"),
            "sex": clean_codes(child["sex"]).map(_SEX),
            "ethnicity": clean_codes(child["ethnicity"]),
            "disability": child["disability"],
            "_file": child["_file"], "_location": child["_location"],
        }),
    }  # fmt: skip

    ref = raw["referral"]
    missing(ref, "referral_date", "CINreferralDate", "Every CINdetails needs its referral date.")
    tables["referral"] = canonical_frame("referral", {
        "referral_id": ref["referral_id"], "child_id": ref["child_id"],
        "referral_date": dates(ref, "referral_date", "CINreferralDate"),
        "source": clean_codes(ref["source"]),
        "referral_nfa": flags(ref, "nfa", "ReferralNFA"),
        "primary_need": clean_codes(ref["primary_need"]),
        "closure_date": dates(ref, "closure_date", "CINclosureDate"),
        "closure_reason": clean_codes(ref["closure_reason"]),
        "_file": ref["_file"], "_location": ref["_location"],
    })  # fmt: skip

    asm = raw["assessment"]
    tables["assessment"] = canonical_frame("assessment", {
        "assessment_id": asm["assessment_id"], "referral_id": asm["referral_id"],
        "child_id": asm["child_id"],
        "start_date": dates(asm, "start_date", "AssessmentActualStartDate"),
        "authorisation_date": dates(asm, "authorisation_date", "AssessmentAuthorisationDate"),
        "factors": asm["factors"],
        "_file": asm["_file"], "_location": asm["_location"],
    })  # fmt: skip

    cin = raw["cin_plan"]
    tables["cin_plan"] = canonical_frame("cin_plan", {
        "plan_id": cin["plan_id"], "referral_id": cin["referral_id"], "child_id": cin["child_id"],
        "start_date": dates(cin, "start_date", "CINPlanStartDate"),
        "end_date": dates(cin, "end_date", "CINPlanEndDate"),
        "_file": cin["_file"], "_location": cin["_location"],
    })  # fmt: skip

    s47 = raw["s47_enquiry"]
    tables["s47_enquiry"] = canonical_frame("s47_enquiry", {
        "s47_id": s47["s47_id"], "referral_id": s47["referral_id"], "child_id": s47["child_id"],
        "start_date": dates(s47, "start_date", "S47ActualStartDate"),
        # The census records "ICPC not required"; the canonical flag is the positive.
        "icpc_required": ~flags(s47, "icpc_not_required", "ICPCnotRequired"),
        "icpc_date": dates(s47, "icpc_date", "DateOfInitialCPC"),
        "_file": s47["_file"], "_location": s47["_location"],
    })  # fmt: skip

    cpp = raw["cp_plan"]
    previous, _ = parse_ints(cpp["previous_cpp"])  # a non-number is an XSD error already
    tables["cp_plan"] = canonical_frame("cp_plan", {
        "plan_id": cpp["plan_id"], "referral_id": cpp["referral_id"], "child_id": cpp["child_id"],
        "start_date": dates(cpp, "start_date", "CPPstartDate"),
        "end_date": dates(cpp, "end_date", "CPPendDate"),
        "initial_category": clean_codes(cpp["initial_category"]),
        "latest_category": clean_codes(cpp["latest_category"]),
        "number_of_previous_cpp": previous,
        "_file": cpp["_file"], "_location": cpp["_location"],
    })  # fmt: skip
    return tables, findings
