"""Ofsted Annex A (ILACS) workbook → canonical tables.

Each list is a sheet, found by its name (``List 3``, ``List_3``, ``3. Referrals``,
``Referrals`` …), with a header row in its first rows. Columns are matched by name, tolerant
of the drift real files show (case, spacing, punctuation, reworded headers: the regexes of
liia-tools' ``annex-a-merge.yml`` plus our own for the columns we map).

What is mapped:

* every child list (1 to 10) → ``child`` rows (Child Unique ID, Gender ``b) Female`` → F,
  Ethnicity ``a) WBRI`` → WBRI, Date of Birth, disability, UASC from Lists 8 and 9), merged
  to one row per child;
* List 3 → ``referral`` (``{child}/L3R{row}``: date, source, NFA);
* List 4 → ``assessment`` (start, authorisation, ``outcome_nfa`` = "assessed as requiring
  support?" is No);
* List 5 → ``s47_enquiry`` (start, ICPC required = not "deemed unnecessary", ICPC date);
* List 6 → ``referral`` too: a List 6 row is a CIN episode (CIN start to closure), which is
  what the canonical ``referral`` table holds. A List 6 row whose child and CIN start date
  match a List 3 referral completes that referral (primary need, closure) rather than adding
  a second one, so a referral is never counted twice; other List 6 rows are CIN episodes
  that started before the List 3 window (``{child}/L6R{row}``). Annex A has no CIN plan
  dates, so there are no ``cin_plan`` rows.
* List 7 → ``cp_plan`` (start, end, categories, number of previous plans);
* List 8 → ``cla_episode``, one per row for the current period of care (start = Date
  Started to be Looked After, end = Date Ceased; the current legal status and placement).
  Annex A has no per-placement episodes and no start reason (RNE).

Not mapped: Lists 1 and 2 (contacts, early help) beyond child rows; Lists 9 and 10 beyond child
rows; List 11 (adopters are not children). Annex A counts missing/absent episodes but has no
dates, so there are no ``missing_episode`` rows (the indicator pages say so; a finding per
file would be noise the user cannot act on). ``coverage_start`` is the earliest List 3
referral (else List 1 contact): those lists hold every referral/contact in the inspection
window, so that is when the extract becomes complete.

Safety: the file is checked as a zip before openpyxl sees it (entry count, total size,
compression ratio, required parts, no macros), and each sheet is read row by row, at most
1,048,576 rows and 500 columns.

Findings this reader emits (code-list checks are the rules' job):

* ``FILE_FORMAT``, ``ZIP_REFUSED``, ``XLSX_MACROS``, ``XLSX_ENTITY`` (a part declares a DTD
  or XML entities) — the workbook was not read;
* ``SHEET_TOO_WIDE``, ``DUPLICATE_LIST`` (query), ``MISSING_COLUMN``, ``UNKNOWN_COLUMN``
  (query) — sheets and headers, located at the sheet or the header cell (``List 3!I1``);
* ``CHILD_ID_TOO_LONG`` (over 20 characters), ``CHILD_ID_CHARACTERS`` (markup, formula or
  control characters: ``base.CHILD_ID_PATTERN``) — the Child Unique ID cell of every list row;
* ``DATE_FORMAT``, ``FLAG_FORMAT``, ``NUMBER_FORMAT``, ``MISSING_FIELD`` (blank child id) —
  values of mapped columns, located at the cell (``List 4!G12``). Columns we do not map are
  not checked: their problems cannot change an indicator.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from submissions.extract.canonical import Finding, Format, Severity
from submissions.extract.readers.base import (
    ANNEX_A_ID_MAX,
    HEAD_BYTES,
    ReaderResult,
    canonical_frame,
    child_id_findings,
    date_findings,
    findings_for,
    flag_findings,
    looks_utf16,
    xml_prolog,
)
from submissions.extract.readers.common import (
    clean_codes,
    clean_ids,
    parse_dates,
    parse_flags,
    parse_ints,
)
from submissions.extract.readers.ssda903 import merge_child_rows

__all__ = ["check_package", "list_number", "read"]

# --- package checks (before openpyxl) --------------------------------------------------------

_MAX_ENTRIES = 1_000
_MAX_UNCOMPRESSED = 500 * 1024 * 1024
_MAX_RATIO = 100
# Below this size an entry cannot be a bomb, and tiny repetitive parts (an empty sheet's
# XML) legitimately compress more than 100:1.
_RATIO_FLOOR = 1024 * 1024
_MAX_ROWS = 1_048_576  # Excel's own limit
_MAX_COLUMNS = 500  # the widest list (8) has 34 columns
_HEADER_SCAN_ROWS = 10  # some LAs put a title above the header row


def _entity_part(package: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> str | None:
    """The first part that declares a DTD (``<!DOCTYPE``, where XML entities are
    declared), judged from its first 64 KB: a DOCTYPE can only come before the root element.

    Excel never writes one, and entities are how XML bombs and external-entity attacks work,
    so such a workbook is refused before openpyxl parses anything (today's parsers would
    either expand the entity or fail with a message that does not say why)."""
    for entry in entries:
        if entry.is_dir():
            continue  # every other part: openpyxl follows relationships, not extensions
        with package.open(entry) as part:
            head = part.read(HEAD_BYTES)
        if looks_utf16(head):  # XML parts may be UTF-16; the prolog check reads UTF-8
            encoding = "utf-16-be" if head.startswith(b"\xfe\xff") else "utf-16-le"
            head = head.decode(encoding, "ignore").lstrip("\ufeff").encode("utf-8")
        prolog = xml_prolog(head)
        if prolog is not None and prolog.doctype:
            return entry.filename
    return None


def check_package(path: Path, display_name: str = "") -> tuple[str, str] | None:
    """``(code, message)`` saying why this file must not be opened as a workbook, or None
    when it may be.

    Looks at the zip directory first: the entry count, declared sizes and compression ratios
    (a zip bomb is refused before anything is decompressed; Python's zipfile never inflates
    an entry past its declared size, so the declared sizes bound the work), the parts every
    workbook has, and macros. Then at the start of each XML part: a DTD or entity
    declaration is refused (``XLSX_ENTITY``).
    """
    name = display_name or path.name
    try:
        with zipfile.ZipFile(path) as package:
            entries = package.infolist()
            problem = _directory_problem(entries)
            if problem is not None:
                return problem
            part = _entity_part(package, entries)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError,
            NotImplementedError):  # fmt: skip
        # Damaged, encrypted or oddly compressed parts: not a workbook we can open.
        return "FILE_FORMAT", _NOT_A_WORKBOOK
    if part is not None:
        return "XLSX_ENTITY", entity_message(name, part)
    return None


def entity_message(display_name: str, part: str) -> str:
    """What to tell the user about a workbook part with an XML entity declaration."""
    where = f" in part {part}" if part else ""
    return (
        f"The spreadsheet {display_name} contains an XML entity declaration{where}, which "
        "the service does not accept for security reasons (Excel never writes one). Save it "
        "again from Excel as an Excel Workbook (.xlsx), or export it again from your system, "
        "and upload the new file."
    )


_NOT_A_WORKBOOK = (
    "This file is not an Excel workbook (.xlsx). If it is an old .xls file or is "
    "password-protected, save it as an unprotected Excel Workbook (.xlsx) and upload "
    "it again."
)


def _directory_problem(entries: list[zipfile.ZipInfo]) -> tuple[str, str] | None:
    """``check_package``'s checks of the zip directory alone."""
    if len(entries) > _MAX_ENTRIES:
        return "ZIP_REFUSED", (
            f"This workbook has {len(entries):,} parts; a real Annex A has far fewer, so it "
            "was not opened."
        )
    names = {entry.filename for entry in entries}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return "XLSX_MACROS", (
            "This workbook contains macros (.xlsm). Save it as an Excel Workbook (.xlsx), "
            "without macros, and upload it again."
        )
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        return "FILE_FORMAT", "This file is a zip archive but not an Excel workbook (.xlsx)."
    if sum(entry.file_size for entry in entries) > _MAX_UNCOMPRESSED:
        return "ZIP_REFUSED", "This workbook is too large to read (over 500 MB uncompressed)."
    for entry in entries:
        if entry.file_size > _RATIO_FLOOR and entry.file_size > _MAX_RATIO * max(
            entry.compress_size, 1
        ):
            return "ZIP_REFUSED", (
                f"This workbook's part {entry.filename} is compressed more than 100 to 1, "
                "which a real Annex A never is, so it was not opened."
            )
    return None


