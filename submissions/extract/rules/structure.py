"""Single-record checks: required values, code lists and the order of a record's own dates.

Where the DfE has a rule for the check it carries the DfE code and wording (CIN census codes
for CIN data, SSDA903 codes for 903 data, scoped by the extract's formats where the two
returns check the same canonical field); otherwise the code is ours. Checks that need other
records (overlaps, the episode, the child's age) are in ``cin.py`` and ``ssda903.py``.
Code lists: ``codes.py``.
"""

from __future__ import annotations

import pandas as pd

from submissions.extract.canonical import Format, Severity
from submissions.extract.rules import codes
from submissions.extract.rules.registry import CIN_RETURN, CLA_RETURN, RULES, RuleContext, RuleFunc

ERROR, QUERY = Severity.ERROR, Severity.QUERY

#: Every table whose records belong to a child, with the field holding the record's start.
START_FIELDS = {
    "referral": "referral_date",
    "assessment": "start_date",
    "cin_plan": "start_date",
    "s47_enquiry": "start_date",
    "cp_plan": "start_date",
    "cla_episode": "start_date",
    "missing_episode": "start_date",
}


def _not_in(values: pd.Series, allowed: frozenset[str], *, blank_ok: bool) -> pd.Series:
    """Values outside the code list; blanks count as wrong unless ``blank_ok``."""
    wrong = ~values.isin(allowed)
    return wrong & values.notna() if blank_ok else wrong


# --- Identifiers --------------------------------------------------------------------------


@RULES.rule(
    "8500", severity=ERROR, message="LA Child ID missing", fields=("child_id",), tables=("child",)
)
def child_id_missing(ctx: RuleContext) -> pd.Series:
    return ctx.table("child")["child_id"].isna()


@RULES.rule(
    "CHILD_ID_MISSING",
    severity=ERROR,
    message="The child identifier is blank. Every record must say which child it belongs to.",
    fields=("child_id",),
    tables=tuple(START_FIELDS),
)
def record_child_id_missing(ctx: RuleContext) -> dict[str, pd.Series]:
    return {table: ctx.table(table)["child_id"].isna() for table in START_FIELDS}


@RULES.rule(
    "1570",
    severity=ERROR,
    year="2024_25",
    message="LA Child ID must not be longer than 20 characters",
    fields=("child_id",),
    tables=("child",),
    formats=CIN_RETURN,
)
def child_id_too_long(ctx: RuleContext) -> pd.Series:
    return ctx.table("child")["child_id"].str.len() > 20


@RULES.rule(
    "1580",
    severity=ERROR,
    year="2024_25",
    message="LA Child ID must not contain any non-alphanumeric characters",
    fields=("child_id",),
    tables=("child",),
    formats=CIN_RETURN,
)
def child_id_not_alphanumeric(ctx: RuleContext) -> pd.Series:
    ids = ctx.table("child")["child_id"]
    return ids.notna() & ~ids.str.fullmatch(r"[A-Za-z0-9]+", na=False)


def _duplicate_children(ctx: RuleContext) -> pd.Series:
    ids = ctx.table("child")["child_id"]
    return ids.notna() & ids.duplicated(keep=False)


RULES.rule(
    "8510",
    severity=ERROR,
    message="More than one child record with the same LA Child ID",
    fields=("child_id",),
    tables=("child",),
    formats=CIN_RETURN,
)(_duplicate_children)
RULES.rule(
    "INT32",
    severity=ERROR,
    message="Internal Check: Child should only exist once in Header.",
    fields=("child_id",),
    tables=("child",),
    formats=CLA_RETURN,
)(_duplicate_children)


# --- Child characteristics ----------------------------------------------------------------


def _sex_invalid(ctx: RuleContext) -> pd.Series:
    return _not_in(ctx.table("child")["sex"], codes.SEX, blank_ok=False)


