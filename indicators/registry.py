"""The indicator registry: what every timely indicator is, for pages, exports and calculators.

Plain data, no Django: one frozen ``Indicator`` per id, in display order, in ``REGISTRY``. The
definitions are the binding ones of ``docs/indicators.md``; where that document leaves a
choice open, the choice is stated here (and in ``indicators.calculators``) so the indicator
page can show it.

National Framework areas: the names are those of the Children's Social Care National
Framework (Dec 2023) as listed in the DfE's "Dashboard supporting information" (Oct 2024,
Annex B), which numbers the outcomes 1 stay together, 2 family network, 3 safe, 4 stable
homes. The public dashboard's ``summary_page_metadata.csv`` has since swapped outcomes 2 and 3
in its accordion labels (CSC_outcomes_and_enablers PRs #255-#259), so the registry stores the
outcome by name (``FrameworkArea``) and the dashboard's own sub-heading (``topic``), never a
bare number that depends on which document one reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from submissions.extract.canonical import Format

__all__ = [
    "NOT_A_PERFORMANCE_MEASURE",
    "REGISTRY",
    "STATUS_DESCRIPTIONS",
    "FrameworkArea",
    "Indicator",
    "Kind",
    "PublishedSeries",
    "Status",
    "Unit",
    "get",
]


class FrameworkArea(StrEnum):
    """The outcomes and enablers of the Children's Social Care National Framework."""

    STAY_TOGETHER = "Children, young people and families stay together and get the help they need"
    FAMILY_NETWORK = "Children and young people are supported by their family network"
    SAFE = "Children and young people are safe in and outside of their home"
    STABLE_HOMES = "Children in care and care leavers have stable, loving homes"
    MULTI_AGENCY = "Multi-agency working is prioritised and effective"
    LEADERS = "Leaders drive conditions for effective practice"
    WORKFORCE = "The workforce is equipped and effective"

    @property
    def is_outcome(self) -> bool:
        return self in _OUTCOMES


_OUTCOMES = frozenset(
    {
        FrameworkArea.STAY_TOGETHER,
        FrameworkArea.FAMILY_NETWORK,
        FrameworkArea.SAFE,
        FrameworkArea.STABLE_HOMES,
    }
)


class Unit(StrEnum):
    """How ``value`` relates to ``numerator`` and ``denominator`` (indicators.md "Output")."""

    PERCENT = "percent"  # numerator / denominator x 100, 1 dp, half up
    RATIO = "ratio"  # numerator / denominator, 1 dp, half up
    COUNT = "count"  # value = numerator; denominator empty
    RATE_PER_10K = "rate_per_10k"  # numerator / population x 10,000, 1 dp, half up


class Kind(StrEnum):
    """What a period's value describes, which decides the coverage it needs."""

    PERIOD = "period"  # events in the 12-month period P = [S, E]: needs [S - look-back, E]
    SNAPSHOT = "snapshot"  # what is open at the period end E: needs E inside the extract


class Status(StrEnum):
    """Status of one computed value (indicators.md "Extract coverage" and "Output")."""

    OK = "ok"
    INSUFFICIENT_HISTORY = "insufficient_history"
    INCOMPLETE_FOLLOW_UP = "incomplete_follow_up"
    NO_DATA = "no_data"
    NO_POPULATION = "no_population"


STATUS_DESCRIPTIONS: dict[Status, str] = {
    Status.OK: "Computed from the extract.",
    Status.INSUFFICIENT_HISTORY: (
        "The extract does not go back far enough for this period: the indicator needs records "
        "from before the date the extract is complete from."
    ),
    Status.INCOMPLETE_FOLLOW_UP: (
        "The follow-up this period needs is not over by the extract date. No indicator in "
        "this registry needs follow-up beyond its period end (the NFA progression cohort is "
        "defined by follow-up windows that end inside the period), so a value is never given "
        "this status today; it is kept so stored values and pages share one vocabulary."
    ),
    Status.NO_DATA: (
        "The extract has none of the records this indicator is computed from (for example, "
        "no missing episodes: the DfE API payload and Ofsted Annex A carry none)."
    ),
    Status.NO_POPULATION: (
        "No ONS mid-year population estimate for the local authority is available for this "
        "period, so the rate cannot be computed. The count is shown."
    ),
}