# --- lists and columns -----------------------------------------------------------------------

_LIST_NAME = re.compile(r"^\s*(?:annex\s*a\s*)?list[\s_\-.:]*0?(\d{1,2})(?!\d)", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^\s*0?(\d{1,2})\s*[.):\-_]\s*\S")
# Sheet names without a number; order matters ("early help assessment" is List 2).
_LIST_WORDS = (
    (11, r"adopters"), (10, r"adoption"), (9, r"care\s*leaver"), (2, r"early\s*help"),
    (8, r"looked\s*after|\bcla\b|\blac\b"), (7, r"child\s*protection|\bcpp?\b"),
    (6, r"children\s*in\s*need|\bcin\b"), (5, r"section\s*47|\bs\s*47\b"),
    (4, r"assessment"), (3, r"referral"), (1, r"contact"),
)  # fmt: skip


def list_number(sheet_name: str) -> int | None:
    """Which Annex A list (1 to 11) a sheet holds, from its name; None for other sheets."""
    match = _LIST_NAME.match(sheet_name) or _LEADING_NUMBER.match(sheet_name)
    if match:
        number = int(match.group(1))
        return number if 1 <= number <= 11 else None
    for number, words in _LIST_WORDS:
        if re.search(words, sheet_name, re.IGNORECASE):
            return number
    return None


@dataclass(frozen=True)
class _Column:
    """One Annex A column: ``key`` names what we map it to (None: known, not used)."""

    header: str
    key: str | None = None
    patterns: tuple[str, ...] = ()
    required: bool = True


def _c(header: str, key: str | None = None, *patterns: str, required: bool = True) -> _Column:
    return _Column(header, key, patterns, required)


