"""DfE CIN census rules about referrals, assessments, section 47 enquiries, CIN plans and
child protection plans, plus our own checks that the indicators depend on.

Codes and messages are the DfE's (as in ``csc-validator-be-cin`` 0.1.13, 2023/24-2025/26
rule sets); the logic follows the DfE rule text quoted in each docstring, on the canonical
tables. The "census period" of the DfE rules is the extract's period (``RuleContext``:
coverage start to as-of date, i.e. 1 April to the ReferenceDate for a census file). Rules
the canonical model cannot express (UPN, death date, expected date of birth, disability
codes, CPP reviews, ICPC target date, the CINdetails-level ICPC date) are listed with reasons
in ``docs/peer-agreement.md``.
"""

from __future__ import annotations

import pandas as pd

from submissions.extract.canonical import Format, Severity
from submissions.extract.rules import codes
from submissions.extract.rules.helpers import (
    add_years,
    among,
    differs,
    factor_codes,
    starts_inside_other,
    working_days_before,
)
from submissions.extract.rules.registry import CIN_RETURN, RULES, RuleContext, RuleFunc

ERROR, QUERY = Severity.ERROR, Severity.QUERY


# --- Shared look-ups ----------------------------------------------------------------------


def _referrals_with(ctx: RuleContext, table: str, rows: pd.Series | None = None) -> pd.Series:
    """For each referral, whether ``table`` has a row (among ``rows``) in its episode."""
    df = ctx.table(table)
    ids = df["referral_id"] if rows is None else df.loc[_bool(rows), "referral_id"]
    return among(ctx.table("referral")["referral_id"], ids)


def _bool(mask: pd.Series) -> pd.Series:
    """A plain boolean mask (NA -> False), for indexing."""
    return pd.Series(mask.to_numpy(dtype=bool, na_value=False), index=mask.index)


def _count_per(df: pd.DataFrame, key: str, rows: pd.Series) -> pd.Series:
    """For each row of ``df``, how many rows among ``rows`` share its ``key``."""
    keys = df[key].where(_bool(rows))
    return keys.map(keys.value_counts()).fillna(0)


def _icpc_due(s47: pd.DataFrame) -> pd.Series:
    """Enquiries whose initial conference was required: ICPCnotRequired absent or false."""
    return s47["icpc_required"].fillna(True).astype(bool)


def _starts_within(
    ctx: RuleContext, table: str, other: str, *, open_until: pd.Timestamp
) -> pd.Series:
    """Rows of ``table`` (by start date) that start on or after the start of a record of the
    child in ``other`` and before its end (or, when it has none, on or before ``open_until``).
    Used between CIN plans and CP plans: few per child, so a merge on the child is cheap."""
    left = ctx.table(table)[["child_id", "start_date"]].dropna().reset_index()
    right = ctx.table(other)[["child_id", "start_date", "end_date"]]
    right = right[right["start_date"].notna()]
    pairs = left.merge(right, on="child_id", suffixes=("", "_other"))
    starts = pairs["start_date"]
    within = (starts >= pairs["start_date_other"]) & (
        (starts < pairs["end_date"]) | (pairs["end_date"].isna() & (starts <= open_until))
    )
    return ctx.mask(table, pairs.loc[within, "index"])


# --- Dates against the referral -----------------------------------------------------------


@RULES.rule(
    "1103",
    severity=ERROR,
    message="The assessment start date cannot be before the referral date",
    fields=("start_date", "referral_date"),
    tables=("assessment", "referral"),
)
def assessment_before_referral(ctx: RuleContext) -> pd.Series:
    """Where present, AssessmentActualStartDate should be on or after CINreferralDate."""
    df = ctx.table("assessment")
    return df["start_date"] < ctx.referral_value("assessment", "referral_date")


@RULES.rule(
    "1104",
    severity=ERROR,
    message="The date of the initial child protection conference cannot be before the "
    "referral date",
    fields=("icpc_date", "referral_date"),
    tables=("s47_enquiry", "referral"),
)
def icpc_before_referral(ctx: RuleContext) -> pd.Series:
    """Where present, DateOfInitialCPC should be on or after CINreferralDate."""
    df = ctx.table("s47_enquiry")
    return df["icpc_date"] < ctx.referral_value("s47_enquiry", "referral_date")


@RULES.rule(
    "1105",
    severity=ERROR,
    message="The child protection plan start date cannot be before the referral date",
    fields=("start_date", "referral_date"),
    tables=("cp_plan", "referral"),
)
def cpp_before_referral(ctx: RuleContext) -> pd.Series:
    """Where present, CPPstartDate must be on or after CINreferralDate."""
    df = ctx.table("cp_plan")
    return df["start_date"] < ctx.referral_value("cp_plan", "referral_date")


@RULES.rule(
    "2889",
    severity=ERROR,
    message="The S47 start date cannot be before the referral date.",
    fields=("start_date", "referral_date"),
    tables=("s47_enquiry", "referral"),
)
def s47_before_referral(ctx: RuleContext) -> pd.Series:
    """Where present, S47ActualStartDate should be on or after CINreferralDate."""
    df = ctx.table("s47_enquiry")
    return df["start_date"] < ctx.referral_value("s47_enquiry", "referral_date")


