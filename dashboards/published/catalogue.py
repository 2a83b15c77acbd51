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
    """A source file: ``pattern`` is a glob in the data directory that must match one file."""

    pattern: str
    format: SourceFormat
    publication: str
    url: str
    period_type: PeriodType = PeriodType.FINANCIAL_YEAR


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
_CIN = "DfE, Children in need (Explore Education Statistics)"
_CIN_URL = _EES + "characteristics-of-children-in-need"
_CLA = "DfE, Children looked after in England including adoptions (Explore Education Statistics)"
_CLA_URL = _EES + "children-looked-after-in-england-including-adoptions"
_OUTCOMES = (
    "DfE, Outcomes for children in need, including children looked after by local authorities "
    "in England (Explore Education Statistics)"
)
_OUTCOMES_URL = (
    _EES + "outcomes-for-children-in-need-including-children-looked-after-by-local-authorities-"
    "in-england"
)
_LAIT = "DfE, Local Authority Interactive Tool (LAIT), from Children looked after in England"
_LAIT_URL = "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait"

B1 = Source("b1_children_in_need_2013_to_*.csv", SourceFormat.EES, _CIN, _CIN_URL)
C1 = Source(
    "c1_children_in_need_referrals_and_rereferrals_2013_to_*.csv", SourceFormat.EES, _CIN, _CIN_URL
)
C3 = Source(
    "c3_factors_identified_at_end_of_assessment_2018_to_*.csv", SourceFormat.EES, _CIN, _CIN_URL
)
D3 = Source("d3_cpps_subsequent_plan_2013_to_*.csv", SourceFormat.EES, _CIN, _CIN_URL)
D5 = Source("d5_cpps_at31march_by_duration_2013_to_*.csv", SourceFormat.EES, _CIN, _CIN_URL)
CLA_RATES = Source("cla_number_and_rate_per_10k_children.csv", SourceFormat.EES, _CLA, _CLA_URL)
MISSING_FROM_CARE = Source(
    "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv",
    SourceFormat.EES,
    _CLA,
    _CLA_URL,
)
PLACEMENT_STABILITY = Source("la_cla_placement_stability.csv", SourceFormat.EES, _CLA, _CLA_URL)
SCHOOL_MOVES = Source(
    "la_cla_school_moves.csv",
    SourceFormat.EES,
    "DfE, Stability measures for children looked after in England (Explore Education Statistics)",
    _CLA_URL,
)
SOCIAL_WORKER_COUNT = Source(
    "la_cla_swcount.csv", SourceFormat.EES, SCHOOL_MOVES.publication, _CLA_URL
)
HEALTH = Source("la_conviction_health_outcome_cla.csv", SourceFormat.EES, _CLA, _CLA_URL)
CARE_LEAVER_ACTIVITY = Source("la_care_leavers_activity.csv", SourceFormat.EES, _CLA, _CLA_URL)
CARE_LEAVER_ACCOMMODATION = Source(
    "la_care_leavers_accommodation_suitability.csv", SourceFormat.EES, _CLA, _CLA_URL
)
ADOPTION = Source(
    "national_cla_adopted_average_time_between_adoption_process_stages.csv",
    SourceFormat.EES,
    _CLA,
    _CLA_URL,
)
ABSENCE = Source(
    "absence_la.csv", SourceFormat.EES, _OUTCOMES, _OUTCOMES_URL, PeriodType.ACADEMIC_YEAR
)
KS2 = Source("ks2_la.csv", SourceFormat.EES, _OUTCOMES, _OUTCOMES_URL, PeriodType.ACADEMIC_YEAR)
KS4 = Source("ks4_la.csv", SourceFormat.EES, _OUTCOMES, _OUTCOMES_URL, PeriodType.ACADEMIC_YEAR)
WORKFORCE = Source(
    "csww_indicators_2017_to_*.csv",
    SourceFormat.EES,
    "DfE, Children's social work workforce (Explore Education Statistics)",
    _EES + "children-s-social-work-workforce",
    PeriodType.REPORTING_YEAR,
)
HOSPITAL = Source(
    "region_hospital_admissions_*.csv",
    SourceFormat.FINGERTIPS,
    "OHID Fingertips, indicator 90284 (Child and Maternal Health profile)",
    "https://fingertips.phe.org.uk/search/90284",
)
LAIT = Source("bds_long_*.parquet", SourceFormat.LAIT, _LAIT, _LAIT_URL)
_OUTTURN = (
    "MHCLG, Local authority revenue expenditure and financing England: individual local "
    "authority data, outturn"
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
)
SOCIAL_CARE_SPENDING = Source(
    "RO3_LA_Data_*_data_by_LA.ods",
    SourceFormat.REVENUE_OUTTURN,
    _OUTTURN + " (RO3: social care expenditure)",
    _OUTTURN_URL,
)
OFSTED_INSPECTIONS = Source(
    "LA_Inspection_Outcomes_as_at_*.ods",
    SourceFormat.OFSTED_INSPECTIONS,
    "Ofsted, Local authority inspection outcomes (official statistics)",
    "https://www.gov.uk/government/statistics/local-authority-inspection-outcomes-as-at-31-march-2025",
)
#: Ofsted's four grades, best first, as the inspection outcomes file writes them.
OFSTED_GRADES = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")