_CHILD_ID = _c("Child Unique ID", "child_id", r"child.*\bid", r"unique.*\bid")
_CHILD = (
    _CHILD_ID,
    _c("Gender", "sex", r"^gender", r"^sex$"),
    _c("Ethnicity", "ethnicity", r"ethnic"),
    _c("Date of Birth", "dob", r"date.*birth", r"\bdob\b"),
    # The merge spec's /.*age.*/ would also take "Date Stage 1 started"; anchor it.
    _c("Age of Child (Years)", None, r"^age\b"),
)
_DISABILITY = _c("Does the Child have a Disability", "disability", r"disab")
_TEAM = (_c("Allocated Team", None, r"team"),
         _c("Allocated Worker", None, r"worker"))  # fmt: skip

_LISTS: dict[int, tuple[_Column, ...]] = {
    1: (*_CHILD,
        _c("Date of Contact", "contact_date", r"date.*contact"),
        _c("Contact Source", None, r"contact.*source")),
    2: (*_CHILD, _c("Assessment start date"), _c("Assessment completion date"),
        _c("Organisation completing assessment")),
    3: (*_CHILD,
        _c("Date of referral", "referral_date", r"date of.*referral",
           r"referral.*date"),
        _c("Referral Source", "source", r"referral.*source", r"^source"),
        _c("Referral NFA?", "referral_nfa", r"\bnfa\b", r"no further action"),
        _c("Number of Referrals in Last 12 Months", None, r"number of referrals"),
        *_TEAM),
    4: (*_CHILD, _DISABILITY,
        _c("Continuous Assessment Start Date", "start_date", r"assessment.*start"),
        _c("Child Seen During Continuous Assessment", None, r"seen"),
        _c("Continuous Assessment Date of Authorisation", "authorisation_date",
           r"authori[sz]", r"assessment.*(complet|end)"),
        _c("Was the child assessed as requiring LA children's social care support?",
           "requires_support", r"was the child assessed.*social care support",
           r"assessed as requiring", r"requir.*support"),
        *_TEAM),
    5: (*_CHILD, _DISABILITY,
        _c("Strategy discussion initiating Section 47 Enquiry Start Date", "start_date",
           r"strategy discussion", r"s(ection)?\s*47.*start"),
        _c("Was an Initial Child Protection Conference deemed unnecessary?",
           "icpc_unnecessary", r"unnecessary", r"not required"),
        _c("Date of Initial Child Protection Conference", "icpc_date",
           r"date.*(initial child protection conference|icpc)"),
        _c("Did the Initial Child Protection Conference Result in a Child Protection Plan",
           None, r"result in"),
        _c("Number of Section 47 Enquiries in the last 12 months", None,
           r"number of (section|s)\s*47"),
        _c("Number of ICPCs in the last 12 months", None, r"number of icpc"),
        *_TEAM),
    6: (*_CHILD, _DISABILITY,
        _c("CIN Start Date", "cin_start", r"cin.*start", r"start.*cin"),
        _c("Primary Need Code", "primary_need", r"primary need"),
        _c("Date Child Was Last Seen", None, r"last seen"),
        _c("CIN Closure Date", "closure_date", r"closure.*date", r"date.*clos"),
        _c("Reason for Closure", "closure_reason", r"reason.*clos"),
        _c("Case Status", None, r"case status"),
        *_TEAM),
    7: (*_CHILD, _DISABILITY,
        _c("Child Protection Plan Start Date", "start_date", r"plan.*start",
           r"start.*plan"),
        _c("Initial Category of Abuse", "initial_category", r"initial.*categor"),
        _c("Latest Category of Abuse", "latest_category", r"latest.*categor"),
        _c("Date of the Last Statutory Visit", None, r"statutory visit"),
        _c("Was the Child Seen Alone?", None, r"seen alone"),
        _c("Date of latest review conference", None, r"review conference"),
        _c("Child Protection Plan End Date", "end_date", r"plan.*end\b",
           r"end.*plan"),
        _c("Subject to Emergency Protection Order or Protected Under Police Powers in Last "
           "Six Months (Y/N)", None, r"emergency protection order"),
        _c("Number of Previous Child Protection Plans", "previous",
           r"previous.*(plan|cpp)"),
        *_TEAM),
    8: (*_CHILD,
        _c("Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
           "uasc", r"unaccompanied asylum", r"\buasc\b"),
        _DISABILITY,
        _c("Date Started to be Looked After", "start_date",
           r"started.*looked after", r"date.*(became|started|entered).*(looked after|care)"),
        _c("Child's Category of Need", None, r"category of need"),
        _c("Is this a second or subsequent period of being a Looked After Child within the "
           "last 12 months (Y/N)", None, r"second or subsequent"),
        _c("Start date of current legal status", None, r"start.*legal status"),
        _c("Child's Legal Status", "legal_status", r"child.*legal status",
           r"^legal status"),
        _c("Date of Latest Statutory Review", None, r"statutory review"),
        _c("Date of Last Social Work Visit", None, r"social work visit"),
        _c("What is the permanence plan for this child?", None, r"permanence plan"),
        _c("Date of Last IRO Visit / Contact to the Child", None, r"\biro\b"),
        _c("Date of Last Health Assessment", None, r"health assessment"),
        _c("Date of Last Dental Check", None, r"dental"),
        _c("Number of Placements in the Last 12 months", None,
           r"number of placements"),
        _c("Date Ceased to be Looked After", "end_date", r"ceased.*looked after",
           r"date.*ceased"),
        _c("Reason Ceased to be Looked After", "end_reason", r"reason.*ceased"),
        _c("Start Date of Most Recent Placement", None, r"recent placement"),
        _c("Placement Type", "placement_type", r"placement type",
           r"type of placement"),
        _c("Placement Provider", None, r"placement provider"),
        _c("Placement postcode", None, r"post\s*code"),
        _c("URN of Placement", None, r"\burn\b"),
        _c("Placement Location", None, r"placement location"),
        _c("LA of Placement", None, r"la of placement"),
        _c("Number of Episodes the Child has been 'Missing' from their Placement in the last "
           "12 months", None, r"been.*missing.*from their placement"),
        _c("Number of Episodes the Child has been 'Absent' from their Placement in the last "
           "12 months", None, r"been.*absent.*from their placement"),
        _c("Was the child offered a Return Interview after their last missing episode (Y/N)?",
           None, r"offered a return interview"),
        _c("Did the child accept a Return Interview after their last missing episode (Y/N)?",
           None, r"accept a return interview"),
        *_TEAM),
    9: (*_CHILD, _DISABILITY,
        # Added in the 2024 Annex A, so older files do not have it.
        _c("Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
           "uasc", r"unaccompanied asylum", r"\buasc\b", required=False),
        *_TEAM,
        _c("Allocated Personal Advisor", None, r"personal advis"),
        _c("Eligibility Category", None, r"eligib"),
        _c("Latest Pathway Plan Review Date", None, r"pathway plan"),
        _c("LA in Touch", None, r"in touch"),
        _c("Latest Date of Contact", None, r"date of contact"),
        _c("Type of Accommodation", None, r"type of accom"),
        _c("Suitability of Accommodation", None, r"suitab"),
        _c("Activity Status", None, r"activity")),
    10: (*_CHILD, _DISABILITY,
         _c("Family identifier", None, r"family id"),
         _c("Date the Child Entered Care"),
         _c("Date of Decision that Child Should be Placed for Adoption"),
         _c("Date of Placement Order"), _c("Date of Matching Child and Prospective Adopters"),
         _c("Date Placed for Adoption"), _c("Date of Adoption Order"),
         _c("Date of Decision that Child Should No Longer be Placed for Adoption"),
         _c("Reason Why Child No Longer Placed for Adoption"),
         _c("Date the child was placed for fostering in FFA or concurrent planning placement")),
}  # fmt: skip