@RULES.rule(
    "4015",
    severity=ERROR,
    message="The CIN Plan start date cannot be before the referral date",
    fields=("start_date", "referral_date"),
    tables=("cin_plan", "referral"),
)
def cin_plan_before_referral(ctx: RuleContext) -> pd.Series:
    """Where present, CINPlanStartDate must be on or after CINreferralDate."""
    df = ctx.table("cin_plan")
    return df["start_date"] < ctx.referral_value("cin_plan", "referral_date")


@RULES.rule(
    "2885",
    severity=ERROR,
    message="Child protection plan shown as starting a different day to the initial child "
    "protection conference.",
    fields=("start_date", "icpc_date"),
    tables=("cp_plan", "s47_enquiry"),
)
def cpp_not_on_icpc_day(ctx: RuleContext) -> pd.Series:
    """A CPP starting in the period should start on the day of a Section47 initial
    conference of its episode. Only checked when the episode has a Section47 whose
    conference was required: the CINdetails-level DateOfInitialCPC (used when there is no
    Section47) is not in the canonical model."""
    cpp = ctx.table("cp_plan")
    s47 = ctx.table("s47_enquiry")
    conferences = s47.loc[_icpc_due(s47), ["referral_id", "icpc_date"]].dropna(
        subset=["referral_id"]
    )
    plans = cpp[["referral_id", "start_date"]].reset_index()
    in_period = plans["start_date"].notna() & ~ctx.outside_period(plans["start_date"]).to_numpy()
    matched = (
        plans.merge(
            conferences.rename(columns={"icpc_date": "start_date"}).drop_duplicates(),
            on=["referral_id", "start_date"],
            how="left",
            indicator=True,
        )["_merge"]
        .eq("both")
        .to_numpy()
    )
    has_conference = among(plans["referral_id"], conferences["referral_id"]).to_numpy()
    return ctx.mask("cp_plan", plans.loc[in_period & has_conference & ~matched, "index"])


# --- Referral (CIN episode) level ---------------------------------------------------------


@RULES.rule(
    "2990",
    severity=ERROR,
    message="Activity is recorded against a case marked as ‘Case closed after assessment, no "  # noqa: RUF001 (DfE wording)
    "further action’ or 'case closed after assessment, referred to early help'.",  # noqa: RUF001 (DfE wording)
    fields=("closure_reason",),
    tables=("referral", "cin_plan", "cp_plan"),
)
def activity_after_nfa_closure(ctx: RuleContext) -> pd.Series:
    """An episode closed with RC8 or RC9 cannot have a CP plan or CIN plan."""
    refs = ctx.table("referral")
    closed_after_assessment = refs["closure_reason"].isin(codes.CLOSED_AFTER_ASSESSMENT)
    activity = _referrals_with(ctx, "cin_plan") | _referrals_with(ctx, "cp_plan")
    return closed_after_assessment & activity


@RULES.rule(
    "2991Q",
    severity=QUERY,
    message="Please check and either amend data or provide a reason: A Section 47 module is "
    "recorded and there is no assessment on the episode",
    fields=("referral_id",),
    tables=("referral", "s47_enquiry", "assessment"),
    needs=("s47_enquiry.referral_id", "assessment.referral_id"),
)
def s47_without_assessment(ctx: RuleContext) -> pd.Series:
    """If a Section47 module is present then an Assessment module should be present."""
    return _referrals_with(ctx, "s47_enquiry") & ~_referrals_with(ctx, "assessment")


@RULES.rule(
    "4000",
    severity=ERROR,
    message="CIN Plan details provided for a referral with no further action",
    fields=("referral_nfa",),
    tables=("referral", "cin_plan"),
)
def cin_plan_on_nfa_referral(ctx: RuleContext) -> pd.Series:
    """A referral with ReferralNFA true cannot have CIN plans (flagged on the referral)."""
    refs = ctx.table("referral")
    return refs["referral_nfa"].eq(True) & _referrals_with(ctx, "cin_plan")


@RULES.rule(
    "8831",
    severity=ERROR,
    message="Activity is recorded against a case marked as a referral with no further action",
    fields=("referral_nfa",),
    tables=("referral", "assessment", "s47_enquiry"),
)
def activity_on_nfa_referral(ctx: RuleContext) -> pd.Series:
    """A referral with ReferralNFA true cannot have assessment dates, S47 start dates or
    initial conference dates."""
    assessments = ctx.table("assessment")
    s47 = ctx.table("s47_enquiry")
    activity = _referrals_with(
        ctx,
        "assessment",
        assessments["start_date"].notna() | assessments["authorisation_date"].notna(),
    ) | _referrals_with(ctx, "s47_enquiry", s47["start_date"].notna() | s47["icpc_date"].notna())
    return ctx.table("referral")["referral_nfa"].eq(True) & activity