_SOCIAL_CARE_GROUPS = (
    # (key suffix, EES social_care_group, who, DfE label)
    ("cino", "CINO at 31 March", "children in need at 31 March (not on a child protection "
     "plan or looked after)", "CINO at 31 March"),
    ("cppo", "CPPO at 31 March", "children on a child protection plan at 31 March (not looked "
     "after)", "CPPO at 31 March"),
    ("cla", "CLA 12 months at 31 March", "children looked after continuously for 12 months at "
     "31 March", "CLA 12 months on 31 March"),
)  # fmt: skip
_ASSESSMENT_FACTORS = (
    # (EES column, DfE label, heading)
    ("Domestic_Abuse_child", "Domestic Abuse child", "Child abuse / neglect"),
    ("Domestic_Abuse_parent", "Domestic Abuse parent", "Child abuse / neglect"),
    ("Domestic_Abuse_person", "Domestic Abuse person", "Child abuse / neglect"),
    ("Emotional_Abuse", "Emotional Abuse", "Child abuse / neglect"),
    ("Faith_linked_abuse", "Faith linked abuse", "Child abuse / neglect"),
    ("Neglect", "Neglect", "Child abuse / neglect"),
    ("Physical_Abuse_adult_on_child", "Physical Abuse adult on child", "Child abuse / neglect"),
    ("Physical_Abuse_child_on_child", "Physical Abuse child on child", "Child abuse / neglect"),
    ("Physical_Abuse_unknown", "Physical Abuse unknown", "Child abuse / neglect"),
    ("Sexual_Abuse_adult_on_child", "Sexual Abuse adult on child", "Child abuse / neglect"),
    ("Sexual_Abuse_child_on_child", "Sexual Abuse child on child", "Child abuse / neglect"),
    ("Sexual_Abuse_unknown", "Sexual Abuse unknown", "Child abuse / neglect"),
    ("Child_criminal_exploitation", "Child criminal exploitation", "Harms outside the home"),
    ("Child_sexual_exploitation", "Child sexual exploitation", "Harms outside the home"),
    ("Gangs", "Gangs", "Harms outside the home"),
    ("Going_missing", "Going missing", "Harms outside the home"),
    ("Trafficking", "Trafficking", "Harms outside the home"),
)

_POPULATION_NOTE = (
    "Computed as the DfE dashboard does: the count divided by the ONS mid-year estimate of "
    "children aged 0 to 17 for the year before the period end (mid-2024 for the year to 31 "
    "March 2025), times 10,000. Shown to the nearest whole number, as on the DfE dashboard."
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
    "local authorities: many record every incident as missing. The DfE advises that these "
    "figures are potentially misleading on a public dashboard, so they are shown only on the "
    "restricted dashboards; compare local authorities with care."
)
_JOINT_RETURN_NOTE = (
    "Kingston upon Thames and Richmond upon Thames (and, from 2021, North and West "
    "Northamptonshire) make one joint workforce return: the same figure is shown for both and "
    "left out of statistical-neighbour medians."
)
_LAIT_NOTE = (
    "Taken from the DfE Local Authority Interactive Tool, which republishes the Children looked "
    "after figures: the file the DfE dashboard reads (la_cla_on_31_march_by_characteristics) "
    "is not among the files this service ships. LAIT marks every withheld figure '-'."
)