NOT_A_PERFORMANCE_MEASURE = (
    "This is a learning tool, not a performance measure or a league table. The DfE says its "
    "dashboard 'is not intended to be a tool to measure local authority performance'. A high "
    "or low figure is a prompt to ask why, read alongside the other indicators, the trend and "
    "the local authority's own context notes; it is never a judgement on its own. Figures "
    "from timely extracts can be revised by a later extract."
)


@dataclass(frozen=True)
class PublishedSeries:
    """The published annual figure an indicator sits beside on the restricted dashboard.

    ``key`` names it in the catalogue of published indicators (``dashboards.published``
    ``SPECS``, where its source file, column and filters are), by name, so nothing is matched
    to file names at run time; a test checks every key is in the catalogue, in the same unit.
    ``comparable`` is True when the timely value for the period ending on 31 March should
    equal the published figure for that year, up to rounding, suppression and later
    revisions; False when the series is only an anchor with a different definition.
    """

    key: str
    description: str
    comparable: bool


@dataclass(frozen=True)
class Indicator:
    """One timely indicator: its metadata and the facts the calculators need.

    ``look_back_months`` is how much history before the period start S the indicator needs;
    ``source_tables`` are the canonical tables that must hold records for it to be computed
    (else status ``no_data``); ``source_formats`` the input formats that can supply them.
    ``breakdowns`` says whether child-level breakdowns (age band, sex, ethnicity, disability)
    are computed.
    """

    id: str
    title: str
    framework_area: FrameworkArea
    topic: str
    definition: str
    numerator: str
    denominator: str
    unit: Unit
    kind: Kind
    look_back_months: int
    source_tables: tuple[str, ...]
    source_formats: tuple[Format, ...]
    caveats: tuple[str, ...]
    published: PublishedSeries | None
    guidance: str
    breakdowns: bool


_CIN_FORMATS = (Format.CIN_XML, Format.ANNEX_A, Format.DFE_API_JSON)
_CLA_FORMATS = (Format.SSDA903_CSV, Format.SSDA903_XML)
_SHORT_BREAKS = (
    "Children looked after only under a series of short-term breaks (legal status V3 or V4 "
    "for all their episodes overlapping the period) are excluded, as in the published "
    "statistics. Extracts without legal status (the DfE API payload) cannot exclude them."
)
_MISSING_RECORDING = (
    "Recording of 'missing' and 'away from placement without authorisation' differs between "
    "local authorities: since 2017 many record every incident as missing, so missing is "
    "overstated and away understated nationally. The DfE left missing children off the public "
    "dashboard for this reason."
)
_MISSING_SOURCES = (
    "Only SSDA903 returns (the Missing table with the Episodes table) carry dated missing "
    "episodes; Annex A counts episodes without dates and the DfE API payload has none."
)
_CPP_GUIDANCE = (
    " Child protection plans respond to each child's circumstances; some children need a "
    "second plan, or a plan lasting longer than expected, and that can be the right decision."
)
_RATE_CAVEAT = (
    "The population is the ONS mid-year estimate of children aged 0 to 17 for the local "
    "authority, the latest whose mid-year date (30 June) is on or before the period end, as "
    "the published rates use the previous mid-year estimate."
)


def _guidance(extra: str = "") -> str:
    return NOT_A_PERFORMANCE_MEASURE + extra