@RULES.rule(
    "8832",
    severity=ERROR,
    message="Child Protection details provided for a referral with no further action.",
    fields=("referral_nfa",),
    tables=("referral", "cp_plan"),
)
def cpp_on_nfa_referral(ctx: RuleContext) -> pd.Series:
    """A referral with ReferralNFA true should have no child protection plan."""
    return ctx.table("referral")["referral_nfa"].eq(True) & _referrals_with(ctx, "cp_plan")


@RULES.rule(
    "8569Q",
    severity=QUERY,
    message="A case with referral date before one working day prior to the collection "
    "start date must not be flagged as a no further action case",
    fields=("referral_nfa", "referral_date"),
    tables=("referral",),
)
def old_referral_flagged_nfa(ctx: RuleContext) -> pd.Series:
    """If CINreferralDate is before the start of the census year minus 1 working day,
    ReferralNFA must be false. Needs the period start."""
    refs = ctx.table("referral")
    if ctx.period_start is None:
        return pd.Series(False, index=refs.index)
    threshold = working_days_before(ctx.period_start, 1)
    return (refs["referral_date"] < threshold) & differs(refs["referral_nfa"], False)


@RULES.rule(
    "8600",
    severity=ERROR,
    message="Child referral date missing or after data collection period",
    fields=("referral_date",),
    tables=("referral",),
)
def referral_date_missing_or_late(ctx: RuleContext) -> pd.Series:
    """CINreferralDate must be present and on or before the ReferenceDate."""
    dates = ctx.table("referral")["referral_date"]
    return dates.isna() | (dates > ctx.period_end)


@RULES.rule(
    "8606",
    severity=ERROR,
    message="Child referral date is more than 40 weeks before DOB or expected DOB",
    fields=("referral_date", "date_of_birth"),
    tables=("referral", "child"),
)
def referral_long_before_birth(ctx: RuleContext) -> pd.Series:
    """CINreferralDate cannot be more than 280 days before PersonBirthDate (the expected
    date of birth is not in the canonical model)."""
    dob = ctx.child_value("referral", "date_of_birth")
    return ctx.table("referral")["referral_date"] < dob - pd.Timedelta(days=280)


@RULES.rule(
    "8610",
    severity=ERROR,
    message="Primary Need code is missing for a referral which led to further action.",
    fields=("primary_need", "referral_nfa"),
    tables=("referral",),
    needs=("referral.primary_need",),
    formats=CIN_RETURN,
)
def primary_need_missing(ctx: RuleContext) -> pd.Series:
    """If ReferralNFA is false, PrimaryNeedCode must be present."""
    refs = ctx.table("referral")
    return refs["referral_nfa"].eq(False) & refs["primary_need"].isna()


@RULES.rule(
    "8620",
    severity=ERROR,
    message="CIN Closure Date present and does not fall within the Census year",
    fields=("closure_date",),
    tables=("referral",),
)
def closure_outside_period(ctx: RuleContext) -> pd.Series:
    """If present, CINclosureDate must be within the census period."""
    return ctx.outside_period(ctx.table("referral")["closure_date"])


@RULES.rule(
    "8565",
    severity=ERROR,
    message="Activity shown after a case has been closed",
    fields=("start_date", "closure_date"),
    tables=("assessment", "s47_enquiry", "cin_plan", "cp_plan", "referral"),
)
def activity_after_closure(ctx: RuleContext) -> dict[str, pd.Series]:
    """If CINclosureDate is present it must be on or after every assessment start and
    authorisation date, S47 start date, initial conference date, CPP end date and CIN plan
    start and end date of the episode. Flagged on the record with the later date."""

    def closure(table: str) -> pd.Series:
        return ctx.referral_value(table, "closure_date")

    assessments, s47 = ctx.table("assessment"), ctx.table("s47_enquiry")
    cin_plans, cpps = ctx.table("cin_plan"), ctx.table("cp_plan")
    a_close, s_close, p_close = closure("assessment"), closure("s47_enquiry"), closure("cin_plan")
    return {
        "assessment.start_date": (assessments["start_date"] > a_close)
        | (assessments["authorisation_date"] > a_close),
        "s47_enquiry.start_date": (s47["start_date"] > s_close) | (s47["icpc_date"] > s_close),
        "cin_plan.start_date": (cin_plans["start_date"] > p_close)
        | (cin_plans["end_date"] > p_close),
        "cp_plan.end_date": cpps["end_date"] > closure("cp_plan"),
    }


@RULES.rule(
    "8805",
    severity=ERROR,
    message="A CIN case cannot have a CIN closure date without a Reason for Closure",
    fields=("closure_reason", "closure_date"),
    tables=("referral",),
)
def closure_without_reason(ctx: RuleContext) -> pd.Series:
    refs = ctx.table("referral")
    return refs["closure_date"].notna() & refs["closure_reason"].isna()


@RULES.rule(
    "8810",
    severity=ERROR,
    message="A CIN case cannot have a Reason for Closure without a CIN Closure Date",
    fields=("closure_date", "closure_reason"),
    tables=("referral",),
)
def reason_without_closure(ctx: RuleContext) -> pd.Series:
    refs = ctx.table("referral")
    return refs["closure_reason"].notna() & refs["closure_date"].isna()