_LAIT_CEASED_NOTE = (
    "Taken from the DfE Local Authority Interactive Tool, which republishes the Children looked "
    "after figures: the 2025 release of the file the DfE dashboard reads "
    "(la_children_who_ceased_during_the_year) is not among the files this service ships, and "
    "LAIT holds its figures, 2020 to 2025, with 2024 as revised in that release. LAIT marks "
    "every withheld figure '-'."
)


def _absence_specs() -> list[IndicatorSpec]:
    measures = (
        # (key, column, numerator, denominator, title, definition)
        ("absence_overall", "pt_overall", "t_sess_overall", "t_sess_possible",
         "Overall absence for {label}",
         "Sessions missed for any reason (authorised or unauthorised) as a percentage of "
         "possible sessions, over the six half terms of the academic year, for {who}."),
        ("persistent_absence", "pt_pupils_pa_10_exact", "t_pupils_pa_10_exact", "t_pupils",
         "Persistent absentees for {label} (overall absence 10% or more)",
         "Pupils who missed 10% or more of their possible sessions, as a percentage of pupils, "
         "for {who}."),
        ("severe_absence", "pt_pupils_pa_50_exact", "t_pupils_pa_50_exact", "t_pupils",
         "Severe absentees for {label} (overall absence 50% or more)",
         "Pupils who missed 50% or more of their possible sessions, as a percentage of pupils, "
         "for {who}."),
    )  # fmt: skip
    specs = []
    for first_row, (key, column, numerator, denominator, title, definition) in zip(
        (8, 11, 14), measures, strict=True
    ):
        for row, (suffix, group, who, label) in enumerate(_SOCIAL_CARE_GROUPS, start=first_row):
            specs.append(
                IndicatorSpec(
                    key=f"{key}_{suffix}",
                    title=title.format(label=label),
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
                    dfe_sort_order=row,
                )
            )
    return specs


def _attainment_specs() -> list[IndicatorSpec]:
    specs = []
    for row, (suffix, group, who, label) in enumerate(_SOCIAL_CARE_GROUPS, start=17):
        specs.append(
            IndicatorSpec(
                key=f"ks2_rwm_{suffix}",
                title=f"{label} pupils achieving expected standard in reading, writing and "
                "mathematics combined (KS2)",
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
                dfe_sort_order=row,
            )
        )
    for row, (suffix, group, who, label) in enumerate(_SOCIAL_CARE_GROUPS, start=20):
        specs.append(
            IndicatorSpec(
                key=f"ks4_att8_{suffix}",
                title=f"Average attainment 8 for {label} (KS4)",
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
                dfe_sort_order=row,
            )
        )
    return specs


def _assessment_factor_specs() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            key="af_" + column.lower(),
            title=f"Rate of {label}, per 10,000 children",
            group=OUTCOME_2,
            heading=heading,
            unit=Unit.RATE_PER_10K,
            decimals=0,
            definition=f"Episodes of need with '{label}' recorded as a factor at the end of a "
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
            dfe_sort_order=row,
        )
        for row, (column, label, heading) in enumerate(_ASSESSMENT_FACTORS, start=26)
    ]