RULES.rule(
    "4180",
    severity=ERROR,
    message="Gender is missing",
    fields=("sex",),
    tables=("child",),
    formats=CIN_RETURN,
)(_sex_invalid)
RULES.rule(
    "4180",
    severity=ERROR,
    message="Sex must be provided and equal M, F, or U",
    fields=("sex",),
    tables=("child",),
    formats=CIN_RETURN,
    year="2024_25",
)(_sex_invalid)
RULES.rule(
    "101",
    severity=ERROR,
    message="Gender code is not valid.",
    fields=("sex",),
    tables=("child",),
    formats=CLA_RETURN,
)(_sex_invalid)
RULES.rule(
    "101",
    severity=ERROR,
    message="The child or young person’s reported sex is not valid.",  # noqa: RUF001 (DfE wording)
    fields=("sex",),
    tables=("child",),
    formats=CLA_RETURN,
    year="2024_25",
)(_sex_invalid)


def _ethnicity_invalid(ctx: RuleContext) -> pd.Series:
    return _not_in(ctx.table("child")["ethnicity"], codes.ETHNICITY, blank_ok=False)


RULES.rule(
    "4220",
    severity=ERROR,
    message="Ethnicity is missing or invalid (see Ethnicity table)",
    fields=("ethnicity",),
    tables=("child",),
    formats=CIN_RETURN,
)(_ethnicity_invalid)
RULES.rule(
    "103",
    severity=ERROR,
    message="The ethnicity code is either not valid or has not been entered.",
    fields=("ethnicity",),
    tables=("child",),
    formats=CLA_RETURN,
)(_ethnicity_invalid)


@RULES.rule(
    "102",
    severity=ERROR,
    message="Date of birth is not a valid date.",
    fields=("date_of_birth",),
    tables=("child",),
    formats=CLA_RETURN,
)
def dob_missing(ctx: RuleContext) -> pd.Series:
    # The 903 requires a date of birth; a blank and an unreadable date are both NaT here.
    return ctx.table("child")["date_of_birth"].isna()


@RULES.rule(
    "105",
    severity=ERROR,
    message="Data entry for Unaccompanied Asylum-Seeking Children (UASC) status of child is "
    "invalid or has not been completed.",
    fields=("uasc",),
    tables=("child",),
    # Only the 903 XML header carries a UASC flag; the CSV return has a separate UASC table.
    formats=frozenset({Format.SSDA903_XML}),
)
def uasc_missing(ctx: RuleContext) -> pd.Series:
    return ctx.table("child")["uasc"].isna()


# --- Referrals (CIN episodes) -------------------------------------------------------------


@RULES.rule(
    "8866",
    severity=ERROR,
    message="Source of Referral is missing or an invalid code",
    fields=("source", "referral_date"),
    tables=("referral",),
    formats=CIN_RETURN,
)
def referral_source_invalid(ctx: RuleContext) -> pd.Series:
    refs = ctx.table("referral")
    # The source has been required since 1 April 2013.
    recent = refs["referral_date"] >= pd.Timestamp("2013-04-01")
    return recent & _not_in(refs["source"], codes.REFERRAL_SOURCE, blank_ok=False)


@RULES.rule(
    "8650",
    severity=ERROR,
    message="Primary Need Code invalid (see Primary Need table in CIN census code set)",
    fields=("primary_need",),
    tables=("referral",),
    needs=("referral.primary_need",),
)
def primary_need_invalid(ctx: RuleContext) -> pd.Series:
    return _not_in(ctx.table("referral")["primary_need"], codes.PRIMARY_NEED, blank_ok=True)


@RULES.rule(
    "8640",
    severity=ERROR,
    message="CIN Reason for closure code invalid (see Reason for Closure table in CIN Census "
    "code set)",
    fields=("closure_reason",),
    tables=("referral",),
)
def closure_reason_invalid(ctx: RuleContext) -> pd.Series:
    reasons = ctx.table("referral")["closure_reason"]
    return _not_in(reasons, codes.REASON_FOR_CLOSURE, blank_ok=True)


@RULES.rule(
    "8568",
    severity=ERROR,
    message="RNFA flag is missing or invalid",
    fields=("referral_nfa",),
    tables=("referral",),
    formats=CIN_RETURN,
)
def referral_nfa_missing(ctx: RuleContext) -> pd.Series:
    # Readers turn values other than true/false/1/0 into NA (and report them).
    return ctx.table("referral")["referral_nfa"].isna()