def _open_with_action(refs: pd.DataFrame) -> pd.Series:
    """Episodes with no closure date that are not referrals with no further action."""
    return refs["closure_date"].isna() & refs["referral_nfa"].eq(False).fillna(False)


@RULES.rule(
    "8815",
    severity=ERROR,
    message="More than one open CIN Details episode (a module with no CIN Closure Date) has "
    "been provided for this child and case is not a referral with no further action.",
    fields=("closure_date", "referral_nfa"),
    tables=("referral",),
)
def several_open_episodes(ctx: RuleContext) -> pd.Series:
    """A child can have only one episode with no CINclosureDate and ReferralNFA false."""
    refs = ctx.table("referral")
    open_ = _open_with_action(refs)
    return open_ & (_count_per(refs, "child_id", open_) > 1)


@RULES.rule(
    "8816",
    severity=ERROR,
    message="An open CIN episode is shown and case is not a referral with no further action, "
    "but it is not the latest episode.",
    fields=("referral_date", "referral_nfa"),
    tables=("referral",),
)
def open_episode_not_latest(ctx: RuleContext) -> pd.Series:
    """An episode with no CINclosureDate and ReferralNFA false must have the child's latest
    referral date."""
    refs = ctx.table("referral")
    latest = refs.groupby("child_id")["referral_date"].transform("max")
    return _open_with_action(refs) & (refs["referral_date"] < latest)


@RULES.rule(
    "8820",
    severity=ERROR,
    message="The dates on the CIN episodes for this child overlap",
    fields=("referral_date", "closure_date"),
    tables=("referral",),
)
def episodes_overlap(ctx: RuleContext) -> pd.Series:
    """A referral date must not fall on or after another episode's referral date and before
    its closure date, or before the ReferenceDate when that episode is open and not NFA.
    (An episode may start on the day the previous one closed.)"""
    refs = ctx.table("referral")
    # An open NFA referral covers no time; an open episode with action runs to the period end.
    end = refs["closure_date"].fillna(
        refs["referral_date"].where(~_open_with_action(refs), ctx.period_end)
    )
    return starts_inside_other(refs, ["child_id"], "referral_date", end, inclusive=False)


@RULES.rule(
    "8825Q",
    severity=QUERY,
    message="Please check and either amend data or provide a reason: Reason for Closure code "
    "RC8 (case closed after assessment) or RC9 (case closed after assessment, referred to "
    "early help) has been returned but there is no assessment present for the episode.",
    fields=("closure_reason",),
    tables=("referral", "assessment"),
    needs=("assessment.referral_id",),
)
def closed_after_assessment_without_one(ctx: RuleContext) -> pd.Series:
    refs = ctx.table("referral")
    closed_after_assessment = refs["closure_reason"].isin(codes.CLOSED_AFTER_ASSESSMENT)
    return closed_after_assessment & ~_referrals_with(ctx, "assessment")


# --- Assessments --------------------------------------------------------------------------


@RULES.rule(
    "8614",
    severity=ERROR,
    message="Parental or child factors at assessment should only be present for a completed "
    "assessment.",
    fields=("factors", "authorisation_date"),
    tables=("assessment",),
    needs=("assessment.factors",),
)
def factors_on_open_assessment(ctx: RuleContext) -> pd.Series:
    df = ctx.table("assessment")
    has_factors = df["factors"].str.strip().fillna("") != ""
    return df["authorisation_date"].isna() & has_factors


@RULES.rule(
    "8670Q",
    severity=QUERY,
    message="Please check and either amend data or provide a reason: Assessment started more "
    "than 45 working days before the end of the census year. However, there is no Assessment "
    "end date.",
    fields=("start_date",),
    tables=("assessment",),
)
def long_open_assessment(ctx: RuleContext) -> pd.Series:
    """If AssessmentAuthorisationDate is missing, AssessmentActualStartDate should not be
    before the ReferenceDate minus 45 working days."""
    df = ctx.table("assessment")
    return df["authorisation_date"].isna() & (
        df["start_date"] < working_days_before(ctx.period_end, 45)
    )


@RULES.rule(
    "8696",
    severity=ERROR,
    message="Assessment end date must fall within the census year",
    fields=("authorisation_date",),
    tables=("assessment",),
)
def authorisation_outside_period(ctx: RuleContext) -> pd.Series:
    return ctx.outside_period(ctx.table("assessment")["authorisation_date"])


@RULES.rule(
    "8736",
    severity=ERROR,
    message="For an Assessment that has not been completed, the start date must fall within "
    "the census year",
    fields=("start_date", "authorisation_date"),
    tables=("assessment",),
)
def open_assessment_outside_period(ctx: RuleContext) -> pd.Series:
    df = ctx.table("assessment")
    return df["authorisation_date"].isna() & ctx.outside_period(df["start_date"])