def _care_leaver_specs() -> list[IndicatorSpec]:
    measures = (
        # (first DfE row, key, source, breakdown, total breakdown, title, what)
        (52, "care_leavers_eet", CARE_LEAVER_ACTIVITY,
         "Total in education, employment or training", "Total",
         "Care leavers in education, employment or training ({age})",
         "in education, employment or training"),
        (54, "care_leavers_suitable_accommodation", CARE_LEAVER_ACCOMMODATION,
         "Accommodation considered suitable", "Suitability total",
         "Care leavers in accommodation considered suitable ({age})",
         "whose accommodation was considered suitable"),
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
            dfe_sort_order=row,
        )
        for first_row, key, source, breakdown, total, title, what in measures
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
        # (DfE row, key, LAIT measure, title, what)
        (48, "placement_foster", "LAC_Foster_Placements", "% CLA on 31 March living in foster care",
         "in foster placements"),
        (49, "placement_secure_childrens_homes", "LAC_SecHome_And_ChildHome",
         "% CLA on 31 March living in secure homes and children's homes",
         "in secure children's homes or children's homes"),
        (50, "placement_independent_supported", "LAC_Ind_SInd_Liv_Arr",
         "% CLA on 31 March living in independent and semi-independent living "
         "arrangements/supported accommodation",
         "in independent and semi-independent living arrangements or supported accommodation"),
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
                    "Ofsted as supported accommodation from 28 October 2023; the DfE asks for "
                    "caution with the 2024 figures.",
                )
                if key == "placement_independent_supported"
                else ()
            ),
            dfe_sort_order=row,
        )
        for row, key, measure, title, what in types
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
                "Divided by the ONS mid-2024 estimate of children aged 0 to 17, as the "
                "Department for Education's dashboard does (for the year to 31 March 2025). As "
                "there, a region's children include those of its authorities without a "
                "spending figure, so that region's figure is lower than the spend per child of "
                "the authorities that reported. Shown to the nearest pound.",
            ),
            dfe_sort_order=57,
        ),
        IndicatorSpec(
            key="spend_share_not_cla",
            title="Share of children's services spend not on children looked after (CLA)",
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
            dfe_sort_order=1,
        ),
        IndicatorSpec(
            key="rereferral_12m",
            title="Repeat referrals (within 12 months)",
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
            dfe_sort_order=2,
        ),
        IndicatorSpec(
            key="referrals_not_in_need",
            title="Referrals assessed as not in need",
            group=OUTCOME_1,
            heading="Access to support and getting help",
            unit=Unit.PERCENT,
            decimals=1,
            definition="Referrals in the year to 31 March that ended with the child assessed as "
            "not in need, as a percentage of all referrals in the year. Not on the DfE "
            "dashboard; shown beside the timely 'assessments ending in no further action'.",
            source=C1,
            value_column="not_in_need_percent",
            numerator_column="not_in_need_count",
            denominator_column="referral_count",
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
            dfe_sort_order=4,
        ),
        IndicatorSpec(
            key="uasc_starting_pct",
            title="% of children starting to be looked after who were UASC",
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
                "The DfE dashboard shows a rate per 10,000 children instead; the count it "
                "divides (from la_children_who_started_to_be_looked_after_during_the_year) is "
                "not among the files this service ships, so the published percentage is shown.",
            ),
            dfe_sort_order=5,
        ),
        IndicatorSpec(
            key="uasc_cla_rate",
            title="Rate of children looked after on 31 March who were UASC, per 10,000 children",
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
            dfe_sort_order=6,
        ),
        IndicatorSpec(
            key="school_stability",
            title="% CLA with one or more mid-year school moves",
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
                "Official statistics in development: the DfE is still improving the match to "
                "the school census.",
            ),
            dfe_sort_order=7,
        ),
        *_absence_specs(),
        *_attainment_specs(),
        IndicatorSpec(
            key="repeat_cpp",
            title="Percentage of child protection plans (CPP) starting during the year which "
            "were a second or subsequent plan",
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
            dfe_sort_order=23,
        ),
        IndicatorSpec(
            key="cpp_open_2yrs",
            title="Percentage of child protection plans (CPP) longer than 2 years",
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
            "17. Not on the DfE dashboard; shown beside the timely child protection rate.",
            source=D5,
            value_column="CPP_At31",
            compute=Compute.RATE_PER_10K,
            caveats=(_POPULATION_NOTE,),
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
                "the DfE dashboard does, from the boroughs' admissions and populations.",
                "City of London is counted with Hackney, and the Isles of Scilly with Cornwall: "
                "their own figures show as 'x' (not available).",
                "Fingertips figures are on April 2023 boundaries; years before a new authority "
                "existed are not shown for it.",
            ),
            dfe_sort_order=25,
        ),
        *_missing_specs(),
        *_assessment_factor_specs(),
        IndicatorSpec(
            key="ceased_sgo",
            title="Percentage of children who ceased being looked after due to a special "
            "guardianship order (SGO)",
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
            dfe_sort_order=43,
        ),
        IndicatorSpec(
            key="ceased_cao",
            title="Percentage of children who ceased being looked after due to a residence "
            "order or child arrangements order (CAO)",
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
            dfe_sort_order=44,
        ),
        IndicatorSpec(
            key="placement_stability_3plus",
            title="% CLA on 31 March with 3 or more placements during the year",
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
            dfe_sort_order=45,
        ),
        IndicatorSpec(
            key="placed_20_miles",
            title="% CLA on 31 March placed more than 20 miles from home, outside the local "
            "authority boundary",
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
                "The DfE dashboard counts every placement more than 20 miles from home, inside "
                "or outside the boundary; LAIT publishes only those outside it, so this figure "
                "is a little lower.",
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
                "is shown in months, as on the DfE dashboard.",
            ),
            dfe_sort_order=47,
            national_only=True,
        ),
        *_placement_type_specs(),
        IndicatorSpec(
            key="sdq_average",
            title="Average SDQ score",
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
            dfe_sort_order=51,
        ),
        *_care_leaver_specs(),
        *_leadership_specs(),
        IndicatorSpec(
            key="sw_turnover_rate",
            title="Social worker turnover rate (FTE)",
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
            dfe_sort_order=63,
        ),
        IndicatorSpec(
            key="sw_agency_rate",
            title="Agency worker rate (FTE)",
            group=ENABLER_WORKFORCE,
            heading="Workforce stability",
            unit=Unit.PERCENT,
            decimals=1,
            definition="FTE agency children and family social workers on 30 September as a "
            "percentage of FTE agency and directly employed social workers.",
            source=WORKFORCE,
            value_column="agency_rate_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            dfe_sort_order=64,
        ),
        IndicatorSpec(
            key="sw_vacancy_rate",
            title="Vacancy rate (FTE)",
            group=ENABLER_WORKFORCE,
            heading="Workforce stability",
            unit=Unit.PERCENT,
            decimals=1,
            definition="FTE vacancies for children and family social workers on 30 September as "
            "a percentage of FTE vacancies and social workers in post.",
            source=WORKFORCE,
            value_column="vacancy_rate_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            dfe_sort_order=65,
        ),
        IndicatorSpec(
            key="sw_caseload",
            title="Average caseload (FTE)",
            group=ENABLER_WORKFORCE,
            heading="Quality of support for children and families",
            unit=Unit.RATIO,
            decimals=1,
            definition="Cases held on 30 September divided by the FTE number of children and "
            "family social workers holding cases.",
            source=WORKFORCE,
            value_column="caseload_fte",
            numerator_column="cases",
            denominator_column="case_holders_fte",
            caveats=(_JOINT_RETURN_NOTE,),
            dfe_sort_order=66,
        ),
        IndicatorSpec(
            key="sw_stability_3plus",
            title="% CLA with 3 or more social workers in the past 12 months",
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
    "DfE, Local Authority Interactive Tool (LAIT), from the Department for Work and Pensions' "
    "Children in low income families and the DfE's Schools, pupils and their characteristics",
    _LAIT_URL,
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
            "percentage of all pupils, in the January school census of the year shown (DfE, "
            "Schools, pupils and their characteristics).",
        ),
        (
            "fsm_secondary",
            "SecFSM",
            "Secondary school pupils eligible for free school meals",
            "Pupils in state-funded secondary schools who were eligible for free school meals, as "
            "a percentage of all pupils, in the January school census of the year shown (DfE, "
            "Schools, pupils and their characteristics).",
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