@RULES.rule(
    "8630",
    severity=ERROR,
    message="CIN Closure Date is before CIN Referral Date for the same CIN episode",
    fields=("closure_date", "referral_date"),
    tables=("referral",),
)
def closure_before_referral(ctx: RuleContext) -> pd.Series:
    refs = ctx.table("referral")
    return refs["closure_date"] < refs["referral_date"]


# --- Assessments, plans, section 47 enquiries ---------------------------------------------


@RULES.rule(
    "8608",
    severity=ERROR,
    message="Assessment Start Date cannot be later than its End Date",
    fields=("authorisation_date", "start_date"),
    tables=("assessment",),
)
def assessment_ends_before_start(ctx: RuleContext) -> pd.Series:
    df = ctx.table("assessment")
    return df["authorisation_date"] < df["start_date"]


@RULES.rule(
    "4011",
    severity=ERROR,
    message="CIN Plan End Date earlier than Start Date",
    fields=("end_date", "start_date"),
    tables=("cin_plan",),
)
def cin_plan_ends_before_start(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cin_plan")
    return df["end_date"] < df["start_date"]


@RULES.rule(
    "8925",
    severity=ERROR,
    message="Child Protection Plan End Date earlier than Start Date",
    fields=("end_date", "start_date"),
    tables=("cp_plan",),
)
def cp_plan_ends_before_start(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cp_plan")
    return df["end_date"] < df["start_date"]


@RULES.rule(
    "END_BEFORE_START",
    severity=ERROR,
    message="The section 47 enquiry's end date is before its start date.",
    fields=("end_date", "start_date"),
    tables=("s47_enquiry",),
)
def s47_ends_before_start(ctx: RuleContext) -> pd.Series:
    # The CIN census has no S47 end date (so no DfE rule); the API payload and Annex A do.
    df = ctx.table("s47_enquiry")
    return df["end_date"] < df["start_date"]


@RULES.rule(
    "FUTURE_DATE",
    severity=ERROR,
    message="This date is after the date the extract was taken. Check the date.",
    fields=("end_date",),
    tables=("s47_enquiry",),
)
def s47_end_in_future(ctx: RuleContext) -> pd.Series:
    # Every other date has a DfE "after the end of the collection period" rule (8600, 8620,
    # 8696, 8715, 8720, 8736, 8740, 4010, 4013, 8930, 301, 354, 385, 570, 571, 8520).
    return ctx.table("s47_enquiry")["end_date"] > ctx.period_end


@RULES.rule(
    "8905",
    severity=ERROR,
    message="Initial Category of Abuse code missing or invalid (see Category of Abuse table "
    "in CIN Census code set)",
    fields=("initial_category",),
    tables=("cp_plan",),
    needs=("cp_plan.initial_category",),
    formats=CIN_RETURN,
)
def initial_category_invalid(ctx: RuleContext) -> pd.Series:
    categories = ctx.table("cp_plan")["initial_category"]
    return _not_in(categories, codes.CATEGORY_OF_ABUSE, blank_ok=False)


@RULES.rule(
    "8910",
    severity=ERROR,
    message="Latest Category of Abuse code missing or invalid (see Category of Abuse table in "
    "CIN Census code set)",
    fields=("latest_category",),
    tables=("cp_plan",),
    needs=("cp_plan.latest_category",),
    formats=CIN_RETURN,
)
def latest_category_invalid(ctx: RuleContext) -> pd.Series:
    categories = ctx.table("cp_plan")["latest_category"]
    return _not_in(categories, codes.CATEGORY_OF_ABUSE, blank_ok=False)


@RULES.rule(
    "START_DATE_MISSING",
    severity=ERROR,
    message="The start date is blank or not a valid date. Records without a start date cannot "
    "be checked or counted.",
    fields=("start_date",),
    tables=("assessment", "s47_enquiry", "cla_episode"),
)
def start_date_missing(ctx: RuleContext) -> dict[str, pd.Series]:
    # Referrals, CIN plans, CP plans and missing episodes have DfE rules for this
    # (8600, 4010, 8720, 1004).
    tables = ("assessment", "s47_enquiry", "cla_episode")
    return {table: ctx.table(table)["start_date"].isna() for table in tables}


# --- SSDA903 episodes and missing episodes ------------------------------------------------


@RULES.rule(
    "143",
    severity=ERROR,
    message="The reason for new episode code is not a valid code.",
    fields=("start_reason",),
    tables=("cla_episode",),
    needs=("cla_episode.start_reason",),
)
def start_reason_invalid(ctx: RuleContext) -> pd.Series:
    reasons = ctx.table("cla_episode")["start_reason"]
    return _not_in(reasons, codes.REASON_NEW_EPISODE, blank_ok=True)


@RULES.rule(
    "144",
    severity=ERROR,
    message="The legal status code is not a valid code.",
    fields=("legal_status",),
    tables=("cla_episode",),
    needs=("cla_episode.legal_status",),
)
def legal_status_invalid(ctx: RuleContext) -> pd.Series:
    statuses = ctx.table("cla_episode")["legal_status"]
    return _not_in(statuses, codes.LEGAL_STATUS, blank_ok=True)


def _placement_invalid(allowed: frozenset[str]) -> RuleFunc:
    def placement_invalid(ctx: RuleContext) -> pd.Series:
        places = ctx.table("cla_episode")["placement_type"]
        return _not_in(places, allowed, blank_ok=True)

    return placement_invalid


# The placement-type list changes most years (K3 from 2024/25; H5, P2, Z1 gone in 2025/26).
for _year, _allowed in (
    ("2023_24", codes.PLACEMENT_TYPE_2023),
    ("2024_25", codes.PLACEMENT_TYPE_2024),
    ("2025_26", codes.PLACEMENT_TYPE_2025),
):
    RULES.rule(
        "146",
        severity=ERROR,
        message="Placement type code is not a valid code.",
        fields=("placement_type",),
        tables=("cla_episode",),
        year=_year,
    )(_placement_invalid(_allowed))


@RULES.rule(
    "149",
    severity=ERROR,
    message="Reason episode ceased code is not valid. ",
    fields=("end_reason",),
    tables=("cla_episode",),
)
def end_reason_invalid(ctx: RuleContext) -> pd.Series:
    reasons = ctx.table("cla_episode")["end_reason"]
    return _not_in(reasons, codes.REASON_EPISODE_CEASED, blank_ok=True)


@RULES.rule(
    "356",
    severity=ERROR,
    message="The date the episode ceased is before the date the same episode started.",
    fields=("end_date", "start_date"),
    tables=("cla_episode",),
)
def episode_ends_before_start(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["end_date"] < df["start_date"]


@RULES.rule(
    "1006",
    severity=ERROR,
    message="Missing type invalid.",
    fields=("type",),
    tables=("missing_episode",),
)
def missing_type_invalid(ctx: RuleContext) -> pd.Series:
    return _not_in(ctx.table("missing_episode")["type"], codes.MISSING_TYPE, blank_ok=True)


@RULES.rule(
    "567",
    severity=ERROR,
    message="The date that the missing episode or episode that the child was away from "
    "placement without authorisation ended is before the date that it started.",
    fields=("end_date", "start_date"),
    tables=("missing_episode",),
)
def missing_ends_before_start(ctx: RuleContext) -> pd.Series:
    df = ctx.table("missing_episode")
    return df["end_date"] < df["start_date"]


# --- Duplicates ---------------------------------------------------------------------------


@RULES.rule(
    "DUPLICATE_RECORD",
    severity=QUERY,
    message="Another record of the same kind for this child has the same start date. The "
    "indicators count them once: remove the duplicate or correct its date.",
    fields=("start_date", "referral_date"),
    tables=tuple(START_FIELDS),
)
def duplicate_records(ctx: RuleContext) -> dict[str, pd.Series]:
    # indicators.md: "two records of the same kind for the same child with the same start
    # date count once". The first is kept; the others are flagged.
    result = {}
    for table, start in START_FIELDS.items():
        df = ctx.table(table)
        # Missing (M) and away (A) episodes are different kinds of record.
        key = ["child_id", start, "type"] if table == "missing_episode" else ["child_id", start]
        keyed = df["child_id"].notna() & df[start].notna()
        result[f"{table}.{start}"] = keyed & df.duplicated(key, keep="first")
    return result