@RULES.rule(
    "8863Q",
    severity=QUERY,
    message="An Assessment is shown as starting when there is another Assessment ongoing.",
    fields=("start_date", "authorisation_date"),
    tables=("assessment",),
)
def assessments_overlap(ctx: RuleContext) -> pd.Series:
    """Within an episode, an assessment must not start on or between the start and
    authorisation date of another (or its start and the ReferenceDate when it has none).
    Exact duplicates (same start and authorisation) are DUPLICATE_RECORD, not overlaps."""
    df = ctx.table("assessment")
    distinct = df[~df.duplicated(["referral_id", "start_date", "authorisation_date"])]
    end = distinct["authorisation_date"].fillna(ctx.period_end)
    inside = starts_inside_other(distinct, ["referral_id"], "start_date", end, inclusive=True)
    return inside.reindex(df.index, fill_value=False)


@RULES.rule(
    "8867",
    severity=ERROR,
    message="CIN episode is shown as closed, however Assessment is not shown as completed",
    fields=("authorisation_date",),
    tables=("assessment", "referral"),
)
def open_assessment_on_closed_episode(ctx: RuleContext) -> pd.Series:
    closed = ctx.referral_value("assessment", "closure_date").notna()
    return closed & ctx.table("assessment")["authorisation_date"].isna()


@RULES.rule(
    "8896",
    severity=ERROR,
    message="Within one CINDetails group there are 2 or more open Assessments groups",
    fields=("authorisation_date",),
    tables=("assessment",),
)
def several_open_assessments(ctx: RuleContext) -> pd.Series:
    df = ctx.table("assessment")
    open_ = df["authorisation_date"].isna() & df["referral_id"].notna()
    return open_ & (_count_per(df, "referral_id", open_) > 1)


def _factor_table(ctx: RuleContext) -> pd.Series:
    return ctx.memo("factor_codes", lambda: factor_codes(ctx.table("assessment")["factors"]))


@RULES.rule(
    "8869",
    severity=ERROR,
    message="The assessment factors code “21” cannot be used in conjunction with any other "
    "assessment factors.",
    fields=("factors",),
    tables=("assessment",),
    needs=("assessment.factors",),
)
def no_factors_with_others(ctx: RuleContext) -> pd.Series:
    factors = _factor_table(ctx)
    per_assessment = factors.groupby(level=0).nunique()
    has_21 = factors[factors == codes.NO_FACTORS].index.unique()
    return ctx.mask("assessment", per_assessment.index[per_assessment > 1].intersection(has_21))


@RULES.rule(
    "8873Q",
    severity=QUERY,
    message="Please check and either amend data or provide a reason: When there is only one "
    "assessment on the episode and the factors code “21 No factors identified” has been used "
    "for the completed assessment, the reason for closure ‘RC8’ or 'RC9' should be used.",  # noqa: RUF001 (DfE wording)
    fields=("factors", "closure_reason"),
    tables=("assessment", "referral"),
    needs=("assessment.factors", "assessment.referral_id"),
)
def no_factors_not_closed_as_such(ctx: RuleContext) -> pd.Series:
    df = ctx.table("assessment")
    factors = _factor_table(ctx)
    has_21 = ctx.mask("assessment", factors[factors == codes.NO_FACTORS].index.unique())
    only_one = _count_per(df, "referral_id", df["referral_id"].notna()) == 1
    reason = ctx.referral_value("assessment", "closure_reason")
    return has_21 & only_one & ~reason.isin(codes.CLOSED_AFTER_ASSESSMENT)


@RULES.rule(
    "8897Q",
    severity=QUERY,
    message="Parental or child factors at assessment information is missing from a completed "
    "assessment",
    fields=("factors", "authorisation_date"),
    tables=("assessment",),
    formats=CIN_RETURN,
)
def completed_assessment_without_factors(ctx: RuleContext) -> pd.Series:
    """If AssessmentAuthorisationDate is on or after the start of the census year, factors
    should be recorded."""
    df = ctx.table("assessment")
    completed = df["authorisation_date"].notna()
    if ctx.period_start is not None:
        completed &= df["authorisation_date"] >= ctx.period_start
    return completed & ~ctx.mask("assessment", _factor_table(ctx).index.unique())


@RULES.rule(
    "8898",
    severity=ERROR,
    message=" The assessment has more than one parental or child factors with the same code",
    fields=("factors",),
    tables=("assessment",),
    needs=("assessment.factors",),
)
def repeated_factor(ctx: RuleContext) -> pd.Series:
    factors = _factor_table(ctx)
    frame = factors.rename("code").reset_index()
    repeated = frame[frame.duplicated(keep=False)].iloc[:, 0]
    return ctx.mask("assessment", repeated.unique())


def _factor_used(code: str) -> RuleFunc:
    def factor_used(ctx: RuleContext) -> pd.Series:
        factors = _factor_table(ctx)
        return ctx.mask("assessment", factors[factors == code].index.unique())

    return factor_used