_INDICATORS = (
    Indicator(
        id="rereferral_12m",
        title="Re-referrals within 12 months of a previous referral",
        framework_area=FrameworkArea.STAY_TOGETHER,
        topic="Access to support and getting help",
        definition=(
            "Of the referrals received in the 12 months to the period end, the percentage "
            "for a child who had another referral in the 12 months before it."
        ),
        numerator=(
            "Referrals in the period for which the same child had an earlier referral dated "
            "on or after the referral date minus 12 months (and before the referral date)."
        ),
        denominator=(
            "Referrals (CIN episodes) with a referral date in the period, including referrals "
            "that ended in no further action."
        ),
        unit=Unit.PERCENT,
        kind=Kind.PERIOD,
        look_back_months=12,
        source_tables=("referral",),
        source_formats=_CIN_FORMATS,
        caveats=(
            "Needs the 12 months of referrals before the period: earlier periods show "
            "'insufficient history'.",
            "A child's referrals are matched within this local authority only; a previous "
            "referral to another local authority does not count.",
            "Annex A lists referrals for the inspection window only (6 to 12 months), which "
            "is rarely enough history.",
        ),
        published=PublishedSeries(
            key="rereferral_12m",
            description="Re-referrals within 12 months of a previous referral, % of referrals "
            "in the year to 31 March (England 2025: 22.6%).",
            comparable=True,
        ),
        guidance=_guidance(
            " Re-referrals can reflect needs that were not met, or new circumstances."
        ),
        breakdowns=True,
    ),
    Indicator(
        id="nfa_at_assessment",
        title="Assessments ending in no further action",
        framework_area=FrameworkArea.STAY_TOGETHER,
        topic="Access to support and getting help",
        definition=(
            "Of the assessments completed (authorised) in the 12 months to the period end, the "
            "percentage that ended in no further action (NFA)."
        ),
        numerator=(
            "Assessments completed in the period that ended in NFA: the recorded outcome where "
            "the format has one (Annex A List 4 'assessed as requiring support?' = No), else "
            "the latest assessment of its referral episode, the episode closed with reason "
            "RC8 or RC9 on or after the authorisation date, and no CIN plan, section 47 "
            "enquiry or child protection plan in the episode starting on or after the "
            "assessment's start."
        ),
        denominator="Assessments with an authorisation (completion) date in the period.",
        unit=Unit.PERCENT,
        kind=Kind.PERIOD,
        look_back_months=0,
        source_tables=("assessment",),
        source_formats=_CIN_FORMATS,
        caveats=(
            "The CIN census and the DfE API payload do not record the assessment outcome, so "
            "NFA is inferred from the closure reason (RC8 or RC9, the DfE 'assessed as not in "
            "need' convention); the page states which source each value used.",
            "An assessment whose episode is still open at the extract date is not counted as "
            "NFA; a later extract may revise the most recent periods when the episode closes.",
        ),
        published=PublishedSeries(
            key="referrals_not_in_need",
            description="Referrals assessed as not in need (closure RC8/RC9), % of all "
            "referrals in the year to 31 March (England 2025: 30.8%). An anchor only: its "
            "denominator is referrals, not completed assessments.",
            comparable=False,
        ),
        guidance=_guidance(
            " An assessment that finds no need for children's social care can be the right "
            "outcome for a family."
        ),
        breakdowns=True,
    ),
    *(
        Indicator(
            id=f"nfa_reassessed_{months}m",
            title=f"Assessments ending in no further action followed by a new assessment "
            f"within {months} months",
            framework_area=FrameworkArea.STAY_TOGETHER,
            topic="Access to support and getting help",
            definition=(
                f"Of the assessments ending in no further action (NFA) whose {months}-month "
                f"follow-up ended in the 12 months to the period end, the percentage where "
                f"the child had a new assessment within those {months} months."
            ),
            numerator=(
                f"Cohort assessments for which the same child has another assessment "
                f"(authorised or not) starting after the NFA assessment's authorisation date "
                f"t0 and on or before t0 + {months} months."
            ),
            denominator=(
                f"NFA assessments (as in 'Assessments ending in no further action') whose "
                f"authorisation date t0 plus {months} months falls in the period, so every "
                f"cohort member's follow-up is complete."
            ),
            unit=Unit.PERCENT,
            kind=Kind.PERIOD,
            look_back_months=months,
            source_tables=("assessment",),
            source_formats=_CIN_FORMATS,
            caveats=(
                "No published national definition exists: the DfE wants to test this measure "
                "on the restricted dashboard. The definition is this service's.",
                f"Needs the {months} months of assessments before the period: earlier "
                "periods show 'insufficient history'.",
                "NFA is inferred from the closure reason where the format does not record the "
                "outcome (see 'Assessments ending in no further action').",
            ),
            published=None,
            guidance=_guidance(),
            breakdowns=True,
        )
        for months in (6, 12)
    ),
    Indicator(
        id="cin_rate",
        title="Children in need per 10,000 children",
        framework_area=FrameworkArea.STAY_TOGETHER,
        topic="Access to support and getting help",
        definition=(
            "Children with an open child in need episode at the period end, per 10,000 "
            "children aged 0 to 17 in the local authority."
        ),
        numerator=(
            "Children with a referral (CIN episode) open at the period end: referral date on "
            "or before it and no closure date or one after it, excluding referrals that ended "
            "in no further action (as the published children in need figures do)."
        ),
        denominator="ONS mid-year population estimate, children aged 0 to 17.",
        unit=Unit.RATE_PER_10K,
        kind=Kind.SNAPSHOT,
        look_back_months=0,
        source_tables=("referral",),
        source_formats=_CIN_FORMATS,
        caveats=(
            _RATE_CAVEAT,
            "The published figure counts episodes open at 31 March; a child has at most one "
            "open episode in valid data, so children and episodes agree.",
        ),
        published=PublishedSeries(
            key="cin_rate",
            description="Children in need at 31 March (episodes) per 10,000 children aged "
            "0-17 (the published count divided by the ONS 0-17 population, previous mid-year).",
            comparable=True,
        ),
        guidance=_guidance(),
        breakdowns=False,
    ),
    Indicator(
        id="cla_rate",
        title="Children looked after per 10,000 children",
        framework_area=FrameworkArea.STAY_TOGETHER,
        topic="Family stability",
        definition=(
            "Children looked after at the period end, per 10,000 children aged 0 to 17 in the "
            "local authority."
        ),
        numerator=(
            "Children with a looked-after episode open at the period end (start on or before "
            "it, no end or an end after it), other than under a series of short-term breaks "
            "(legal status V3 or V4)."
        ),
        denominator="ONS mid-year population estimate, children aged 0 to 17.",
        unit=Unit.RATE_PER_10K,
        kind=Kind.SNAPSHOT,
        look_back_months=0,
        source_tables=("cla_episode",),
        source_formats=(*_CLA_FORMATS, Format.ANNEX_A, Format.DFE_API_JSON),
        caveats=(
            _RATE_CAVEAT,
            "Short-term breaks (legal status V3 or V4) are excluded, as published; the DfE API "
            "payload has no legal status, so from that source they are included.",
        ),
        published=PublishedSeries(
            key="cla_rate",
            description="Children looked after at 31 March per 10,000 children aged 0-17 "
            "(England 2025: 67).",
            comparable=True,
        ),
        guidance=_guidance(),
        breakdowns=False,
    ),
    Indicator(
        id="repeat_cpp_12m",
        title="Repeat child protection plans within 12 months",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "Of the child protection plans starting in the 12 months to the period end, the "
            "percentage for a child whose previous plan had ended no more than 12 months "
            "before."
        ),
        numerator=(
            "Plans starting in the period for which the same child had an earlier plan that "
            "ended on or before the new plan's start date and on or after that date minus 12 "
            "months. An earlier plan still open when the new one starts does not count."
        ),
        denominator="Child protection plans with a start date in the period.",
        unit=Unit.PERCENT,
        kind=Kind.PERIOD,
        look_back_months=12,
        source_tables=("cp_plan",),
        source_formats=_CIN_FORMATS,
        caveats=(
            "Not published by the DfE, which wants to test it on the restricted dashboard; "
            "the published measure counts a previous plan however long ago it ended.",
            "Needs the 12 months of plans before the period: earlier periods show "
            "'insufficient history'.",
            "A plan starting while an earlier one is still open is not a repeat; such "
            "overlaps are reported as validation queries.",
        ),
        published=PublishedSeries(
            key="repeat_cpp",
            description="Plans starting in the year to 31 March that were a second or "
            "subsequent plan, however long ago the previous one (England 2025: 24.5%). An "
            "anchor only: it is the 'ever' measure (see repeat_cpp_ever).",
            comparable=False,
        ),
        guidance=_guidance(_CPP_GUIDANCE),
        breakdowns=True,
    ),
    Indicator(
        id="repeat_cpp_ever",
        title="Child protection plans that were a second or subsequent plan",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "Of the child protection plans starting in the 12 months to the period end, the "
            "percentage for a child who had had a plan before, however long ago."
        ),
        numerator=(
            "Plans starting in the period with NumberOfPreviousCPP of 1 or more where the "
            "format supplies it (CIN census, Annex A List 7), else for which the extract holds "
            "an earlier plan for the same child."
        ),
        denominator="Child protection plans with a start date in the period.",
        unit=Unit.PERCENT,
        kind=Kind.PERIOD,
        look_back_months=0,
        source_tables=("cp_plan",),
        source_formats=_CIN_FORMATS,
        caveats=(
            "The DfE API payload has no NumberOfPreviousCPP: from it, 'ever' means 'since "
            "the extract begins', which understates the published measure. Each value says "
            "which source it used.",
        ),
        published=PublishedSeries(
            key="repeat_cpp",
            description="Plans starting in the year to 31 March that were a second or "
            "subsequent plan (England 2025: 15,130 of 61,840, 24.5%).",
            comparable=True,
        ),
        guidance=_guidance(_CPP_GUIDANCE),
        breakdowns=True,
    ),
    Indicator(
        id="cpp_open_2yrs",
        title="Child protection plans open for 2 years or more",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "Of the child protection plans open at the period end, the percentage that had "
            "been open for 2 years or more."
        ),
        numerator=(
            "Plans open at the period end E that started on or before E minus 24 months "
            "(calendar months, so a plan starting on 29 February 2024 counts from 1 March "
            "2026)."
        ),
        denominator=(
            "Child protection plans open at the period end: start on or before it and no end "
            "date or one after it."
        ),
        unit=Unit.PERCENT,
        kind=Kind.SNAPSHOT,
        look_back_months=0,
        source_tables=("cp_plan",),
        source_formats=_CIN_FORMATS,
        caveats=(
            "The published figure is suppressed for most local authorities because the "
            "numbers are small; LA users see their own figures unsuppressed.",
            "Uses calendar months (start on or before E minus 24 months), not the 730-day "
            "rule the DfE uses for plans ending in the year.",
        ),
        published=PublishedSeries(
            key="cpp_open_2yrs",
            description="Plans open at 31 March that had lasted 2 years or more, % of plans "
            "open (England 2025: 2.3%).",
            comparable=True,
        ),
        guidance=_guidance(
            _CPP_GUIDANCE
            + " The DfE notes that some children will need a plan for longer than 2 years."
        ),
        breakdowns=True,
    ),
    Indicator(
        id="cpp_rate",
        title="Children on a child protection plan per 10,000 children",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "Children on a child protection plan at the period end, per 10,000 children aged "
            "0 to 17 in the local authority."
        ),
        numerator="Children with a child protection plan open at the period end.",
        denominator="ONS mid-year population estimate, children aged 0 to 17.",
        unit=Unit.RATE_PER_10K,
        kind=Kind.SNAPSHOT,
        look_back_months=0,
        source_tables=("cp_plan",),
        source_formats=_CIN_FORMATS,
        caveats=(_RATE_CAVEAT,),
        published=PublishedSeries(
            key="cpp_rate",
            description="Child protection plans open at 31 March per 10,000 children aged "
            "0-17 (the published count divided by the ONS 0-17 population, previous mid-year).",
            comparable=True,
        ),
        guidance=_guidance(_CPP_GUIDANCE),
        breakdowns=False,
    ),
    Indicator(
        id="cla_missing_pct",
        title="Children looked after who went missing",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "Of the children looked after at any time in the 12 months to the period end, the "
            "percentage who had a missing episode in that time."
        ),
        numerator=(
            "Children looked after in the period with at least one missing (type M) episode "
            "overlapping it: start on or before the period end and no end or an end on or "
            "after the period start."
        ),
        denominator=(
            "Children looked after in the period: a looked-after episode starting on or "
            "before the period end and not ended before the period start."
        ),
        unit=Unit.PERCENT,
        kind=Kind.PERIOD,
        look_back_months=0,
        source_tables=("cla_episode", "missing_episode"),
        source_formats=_CLA_FORMATS,
        caveats=(_MISSING_RECORDING, _SHORT_BREAKS, _MISSING_SOURCES),
        published=PublishedSeries(
            key="cla_missing_pct",
            description="Percentage of children looked after during the year to 31 March who "
            "had a missing incident, whole per cent (England 2024: 11%).",
            comparable=True,
        ),
        guidance=_guidance(),
        breakdowns=True,
    ),
    Indicator(
        id="cla_away_pct",
        title="Children looked after who were away from placement without authorisation",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "Of the children looked after at any time in the 12 months to the period end, the "
            "percentage who were away from placement without authorisation in that time."
        ),
        numerator=(
            "Children looked after in the period with at least one away (type A) episode "
            "overlapping it."
        ),
        denominator="Children looked after in the period (as for the missing indicator).",
        unit=Unit.PERCENT,
        kind=Kind.PERIOD,
        look_back_months=0,
        source_tables=("cla_episode", "missing_episode"),
        source_formats=_CLA_FORMATS,
        caveats=(_MISSING_RECORDING, _SHORT_BREAKS, _MISSING_SOURCES),
        published=PublishedSeries(
            key="cla_away_pct",
            description="Percentage of children looked after during the year to 31 March who "
            "were away from placement without authorisation, whole per cent (England 2024: "
            "2%).",
            comparable=True,
        ),
        guidance=_guidance(),
        breakdowns=True,
    ),
    Indicator(
        id="missing_episodes_per_child",
        title="Missing episodes per child who went missing",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition=(
            "The average number of missing episodes in the 12 months to the period end per "
            "looked-after child who went missing in that time."
        ),
        numerator=(
            "Missing (type M) episodes overlapping the period of the children counted in the "
            "denominator."
        ),
        denominator=(
            "Children looked after in the period with at least one missing episode overlapping it."
        ),
        unit=Unit.RATIO,
        kind=Kind.PERIOD,
        look_back_months=0,
        source_tables=("cla_episode", "missing_episode"),
        source_formats=_CLA_FORMATS,
        caveats=(_MISSING_RECORDING, _SHORT_BREAKS, _MISSING_SOURCES),
        published=PublishedSeries(
            key="missing_episodes_per_child",
            description="Missing incidents during the year to 31 March per looked-after child "
            "who went missing (England 2024: 6.5).",
            comparable=True,
        ),
        guidance=_guidance(),
        breakdowns=True,
    ),
    Indicator(
        id="missing_at_period_end",
        title="Children looked after missing at the period end",
        framework_area=FrameworkArea.SAFE,
        topic="Child safety - general",
        definition="The number of looked-after children missing from placement at the period end.",
        numerator=(
            "Children looked after in the period with a missing (type M) episode open at the "
            "period end: started on or before it, no end or an end after it."
        ),
        denominator="None (a count).",
        unit=Unit.COUNT,
        kind=Kind.SNAPSHOT,
        look_back_months=0,
        source_tables=("cla_episode", "missing_episode"),
        source_formats=_CLA_FORMATS,
        caveats=(_MISSING_RECORDING, _SHORT_BREAKS, _MISSING_SOURCES),
        published=PublishedSeries(
            key="missing_at_period_end",
            description="Children looked after who were missing at 31 March (England 2024: 300).",
            comparable=True,
        ),
        guidance=_guidance(),
        breakdowns=True,
    ),
)

#: Every indicator by id, in display order.
REGISTRY: dict[str, Indicator] = {indicator.id: indicator for indicator in _INDICATORS}


def get(indicator_id: str) -> Indicator:
    """The indicator with this id (``KeyError`` when there is none)."""
    return REGISTRY[indicator_id]