_LIST_TITLES = {1: "Contacts", 2: "Early help", 3: "Referrals", 4: "Assessments",
                5: "Section 47 enquiries", 6: "Children in need", 7: "Child protection",
                8: "Children looked after", 9: "Care leavers", 10: "Adoption",
                11: "Adopters"}  # fmt: skip


def _squash(text: str) -> str:
    """Header text for comparison: lower case, curly quotes straightened, spacing collapsed."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def _bare(text: str) -> str:
    """Only letters and digits: ``"Date of Adoption Order "`` and ``"…(Y/N))"`` still match."""
    return re.sub(r"[^a-z0-9]", "", _squash(text))


def _match_columns(
    headers: list[str], columns: tuple[_Column, ...]
) -> tuple[dict[_Column, int], list[int]]:
    """Assign header cells to columns: exact names first (ignoring case, spacing and
    punctuation), then each column's patterns over the cells still free, in column order.
    Returns {column: index} and the indexes of non-blank cells nothing claimed."""
    free = {i: _squash(h) for i, h in enumerate(headers) if h.strip()}
    by_bare: dict[str, int] = {}
    for i, text in free.items():
        by_bare.setdefault(_bare(text), i)
    found: dict[_Column, int] = {}
    for column in columns:
        index = by_bare.get(_bare(column.header))
        if index is not None and index in free:
            found[column] = index
            del free[index]
    for column in columns:
        if column in found:
            continue
        for pattern in column.patterns:
            index = next((i for i, text in free.items() if re.search(pattern, text)), None)
            if index is not None:
                found[column] = index
                del free[index]
                break
    return found, sorted(free)


# --- cell values -----------------------------------------------------------------------------

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # serial 1 = 1900-01-01 (with Excel's leap bug)
# Canonical dates are datetime64[ns], which ends in 2262; Excel's own range (to 9999) is wider.
# A date beyond it is a typo in a CSC return, reported like any unreadable date.
_LAST_YEAR = 2261
_MAX_SERIAL = (pd.Timestamp(f"{_LAST_YEAR}-12-31") - _EXCEL_EPOCH).days


def _cell_text(value: Any) -> str | None:
    """A cell as the text the user sees: whole numbers without ``.0``, dates as dd/mm/yyyy."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _cell_dates(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Dates from cells that hold a datetime (a date-formatted cell), a serial number (a date
    cell formatted as a number) or text. Returns ``(dates, invalid, two_digit, shown)``
    where ``shown`` is the text to quote in a finding."""
    kinds = values.map(type)
    is_date = kinds.isin([datetime, date]).to_numpy()
    is_number = kinds.isin([int, float]).to_numpy()
    shown = values.map(_cell_text).astype("string")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    invalid = np.zeros(len(values), dtype=bool)
    two_digit = np.zeros(len(values), dtype=bool)
    dated = np.flatnonzero(is_date)
    numbers = np.flatnonzero(is_number)
    texts = np.flatnonzero(~(is_date | is_number))
    if len(dated):
        years = values.iloc[dated].map(lambda v: v.year).to_numpy()
        storable = (years >= _EXCEL_EPOCH.year) & (years <= _LAST_YEAR)
        invalid[dated[~storable]] = True
        dated = dated[storable]
        result.iloc[dated] = pd.to_datetime(values.iloc[dated].astype(object)).to_numpy()
    if len(numbers):
        serial = pd.to_numeric(values.iloc[numbers], errors="coerce").astype(float).to_numpy()
        usable = (serial >= 1) & (serial <= _MAX_SERIAL)
        days = pd.to_timedelta(serial[usable], unit="D")
        result.iloc[numbers[usable]] = (_EXCEL_EPOCH + days).to_numpy()
        invalid[numbers[~usable]] = True
    if len(texts):
        parsed, bad, two = parse_dates(shown.iloc[texts])
        result.iloc[texts] = parsed.to_numpy()
        invalid[texts] = bad.to_numpy(dtype=bool)
        two_digit[texts] = two.fillna(False).to_numpy(dtype=bool)
    return (
        result.dt.normalize(),
        pd.Series(invalid, index=values.index),
        pd.Series(two_digit, index=values.index),
        shown,
    )


# "a) 1A: Individual", "N1 - Abuse or neglect", "e) PR4 - Private provision" → the code.
_CODE_WITH_TEXT = r"^(?:[A-Z]{2}\)\s*)?([A-Z0-9]{1,6})\s*[:\-\u2013]\s*[A-Z].*$"
_ETHNICITY_NAMES = {
    "WHITE BRITISH": "WBRI", "WHITE IRISH": "WIRI", "TRAVELLER OF IRISH HERITAGE": "WIRT",
    "ANY OTHER WHITE BACKGROUND": "WOTH", "GYPSY/ROMA": "WROM",
    "WHITE AND BLACK CARIBBEAN": "MWBC", "WHITE AND BLACK AFRICAN": "MWBA",
    "WHITE AND ASIAN": "MWAS", "ANY OTHER MIXED BACKGROUND": "MOTH", "INDIAN": "AIND",
    "PAKISTANI": "APKN", "BANGLADESHI": "ABAN", "ANY OTHER ASIAN BACKGROUND": "AOTH",
    "CARIBBEAN": "BCRB", "AFRICAN": "BAFR", "ANY OTHER BLACK BACKGROUND": "BOTH",
    "CHINESE": "CHNE", "ANY OTHER ETHNIC GROUP": "OOTH", "REFUSED": "REFU",
    "INFORMATION NOT YET OBTAINED": "NOBT",
}  # fmt: skip
# data-map.yml writes the categories as words ("a) Neglect"); the census uses codes.
_ABUSE_NAMES = {"NEGLECT": "NEG", "PHYSICAL ABUSE": "PHY", "SEXUAL ABUSE": "SAB",
                "EMOTIONAL ABUSE": "EMO", "MULTIPLE/NOT RECOMMENDED": "MUL",
                "MULTIPLE": "MUL"}  # fmt: skip
_SEX_NAMES = {
    "M": "M", "MALE": "M", "1": "M", "F": "F", "FEMALE": "F", "2": "F", "U": "U",
    "NOT STATED/RECORDED": "U", "NOT STATED": "U", "NOT RECORDED": "U", "NEITHER": "U",
    "UNKNOWN": "U", "INDETERMINATE": "U", "0": "U", "9": "U",
}  # fmt: skip
# Spellings of "we don't know" in yes/no columns (data-map.yml's "c) Unknown"): blank, not an
# unreadable value.
_UNKNOWN_FLAG = r"(?i)\s*(?:[a-z]\)\s*)?(?:unknown|not known|n/?k)\s*"


def _codes(raw: pd.Series, names: dict[str, str] | None = None) -> pd.Series:
    """Codes from Annex A's labelled values; values that are neither stay as cleaned text for
    the code-list rules to report."""
    codes = clean_codes(raw).str.replace(_CODE_WITH_TEXT, r"\1", regex=True)
    return codes.replace(names) if names else codes


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """One list's mapped columns as raw cell values, with Excel row numbers."""

    number: int
    title: str
    values: pd.DataFrame  # one column per mapped key, plus "_row"
    letters: dict[str, str]  # key -> column letter


