"""DfE CSC API JSON payload → canonical tables (child, referral, assessment, cin_plan,
s47_enquiry, cp_plan, cla_episode).

Accepted shapes (the DfE CSC API spec, ``data-to-insight/dfe-csc-api-data-flows`` @
``41e6f19``): the request body the D2I pipeline posts, a JSON array of child records; a single
child record (the spec's sample file); and the documentation's wrapper
``{"la_code": 123, "Children": [...]}``, whose ``la_code`` is used.

Memory: an array is streamed one record at a time with the standard library's
``JSONDecoder.raw_decode``, so a 200 MB payload never becomes one 2 GB Python object. An
object at the top level (a single record or the wrapper) is loaded whole, up to 50 MB.

Deletions: a record or block with ``purge: true`` is a deletion in a delta feed. An upload is a
full extract, so such items are skipped, with one query per file saying how many were skipped
(a delta sent as if it were a full extract would otherwise silently lose records).

The payload has no primary need code, category of abuse, previous-plan count, legal status or
assessment outcome: those canonical fields are left blank (``<NA>``).

Findings: ``JSON_SYNTAX``, ``JSON_TYPE`` (a value of the wrong JSON type: reported, never a
crash), ``MISSING_FIELD`` (no ``la_child_id`` / ``social_care_episode_id``), ``DUPLICATE_ID``,
``DATE_FORMAT``, ``LA_CODE``, ``PURGED``, ``1570`` (``la_child_id`` over 20 characters, the
census's rule for the same item), ``CHILD_ID_CHARACTERS`` (``base.CHILD_ID_PATTERN``), and the
file-level ``FILE_ENCODING`` / ``FILE_FORMAT``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from submissions.extract.canonical import Finding, Format, Severity
from submissions.extract.readers.base import (
    CIN_ID_MAX,
    ReaderResult,
    canonical_frame,
    child_id_findings,
    date_findings,
    encoding_finding,
    findings_for,
    looks_binary,
    looks_utf16,
    read_head,
)
from submissions.extract.readers.common import clean_codes, parse_dates

__all__ = ["MAX_OBJECT_BYTES", "read", "window_start"]

#: Largest file loaded whole (a top-level object rather than an array of records).
MAX_OBJECT_BYTES = 50 * 1024 * 1024
_CHUNK = 1024 * 1024
#: A child record is a few KB; one still unfinished after this much text is malformed (this
#: stops a broken file from being read whole into memory while looking for its end).
_MAX_RECORD = 16 * 1024 * 1024


def window_start(run_date: date) -> date:
    """C0 of an API payload: its cohort window starts on 1 April of the financial year that
    contains the run date minus 24 months (D2I ``populate_ssd_api_data_staging.sql``, "EA Spec
    window"): run on 2026-10-31 → 2024-04-01; run on 2026-02-15 → 2023-04-01."""
    year = run_date.year - 2
    return date(year if run_date.month >= 4 else year - 1, 4, 1)


_SEX = {"M": "M", "F": "F", "U": "U", "1": "M", "2": "F", "0": "U", "9": "U"}

_COLUMNS = {
    "child": ("child_id", "dob", "sex", "ethnicity", "disability", "uasc", "_location"),
    "referral": ("referral_id", "child_id", "referral_date", "source", "nfa", "closure_date",
                 "closure_reason", "_location"),
    "assessment": ("assessment_id", "referral_id", "child_id", "start_date",
                   "authorisation_date", "factors", "_location"),
    "cin_plan": ("plan_id", "referral_id", "child_id", "start_date", "end_date", "_location"),
    "s47_enquiry": ("s47_id", "referral_id", "child_id", "start_date", "icpc_required",
                    "icpc_date", "end_date", "_location"),
    "cp_plan": ("plan_id", "referral_id", "child_id", "start_date", "end_date", "_location"),
    "cla_episode": ("episode_id", "child_id", "start_date", "start_reason", "placement_type",
                    "end_date", "end_reason", "_location"),
}  # fmt: skip

#: Nested arrays of a social care episode: key -> (table, id key, id letter for derived ids).
_EPISODE_ITEMS = {
    "child_and_family_assessments": ("assessment", "child_and_family_assessment_id", "A"),
    "child_in_need_plans": ("cin_plan", "child_in_need_plan_id", "P"),
    "section_47_assessments": ("s47_enquiry", "section_47_assessment_id", "S"),
    "child_protection_plans": ("cp_plan", "child_protection_plan_id", "CP"),
    "child_looked_after_placements": ("cla_episode", "child_looked_after_placement_id", "L"),
}


class _Mapper:
    """Walks child records, checking JSON types as it goes, and collects one tuple of raw
    values per canonical record."""

    def __init__(self, display_name: str) -> None:
        self.file = display_name
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in _COLUMNS}
        self.findings: list[Finding] = []
        self.purged = 0
        self.records = 0
        self.child_id = ""  # the record being mapped, for findings

    # -- typed access: a wrong type is a finding, and the value is treated as missing --------

    def _type_error(self, pointer: str, key: str, expected: str, value: object) -> None:
        self.findings.append(
            Finding(
                "JSON_TYPE",
                Severity.ERROR,
                f"{key} should be {expected}, not {_json_type(value)} ({_short(value)}).",
                file=self.file,
                location=pointer or "/",
                child_id=self.child_id,
                field=key,
            )
        )

    def text(self, obj: dict[str, Any], key: str, pointer: str) -> str | None:
        """A string value. A number is reported but kept (``123`` → ``"123"``): ids and codes
        sent as numbers are still usable."""
        value = obj.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._type_error(pointer, key, "a string", value)
            return str(int(value)) if float(value).is_integer() else str(value)
        self._type_error(pointer, key, "a string", value)
        return None

    def date(self, obj: dict[str, Any], key: str, pointer: str) -> str | None:
        """A date, which the payload writes as a ``YYYY-MM-DD`` string (its form is checked
        later, vectorised)."""
        value = obj.get(key)
        if value is None or isinstance(value, str):
            return value
        self._type_error(pointer, key, "a date written as a string", value)
        return None

    def ident(self, obj: dict[str, Any], key: str, pointer: str) -> str | None:
        """An identifier: stripped, and None when blank."""
        return (self.text(obj, key, pointer) or "").strip() or None

    def flag(self, obj: dict[str, Any], key: str, pointer: str) -> bool | None:
        value = obj.get(key)
        if value is None or isinstance(value, bool):
            return value
        self._type_error(pointer, key, "true or false", value)
        return None

    def items(self, obj: dict[str, Any], key: str, pointer: str) -> list[Any]:
        value = obj.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self._type_error(pointer, key, "a list", value)
        return []

    def purged_block(self, obj: dict[str, Any], pointer: str) -> bool:
        """True (and counted) when a block is a deletion; a non-boolean purge is reported."""
        purge = self.flag(obj, "purge", pointer)
        if purge:
            self.purged += 1
        return bool(purge)

    def codes(self, obj: dict[str, Any], key: str, pointer: str) -> list[str]:
        """A list of codes: strings, or ``{"code": …}`` objects as SQL Server's FOR JSON PATH
        writes them."""
        out = []
        for i, item in enumerate(self.items(obj, key, pointer)):
            value = item.get("code") if isinstance(item, dict) else item
            if isinstance(value, str):
                if value.strip():
                    out.append(value.strip().upper())
            else:
                self._type_error(f"{pointer}/{key}/{i}", key, "a list of codes", item)
        return out

    # -- records -----------------------------------------------------------------------------

    def record(self, record: object, pointer: str) -> None:
        """Map one child record found at JSON pointer ``pointer``."""
        self.records += 1
        self.child_id = ""
        if not isinstance(record, dict):
            self._type_error(pointer, "child record", "an object", record)
            return
        if self.purged_block(record, pointer):
            return
        child_id = self.ident(record, "la_child_id", pointer)
        self.child_id = child_id or ""
        key = child_id or pointer or "/"  # prefix of derived ids
        details = record.get("child_details")
        if details is not None and not isinstance(details, dict):
            self._type_error(pointer, "child_details", "an object", details)
            details = None
        if details is not None and self.purged_block(details, f"{pointer}/child_details"):
            details = None
        d = details or {}
        at = f"{pointer}/child_details"
        disabilities = self.codes(d, "disabilities", at)
        self.rows["child"].append((
            child_id, self.date(d, "date_of_birth", at), self.text(d, "sex", at),
            self.text(d, "ethnicity", at),
            any(c != "NONE" for c in disabilities) if disabilities else None,
            self.flag(d, "uasc_flag", at), pointer or "/",
        ))  # fmt: skip

        for e, episode in enumerate(self.items(record, "social_care_episodes", pointer)):
            at = f"{pointer}/social_care_episodes/{e}"
            if not isinstance(episode, dict):
                self._type_error(at, "social_care_episodes item", "an object", episode)
                continue
            if self.purged_block(episode, at):
                continue
            referral_id = self.ident(episode, "social_care_episode_id", at)
            if referral_id is None:
                self.findings.append(
                    Finding(
                        "MISSING_FIELD",
                        Severity.ERROR,
                        "social_care_episode_id is missing. Every social care episode needs "
                        "its identifier.",
                        file=self.file,
                        location=at,
                        child_id=self.child_id,
                        field="social_care_episode_id",
                    )
                )
                referral_id = f"{key}/R{e + 1}"
            self.rows["referral"].append((
                referral_id, child_id, self.date(episode, "referral_date", at),
                self.text(episode, "referral_source", at),
                self.flag(episode, "referral_no_further_action_flag", at),
                self.date(episode, "closure_date", at), self.text(episode, "closure_reason", at),
                at,
            ))  # fmt: skip
            self._episode_items(episode, at, referral_id, child_id)

    def _episode_items(
        self, episode: dict[str, Any], pointer: str, referral_id: str, child_id: str | None
    ) -> None:
        for key, (table, id_key, letter) in _EPISODE_ITEMS.items():
            for i, item in enumerate(self.items(episode, key, pointer)):
                at = f"{pointer}/{key}/{i}"
                if not isinstance(item, dict):
                    self._type_error(at, f"{key} item", "an object", item)
                    continue
                if self.purged_block(item, at):
                    continue
                # Sub-record ids are not documented as mandatory; derive one when absent.
                item_id = self.ident(item, id_key, at) or f"{referral_id}/{letter}{i + 1}"
                start, end = self.date(item, "start_date", at), self.date(item, "end_date", at)
                row: tuple[object, ...]
                if table == "assessment":
                    factors = self.codes(item, "factors", at)
                    row = (item_id, referral_id, child_id, start,
                           self.date(item, "authorisation_date", at),
                           ",".join(factors) or None, at)  # fmt: skip
                elif table == "s47_enquiry":
                    row = (item_id, referral_id, child_id, start,
                           self.flag(item, "icpc_required_flag", at),
                           self.date(item, "icpc_date", at), end, at)  # fmt: skip
                elif table == "cla_episode":
                    row = (item_id, child_id, start, self.text(item, "start_reason", at),
                           self.text(item, "placement_type", at), end,
                           self.text(item, "end_reason", at), at)  # fmt: skip
                else:
                    row = (item_id, referral_id, child_id, start, end, at)
                self.rows[table].append(row)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


