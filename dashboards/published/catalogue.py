"""What the public dashboard publishes: one declaration per indicator, in page order.

``INDICATORS`` holds one declarative ``IndicatorSpec`` per indicator: its metadata, the file it
comes from (a glob pattern, so next year's release of the same file, dropped in place of this
one, loads without code changes), the value column, the row filters, and the numerator and
denominator where the file publishes them. The loader (``loader``) reads the files these
declarations name; the query API (``queries``) reads what it stored. Also here, because both
need them: the codes the files use for England and for withheld figures, and
``reference_date``, which decides which LAs a period's figures can belong to.

Not every loaded indicator is public. ``IndicatorSpec.public`` is False for the four
missing-children measures: the DfE advises that missing-children figures are potentially
misleading on a public dashboard (recording differs between LAs), so they are loaded only as
comparators for the restricted dashboards. ``RESTRICTED_ONLY`` lists them; the query API
(``queries``) leaves them out of everything the public pages read.

The indicators follow the DfE dashboard (``dfe-analytical-services/CSC_outcomes_and_enablers``,
``R/read_data.R``); where a figure differs from it, its caveats say how and why.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dashboards.models import NeighbourAggregation, PeriodType, SuppressionCode, Unit

NATIONAL_CODE = "E92000001"
SUPPRESSION_CODES = frozenset(SuppressionCode.values)
#: What each suppression code means, for the explanation pages show beside a code.
SUPPRESSION_EXPLANATIONS: dict[str, str] = {code.value: code.label for code in SuppressionCode}


class SourceFormat(StrEnum):
    """The layouts of the source files."""

    EES = "ees"  # Explore Education Statistics tidy CSV (one row per geography and period)
    FINGERTIPS = "fingertips"  # OHID Fingertips indicator export CSV
    LAIT = "lait"  # DfE Local Authority Interactive Tool long parquet
    REVENUE_OUTTURN = "revenue_outturn"  # MHCLG revenue outturn "data by LA" .ods (RSX, RO3)
    OFSTED_INSPECTIONS = "ofsted_inspections"  # Ofsted LA inspection outcomes .ods


class Compute(StrEnum):
    """How the stored value is derived from ``value_column``."""

    PUBLISHED = "published"  # the column's value as published
    RATE_PER_10K = "rate_per_10k"  # the column is a count: count / population 0-17 x 10,000
    PER_CHILD = "per_child"  # the column is a total: total / population 0-17
    SHARE = "share"  # the column is part of ``denominator_column``: part / total x 100
    SHARE_OF_REST = "share_of_rest"  # (``denominator_column`` - the column) / total x 100
    YEARS_MONTHS = "years_months"  # the column is a "YY:MM" duration: 12 x YY + MM months


@dataclass(frozen=True)
class Source:
    """A source file: ``pattern`` is a glob in the data directory that must match one file.

    ``released`` is the date its publisher released the copy shipped in ``published_data/``
    (``PROVENANCE.md``): every page says when the figures it shows were published. Update it
    with the file.
    """

    pattern: str
    format: SourceFormat
    publication: str
    url: str
    period_type: PeriodType = PeriodType.FINANCIAL_YEAR
    released: datetime.date | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    """Everything the loader and the pages need to know about one indicator.

    ``filters`` select the indicator's rows in a long file (column: value). ``numerator_column``
    and ``denominator_column`` are read from the same row; with ``denominator_filters`` the
    denominator is instead ``numerator_column`` of the row of the same geography and period that
    matches those filters (the "Total" row of a breakdown). With ``Compute.RATE_PER_10K`` (and
    ``PER_CHILD``) the count in ``value_column`` is the numerator and the population the
    denominator. With ``Compute.SHARE`` the value is ``value_column`` as a percentage of
    ``denominator_column``; with ``SHARE_OF_REST`` it is the rest of that total (the total less
    ``value_column``) as a percentage of it, and the rest is stored as the numerator.

    ``public`` False: loaded, but shown only on the restricted dashboards (as a comparator of
    a timely indicator), never on a public page (``RESTRICTED_ONLY``).

    ``guidance`` is how to read the figure, in plain English, from the DfE dashboard's
    supporting information and the ADCS response to its consultation: what a higher or lower
    figure can and cannot mean. ``caveats`` are about the data (coverage, breaks, sources).
    """

    key: str
    title: str
    group: str
    heading: str
    unit: Unit
    decimals: int
    definition: str
    source: Source
    value_column: str
    filters: Mapping[str, str] = field(default_factory=dict)
    numerator_column: str | None = None
    denominator_column: str | None = None
    denominator_filters: Mapping[str, str] | None = None
    compute: Compute = Compute.PUBLISHED
    caveats: tuple[str, ...] = ()
    guidance: tuple[str, ...] = ()
    sn_aggregation: NeighbourAggregation = NeighbourAggregation.MEDIAN
    dfe_sort_order: int | None = None
    national_only: bool = False
    public: bool = True


OUTCOME_1 = "Outcome 1: Children, young people and families stay together"
OUTCOME_2 = "Outcome 2: Children and young people are safe in and outside of their home"
OUTCOME_3 = "Outcome 3: Children and young people are supported by their family network"
OUTCOME_4 = "Outcome 4: Children in care and care leavers have stable, loving homes"
ENABLER_MULTI_AGENCY = "Enabler: Multi-agency working is prioritised and effective"
ENABLER_LEADERS = "Enabler: Leaders drive conditions for effective practice"
ENABLER_WORKFORCE = "Enabler: The workforce is equipped and effective"
#: What the public pages say about a theme of the DfE dashboard beyond its indicators: the
#: enabler that has none yet, and the indicator no shipped file can supply.
GROUP_NOTES: dict[str, str] = {
    ENABLER_MULTI_AGENCY: "Indicators for this enabler are in development: the Department for "
    "Education is working with the sector and other experts to develop them, and its own "
    "dashboard shows none yet.",
    ENABLER_WORKFORCE: "The Department for Education's dashboard also shows the percentage of "
    "social workers from ethnic minority backgrounds. It is not shown here: its source file "
    "(children's social work workforce by role and characteristics) is not among the files "
    "this service has.",
}

_EES = "https://explore-education-statistics.service.gov.uk/find-statistics/"
# When each shipped file's publication was released (the DfE dashboard's data sources page,
# R/data_sources.R at 2f5d11a4; the 2024 Children looked after release at 13299308; LAIT's
# file at its commit 2e30e395).
_CIN_RELEASED = datetime.date(2025, 10, 30)
_CLA_RELEASED = datetime.date(2025, 11, 26)
_CLA_2024_RELEASED = datetime.date(2024, 11, 14)
_STABILITY_RELEASED = datetime.date(2026, 1, 21)
_OUTCOMES_RELEASED = datetime.date(2026, 4, 2)
_CIN = "Department for Education, Children in need (Explore Education Statistics)"
_CIN_URL = _EES + "characteristics-of-children-in-need"
_CLA = (
    "Department for Education, Children looked after in England including adoptions "
    "(Explore Education Statistics)"
)
_CLA_URL = _EES + "children-looked-after-in-england-including-adoptions"
_OUTCOMES = (
    "Department for Education, Outcomes for children in need, including children looked after "
    "by local authorities in England (Explore Education Statistics)"
)
_OUTCOMES_URL = (
    _EES + "outcomes-for-children-in-need-including-children-looked-after-by-local-authorities-"
    "in-england"
)
_LAIT = (
    "Department for Education, Local Authority Interactive Tool (LAIT), from Children looked "
    "after in England"
)
_LAIT_URL = "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait"

B1 = Source(
    "b1_children_in_need_2013_to_*.csv", SourceFormat.EES, _CIN, _CIN_URL, released=_CIN_RELEASED
)
C1 = Source(
    "c1_children_in_need_referrals_and_rereferrals_2013_to_*.csv",
    SourceFormat.EES,
    _CIN,
    _CIN_URL,
    released=_CIN_RELEASED,
)
C3 = Source(
    "c3_factors_identified_at_end_of_assessment_2018_to_*.csv",
    SourceFormat.EES,
    _CIN,
    _CIN_URL,
    released=_CIN_RELEASED,
)
D3 = Source(
    "d3_cpps_subsequent_plan_2013_to_*.csv",
    SourceFormat.EES,
    _CIN,
    _CIN_URL,
    released=_CIN_RELEASED,
)
D5 = Source(
    "d5_cpps_at31march_by_duration_2013_to_*.csv",
    SourceFormat.EES,
    _CIN,
    _CIN_URL,
    released=_CIN_RELEASED,
)
CLA_RATES = Source(
    "cla_number_and_rate_per_10k_children.csv",
    SourceFormat.EES,
    _CLA,
    _CLA_URL,
    released=_CLA_RELEASED,
)
MISSING_FROM_CARE = Source(
    "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv",
    SourceFormat.EES,
    _CLA,
    _CLA_URL,
    released=_CLA_2024_RELEASED,
)
PLACEMENT_STABILITY = Source(
    "la_cla_placement_stability.csv", SourceFormat.EES, _CLA, _CLA_URL, released=_CLA_RELEASED
)
SCHOOL_MOVES = Source(
    "la_cla_school_moves.csv",
    SourceFormat.EES,
    "Department for Education, Stability measures for children looked after in England "
    "(Explore Education Statistics)",
    _CLA_URL,
    released=_STABILITY_RELEASED,
)
SOCIAL_WORKER_COUNT = Source(
    "la_cla_swcount.csv",
    SourceFormat.EES,
    SCHOOL_MOVES.publication,
    _CLA_URL,
    released=_STABILITY_RELEASED,
)
HEALTH = Source(
    "la_conviction_health_outcome_cla.csv", SourceFormat.EES, _CLA, _CLA_URL, released=_CLA_RELEASED
)
CARE_LEAVER_ACTIVITY = Source(
    "la_care_leavers_activity.csv", SourceFormat.EES, _CLA, _CLA_URL, released=_CLA_RELEASED
)
CARE_LEAVER_ACCOMMODATION = Source(
    "la_care_leavers_accommodation_suitability.csv",
    SourceFormat.EES,
    _CLA,
    _CLA_URL,
    released=_CLA_RELEASED,
)
ADOPTION = Source(
    "national_cla_adopted_average_time_between_adoption_process_stages.csv",
    SourceFormat.EES,
    _CLA,
    _CLA_URL,
    released=_CLA_RELEASED,
)
ABSENCE = Source(
    "absence_la.csv",
    SourceFormat.EES,
    _OUTCOMES,
    _OUTCOMES_URL,
    PeriodType.ACADEMIC_YEAR,
    _OUTCOMES_RELEASED,
)
KS2 = Source(
    "ks2_la.csv",
    SourceFormat.EES,
    _OUTCOMES,
    _OUTCOMES_URL,
    PeriodType.ACADEMIC_YEAR,
    _OUTCOMES_RELEASED,
)
KS4 = Source(
    "ks4_la.csv",
    SourceFormat.EES,
    _OUTCOMES,
    _OUTCOMES_URL,
    PeriodType.ACADEMIC_YEAR,
    _OUTCOMES_RELEASED,
)
WORKFORCE = Source(
    "csww_indicators_2017_to_*.csv",
    SourceFormat.EES,
    "Department for Education, Children's social work workforce (Explore Education Statistics)",
    _EES + "children-s-social-work-workforce",
    PeriodType.REPORTING_YEAR,
    datetime.date(2026, 3, 19),
)
HOSPITAL = Source(
    "region_hospital_admissions_*.csv",
    SourceFormat.FINGERTIPS,
    "Office for Health Improvement and Disparities (OHID), Fingertips, indicator 90284 (Child "
    "and Maternal Health profile)",
    "https://fingertips.phe.org.uk/search/90284",
    released=datetime.date(2025, 2, 4),
)
LAIT = Source(
    "bds_long_*.parquet",
    SourceFormat.LAIT,
    _LAIT,
    _LAIT_URL,
    released=datetime.date(2026, 4, 8),
)
_OUTTURN = (
    "Ministry of Housing, Communities and Local Government (MHCLG), Local authority revenue "
    "expenditure and financing England: individual local authority data, outturn"
)
_OUTTURN_URL = (
    "https://www.gov.uk/government/statistics/local-authority-revenue-expenditure-and-financing-"
    "england-2024-to-2025-individual-local-authority-data-outturn"
)
SPENDING_SUMMARY = Source(
    "RSX_LA_Data_*_data_by_LA.ods",
    SourceFormat.REVENUE_OUTTURN,
    _OUTTURN + " (RSX: revenue expenditure by service)",
    _OUTTURN_URL,
    released=datetime.date(2025, 12, 4),
)
SOCIAL_CARE_SPENDING = Source(
    "RO3_LA_Data_*_data_by_LA.ods",
    SourceFormat.REVENUE_OUTTURN,
    _OUTTURN + " (RO3: social care expenditure)",
    _OUTTURN_URL,
    released=datetime.date(2025, 12, 4),
)
OFSTED_INSPECTIONS = Source(
    "LA_Inspection_Outcomes_as_at_*.ods",
    SourceFormat.OFSTED_INSPECTIONS,
    "Ofsted, Local authority inspection outcomes (official statistics)",
    "https://www.gov.uk/government/statistics/local-authority-inspection-outcomes-as-at-31-march-2025",
    # The DfE dashboard's data sources page: Ofsted's "Children's social care data in England
    # 2025", which publishes the file.
    released=datetime.date(2025, 9, 25),
)
#: Ofsted's four grades, best first, as the inspection outcomes file writes them.
OFSTED_GRADES = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")

_SOCIAL_CARE_GROUPS = (
    # (key suffix, EES social_care_group, who)
    ("cino", "CINO at 31 March", "children in need at 31 March (not on a child protection "
     "plan or looked after)"),
    ("cppo", "CPPO at 31 March", "children on a child protection plan at 31 March (not looked "
     "after)"),
    ("cla", "CLA 12 months at 31 March", "children looked after continuously for 12 months at "
     "31 March"),
)  # fmt: skip
_ASSESSMENT_FACTORS = (
    # (EES column, what was recorded, in plain words, heading)
    ("Domestic_Abuse_child", "domestic abuse (the child as the subject)", "Child abuse / neglect"),
    ("Domestic_Abuse_parent", "domestic abuse (a parent or carer as the subject)",
     "Child abuse / neglect"),
    ("Domestic_Abuse_person", "domestic abuse (another person in the household as the subject)",
     "Child abuse / neglect"),
    ("Emotional_Abuse", "emotional abuse", "Child abuse / neglect"),
    ("Faith_linked_abuse", "abuse linked to faith or belief", "Child abuse / neglect"),
    ("Neglect", "neglect", "Child abuse / neglect"),
    ("Physical_Abuse_adult_on_child", "physical abuse of the child by an adult",
     "Child abuse / neglect"),
    ("Physical_Abuse_child_on_child", "physical abuse of the child by another child",
     "Child abuse / neglect"),
    ("Physical_Abuse_unknown", "physical abuse (by someone not recorded)",
     "Child abuse / neglect"),
    ("Sexual_Abuse_adult_on_child", "sexual abuse of the child by an adult",
     "Child abuse / neglect"),
    ("Sexual_Abuse_child_on_child", "sexual abuse of the child by another child",
     "Child abuse / neglect"),
    ("Sexual_Abuse_unknown", "sexual abuse (by someone not recorded)", "Child abuse / neglect"),
    ("Child_criminal_exploitation", "child criminal exploitation", "Harms outside the home"),
    ("Child_sexual_exploitation", "child sexual exploitation", "Harms outside the home"),
    ("Gangs", "concerns about gangs", "Harms outside the home"),
    ("Going_missing", "going missing", "Harms outside the home"),
    ("Trafficking", "trafficking", "Harms outside the home"),
)  # fmt: skip

_POPULATION_NOTE = (
    "Computed as the Department for Education's dashboard does: the count divided by the Office "
    "for National Statistics (ONS) mid-year estimate of children aged 0 to 17 for the year "
    "before the period end (mid-2024 for the year to 31 March 2025), times 10,000. Shown to the "
    "nearest whole number, as on the Department for Education's dashboard."
)
_COVID_ACADEMIC = (
    "No figures for 2019/20 (and, for key stage 2, 2020/21): exams and attendance collection "
    "were disrupted by COVID-19, and the files publish these years as 'x'."
)
_CARE_LEAVER_NOTE = (
    "Care leavers are young people who were looked after for at least 13 weeks after their "
    "14th birthday, including some time after their 16th; the figure is about their situation "
    "around their birthday in the year."
)
_MISSING_NOTE = (
    "Recording of 'missing' and 'away from placement without authorisation' differs between "
    "local authorities: many record every incident as missing. The Department for Education "
    "advises that these figures are potentially misleading on a public dashboard, so they are "
    "shown only on the restricted dashboards; compare local authorities with care."
)
_JOINT_RETURN_NOTE = (
    "Kingston upon Thames and Richmond upon Thames (and, from 2021, North and West "
    "Northamptonshire) make one joint workforce return: the same figure is shown for both and "
    "left out of statistical-neighbour medians."
)
_LAIT_NOTE = (
    "Taken from the Department for Education's Local Authority Interactive Tool, which "
    "republishes the Children looked after figures: the file the Department for Education's "
    "dashboard reads (la_cla_on_31_march_by_characteristics) is not among the files this "
    "service ships. LAIT marks every withheld figure '-'."
)

# How to read each figure (``IndicatorSpec.guidance``), from the DfE dashboard's supporting
# information (October 2024) and per-indicator text (CSC_outcomes_and_enablers R/*_page.R,
# R/additional_info_code.R), and the ADCS response to the National Framework and dashboard
# consultation (May 2023). Every page adds the shared paragraph on what any indicator can and
# cannot tell you (dashboards/indicator.html).
_POVERTY = (
    "Children's social care involvement is closely linked to poverty and deprivation, so "
    "compare with places like this one and read the figure beside the local context."
)
_SMALL_GROUPS = (
    "The groups are small in many local authorities, so many figures are withheld and a "
    "figure can change a lot from one year to the next by chance."
)
_ABSENCE_GUIDANCE = (
    "Going to school is a key part of children's development and wellbeing. Children in need "
    "can face barriers to attending, and children's social care has a part in helping to "
    "overcome them.",
    "Children with special educational needs and disabilities are counted as children in need "
    "and can have health needs that affect their attendance. Who is a child in need changes "
    "through the year, and school records can lag by up to two terms.",
    _SMALL_GROUPS,
)
_ATTAINMENT_GUIDANCE = (
    "Educational attainment matters for children's long-term outcomes, and children should be "
    "supported to make progress in education. Virtual school heads have a duty to promote the "
    "attainment of the children their local authority looks after.",
    "How long a child has been in care matters: research shows that the stability of care "
    "improves educational outcomes over time, compared with children in need who are not in "
    "care. A group's figure also depends on how many of its pupils have special educational "
    "needs.",
    _SMALL_GROUPS,
)
_CARE_ENTRY_GUIDANCE = (
    "A low rate of children in care is not a goal in itself, and a high rate does not mean poor "
    "practice: what matters is that the right children are in care, at the right time, in the "
    "right homes.",
    _POVERTY,
)
_UASC_GUIDANCE = (
    "Unaccompanied asylum-seeking children have applied for asylum in their own right and are "
    "separated from their parents and from any other adult responsible for them. Local "
    "authorities have a legal duty to look after them.",
    "The figure is given for context, not as a measure of practice. It is higher in some local "
    "authorities, such as those with a port of entry; since 2016 the National Transfer Scheme "
    "moves children between local authorities to share the responsibility more evenly.",
)
_CPP_GUIDANCE = (
    "A child protection plan is made when a child protection conference finds a child at risk "
    "of significant harm. The Department for Education includes plans that last a long time, "
    "or that are repeated, because they can mean a family did not get the help it needed to "
    "address its difficulties.",
)
_FACTOR_GUIDANCE = (
    "Factors are what the social worker records as relevant at the end of an assessment, and "
    "most children have more than one. Not every assessment has factors recorded, and "
    "recording differs between local authorities: the Department for Education advises that "
    "the figure does not show how common a kind of abuse, neglect or harm is in an area.",
    "A higher rate can mean that concerns are recognised and recorded more often, as well as "
    "more need.",
)
_FAMILY_ORDER_GUIDANCE = (
    "Leaving care to live permanently with people the child knows, often relatives, under a "
    "court order shows that a home within the family network is being prioritised.",
    "The percentage depends on why children in the area leave care: returning home, adoption "
    "and turning 18 are counted in the total too, so a change in any of them changes this "
    "figure.",
)
_PLACEMENT_TYPE_GUIDANCE = (
    "The types add up, with others (living with parents, placed for adoption, and more), to "
    "every child looked after: a change in one changes the others. The right home depends on "
    "each child's needs.",
)
_CARE_LEAVER_GUIDANCE = (
    "Young people the local authority is not in touch with are counted in the total, so the "
    "figure reflects how well it keeps in touch as well as the young people's situations.",
)
_SPENDING_GUIDANCE = (
    "Spending is context: it shows how the local authority prioritises its resources. More "
    "spending is not in itself better, and the figure says nothing on its own about the "
    "quality of services.",
    "Children's services are paid for from many sources (government grants, council tax and "
    "partners' contributions), and local authorities draw the line around children's services "
    "spending in different ways: the Association of Directors of Children's Services warns that "
    "the spending returns vary and are not always reliable, so compare with care. The local "
    "financial context, after more than a decade of tight budgets, matters too.",
)
_OFSTED_GUIDANCE = (
    "Ofsted's judgement of the impact of leaders summarises the inspectors' view of the "
    "culture and practice of leadership at the local authority's latest inspection, which may "
    "have been several years ago. It is a judgement, not a figure computed from data, and it is "
    "not Ofsted's overall effectiveness judgement.",
    "A count of local authorities says how ratings are spread across an area, not how well "
    "any one local authority is doing now.",
)
_WORKFORCE_GUIDANCE = (
    "Full-time equivalent counts staff by their hours: two social workers working half time "
    "count as one. Local authorities' human resources systems record and report the workforce "
    "differently, which affects comparisons, and the workforce figures do not measure the "
    "quality of practice.",
)

_LAIT_CEASED_NOTE = (
    "Taken from the Department for Education's Local Authority Interactive Tool (LAIT), which "
    "republishes the Children looked after figures: the 2025 release of the file the Department "
    "for Education's dashboard reads (la_children_who_ceased_during_the_year) is not among the "
    "files this service ships, and LAIT holds its figures, 2020 to 2025, with 2024 as revised "
    "in that release. LAIT marks every withheld figure '-'."
)


def _absence_specs() -> list[IndicatorSpec]:
    measures = (
        # (key, column, numerator, denominator, title, definition)
        ("absence_overall", "pt_overall", "t_sess_overall", "t_sess_possible",
         "Overall absence of {who}",
         "Sessions missed for any reason (authorised or unauthorised) as a percentage of "
         "possible sessions, over the six half terms of the academic year, for {who}."),
        ("persistent_absence", "pt_pupils_pa_10_exact", "t_pupils_pa_10_exact", "t_pupils",
         "Persistent absence (missing 10% or more of sessions) of {who}",
         "Pupils who missed 10% or more of their possible sessions, as a percentage of pupils, "
         "for {who}."),
        ("severe_absence", "pt_pupils_pa_50_exact", "t_pupils_pa_50_exact", "t_pupils",
         "Severe absence (missing 50% or more of sessions) of {who}",
         "Pupils who missed 50% or more of their possible sessions, as a percentage of pupils, "
         "for {who}."),
    )  # fmt: skip
    specs = []
    for first_row, (key, column, numerator, denominator, title, definition) in zip(
        (8, 11, 14), measures, strict=True
    ):
        for row, (suffix, group, who) in enumerate(_SOCIAL_CARE_GROUPS, start=first_row):
            specs.append(
                IndicatorSpec(
                    key=f"{key}_{suffix}",
                    title=title.format(who=who),
                    group=OUTCOME_1,
                    heading="Child wellbeing and development",
                    unit=Unit.PERCENT,
                    decimals=1,
                    definition=definition.format(who=who)
                    + " State-funded primary, secondary and special schools and alternative "
                    "provision.",
                    source=ABSENCE,
                    value_column=column,
                    filters={"social_care_group": group, "phase_type_grouping": "Total"},
                    numerator_column=numerator,
                    denominator_column=denominator,
                    caveats=(_COVID_ACADEMIC,),
                    guidance=_ABSENCE_GUIDANCE,
                    dfe_sort_order=row,
                )
            )
    return specs


def _attainment_specs() -> list[IndicatorSpec]:
    specs = []
    for row, (suffix, group, who) in enumerate(_SOCIAL_CARE_GROUPS, start=17):
        specs.append(
            IndicatorSpec(
                key=f"ks2_rwm_{suffix}",
                title=f"Percentage of {who} reaching the expected standard in reading, writing "
                "and mathematics at the end of primary school (key stage 2)",
                group=OUTCOME_1,
                heading="Educational attainment",
                unit=Unit.PERCENT,
                decimals=0,
                definition="Pupils at the end of key stage 2 who reached the expected standard "
                f"in reading, writing and mathematics combined, as a percentage of eligible "
                f"pupils, for {who}.",
                source=KS2,
                value_column="pt_rwm_met_expected_standard",
                filters={"social_care_group": group},
                numerator_column="t_rwm_met_expected_standard",
                denominator_column="t_rwm_eligible_pupils",
                caveats=(_COVID_ACADEMIC,),
                guidance=_ATTAINMENT_GUIDANCE,
                dfe_sort_order=row,
            )
        )
    for row, (suffix, group, who) in enumerate(_SOCIAL_CARE_GROUPS, start=20):
        specs.append(
            IndicatorSpec(
                key=f"ks4_att8_{suffix}",
                title="Average Attainment 8 score at the end of secondary school (key stage 4) "
                f"of {who}",
                group=OUTCOME_1,
                heading="Educational attainment",
                unit=Unit.SCORE,
                decimals=1,
                definition="Average Attainment 8 score (the pupil's points across eight "
                f"qualifications, English and maths double weighted) at the end of key stage 4, "
                f"for {who}.",
                source=KS4,
                value_column="avg_att8",
                filters={"social_care_group": group},
                numerator_column="t_att8",
                denominator_column="t_pupils",
                caveats=(
                    "Grades in 2019/20 and 2020/21 were centre or teacher assessed, so "
                    "attainment in those years is not comparable with other years.",
                ),
                guidance=_ATTAINMENT_GUIDANCE,
                dfe_sort_order=row,
            )
        )
    return specs


def _assessment_factor_specs() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            key="af_" + column.lower(),
            title=f"Rate of assessments recording {label} as a factor, per 10,000 children",
            group=OUTCOME_2,
            heading=heading,
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition=f"Episodes of need with {label} recorded as a factor at the end of a "
            "children's social care assessment in the year to 31 March, per 10,000 children "
            "aged 0 to 17.",
            source=C3,
            value_column=column,
            compute=Compute.RATE_PER_10K,
            caveats=(
                _POPULATION_NOTE,
                "An assessment can record several factors; a factor can be recorded for more "
                "than one assessment of the same child.",
            ),
            guidance=_FACTOR_GUIDANCE,
            dfe_sort_order=row,
        )
        for row, (column, label, heading) in enumerate(_ASSESSMENT_FACTORS, start=26)
    ]


def _care_leaver_specs() -> list[IndicatorSpec]:
    measures = (
        # (first DfE row, key, source, breakdown, total breakdown, title, what, guidance)
        (52, "care_leavers_eet", CARE_LEAVER_ACTIVITY,
         "Total in education, employment or training", "Total",
         "Care leavers in education, employment or training ({age})",
         "in education, employment or training",
         ("Care leavers should be supported into education, employment or training that "
          "helps them reach their own goals. This is one of the few indicators about "
          "outcomes for young people rather than about services.",
          "Many care leavers came to England as unaccompanied asylum-seeking children. Until "
          "their immigration status is decided, and while they have no recourse to public "
          "funds, they often cannot legally work or study, so local authorities that looked "
          "after more of them can have lower figures for reasons outside their control.",
          *_CARE_LEAVER_GUIDANCE)),
        (54, "care_leavers_suitable_accommodation", CARE_LEAVER_ACCOMMODATION,
         "Accommodation considered suitable", "Suitability total",
         "Care leavers in accommodation considered suitable ({age})",
         "whose accommodation was considered suitable",
         ("Whether accommodation is suitable is the local authority's judgement of whether it "
          "meets the young person's needs; it is not the young person's own view of their "
          "home.",
          *_CARE_LEAVER_GUIDANCE)),
    )  # fmt: skip
    return [
        IndicatorSpec(
            key=f"{key}_{age[:2]}_{age[6:8]}",
            title=title.format(age=age),
            group=OUTCOME_4,
            heading="Quality of life for care experienced people",
            unit=Unit.PERCENT,
            decimals=0,
            definition=f"Care leavers aged {age.removesuffix(' years')} {what}, as a percentage "
            "of all care leavers of that age.",
            source=source,
            value_column="care_leaver_percent",
            filters={"care_leaver_age": age, "breakdown": breakdown},
            numerator_column="care_leaver_count",
            denominator_filters={"care_leaver_age": age, "breakdown": total},
            caveats=(_CARE_LEAVER_NOTE,),
            guidance=guidance,
            dfe_sort_order=row,
        )
        for first_row, key, source, breakdown, total, title, what, guidance in measures
        for row, age in enumerate(("17 to 18 years", "19 to 21 years"), start=first_row)
    ]


def _missing_specs() -> list[IndicatorSpec]:
    """The four missing-children measures: restricted dashboards only (``public=False``)."""
    measures = (
        # (key, CLA_group, title, unit, decimals, aggregation, definition)
        ("cla_missing_pct", "Percentage of children who had a missing incident during the year",
         "% of children looked after who went missing during the year", Unit.PERCENT, 0,
         NeighbourAggregation.MEDIAN,
         "Children looked after during the year to 31 March who had at least one missing "
         "incident, as a percentage of children looked after during the year."),
        ("cla_away_pct",
         "Percentage of children who were away from placement without authorisation during "
         "the year",
         "% of children looked after who were away from placement without authorisation "
         "during the year", Unit.PERCENT, 0, NeighbourAggregation.MEDIAN,
         "Children looked after during the year to 31 March who were away from their placement "
         "without authorisation at least once, as a percentage of children looked after "
         "during the year."),
        ("missing_episodes_per_child",
         "Average number of missing incidents per looked after child who went missing",
         "Missing incidents per looked-after child who went missing", Unit.RATIO, 1,
         NeighbourAggregation.MEDIAN,
         "Missing incidents during the year to 31 March divided by the number of children "
         "looked after who went missing."),
        ("missing_at_period_end", "Children missing at 31 March",
         "Children looked after who were missing on 31 March", Unit.COUNT, 0,
         NeighbourAggregation.SUM,
         "The number of children looked after who were missing from their placement on 31 "
         "March."),
    )  # fmt: skip
    return [
        IndicatorSpec(
            key=key,
            title=title,
            group=OUTCOME_2,
            heading="Child safety - general",
            unit=unit,
            decimals=decimals,
            definition=definition,
            source=MISSING_FROM_CARE,
            value_column="number",
            filters={"CLA_group": group},
            caveats=(_MISSING_NOTE,),
            sn_aggregation=aggregation,
            public=False,
        )
        for key, group, title, unit, decimals, aggregation, definition in measures
    ]


def _placement_type_specs() -> list[IndicatorSpec]:
    types = (
        # (DfE row, key, LAIT measure, title, what, guidance)
        (48, "placement_foster", "LAC_Foster_Placements",
         "Percentage of children looked after on 31 March living in foster care",
         "in foster placements",
         "Where it is right for the child, the Department for Education's aim is for children "
         "in care to live with foster carers."),
        (49, "placement_secure_childrens_homes", "LAC_SecHome_And_ChildHome",
         "Percentage of children looked after on 31 March living in secure children's homes "
         "and children's homes",
         "in secure children's homes or children's homes",
         "Residential care is not bad in itself: children's homes have an important role, and "
         "for some children they are the right home. A child lives in a secure children's "
         "home when a court has decided it, to keep them or others safe or through the youth "
         "justice system."),
        (50, "placement_independent_supported", "LAC_Ind_SInd_Liv_Arr",
         "Percentage of children looked after on 31 March living in independent or "
         "semi-independent living arrangements or supported accommodation",
         "in independent and semi-independent living arrangements or supported accommodation",
         "Supported accommodation is for young people aged 16 and 17 getting ready to live "
         "independently, so the figure depends on how many older children, including "
         "unaccompanied asylum-seeking children, the local authority looks after."),
    )  # fmt: skip
    return [
        IndicatorSpec(
            key=key,
            title=title,
            group=OUTCOME_4,
            heading="Stability and quality of where a child lives",
            unit=Unit.PERCENT,
            decimals=0,
            definition=f"Children looked after on 31 March who were placed {what}, as a "
            "percentage of all children looked after on 31 March.",
            source=LAIT,
            value_column="Values",
            filters={"Short Desc": measure},
            caveats=(_LAIT_NOTE,)
            + (
                (
                    "Former independent and semi-independent placements had to register with "
                    "Ofsted as supported accommodation from 28 October 2023; the Department for "
                    "Education asks for caution with the 2024 figures.",
                )
                if key == "placement_independent_supported"
                else ()
            ),
            guidance=(guidance, *_PLACEMENT_TYPE_GUIDANCE),
            dfe_sort_order=row,
        )
        for row, key, measure, title, what, guidance in types
    ]


_CHILDRENS_SOCIAL_CARE = "Children Social Care - Total Expenditure (C3 = C1 + C2)"
_SPENDING_NOTES = (
    "Revenue outturn for the financial year, as local authorities reported it to MHCLG. "
    "Authorities whose return was not received in time for publication (for 2024-25 "
    "Birmingham, Cumberland and Slough) have no figure: 'x', not available.",
    "Computed as the Department for Education's dashboard does: a region's figure adds up the "
    "spending of its local authorities that have a figure; England's is the file's England "
    "total, which includes MHCLG's estimates for the missing returns and also counts district "
    "councils and other authorities (police, fire, transport and others) that do not provide "
    "children's services.",
)


def _leadership_specs() -> list[IndicatorSpec]:
    """The "Leaders drive conditions" enabler: spending (RSX, RO3) and Ofsted leadership."""
    spending = [
        IndicatorSpec(
            key="spend_share_childrens_services",
            title="Share of total local authority spend on children's services",
            group=ENABLER_LEADERS,
            heading="Spending",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Spending on children's social care as a percentage of the local "
            "authority's total spending on services, in the financial year (revenue "
            "outturn, total expenditure).",
            source=SPENDING_SUMMARY,
            value_column=_CHILDRENS_SOCIAL_CARE,
            denominator_column="Total Service Expenditure - Total Expenditure (C3 = C1 + C2)",
            compute=Compute.SHARE,
            caveats=_SPENDING_NOTES,
            guidance=_SPENDING_GUIDANCE,
            dfe_sort_order=56,
        ),
        IndicatorSpec(
            key="spend_per_child",
            title="Average spend on children's services per child in the local authority",
            group=ENABLER_LEADERS,
            heading="Spending",
            unit=Unit.CURRENCY,
            decimals=0,
            definition="Spending on children's social care in the financial year divided by "
            "the number of children aged 0 to 17 living in the local authority (every child, "
            "not only those the service supports), in pounds.",
            source=SPENDING_SUMMARY,
            value_column=_CHILDRENS_SOCIAL_CARE,
            compute=Compute.PER_CHILD,
            caveats=(
                *_SPENDING_NOTES,
                "Divided by the Office for National Statistics (ONS) mid-2024 estimate of "
                "children aged 0 to 17, as the "
                "Department for Education's dashboard does (for the year to 31 March 2025). As "
                "there, a region's children include those of its authorities without a "
                "spending figure, so that region's figure is lower than the spend per child of "
                "the authorities that reported. Shown to the nearest pound.",
            ),
            guidance=_SPENDING_GUIDANCE,
            dfe_sort_order=57,
        ),
        IndicatorSpec(
            key="spend_share_not_cla",
            title="Share of children's services spend not on children looked after",
            group=ENABLER_LEADERS,
            heading="Spending",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Spending on children's social care other than on children looked "
            "after (on early help, family support, safeguarding and other services), as a "
            "percentage of all spending on children's social care, in the financial year.",
            source=SOCIAL_CARE_SPENDING,
            value_column="Children's social care - Children Looked After - Total Expenditure "
            "(C3 = C1 + C2)",
            denominator_column="TOTAL CHILDREN SOCIAL CARE - Total Expenditure (C3 = C1 + C2)",
            compute=Compute.SHARE_OF_REST,
            caveats=_SPENDING_NOTES,
            guidance=(
                "Spending other than on children in care includes help for families before "
                "problems grow: the Department for Education includes it to show the balance "
                "between helping families early and later statutory intervention.",
                *_SPENDING_GUIDANCE,
            ),
            dfe_sort_order=58,
        ),
    ]
    ofsted = [
        IndicatorSpec(
            key="ofsted_leadership_" + grade.split()[0].lower(),
            title=f"Number of local authorities with an Ofsted leadership rating of {grade}",
            group=ENABLER_LEADERS,
            heading="Culture focused on outcomes from children and families and continually "
            "improving services",
            unit=Unit.COUNT,
            decimals=0,
            definition="Local authorities whose latest Ofsted inspection of children's "
            "services, as at 31 March, judged the impact of leaders on social work practice "
            f"with children and families '{grade}'. For one local authority the figure is 1 "
            "if that is its rating and 0 if not; for a region or England it is the number of "
            "its local authorities, and for statistical neighbours the number of the 10.",
            source=OFSTED_INSPECTIONS,
            value_column=grade,
            caveats=(
                "Each local authority's rating comes from its latest inspection, so ratings "
                "date from different years (the local authority's page gives the date).",
                "The leadership rating is one of Ofsted's judgements, not the overall "
                "effectiveness rating.",
                "Regions are the ones every other figure here uses (Inner and Outer London "
                "for London boroughs), not Ofsted's own regions; the Department for "
                "Education's dashboard maps them the same way.",
            ),
            sn_aggregation=NeighbourAggregation.SUM,
            guidance=_OFSTED_GUIDANCE,
            dfe_sort_order=row,
        )
        for row, grade in enumerate(OFSTED_GRADES, start=59)
    ]
    return spending + ofsted


def _build_indicators() -> tuple[IndicatorSpec, ...]:
    specs: list[IndicatorSpec] = [
        IndicatorSpec(
            key="cin_rate",
            title="Rate of children in need, per 10,000 children",
            group=OUTCOME_1,
            heading="Access to support and getting help",
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition="Children in need on 31 March (open episodes of need) per 10,000 "
            "children aged 0 to 17.",
            source=B1,
            value_column="At31_episodes",
            compute=Compute.RATE_PER_10K,
            caveats=(_POPULATION_NOTE,),
            guidance=(
                "The Department for Education counts every child in need, including children on "
                "a child protection plan and children looked after. Many local authorities use a "
                "narrower definition in their own reports, so this figure may not match a local "
                "one.",
                "It shows how many children the wider system is helping. A higher rate can mean "
                "more need in the area, or that more children are getting help; a lower rate is "
                "not in itself better. Read it with the rates of children coming into care.",
                _POVERTY,
            ),
            dfe_sort_order=1,
        ),
        IndicatorSpec(
            key="rereferral_12m",
            title="Repeat referrals (within 12 months of a previous referral)",
            group=OUTCOME_1,
            heading="Access to support and getting help",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Referrals to children's social care in the year to 31 March that came "
            "within 12 months of a previous referral of the same child, as a percentage of all "
            "referrals in the year.",
            source=C1,
            value_column="rereferral_percent",
            numerator_column="rereferral_count",
            denominator_column="referral_count",
            caveats=("Re-referrals can reflect needs that were not met, or new circumstances.",),
            guidance=(
                "A repeat referral may be for a different reason from the first: a new worry or "
                "a change in the family's circumstances, not only help that did not work.",
                "The Department for Education includes it because repeated referrals can mean a "
                "family did not get the support it needed the first time, and can be upsetting "
                "for the child and family. The figure also reflects how much risk the local "
                "partnership (schools, health services, the police and others) holds before "
                "referring a child.",
            ),
            dfe_sort_order=2,
        ),
        IndicatorSpec(
            key="referrals_not_in_need",
            title="Percentage of referrals where the child was assessed as not in need",
            group=OUTCOME_1,
            heading="Access to support and getting help",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Referrals in the year to 31 March that ended with the child assessed as "
            "not in need, as a percentage of all referrals in the year. Not on the Department "
            "for Education's dashboard; shown beside the timely 'assessments ending in no further "
            "action'.",
            source=C1,
            value_column="not_in_need_percent",
            numerator_column="not_in_need_count",
            denominator_column="referral_count",
            guidance=(
                "A referral can rightly end with an assessment finding that the child does not "
                "need help from children's social care: the family may be helped by early help "
                "or other services. The figure shows how referrals are made and handled, not "
                "whether children were helped.",
                "It depends on who refers children and when, so it reflects the local "
                "partnership's practice as well as the local authority's.",
            ),
        ),
        IndicatorSpec(
            key="cla_starting_rate",
            title="Rate of children starting to be looked after, per 10,000 children",
            group=OUTCOME_1,
            heading="Family stability",
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition="Children who started to be looked after in the year to 31 March, per "
            "10,000 children aged 0 to 17.",
            source=CLA_RATES,
            value_column="rate_per_10000",
            filters={"population_type": "Children starting to be looked after each year"},
            numerator_column="children_count",
            denominator_column="population_estimate",
            guidance=(
                "It measures how many children come into care during the year.",
                *_CARE_ENTRY_GUIDANCE,
            ),
            dfe_sort_order=3,
        ),
        IndicatorSpec(
            key="cla_rate",
            title="Rate of children looked after on 31 March, per 10,000 children",
            group=OUTCOME_1,
            heading="Family stability",
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition="Children looked after on 31 March per 10,000 children aged 0 to 17.",
            source=CLA_RATES,
            value_column="rate_per_10000",
            filters={"population_type": "Children looked after on 31 March each year"},
            numerator_column="children_count",
            denominator_column="population_estimate",
            caveats=(
                "Children looked after only under a series of short-term breaks are not counted.",
            ),
            guidance=(
                "It counts the children in care on one day, 31 March, so it reflects how long "
                "children stay in care as well as how many come into care.",
                *_CARE_ENTRY_GUIDANCE,
            ),
            dfe_sort_order=4,
        ),
        IndicatorSpec(
            key="uasc_starting_pct",
            title="Percentage of children starting to be looked after who were unaccompanied "
            "asylum-seeking children",
            group=OUTCOME_1,
            heading="Family stability",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Unaccompanied asylum-seeking children (UASC) among the children who "
            "started to be looked after in the year to 31 March, as a percentage of all who "
            "started.",
            source=LAIT,
            value_column="Values",
            filters={"Short Desc": "UASC_%_Starting"},
            caveats=(
                _LAIT_NOTE,
                "The Department for Education's dashboard shows a rate per 10,000 children "
                "instead; the count it divides (from "
                "la_children_who_started_to_be_looked_after_during_the_year) is not among the "
                "files this service ships, so the published percentage is shown.",
            ),
            guidance=_UASC_GUIDANCE,
            dfe_sort_order=5,
        ),
        IndicatorSpec(
            key="uasc_cla_rate",
            title="Rate of unaccompanied asylum-seeking children looked after on 31 March, per "
            "10,000 children",
            group=OUTCOME_1,
            heading="Family stability",
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition="Unaccompanied asylum-seeking children looked after on 31 March per "
            "10,000 children aged 0 to 17.",
            source=LAIT,
            value_column="Values",
            filters={"Short Desc": "Unacc_Asylmn_Seek_Childn"},
            compute=Compute.RATE_PER_10K,
            caveats=(_POPULATION_NOTE, _LAIT_NOTE),
            guidance=_UASC_GUIDANCE,
            dfe_sort_order=6,
        ),
        IndicatorSpec(
            key="school_stability",
            title="Percentage of children looked after with one or more school moves in the middle"
            " of the school year",
            group=OUTCOME_1,
            heading="School stability",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Children looked after on 31 March who moved school at least once during "
            "the year, other than at the usual times (a move between 1 August and 30 September "
            "is not counted), as a percentage of children looked after on 31 March matched to "
            "the school census.",
            source=SCHOOL_MOVES,
            value_column="percentage",
            filters={
                "cla_group": "CLA on 31 March",
                "move_measure": "Mid-year moves",
                "school_stability": "With one or more mid-year moves during the year",
            },
            numerator_column="number",
            denominator_filters={
                "cla_group": "CLA on 31 March",
                "move_measure": "Mid-year moves",
                "school_stability": "Total children",
            },
            caveats=(
                "Official statistics in development: the Department for Education is still "
                "improving the match to the school census.",
            ),
            guidance=(
                "Staying at the same school helps children keep their friendships, learning and "
                "wellbeing. Some moves are still right for a child, for example to a school near "
                "a new long-term home; the Department for Education asks that any necessary move "
                "is carefully planned and in the child's best interests.",
            ),
            dfe_sort_order=7,
        ),
        *_absence_specs(),
        *_attainment_specs(),
        IndicatorSpec(
            key="repeat_cpp",
            title="Percentage of child protection plans starting in the year that were a second or"
            " later plan",
            group=OUTCOME_2,
            heading="Child safety - general",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Child protection plans that started in the year to 31 March for a child "
            "who had been the subject of a plan before (at any time), as a percentage of all "
            "plans starting in the year.",
            source=D3,
            value_column="CPP_subsequent_percent",
            numerator_column="CPP_subsequent",
            denominator_column="CPP_start",
            guidance=(
                *_CPP_GUIDANCE,
                "A second plan can still be the right decision: a child's circumstances can "
                "change, and some children need protecting again. A plan counts as a repeat "
                "whenever the child had one before, at any time, not only in the last year.",
            ),
            dfe_sort_order=23,
        ),
        IndicatorSpec(
            key="cpp_open_2yrs",
            title="Percentage of child protection plans open for 2 years or more",
            group=OUTCOME_2,
            heading="Child safety - general",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Child protection plans open on 31 March that had lasted 2 years or "
            "more, as a percentage of all plans open on 31 March.",
            source=D5,
            value_column="2_years_or_more_percent",
            numerator_column="2_years_or_more",
            denominator_column="CPP_At31",
            caveats=("Some children need a child protection plan for longer than 2 years.",),
            guidance=(
                *_CPP_GUIDANCE,
                "Some children need a plan for longer than 2 years, and ending a plan too early "
                "is not better. Numbers are small in most local authorities, so the Department "
                "for Education's dashboard shows only England and the regions.",
            ),
            dfe_sort_order=24,
        ),
        IndicatorSpec(
            key="cpp_rate",
            title="Rate of children on a child protection plan on 31 March, per 10,000 children",
            group=OUTCOME_2,
            heading="Child safety - general",
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition="Child protection plans open on 31 March per 10,000 children aged 0 to "
            "17. Not on the Department for Education's dashboard; shown beside the timely child "
            "protection rate.",
            source=D5,
            value_column="CPP_At31",
            compute=Compute.RATE_PER_10K,
            caveats=(_POPULATION_NOTE,),
            guidance=(
                "A higher or lower rate is not better in itself: it depends on need in the area "
                "and on local practice.",
                _POVERTY,
            ),
        ),
        IndicatorSpec(
            key="hospital_admissions_injuries",
            title="Rate of hospital admissions caused by unintentional and deliberate injuries "
            "to children and young people (0 to 14 years), per 10,000 children",
            group=OUTCOME_2,
            heading="Child safety - general",
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition="Emergency hospital admissions of children aged 0 to 14 caused by "
            "unintentional and deliberate injuries in the financial year, per 10,000 children "
            "aged 0 to 14.",
            source=HOSPITAL,
            value_column="Value",
            numerator_column="Count",
            denominator_column="Denominator",
            caveats=(
                "Fingertips publishes no Inner or Outer London figure: they are computed, as "
                "the Department for Education's dashboard does, from the boroughs' admissions "
                "and populations.",
                "City of London is counted with Hackney, and the Isles of Scilly with Cornwall: "
                "their own figures show as 'x' (not available).",
                "Fingertips figures are on April 2023 boundaries; years before a new authority "
                "existed are not shown for it.",
            ),
            guidance=(
                "It counts emergency hospital admissions for injuries of every kind, accidental "
                "and deliberate, of all children aged 0 to 14 living in the area, not only "
                "children known to children's social care.",
                "Changes to how hospitals record same-day emergency care, from 2021/22, may have "
                "lowered the number of admissions counted in some areas.",
            ),
            dfe_sort_order=25,
        ),
        *_missing_specs(),
        *_assessment_factor_specs(),
        IndicatorSpec(
            key="ceased_sgo",
            title="Percentage of children who stopped being looked after because a special "
            "guardianship order was made",
            group=OUTCOME_3,
            heading="Families engaging and receiving support from their family network",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Children who stopped being looked after in the year to 31 March because "
            "a special guardianship order was made, as a percentage of all children who stopped "
            "being looked after.",
            source=LAIT,
            value_column="Values",
            filters={"Short Desc": "LAC_ceased_SGO%"},
            caveats=(_LAIT_CEASED_NOTE,),
            guidance=(
                "A special guardianship order is a court order that makes one or more people, "
                "often relatives, the child's special guardian, with parental responsibility "
                "until the child is 18.",
                *_FAMILY_ORDER_GUIDANCE,
            ),
            dfe_sort_order=43,
        ),
        IndicatorSpec(
            key="ceased_cao",
            title="Percentage of children who stopped being looked after because a child "
            "arrangements order (or residence order) was made",
            group=OUTCOME_3,
            heading="Families engaging and receiving support from their family network",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Children who stopped being looked after in the year to 31 March because "
            "a residence order or child arrangements order was granted, as a percentage of all "
            "children who stopped being looked after.",
            source=LAIT,
            value_column="Values",
            filters={"Short Desc": "LAC_ceased_CAO%"},
            caveats=(_LAIT_CEASED_NOTE,),
            guidance=(
                "A child arrangements order is a court order that decides where and with whom a "
                "child lives, for example with a grandparent or another relative (a residence "
                "order before 2014).",
                *_FAMILY_ORDER_GUIDANCE,
            ),
            dfe_sort_order=44,
        ),
        IndicatorSpec(
            key="placement_stability_3plus",
            title="Percentage of children looked after on 31 March who had 3 or more placements "
            "during the year",
            group=OUTCOME_4,
            heading="Stability and quality of where a child lives",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Children looked after on 31 March who had three or more placements "
            "during the year, as a percentage of all children looked after on 31 March.",
            source=PLACEMENT_STABILITY,
            value_column="children_percent",
            filters={
                "cla_group": "CLA on 31 March",
                "placement_stability": "With 3 or more placements during the year",
            },
            numerator_column="children_count",
            denominator_filters={
                "cla_group": "CLA on 31 March",
                "placement_stability": "Total children",
            },
            guidance=(
                "Stable homes matter: the Department for Education's aim is to keep to a minimum "
                "the number of times children have to move while in care.",
                "A move can still be right for a child, for example to live with brothers or "
                "sisters or to move to a long-term home; the figure counts every move alike. "
                "Nothing is published on the average number of moves.",
            ),
            dfe_sort_order=45,
        ),
        IndicatorSpec(
            key="placed_20_miles",
            title="Percentage of children looked after on 31 March placed more than 20 miles from "
            "home, outside the local authority",
            group=OUTCOME_4,
            heading="Stability and quality of where a child lives",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Children looked after on 31 March placed more than 20 miles from their "
            "home and outside the local authority's boundary, as a percentage of children "
            "looked after on 31 March.",
            source=LAIT,
            value_column="Values",
            filters={"Short Desc": "LACDistance"},
            caveats=(
                _LAIT_NOTE,
                "The Department for Education's dashboard counts every placement more than 20 "
                "miles from home, inside or outside the boundary; the Local Authority Interactive "
                "Tool publishes only those outside it, so this figure is a little lower.",
            ),
            guidance=(
                "Living near home can help children stay at their school and keep in touch with "
                "family and friends. But a home far away is sometimes right for a child: to keep "
                "them safe from harm in their home area, or to live with relatives or in a home "
                "that meets their needs.",
                "Geography matters: 20 miles is a long way in a city and a short one in a rural "
                "county, and in a small local authority a home nearby may be outside its "
                "boundary.",
            ),
            dfe_sort_order=46,
        ),
        IndicatorSpec(
            key="adoption_decision_to_match_months",
            title="Average number of months between the decision that a child should be "
            "placed for adoption and matching of child and adopters",
            group=OUTCOME_4,
            heading="Stability and quality of where a child lives",
            unit=Unit.MONTHS,
            decimals=0,
            definition="For children adopted in the year to 31 March, the average time from the "
            "local authority's decision that the child should be placed for adoption to the "
            "child being matched with adopters, in months.",
            source=ADOPTION,
            value_column="number",
            filters={
                "stage_of_adoption_process": "2. Average time between decision that child "
                "should be placed for adoption and matching of child and adopters",
                "age_start_poc": "Total",
            },
            compute=Compute.YEARS_MONTHS,
            caveats=(
                "Published for England only. The file gives years and months ('01:02'); this "
                "is shown in months, as on the Department for Education's dashboard.",
            ),
            guidance=(
                "For children for whom adoption is the right plan, moving to their adoptive "
                "home as soon as possible gives them stability.",
                "The average includes children who wait a long time for the right family, such "
                "as older children, brothers and sisters to be adopted together and disabled "
                "children, so a longer average is not in itself a failing.",
            ),
            dfe_sort_order=47,
            national_only=True,
        ),
        *_placement_type_specs(),
        IndicatorSpec(
            key="sdq_average",
            title="Average emotional and behavioural difficulties score of children looked after "
            "(Strengths and Difficulties Questionnaire)",
            group=OUTCOME_4,
            heading="Child wellbeing",
            unit=Unit.SCORE,
            decimals=1,
            definition="The average total difficulties score of the Strengths and Difficulties "
            "Questionnaire for children aged 5 to 16 looked after for at least 12 months on 31 "
            "March whose score was received. Scores run from 0 to 40: under 14 is normal, 14 "
            "to 16 borderline, 17 or more a cause for concern.",
            source=HEALTH,
            value_column="children_count",
            filters={
                "characteristic": "Ages 5 to 16 years with SDQ score",
                "breakdown": "SDQ average score",
            },
            guidance=(
                "The Strengths and Difficulties Questionnaire is a short questionnaire about a "
                "child's emotional and behavioural wellbeing, filled in by their carer; a higher "
                "score means more difficulties. It helps social workers and health "
                "professionals understand what support a child needs.",
                "The figure shows that scores were collected, not how they were used to help "
                "children. Only children whose score was received are counted, and how many "
                "that is differs between local authorities.",
            ),
            dfe_sort_order=51,
        ),
        *_care_leaver_specs(),
        *_leadership_specs(),
        IndicatorSpec(
            key="sw_turnover_rate",
            title="Social worker turnover rate (full-time equivalent)",
            group=ENABLER_WORKFORCE,
            heading="Workforce stability",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Full-time equivalent (FTE) children and family social workers who left "
            "in the year to 30 September, as a percentage of FTE social workers in post on 30 "
            "September.",
            source=WORKFORCE,
            value_column="turnover_rate_fte",
            numerator_column="leavers_fte",
            denominator_column="inpost_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            guidance=(
                "A stable workforce lets children and families keep the same social worker. "
                "Some turnover is normal, and moves between teams inside the local authority "
                "are not counted.",
                *_WORKFORCE_GUIDANCE,
            ),
            dfe_sort_order=63,
        ),
        IndicatorSpec(
            key="sw_agency_rate",
            title="Agency social worker rate (full-time equivalent)",
            group=ENABLER_WORKFORCE,
            heading="Workforce stability",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Agency children and family social workers on 30 September as a "
            "percentage of agency and directly employed social workers, counted as full-time "
            "equivalents.",
            source=WORKFORCE,
            value_column="agency_rate_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            guidance=(
                "Agency social workers are paid through an agency, or are self-employed, rather "
                "than employed by the local authority. They can fill gaps, but a stable, "
                "permanent workforce lets children keep the same worker; national rules on "
                "employing agency social workers apply from autumn 2024.",
                *_WORKFORCE_GUIDANCE,
            ),
            dfe_sort_order=64,
        ),
        IndicatorSpec(
            key="sw_vacancy_rate",
            title="Social worker vacancy rate (full-time equivalent)",
            group=ENABLER_WORKFORCE,
            heading="Workforce stability",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Vacancies for children and family social workers on 30 September as a "
            "percentage of vacancies and social workers in post, counted as full-time "
            "equivalents.",
            source=WORKFORCE,
            value_column="vacancy_rate_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            guidance=(
                "Vacancies include posts the local authority is not actively recruiting to and "
                "posts covered by agency workers, so a vacancy is not always an empty desk.",
                *_WORKFORCE_GUIDANCE,
            ),
            dfe_sort_order=65,
        ),
        IndicatorSpec(
            key="sw_caseload",
            title="Average caseload of social workers holding cases (full-time equivalent)",
            group=ENABLER_WORKFORCE,
            heading="Quality of support for children and families",
            unit=Unit.RATIO,
            decimals=1,
            definition="Cases held on 30 September divided by the full-time equivalent number "
            "of children and family social workers holding cases.",
            source=WORKFORCE,
            value_column="caseload_fte",
            numerator_column="cases",
            denominator_column="case_holders_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            guidance=(
                "An average hides outliers: some social workers may hold far more cases than the "
                "average, and others far fewer. Cases also differ greatly in the work they need, "
                "so the number alone does not measure workload or the quality of practice.",
                *_WORKFORCE_GUIDANCE,
            ),
            dfe_sort_order=66,
        ),
        IndicatorSpec(
            key="sw_stability_3plus",
            title="Percentage of children looked after who had 3 or more social workers in the "
            "past 12 months",
            group=ENABLER_WORKFORCE,
            heading="Quality of support for children and families",
            unit=Unit.PERCENT,
            decimals=0,
            definition="Children looked after on 31 March who had three or more different "
            "social workers during the year, as a percentage of children looked after on 31 "
            "March.",
            source=SOCIAL_WORKER_COUNT,
            value_column="percentage",
            filters={
                "cla_group": "CLA on 31 March",
                "sw_stability": "3 or more social workers during the year",
            },
            numerator_column="number",
            denominator_filters={"cla_group": "CLA on 31 March", "sw_stability": "Total children"},
            caveats=(
                "Official statistics in development, first published for 2024. A social worker "
                "who returns to the child is counted once.",
            ),
            guidance=(
                "Children need consistent relationships, so the aim is as few changes of social "
                "worker as possible. Some changes are unavoidable or right for the child, for "
                "example when they move to a team that specialises in children in care.",
            ),
            dfe_sort_order=67,
        ),
    ]
    return tuple(specs)


#: Every indicator this service loads, in page order.
INDICATORS: tuple[IndicatorSpec, ...] = _build_indicators()
SPECS: dict[str, IndicatorSpec] = {spec.key: spec for spec in INDICATORS}
#: The four "number of local authorities with an Ofsted leadership rating of ..." indicators,
#: whose pages also give the chosen LA's own rating in words (``queries.leadership_rating``).
OFSTED_LEADERSHIP_KEYS: frozenset[str] = frozenset(
    spec.key for spec in INDICATORS if spec.source == OFSTED_INSPECTIONS
)

LOCAL_CONTEXT = "Local context"
_CONTEXT_NOTE = (
    "Local context describes the area a local authority serves, not its services: it helps "
    "explain why figures differ between places. It is not a target, and no figure is "
    "expected from it. LAIT publishes it for England, the nine regions and each local "
    "authority (not for Inner or Outer London), and marks a withheld figure '-'."
)
CONTEXT_SOURCE = Source(
    LAIT.pattern,
    SourceFormat.LAIT,
    "Department for Education, Local Authority Interactive Tool (LAIT), from the Department for "
    "Work and Pensions' Children in low income families and the Department for Education's "
    "Schools, pupils and their characteristics",
    _LAIT_URL,
    released=LAIT.released,
)
CHILD_POVERTY = "child_poverty"
#: The measures of local context shown beside every figure (the National Framework, the ADCS
#: and the regional data networks ask for them): loaded like indicators, but no page lists
#: them as indicators and the DfE dashboard's rows do not include them. ``CHILD_POVERTY`` is
#: the horizontal axis of every indicator page's scatter chart.
CONTEXT_MEASURES: tuple[IndicatorSpec, ...] = tuple(
    IndicatorSpec(
        key=key,
        title=title,
        group=LOCAL_CONTEXT,
        heading=LOCAL_CONTEXT,
        unit=Unit.PERCENT,
        decimals=1,
        definition=definition,
        source=CONTEXT_SOURCE,
        value_column="Values",
        filters={"Short Desc": measure},
        caveats=(_CONTEXT_NOTE,),
    )
    for key, measure, title, definition in (
        (
            CHILD_POVERTY,
            "ChildPov",
            "Children in relative low-income families",
            "Children under 16 living in relative low-income families (before housing costs), as "
            "a percentage of all children under 16, in the financial year ending in the year "
            "shown (Department for Work and Pensions, Children in low income families).",
        ),
        (
            "fsm_primary",
            "PriFSM",
            "Primary school pupils eligible for free school meals",
            "Pupils in state-funded primary schools who were eligible for free school meals, as a "
            "percentage of all pupils, in the January school census of the year shown "
            "(Department for Education, Schools, pupils and their characteristics).",
        ),
        (
            "fsm_secondary",
            "SecFSM",
            "Secondary school pupils eligible for free school meals",
            "Pupils in state-funded secondary schools who were eligible for free school meals, as "
            "a percentage of all pupils, in the January school census of the year shown "
            "(Department for Education, Schools, pupils and their characteristics).",
        ),
    )
)
CONTEXT_KEYS: frozenset[str] = frozenset(spec.key for spec in CONTEXT_MEASURES)
#: Everything the loader stores: the indicators, then the measures of local context.
LOADED: tuple[IndicatorSpec, ...] = (*INDICATORS, *CONTEXT_MEASURES)
#: The loaded indicators no public page shows (``IndicatorSpec.public`` False): the
#: restricted dashboards' missing-children comparators.
RESTRICTED_ONLY: frozenset[str] = frozenset(spec.key for spec in INDICATORS if not spec.public)


def reference_date(period_type: str, end_year: int) -> datetime.date:
    """The date that decides which local authorities a period's figures can belong to.

    31 March of the end year for financial and academic years (the outcomes files count
    children in need on 31 March), 30 September for the workforce census year.
    """
    if period_type == PeriodType.REPORTING_YEAR:
        return datetime.date(end_year, 9, 30)
    return datetime.date(end_year, 3, 31)