# 18A and 19A were split into B (child on child) and C (adult on child) in 2024/25.
for _code, _factor in (("8945Q", "18A"), ("8950Q", "19A")):
    RULES.rule(
        _code,
        severity=QUERY,
        message="Please check and either amend data or provide a reason: the assessment "
        f"factors code '{_factor}' should not be used ('{_factor[:2]}B' or '{_factor[:2]}C' "
        "should be used instead)",
        fields=("factors",),
        tables=("assessment",),
        year="2024_25",
    )(_factor_used(_factor))


# --- Section 47 enquiries -----------------------------------------------------------------


@RULES.rule(
    "8615",
    severity=ERROR,
    message="Section 47 Enquiry Start Date must be present and cannot be later than the date "
    "of the initial Child Protection Conference",
    fields=("start_date", "icpc_date"),
    tables=("s47_enquiry",),
)
def s47_start_after_icpc(ctx: RuleContext) -> pd.Series:
    df = ctx.table("s47_enquiry")
    return df["icpc_date"].notna() & (
        df["start_date"].isna() | (df["start_date"] > df["icpc_date"])
    )


def _awaiting_icpc(s47: pd.DataFrame) -> pd.Series:
    """Enquiries with no conference date although one was required."""
    return s47["icpc_date"].isna() & _icpc_due(s47)


@RULES.rule(
    "8675Q",
    severity=QUERY,
    message="Please check and either amend data or provide a reason: S47 Enquiry started more "
    "than 15 working days before the end of the census year. However, there is no date of "
    "Initial Child Protection Conference.",
    fields=("start_date", "icpc_date", "icpc_required"),
    tables=("s47_enquiry",),
)
def long_s47_without_icpc(ctx: RuleContext) -> pd.Series:
    df = ctx.table("s47_enquiry")
    late = df["start_date"] < working_days_before(ctx.period_end, 15)
    return _awaiting_icpc(df) & late


@RULES.rule(
    "8715",
    severity=ERROR,
    message="Date of Initial Child Protection Conference must fall within the census year",
    fields=("icpc_date",),
    tables=("s47_enquiry",),
)
def icpc_outside_period(ctx: RuleContext) -> pd.Series:
    return ctx.outside_period(ctx.table("s47_enquiry")["icpc_date"])


@RULES.rule(
    "8740",
    severity=ERROR,
    message="For a Section 47 Enquiry that has not held the Initial Child Protection "
    "Conference by the end of the census year, the start date must fall within the census year",
    fields=("start_date", "icpc_date", "icpc_required"),
    tables=("s47_enquiry",),
)
def open_s47_outside_period(ctx: RuleContext) -> pd.Series:
    df = ctx.table("s47_enquiry")
    return _awaiting_icpc(df) & ctx.outside_period(df["start_date"])


@RULES.rule(
    "8839",
    severity=ERROR,
    message="Within one CINDetails group there are 2 or more open S47 Assessments",
    fields=("icpc_date",),
    tables=("s47_enquiry",),
)
def several_open_s47(ctx: RuleContext) -> pd.Series:
    df = ctx.table("s47_enquiry")
    open_ = _awaiting_icpc(df) & df["referral_id"].notna()
    return open_ & (_count_per(df, "referral_id", open_) > 1)


@RULES.rule(
    "8868",
    severity=ERROR,
    message="CIN episode is shown as closed, however Section 47 enquiry is not shown as "
    "completed by ICPC date or ICPC not required flag",
    fields=("icpc_date", "icpc_required"),
    tables=("s47_enquiry", "referral"),
)
def open_s47_on_closed_episode(ctx: RuleContext) -> pd.Series:
    df = ctx.table("s47_enquiry")
    closed = ctx.referral_value("s47_enquiry", "closure_date").notna()
    return closed & _awaiting_icpc(df)


@RULES.rule(
    "8875",
    severity=ERROR,
    message="The Date of Initial Child Protection Conference cannot be a weekend",
    fields=("icpc_date",),
    tables=("s47_enquiry",),
)
def icpc_on_weekend(ctx: RuleContext) -> pd.Series:
    return ctx.table("s47_enquiry")["icpc_date"].dt.day_of_week >= 5


@RULES.rule(
    "8890",
    severity=ERROR,
    message="A Section 47 enquiry is shown as starting when there is another Section 47 "
    "Enquiry ongoing",
    fields=("start_date",),
    tables=("s47_enquiry",),
)
def s47_overlap(ctx: RuleContext) -> pd.Series:
    """Within an episode, an S47 must not start on or between the start and conference date
    of another (or its start and the ReferenceDate when its conference is still due)."""
    df = ctx.table("s47_enquiry")
    end = df["icpc_date"].fillna(df["start_date"].where(~_icpc_due(df), ctx.period_end))
    return starts_inside_other(df, ["referral_id"], "start_date", end, inclusive=True)


# --- CIN plans ----------------------------------------------------------------------------