def _sheet_findings(title: str, message: str, severity: Severity, code: str, file: str) -> Finding:
    return Finding(code, severity, message, file=file, location=title)


def _rows(
    ws: ReadOnlyWorksheet, min_row: int = 1, max_row: int | None = None, max_col: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """Cell values row by row (types-openpyxl types ``iter_rows`` for the writable sheet only)."""
    sheet: Any = ws
    rows: Iterator[tuple[Any, ...]] = sheet.iter_rows(
        min_row=min_row, max_row=max_row, max_col=max_col, values_only=True
    )
    return rows


def _read_sheet(
    ws: ReadOnlyWorksheet, number: int, display_name: str, findings: list[Finding]
) -> _Sheet | None:
    """One list's header matched and its mapped columns read; None when it cannot be."""
    title = ws.title
    # The stored <dimension> is often wrong (or absurd) in generated files; size rows by
    # their cells instead, and never read more than _MAX_COLUMNS columns of data.
    ws.reset_dimensions()
    name = f"List {number} ({_LIST_TITLES[number]})"
    head: list[tuple[Any, ...]] = []
    for row in _rows(ws, max_row=_HEADER_SCAN_ROWS):
        # Checked row by row so an absurdly wide sheet is refused after its first row.
        width = max((i + 1 for i, v in enumerate(row) if v not in (None, "")), default=0)
        if width > _MAX_COLUMNS:
            findings.append(
                _sheet_findings(
                    title,
                    f"Sheet '{title}' has {width:,} columns; an Annex A list has fewer than "
                    "40. Delete the extra columns and upload the file again. This sheet was "
                    "not read.",
                    Severity.ERROR,
                    "SHEET_TOO_WIDE",
                    display_name,
                )
            )
            return None
        head.append(row)
    columns = _LISTS[number]
    header_at = None
    for offset, row in enumerate(head):
        texts = [_cell_text(v) or "" for v in row]
        found, _ = _match_columns(texts, (_CHILD_ID,))
        # A title above the table may mention child IDs too; a header row has many cells.
        if found and sum(bool(t.strip()) for t in texts) >= 3:
            header_at = offset
            break
    if header_at is None:
        findings.append(
            _sheet_findings(
                title,
                f"{name}: no header row with a 'Child Unique ID' column in the first "
                f"{_HEADER_SCAN_ROWS} rows of sheet '{title}', so the sheet was not read.",
                Severity.ERROR,
                "MISSING_COLUMN",
                display_name,
            )
        )
        return None
    headers = [_cell_text(v) or "" for v in head[header_at]]
    found, unknown = _match_columns(headers, columns)
    header_row = header_at + 1
    for index in unknown:
        findings.append(
            Finding(
                "UNKNOWN_COLUMN",
                Severity.QUERY,
                f"{name}: the column '{headers[index].strip()}' is not an Annex A column and "
                "was ignored. If it is a renamed Annex A column, use the Annex A heading.",
                file=display_name,
                location=f"{title}!{get_column_letter(index + 1)}{header_row}",
            )
        )
    missing = [c.header for c in columns if c.key and c.required and c not in found]
    if missing:
        findings.append(
            _sheet_findings(
                title,
                f"{name}: no column for {'; '.join(repr(m) for m in missing)}. Add "
                f"{'it' if len(missing) == 1 else 'them'} with the Annex A heading.",
                Severity.ERROR,
                "MISSING_COLUMN",
                display_name,
            )
        )
    mapped = {c.key: i for c, i in found.items() if c.key}
    if "child_id" not in mapped:
        return None
    positions = list(mapped.values())
    last = max(positions) + 1
    cells: list[tuple[Any, ...]] = []
    rows: list[int] = []
    data = _rows(ws, min_row=header_row + 1, max_row=_MAX_ROWS, max_col=last)
    for row_number, row in enumerate(data, start=header_row + 1):
        picked = tuple(row[i] if i < len(row) else None for i in positions)
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in picked):
            cells.append(picked)
            rows.append(row_number)
    # Object columns keep each cell as openpyxl gave it (datetime, number or text); pandas'
    # inference would turn a date column with one text cell into NaT and lose that text.
    by_column = list(zip(*cells, strict=True)) if cells else [() for _ in mapped]
    values = pd.DataFrame(
        {
            key: pd.Series(column, dtype=object)
            for key, column in zip(mapped, by_column, strict=True)
        }
    )
    values["_row"] = rows
    letters = {key: get_column_letter(i + 1) for key, i in mapped.items()}
    return _Sheet(number, title, values, letters)


