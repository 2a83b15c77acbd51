"""The canonical data model: every reader maps its format into these tables.

One ``Extract`` holds one submission's data as pandas DataFrames, one per table below, with
exactly the columns listed (plus ``SOURCE_COLUMNS``). Dates are ``datetime64[ns]`` (NaT when
blank), codes are upper-case strings with whitespace and a trailing ``.0`` removed (``<NA>``
when blank), flags are nullable booleans (``boolean`` dtype), counts nullable ``Int64``.

Every row keeps where it came from, so a finding can point at the user's own file:
``_file`` is the file name as the user uploaded it (or ``archive.zip/inner.csv``) and
``_location`` is human-readable: ``line 12`` for CSV, ``List 4!C12`` for Excel (the row's first
cell of interest), ``line 120`` plus the element path for XML
(``Child[LAchildID=C123]/CINdetails[2]/Assessments[1] (line 120)``), or the JSON pointer for
the API payload (``/3/social_care_episodes/0``).

This module has no Django imports: readers, rules and indicator calculators use it directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

import pandas as pd

__all__ = [
    "FORMAT_FIELDS",
    "FORMAT_LABELS",
    "SOURCE_COLUMNS",
    "TABLES",
    "Extract",
    "Finding",
    "Format",
    "Severity",
    "carried",
    "empty_table",
]

SOURCE_COLUMNS = ("_file", "_location")

TableName = Literal[
    "child", "referral", "assessment", "cin_plan", "s47_enquiry", "cp_plan", "cla_episode",
    "missing_episode",
]  # fmt: skip

#: table -> {column: dtype}. Identifiers are strings; ``*_id`` of a child-owned record is
#: unique within the extract (readers derive one when the format has none, e.g. ``C123/R1``).
TABLES: dict[str, dict[str, str]] = {
    "child": {
        "child_id": "string",
        "date_of_birth": "datetime64[ns]",
        "sex": "string",  # "M", "F", "U" (unknown / not stated / other)
        "ethnicity": "string",  # 4-letter DfE code, e.g. "WBRI"
        "disability": "boolean",  # any disability recorded (False when "NONE")
        "uasc": "boolean",
    },
    "referral": {  # a CIN episode: referral to closure
        "referral_id": "string",
        "child_id": "string",
        "referral_date": "datetime64[ns]",
        "source": "string",  # CIN ReferralSource code, e.g. "1A"
        "referral_nfa": "boolean",
        "primary_need": "string",  # N0-N9
        "closure_date": "datetime64[ns]",
        "closure_reason": "string",  # RC1-RC9
    },
    "assessment": {
        "assessment_id": "string",
        "referral_id": "string",
        "child_id": "string",
        "start_date": "datetime64[ns]",
        "authorisation_date": "datetime64[ns]",
        "outcome_nfa": "boolean",  # only where the format records it (Annex A List 4)
        "factors": "string",  # comma-separated assessment factor codes, e.g. "2A,4B"
    },
    "cin_plan": {
        "plan_id": "string",
        "referral_id": "string",
        "child_id": "string",
        "start_date": "datetime64[ns]",
        "end_date": "datetime64[ns]",
    },
    "s47_enquiry": {
        "s47_id": "string",
        "referral_id": "string",
        "child_id": "string",
        "start_date": "datetime64[ns]",
        "icpc_required": "boolean",
        "icpc_date": "datetime64[ns]",
        "end_date": "datetime64[ns]",
    },
    "cp_plan": {
        "plan_id": "string",
        "referral_id": "string",
        "child_id": "string",
        "start_date": "datetime64[ns]",
        "end_date": "datetime64[ns]",
        "initial_category": "string",  # NEG, PHY, SAB, EMO, MUL
        "latest_category": "string",
        "number_of_previous_cpp": "Int64",
    },
    "cla_episode": {
        "episode_id": "string",
        "child_id": "string",
        "start_date": "datetime64[ns]",  # 903 DECOM
        "start_reason": "string",  # 903 RNE
        "legal_status": "string",  # 903 LS
        "placement_type": "string",  # 903 PLACE
        "end_date": "datetime64[ns]",  # 903 DEC
        "end_reason": "string",  # 903 REC
    },
    "missing_episode": {
        "child_id": "string",
        "type": "string",  # "M" missing, "A" away from placement without authorisation
        "start_date": "datetime64[ns]",
        "end_date": "datetime64[ns]",
    },
}


def empty_table(name: str) -> pd.DataFrame:
    """A table with the canonical columns (and source columns) and no rows."""
    columns = {**TABLES[name], "_file": "string", "_location": "string"}
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in columns.items()})


class Format(StrEnum):
    CIN_XML = "cin_census_xml"
    SSDA903_CSV = "ssda903_csv"
    SSDA903_XML = "ssda903_xml"
    ANNEX_A = "annex_a_xlsx"
    DFE_API_JSON = "dfe_csc_api_json"


#: What users call each format: in findings, the offline checker's report and the portal.
FORMAT_LABELS = {
    Format.CIN_XML: "CIN census XML",
    Format.SSDA903_CSV: "SSDA903 CSV",
    Format.SSDA903_XML: "SSDA903 XML",
    Format.ANNEX_A: "Ofsted Annex A",
    Format.DFE_API_JSON: "DfE API JSON",
}


def _fields(table: str, *, without: tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset(f"{table}.{col}" for col in TABLES[table] if col not in without)


_SSDA903_FIELDS = (
    _fields("child", without=("disability",))  # the 903 records no disability
    | _fields("cla_episode")
    | _fields("missing_episode")
)

_API_NO_CATEGORIES = ("initial_category", "latest_category", "number_of_previous_cpp")

#: Per format, the canonical ``table.field`` names its reader fills with the meaning this
#: module gives them (a per-placement episode start, not a period of care's). A rule that needs a
#: field no format sent carries cannot be checked, so it is reported as not applicable
#: instead of flagging every row as "missing" (``rules.registry.Rule.needs``). Keep in step
#: with the readers' docstrings, which say what each format leaves blank.
FORMAT_FIELDS: dict[Format, frozenset[str]] = {
    # No UASC flag, no assessment outcome, no s47 end date; no looked-after tables.
    Format.CIN_XML: (
        _fields("child", without=("uasc",))
        | _fields("referral")
        | _fields("assessment", without=("outcome_nfa",))
        | _fields("cin_plan")
        | _fields("s47_enquiry", without=("end_date",))
        | _fields("cp_plan")
    ),
    Format.SSDA903_CSV: _SSDA903_FIELDS,
    Format.SSDA903_XML: _SSDA903_FIELDS,
    # Lists are not linked to a CIN episode (no referral_id), List 4 has no factors, List 5
    # no end date; no CIN plan dates and no missing-episode dates. List 8 has one row per
    # period of care, not per placement: its start date is when care started, not when the
    # current placement did (so not the episode start rules about a placement need), and it
    # has no reason for new episode (RNE).
    Format.ANNEX_A: (
        _fields("child")
        | _fields("referral")
        | _fields("assessment", without=("referral_id", "factors"))
        | _fields("s47_enquiry", without=("referral_id", "end_date"))
        | _fields("cp_plan", without=("referral_id",))
        | _fields("cla_episode", without=("start_reason", "start_date"))
    ),
    # The payload has no primary need, category of abuse, previous-plan count, legal status
    # or assessment outcome (readers/api_json.py), and no missing episodes.
    Format.DFE_API_JSON: (
        _fields("child")
        | _fields("referral", without=("primary_need",))
        | _fields("assessment", without=("outcome_nfa",))
        | _fields("cin_plan")
        | _fields("s47_enquiry")
        | _fields("cp_plan", without=_API_NO_CATEGORIES)
        | _fields("cla_episode", without=("legal_status",))
    ),
}


def carried(formats: Iterable[Format]) -> set[str]:
    """The canonical ``table.field`` names at least one of ``formats`` carries."""
    return set().union(*(FORMAT_FIELDS[Format(f)] for f in formats))


class Severity(StrEnum):
    ERROR = "error"  # must be fixed before the submission can be accepted
    QUERY = "query"  # may be explained with a note


@dataclass(frozen=True)
class Finding:
    """One problem found in the user's files, located so they can fix it.

    ``code`` is the DfE rule code where one exists (e.g. "8610", "571"), else ours
    (e.g. "FILE_ENCODING"). ``message`` says what is wrong and how to fix it.
    """

    code: str
    severity: Severity
    message: str
    file: str = ""
    location: str = ""
    child_id: str = ""
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "file": self.file,
            "location": self.location,
            "child_id": self.child_id,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class Extract:
    """One submission's data in canonical form, with what reading it found.

    ``coverage_start`` is C0 in docs/indicators.md (the date from which the extract is
    complete) when the format or the submitter defines it; ``as_of`` is C1.
    ``unreadable`` is True when no file could be read at all (the checker exits 2).
    """

    tables: dict[str, pd.DataFrame] = field(
        default_factory=lambda: {t: empty_table(t) for t in TABLES}
    )
    findings: list[Finding] = field(default_factory=list)
    formats: list[Format] = field(default_factory=list)
    la_code: str | None = None
    as_of: date | None = None
    coverage_start: date | None = None
    unreadable: bool = False

    def table(self, name: TableName) -> pd.DataFrame:
        return self.tables[name]