@RULES.rule(
    "4001",
    severity=ERROR,
    message="A CIN Plan cannot run concurrently with a Child Protection Plan",
    fields=("end_date",),
    tables=("cin_plan", "cp_plan"),
)
def open_cin_plan_with_open_cpp(ctx: RuleContext) -> pd.Series:
    """An episode with an open CPP (no end date) cannot have an open CIN plan."""
    plans, cpps = ctx.table("cin_plan"), ctx.table("cp_plan")
    open_cpp_episodes = cpps.loc[cpps["end_date"].isna(), "referral_id"].dropna()
    open_plan = plans["start_date"].notna() & plans["end_date"].isna()
    return open_plan & among(plans["referral_id"], open_cpp_episodes)


@RULES.rule(
    "4004",
    severity=ERROR,
    message="This child is showing more than one open CIN Plan, i.e. with no End Date",
    fields=("end_date",),
    tables=("cin_plan",),
)
def several_open_cin_plans(ctx: RuleContext) -> pd.Series:
    """Within a CINdetails module there must be only one CIN plan with no end date."""
    df = ctx.table("cin_plan")
    open_ = df["end_date"].isna() & df["referral_id"].notna()
    return open_ & (_count_per(df, "referral_id", open_) > 1)


@RULES.rule(
    "4010",
    severity=ERROR,
    message="CIN Plan start date is missing or out of data collection period",
    fields=("start_date",),
    tables=("cin_plan",),
)
def cin_plan_start_missing_or_late(ctx: RuleContext) -> pd.Series:
    dates = ctx.table("cin_plan")["start_date"]
    return dates.isna() | (dates > ctx.period_end)