class _Mapper:
    """Turns one list's raw cells into canonical columns, collecting located findings."""

    def __init__(self, sheet: _Sheet, display_name: str, findings: list[Finding]) -> None:
        self.sheet = sheet
        self.values = sheet.values
        self.findings = findings
        self.display_name = display_name
        # Every read sheet has the child id column: its header row was found by it.
        self.child_id = clean_ids(self.text("child_id"))

    def location(self, key: str) -> pd.Series:
        letter = self.sheet.letters.get(key) or self.sheet.letters["child_id"]
        return f"{self.sheet.title}!{letter}" + self.values["_row"].astype(str)

    def _frame(self, key: str) -> pd.DataFrame:
        """What ``findings_for`` needs: file, the cell's location and the child."""
        return pd.DataFrame(
            {
                "_file": self.display_name,
                "_location": self.location(key),
                "child_id": self.child_id,
            }
        )

    def header(self, key: str) -> str:
        return next(c.header for c in _LISTS[self.sheet.number] if c.key == key)

    def text(self, key: str) -> pd.Series:
        if key not in self.values:
            return pd.Series(pd.NA, index=self.values.index, dtype="string")
        return self.values[key].map(_cell_text).astype("string")

    def dates(self, key: str) -> pd.Series | None:
        if key not in self.values:
            return None
        parsed, invalid, two_digit, shown = _cell_dates(self.values[key])
        frame = self._frame(key)
        self.findings.extend(date_findings(shown, invalid, two_digit, frame, self.header(key)))
        return parsed

    def flags(self, key: str) -> pd.Series | None:
        if key not in self.values:
            return None
        raw = self.text(key)
        unknown = raw.str.fullmatch(_UNKNOWN_FLAG).fillna(False).astype(bool)
        flags, invalid = parse_flags(raw.mask(unknown))
        self.findings.extend(flag_findings(raw, invalid, self._frame(key), self.header(key)))
        return flags

    def ints(self, key: str) -> pd.Series | None:
        if key not in self.values:
            return None
        raw = self.text(key)
        numbers, invalid = parse_ints(raw)
        self.findings.extend(
            findings_for(
                invalid,
                self._frame(key),
                code="NUMBER_FORMAT",
                severity=Severity.ERROR,
                field=self.header(key),
                values=raw,
                message=f"{self.header(key)} '{{value}}' is not a whole number.",
            )
        )
        return numbers

    def record_ids(self, tag: str) -> pd.Series:
        return self.child_id + f"/L{self.sheet.number}{tag}" + self.values["_row"].astype(str)

    def source(self, key: str) -> dict[str, Any]:
        files = pd.Series(self.display_name, index=self.values.index, dtype="string")
        return {"_file": files, "_location": self.location(key)}

    def child_rows(self) -> pd.DataFrame:
        blank = self.child_id.isna()
        self.findings.extend(
            findings_for(
                blank,
                self._frame("child_id"),
                code="MISSING_FIELD",
                severity=Severity.ERROR,
                field="Child Unique ID",
                message="Child Unique ID is blank. Every row needs the child's identifier; "
                "this row was not read.",
            )
        )
        self.findings.extend(
            child_id_findings(
                self._frame("child_id"),
                field="Child Unique ID",
                limit=ANNEX_A_ID_MAX,
                source="Annex A, like the CIN census,",
            )
        )
        return canonical_frame(
            "child",
            {
                "child_id": self.child_id,
                "date_of_birth": self.dates("dob"),
                "sex": _codes(self.text("sex")).replace(_SEX_NAMES),
                "ethnicity": _codes(self.text("ethnicity"), _ETHNICITY_NAMES),
                "disability": self.flags("disability"),
                "uasc": self.flags("uasc"),
                **self.source("child_id"),
            },
        )