# --- streaming -------------------------------------------------------------------------------


class _SyntaxProblem(Exception):
    """The JSON is malformed at ``line``; records before it were read."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _iter_array(fh: TextIO) -> Iterator[tuple[int, object]]:
    """Yield ``(index, value)`` for each element of the top-level JSON array in ``fh``,
    holding only the current element (plus a read-ahead chunk) in memory."""
    decoder = json.JSONDecoder()
    buf, pos, lines_before, eof = "", 0, 0, False

    def fill() -> bool:
        nonlocal buf, pos, lines_before, eof
        if eof:
            return False
        more = fh.read(max(_CHUNK, len(buf) - pos))  # doubling: no quadratic re-decoding
        if not more:
            eof = True
            return False
        lines_before += buf.count("\n", 0, pos)
        buf, pos = buf[pos:] + more, 0
        return True

    def skip_ws() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or not fill():
                return buf[pos] if pos < len(buf) else ""

    def fail(message: str, at: int | None = None) -> _SyntaxProblem:
        return _SyntaxProblem(
            lines_before + buf.count("\n", 0, pos if at is None else at) + 1, message
        )

    fill()
    if skip_ws() != "[":
        raise fail("the file should start with [")
    pos += 1
    index = 0
    while True:
        char = skip_ws()
        if char == "]":
            pos += 1
            if skip_ws():
                raise fail("unexpected text after the closing ]")
            return
        if index:
            if char != ",":
                raise fail("expected , or ] between records")
            pos += 1
            skip_ws()
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if len(buf) - pos < _MAX_RECORD and fill():
                    continue  # the record goes on in the next chunk
                raise fail(exc.msg, exc.pos) from None
            if end == len(buf) and fill():
                continue  # a number or literal may continue in the next chunk
            break
        yield index, value
        index += 1
        pos = end


# --- the reader ------------------------------------------------------------------------------


def read(path: Path, display_name: str) -> ReaderResult:
    """Read one DfE CSC API JSON payload into canonical tables, with located findings."""
    head = read_head(path)
    if looks_utf16(head):
        return ReaderResult(
            format=Format.DFE_API_JSON, findings=[encoding_finding(display_name, xml=True)]
        )
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if looks_binary(head) or start not in (b"[", b"{"):
        return _not_api(display_name, "It does not start with [ or {.")

    mapper = _Mapper(display_name)
    findings: list[Finding] = []
    la_code: str | None = None
    try:
        with path.open(encoding="utf-8-sig") as fh:
            if start == b"[":
                for index, record in _iter_array(fh):
                    mapper.record(record, f"/{index}")
            else:
                if path.stat().st_size > MAX_OBJECT_BYTES:
                    return _not_api(
                        display_name,
                        "It is larger than 50 MB and is not an array of child records: send "
                        "the records as a JSON array.",
                    )
                document = json.load(fh)
                if isinstance(document, dict) and "la_child_id" in document:
                    mapper.record(document, "")
                else:
                    records, prefix, la_raw = _unwrap(document)
                    if records is None:
                        return _not_api(display_name, "It has no la_child_id.")
                    la_code, la_finding = _la_code(la_raw, display_name)
                    findings += la_finding
                    for index, record in enumerate(records):
                        mapper.record(record, f"{prefix}/{index}")
    except _SyntaxProblem as problem:
        findings.append(_syntax_finding(display_name, problem.line, problem.message))
    except json.JSONDecodeError as exc:
        findings.append(_syntax_finding(display_name, exc.lineno, exc.msg))
    except UnicodeDecodeError:
        findings.append(
            Finding(
                "FILE_ENCODING",
                Severity.ERROR,
                "This file is not UTF-8 text, which JSON must be. Save it as UTF-8 and upload "
                "it again.",
                file=display_name,
            )
        )
    except ValueError:  # after its subclasses above: a number over Python's 4,300-digit limit
        findings.append(_syntax_finding(display_name, None, "it holds a number too long to read"))
    except RecursionError:
        findings.append(_syntax_finding(display_name, None, "it is nested too deeply"))

    if mapper.records == 0 and not findings:
        findings.append(
            Finding(
                "NO_CHILDREN",
                Severity.ERROR,
                "This payload has no child records.",
                file=display_name,
            )
        )
    if mapper.purged:
        findings.append(
            Finding(
                "PURGED",
                Severity.QUERY,
                f"{mapper.purged} record(s) or block(s) are marked purge: true (deletions in a "
                "daily delta) and were skipped. An upload should be a full extract; check this "
                "file is not a delta.",
                file=display_name,
            )
        )
    tables, table_findings = _tables(mapper, display_name)
    return ReaderResult(
        format=Format.DFE_API_JSON,
        tables=tables,
        findings=findings + mapper.findings + table_findings,
        la_code=la_code,
    )


def _unwrap(document: object) -> tuple[list[Any] | None, str, object]:
    """The documented wrapper ``{"la_code": …, "Children": [records] or record}``."""
    if not isinstance(document, dict):
        return None, "", None
    key = next((k for k in document if k.lower() == "children"), None)
    if key is None:
        return None, "", None
    children = document[key]
    if isinstance(children, dict):
        return [children], f"/{key}", document.get("la_code")
    if isinstance(children, list):
        return children, f"/{key}", document.get("la_code")
    return None, "", None


def _la_code(raw: object, display_name: str) -> tuple[str | None, list[Finding]]:
    if raw is None:
        return None, []
    text = str(raw).strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = f"{raw:03d}"
    if re.fullmatch(r"\d{3}", text):
        return text, []
    return None, [
        Finding(
            "LA_CODE",
            Severity.ERROR,
            f"la_code '{text}' is not a 3-digit local authority code.",
            file=display_name,
            location="/la_code",
            field="la_code",
        )
    ]


def _not_api(display_name: str, reason: str) -> ReaderResult:
    return ReaderResult(
        format=Format.DFE_API_JSON,
        findings=[
            Finding(
                "FILE_FORMAT",
                Severity.ERROR,
                f"This file is not a DfE API JSON payload (a list of child records with "
                f"la_child_id). {reason}",
                file=display_name,
            )
        ],
    )


def _syntax_finding(display_name: str, line: int | None, message: str) -> Finding:
    where = f" at line {line}" if line else ""
    return Finding(
        "JSON_SYNTAX",
        Severity.ERROR,
        f"The JSON is not valid{where}: {message}. Records before this point were read; fix "
        "the file and upload it again.",
        file=display_name,
        location=f"line {line}" if line else "",
    )


#: Record-id column of each table, checked for duplicates within the file.
_ID_COLUMNS = {
    "referral": ("referral_id", "social_care_episode_id"),
    "assessment": ("assessment_id", "child_and_family_assessment_id"),
    "cin_plan": ("plan_id", "child_in_need_plan_id"),
    "s47_enquiry": ("s47_id", "section_47_assessment_id"),
    "cp_plan": ("plan_id", "child_protection_plan_id"),
    "cla_episode": ("episode_id", "child_looked_after_placement_id"),
}


def _tables(mapper: _Mapper, display_name: str) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """Raw values → canonical tables, vectorised, with DATE_FORMAT and DUPLICATE_ID findings."""
    findings: list[Finding] = []
    raw: dict[str, pd.DataFrame] = {}
    for name, rows in mapper.rows.items():
        columns = list(_COLUMNS[name])
        frame = (
            pd.DataFrame.from_records(rows, columns=columns)
            if rows
            else pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        )
        frame["_file"] = display_name
        raw[name] = frame

    # A placement listed under two episodes of the same child is one placement: keep one row.
    cla = raw["cla_episode"]
    raw["cla_episode"] = cla.loc[~cla.drop(columns="_location").astype("string").duplicated()]

    def dates(frame: pd.DataFrame, column: str, field: str) -> pd.Series:
        parsed, invalid, two_digit = parse_dates(frame[column])
        findings.extend(
            date_findings(frame[column], invalid, two_digit, frame, field, iso_only=True)
        )
        return parsed

    def base(frame: pd.DataFrame) -> dict[str, Any]:
        return {
            "child_id": frame["child_id"],
            "_file": frame["_file"],
            "_location": frame["_location"],
        }

    c = raw["child"]
    missing_id = c["child_id"].isna()
    findings += findings_for(missing_id, c, code="MISSING_FIELD", severity=Severity.ERROR,
                             field="la_child_id",
                             message="la_child_id is missing. Every child record needs the LA's "
                             "identifier.")  # fmt: skip
    # la_child_id is the census's LAchildID: its DfE length rule is 1570.
    findings += child_id_findings(
        c, field="la_child_id", limit=CIN_ID_MAX, source="the DfE API", length_code="1570"
    )
    tables = {
        "child": canonical_frame("child", {
            **base(c), "date_of_birth": dates(c, "dob", "date_of_birth"),
            "sex": clean_codes(c["sex"]).map(_SEX), "ethnicity": clean_codes(c["ethnicity"]),
            "disability": c["disability"], "uasc": c["uasc"],
        }),
    }  # fmt: skip
    r = raw["referral"]
    tables["referral"] = canonical_frame("referral", {
        **base(r), "referral_id": r["referral_id"],
        "referral_date": dates(r, "referral_date", "referral_date"),
        "source": clean_codes(r["source"]), "referral_nfa": r["nfa"],
        "closure_date": dates(r, "closure_date", "closure_date"),
        "closure_reason": clean_codes(r["closure_reason"]),
    })  # fmt: skip
    a = raw["assessment"]
    tables["assessment"] = canonical_frame("assessment", {
        **base(a), "assessment_id": a["assessment_id"], "referral_id": a["referral_id"],
        "start_date": dates(a, "start_date", "start_date"),
        "authorisation_date": dates(a, "authorisation_date", "authorisation_date"),
        "factors": a["factors"],
    })  # fmt: skip
    p = raw["cin_plan"]
    tables["cin_plan"] = canonical_frame("cin_plan", {
        **base(p), "plan_id": p["plan_id"], "referral_id": p["referral_id"],
        "start_date": dates(p, "start_date", "start_date"),
        "end_date": dates(p, "end_date", "end_date"),
    })  # fmt: skip
    s = raw["s47_enquiry"]
    tables["s47_enquiry"] = canonical_frame("s47_enquiry", {
        **base(s), "s47_id": s["s47_id"], "referral_id": s["referral_id"],
        "start_date": dates(s, "start_date", "start_date"),
        "icpc_required": s["icpc_required"], "icpc_date": dates(s, "icpc_date", "icpc_date"),
        "end_date": dates(s, "end_date", "end_date"),
    })  # fmt: skip
    cp = raw["cp_plan"]
    tables["cp_plan"] = canonical_frame("cp_plan", {
        **base(cp), "plan_id": cp["plan_id"], "referral_id": cp["referral_id"],
        "start_date": dates(cp, "start_date", "start_date"),
        "end_date": dates(cp, "end_date", "end_date"),
    })  # fmt: skip
    la = raw["cla_episode"]
    tables["cla_episode"] = canonical_frame("cla_episode", {
        **base(la), "episode_id": la["episode_id"],
        "start_date": dates(la, "start_date", "start_date"),
        "start_reason": clean_codes(la["start_reason"]),
        "placement_type": clean_codes(la["placement_type"]),
        "end_date": dates(la, "end_date", "end_date"), "end_reason": clean_codes(la["end_reason"]),
    })  # fmt: skip

    for name, (column, field) in _ID_COLUMNS.items():
        table = tables[name]
        ids = table[column]
        findings += findings_for(
            ids.notna() & ids.duplicated(keep=False), table, code="DUPLICATE_ID",
            severity=Severity.ERROR, field=field, values=ids,
            message=f"{field} '{{value}}' is used by more than one record in this file; each "
            "must be unique.",
        )  # fmt: skip
    return tables, findings