@RULES.rule(
    "4012Q",
    severity=QUERY,
    message="Please check and either amend or provide a reason: CIN Plan shown as starting "
    "and ending on the same day",
    fields=("start_date", "end_date"),
    tables=("cin_plan",),
)
def cin_plan_same_day(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cin_plan")
    return df["start_date"] == df["end_date"]


@RULES.rule(
    "4013",
    severity=ERROR,
    message="CIN Plan end date must fall within the census year",
    fields=("end_date",),
    tables=("cin_plan",),
)
def cin_plan_end_outside_period(ctx: RuleContext) -> pd.Series:
    return ctx.outside_period(ctx.table("cin_plan")["end_date"])


@RULES.rule(
    "4014",
    severity=ERROR,
    message="CIN Plan data contains overlapping dates",
    fields=("start_date", "end_date"),
    tables=("cin_plan",),
)
def cin_plans_overlap(ctx: RuleContext) -> pd.Series:
    """A child's CIN plan must not start within another of their CIN plans (start to end,
    or start to ReferenceDate when it has no end)."""
    df = ctx.table("cin_plan")
    end = df["end_date"].fillna(ctx.period_end)
    return starts_inside_other(df, ["child_id"], "start_date", end, inclusive=True)


@RULES.rule(
    "4016",
    severity=ERROR,
    message="A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
    fields=("start_date",),
    tables=("cin_plan", "cp_plan"),
)
def cin_plan_starts_during_cpp(ctx: RuleContext) -> pd.Series:
    """A CIN plan must not start on or after the start of one of the child's CPPs and before
    its end (or on or before the ReferenceDate when it is open)."""
    return _starts_within(ctx, "cin_plan", "cp_plan", open_until=ctx.period_end)


# --- Child protection plans ---------------------------------------------------------------


@RULES.rule(
    "4017",
    severity=ERROR,
    message="A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
    fields=("start_date",),
    tables=("cp_plan", "cin_plan"),
)
def cpp_starts_during_cin_plan(ctx: RuleContext) -> pd.Series:
    """A CPP must not start on or after the start of one of the child's CIN plans and before
    its end (or on or before the ReferenceDate when it is open)."""
    return _starts_within(ctx, "cp_plan", "cin_plan", open_until=ctx.period_end)


@RULES.rule(
    "8720",
    severity=ERROR,
    message="Child Protection Plan Start Date missing or out of data collection period",
    fields=("start_date",),
    tables=("cp_plan",),
)
def cpp_start_missing_or_late(ctx: RuleContext) -> pd.Series:
    dates = ctx.table("cp_plan")["start_date"]
    return dates.isna() | (dates > ctx.period_end)


@RULES.rule(
    "8730",
    severity=ERROR,
    message="Total Number of previous Child Protection Plans missing",
    fields=("number_of_previous_cpp",),
    tables=("cp_plan",),
    needs=("cp_plan.number_of_previous_cpp",),
    formats=CIN_RETURN,
)
def previous_cpp_count_missing(ctx: RuleContext) -> pd.Series:
    counts = ctx.table("cp_plan")["number_of_previous_cpp"]
    return counts.isna() | (counts < 0)


@RULES.rule(
    "8840",
    severity=ERROR,
    message="Child Protection Plan cannot start and end on the same day",
    fields=("start_date", "end_date"),
    tables=("cp_plan",),
)
def cpp_same_day(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cp_plan")
    return df["start_date"] == df["end_date"]


@RULES.rule(
    "8930",
    severity=ERROR,
    message="Child Protection Plan End Date must fall within the census year",
    fields=("end_date",),
    tables=("cp_plan",),
)
def cpp_end_outside_period(ctx: RuleContext) -> pd.Series:
    return ctx.outside_period(ctx.table("cp_plan")["end_date"])


@RULES.rule(
    "8935",
    severity=ERROR,
    message="This child is showing more than one open Child Protection plan, i.e. with no End Date",
    fields=("end_date",),
    tables=("cp_plan",),
)
def several_open_cpps(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cp_plan")
    open_ = df["end_date"].isna() & df["child_id"].notna()
    return open_ & (_count_per(df, "child_id", open_) > 1)


@RULES.rule(
    "8940",
    severity=ERROR,
    message="Child Protection Plan data contains overlapping dates",
    fields=("start_date", "end_date"),
    tables=("cp_plan",),
)
def cpps_overlap(ctx: RuleContext) -> pd.Series:
    """A child's CPP must not start within another of their CPPs (start to end inclusive, or
    start to ReferenceDate when it has no end)."""
    df = ctx.table("cp_plan")
    end = df["end_date"].fillna(ctx.period_end)
    return starts_inside_other(df, ["child_id"], "start_date", end, inclusive=True)


@RULES.rule(
    "CPP_OVERLAP",
    severity=QUERY,
    message="This child protection plan starts before the child's previous plan ended, so it "
    "is not counted as a repeat plan. Check the end date of the earlier plan.",
    fields=("start_date", "end_date"),
    tables=("cp_plan",),
)
def cpp_starts_before_previous_ended(ctx: RuleContext) -> pd.Series:
    """repeat_cpp_12m (docs/indicators.md) counts a plan as a repeat only when the earlier
    plan ended on or before its start, so a plan starting while an earlier one is still open
    needs explaining. Plans with the same start date are DUPLICATE_RECORD, not overlaps."""
    df = ctx.table("cp_plan")
    keyed = df[df["child_id"].notna() & df["start_date"].notna()]
    # Latest end per (child, start): an open plan never ends.
    ends = (
        keyed["end_date"]
        .fillna(pd.Timestamp.max)
        .groupby([keyed["child_id"], keyed["start_date"]])
        .max()
    )
    earlier_max = ends.groupby(level=0).cummax().groupby(level=0).shift(1)
    previous_end = pd.Series(
        earlier_max.reindex(pd.MultiIndex.from_frame(keyed[["child_id", "start_date"]])).to_numpy(),
        index=keyed.index,
    )
    overlap = keyed["start_date"] < previous_end
    return overlap.reindex(df.index, fill_value=False)


# --- Children -----------------------------------------------------------------------------


@RULES.rule(
    "8520",
    severity=ERROR,
    message="Date of Birth is after data collection period (must be on or before the end of "
    "the census period)",
    fields=("date_of_birth",),
    tables=("child",),
    formats=CIN_RETURN,
)
def born_after_period(ctx: RuleContext) -> pd.Series:
    return ctx.table("child")["date_of_birth"] > ctx.period_end


@RULES.rule(
    "8540",
    severity=ERROR,
    message="Child’s disability is missing or invalid (see Disability table)",  # noqa: RUF001 (DfE wording)
    fields=("disability", "date_of_birth", "referral_nfa"),
    tables=("child", "referral"),
    formats=CIN_RETURN,
)
def disability_missing(ctx: RuleContext) -> pd.Series:
    """A born child with at least one referral with ReferralNFA false needs a Disability
    (NONE counts as one; readers record it as False)."""
    children = ctx.table("child")
    refs = ctx.table("referral")
    acted_on = refs.loc[_bool(refs["referral_nfa"].eq(False)), "child_id"].dropna().unique()
    return (
        children["date_of_birth"].notna()
        & children["disability"].isna()
        & among(children["child_id"], acted_on)
    )


@RULES.rule(
    "8590",
    severity=ERROR,
    message="Child does not have a recorded CIN episode.",
    fields=("child_id",),
    tables=("child", "referral"),
    formats=frozenset({Format.CIN_XML}),
)
def child_without_episode(ctx: RuleContext) -> pd.Series:
    """Each child in a CIN census must have at least one CINdetails group. (Other formats
    list children looked after or other cohorts without a CIN episode.)"""
    children = ctx.table("child")
    return children["child_id"].notna() & ~among(
        children["child_id"], ctx.table("referral")["child_id"]
    )


@RULES.rule(
    "8775Q",
    severity=QUERY,
    message="Please check and either amend data or provide a reason: Child is over 25 years old",
    fields=("date_of_birth",),
    tables=("child", "referral"),
)
def over_25(ctx: RuleContext) -> pd.Series:
    """PersonBirthDate is before the ReferenceDate minus 25 years and an episode's
    CINclosureDate is after the 25th birthday or blank."""
    refs = ctx.table("referral")
    dob = ctx.child_value("referral", "date_of_birth")
    closure = refs["closure_date"]
    old = (dob < ctx.period_end - pd.DateOffset(years=25)) & (
        closure.isna() | (closure > add_years(dob, 25))
    )
    children = ctx.table("child")
    return among(children["child_id"], refs.loc[_bool(old), "child_id"])