def _list_tables(mapper: _Mapper) -> dict[str, pd.DataFrame]:
    """The canonical rows one list gives besides its child rows."""
    number = mapper.sheet.number
    ids = mapper.child_id
    if number == 3:
        return {"referral": canonical_frame("referral", {
            "referral_id": mapper.record_ids("R"), "child_id": ids,
            "referral_date": mapper.dates("referral_date"),
            "source": _codes(mapper.text("source")),
            "referral_nfa": mapper.flags("referral_nfa"),
            **mapper.source("referral_date"),
        })}  # fmt: skip
    if number == 4:
        support = mapper.flags("requires_support")
        return {"assessment": canonical_frame("assessment", {
            "assessment_id": mapper.record_ids("A"), "child_id": ids,
            "start_date": mapper.dates("start_date"),
            "authorisation_date": mapper.dates("authorisation_date"),
            # "Assessed as requiring support?" No is an assessment that ended in NFA.
            "outcome_nfa": ~support if support is not None else None,
            **mapper.source("start_date"),
        })}  # fmt: skip
    if number == 5:
        unnecessary = mapper.flags("icpc_unnecessary")
        return {"s47_enquiry": canonical_frame("s47_enquiry", {
            "s47_id": mapper.record_ids("S"), "child_id": ids,
            "start_date": mapper.dates("start_date"),
            "icpc_required": ~unnecessary if unnecessary is not None else None,
            "icpc_date": mapper.dates("icpc_date"),
            **mapper.source("start_date"),
        })}  # fmt: skip
    if number == 6:
        return {"referral": canonical_frame("referral", {
            "referral_id": mapper.record_ids("R"), "child_id": ids,
            "referral_date": mapper.dates("cin_start"),
            "primary_need": _codes(mapper.text("primary_need")),
            "closure_date": mapper.dates("closure_date"),
            "closure_reason": _codes(mapper.text("closure_reason")),
            **mapper.source("cin_start"),
        })}  # fmt: skip
    if number == 7:
        return {"cp_plan": canonical_frame("cp_plan", {
            "plan_id": mapper.record_ids("P"), "child_id": ids,
            "start_date": mapper.dates("start_date"), "end_date": mapper.dates("end_date"),
            "initial_category": _codes(mapper.text("initial_category"), _ABUSE_NAMES),
            "latest_category": _codes(mapper.text("latest_category"), _ABUSE_NAMES),
            "number_of_previous_cpp": mapper.ints("previous"),
            **mapper.source("start_date"),
        })}  # fmt: skip
    if number == 8:
        return {"cla_episode": canonical_frame("cla_episode", {
            "episode_id": mapper.record_ids("E"), "child_id": ids,
            "start_date": mapper.dates("start_date"),
            "legal_status": _codes(mapper.text("legal_status")),
            "placement_type": _codes(mapper.text("placement_type")),
            "end_date": mapper.dates("end_date"),
            "end_reason": _codes(mapper.text("end_reason")),
            **mapper.source("start_date"),
        })}  # fmt: skip
    return {}


def _merge_referrals(list3: pd.DataFrame, list6: pd.DataFrame) -> pd.DataFrame:
    """List 3 referrals completed by the List 6 CIN episode with the same child and start
    date; List 6 episodes with no such referral are added as referrals of their own."""
    if list6.empty:
        return list3
    keys = ["child_id", "referral_date"]
    details = ["primary_need", "closure_date", "closure_reason"]
    # Only dated episodes can match (pandas would otherwise pair a blank date with a blank).
    dated = list6.loc[list6["referral_date"].notna().to_numpy()].drop_duplicates(keys)
    merged = list3.merge(dated[[*keys, *details]], on=keys, how="left", suffixes=("_drop", ""))
    merged = merged.drop(columns=[f"{c}_drop" for c in details])[list(list3.columns)]
    referred = list3.loc[list3["referral_date"].notna().to_numpy(), keys].drop_duplicates()
    matched = list6[keys].merge(referred, on=keys, how="left", indicator=True)
    extra = list6.loc[(matched["_merge"] == "left_only").to_numpy()]
    combined = pd.concat([merged, extra], ignore_index=True)
    return combined.astype(list3.dtypes.to_dict())


def _refusal(display_name: str, code: str, message: str) -> ReaderResult:
    return ReaderResult(
        format=Format.ANNEX_A,
        findings=[Finding(code, Severity.ERROR, message, file=display_name)],
    )


def read(path: Path, display_name: str) -> ReaderResult:
    """Read one Annex A workbook into canonical tables, with located findings. Never raises
    on bad content."""
    problem = check_package(path, display_name)
    if problem:
        return _refusal(display_name, *problem)
    findings: list[Finding] = []
    sheets: list[_Sheet] = []
    try:
        with warnings.catch_warnings(), path.open("rb") as stream:
            # openpyxl warns about features it drops (data validation, conditional formats).
            warnings.simplefilter("ignore")
            # A file object, not the path: stored uploads have UUID names without ".xlsx",
            # which openpyxl refuses when given a path.
            workbook = openpyxl.load_workbook(
                stream, read_only=True, data_only=True, keep_links=False
            )
            try:
                seen: dict[int, str] = {}
                for ws in workbook.worksheets:
                    number = list_number(ws.title)
                    if number is None or number == 11 or not isinstance(ws, ReadOnlyWorksheet):
                        continue
                    if number in seen:
                        findings.append(
                            _sheet_findings(
                                ws.title,
                                f"Sheets '{seen[number]}' and '{ws.title}' both look like List "
                                f"{number}; only '{seen[number]}' was read.",
                                Severity.QUERY,
                                "DUPLICATE_LIST",
                                display_name,
                            )
                        )
                        continue
                    seen[number] = ws.title
                    sheet = _read_sheet(ws, number, display_name, findings)
                    if sheet is not None:
                        sheets.append(sheet)
            finally:
                workbook.close()
    except DefusedXmlException:
        # An entity the part check could not see (declared after 64 KB of comments): defusedxml,
        # which openpyxl parses with, refuses it. Say so rather than "could not be read".
        return _refusal(display_name, "XLSX_ENTITY", entity_message(display_name, ""))
    except Exception as exc:
        # openpyxl raises whatever its zip, XML and style parsers raise on a damaged
        # workbook (KeyError, ValueError, ParseError, …); none of it may escape as a crash.
        return _refusal(
            display_name,
            "FILE_FORMAT",
            f"This workbook could not be read ({type(exc).__name__}). Open it in Excel, save "
            "it as an Excel Workbook (.xlsx) and upload it again.",
        )
    if not sheets and not findings:
        return _refusal(
            display_name,
            "FILE_FORMAT",
            "No Annex A lists were found in this workbook: the sheets should be named "
            "List 1 to List 11.",
        )

    parts: dict[str, list[pd.DataFrame]] = {}
    first_contact: date | None = None
    for sheet in sheets:
        mapper = _Mapper(sheet, display_name, findings)
        keep = mapper.child_id.notna().to_numpy()
        if sheet.number == 1:
            contacts = mapper.dates("contact_date")
            if contacts is not None and contacts.notna().any():
                first_contact = pd.Timestamp(contacts.min()).date()
        parts.setdefault("child", []).append(mapper.child_rows().loc[keep])
        for name, frame in _list_tables(mapper).items():
            key = "list6" if sheet.number == 6 else name
            parts.setdefault(key, []).append(frame.loc[keep])
    tables = {
        name: pd.concat(frames, ignore_index=True)
        for name, frames in parts.items()
        if name != "list6"
    }
    tables["child"] = merge_child_rows(tables.get("child", canonical_frame("child", {})))
    if "list6" in parts:
        tables["referral"] = _merge_referrals(
            tables.get("referral", canonical_frame("referral", {})),
            pd.concat(parts["list6"], ignore_index=True),
        )
    return ReaderResult(
        format=Format.ANNEX_A,
        tables=tables,
        findings=findings,
        coverage_start=_coverage_start(tables.get("referral"), first_contact),
    )


def _coverage_start(referral: pd.DataFrame | None, first_contact: date | None) -> date | None:
    """The earliest List 3 referral, else the earliest List 1 contact (see the module note)."""
    if referral is not None:
        from_list3 = referral["referral_id"].str.contains("/L3R", regex=False)
        earliest = referral.loc[from_list3.fillna(False).to_numpy(dtype=bool), "referral_date"]
        if earliest.notna().any():
            return pd.Timestamp(earliest.min()).date()
    return first_contact
