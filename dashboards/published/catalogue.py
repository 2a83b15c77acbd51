"""Published annual figures of the public dashboard: their declarations, loader and query API.

Three parts:

1. ``INDICATORS``: one declarative ``IndicatorSpec`` per indicator: its metadata, the file it
   comes from (a glob pattern, so next year's release of the same file, dropped in place of
   this one, loads without code changes), the value column, the row filters, and the numerator
   and denominator where the file publishes them. The order is the page order.
2. ``load_published_data``: reads every source file in ``dashboards/published_data/`` with
   vectorised pandas and makes the tables match them in one transaction, writing only rows that
   differ (a re-run changes nothing). It needs the reference geography
   (``manage.py load_reference_data``) first.
3. The query API the pages call (``indicator_groups``, ``get_indicator``, ``time_series``,
   ``regional_comparison``, ``all_las``, ``la_summary``, ``periods``, ``local_authorities``).
   Each returns plain frozen dataclasses and takes two to four indexed queries.

Choices that follow the DfE dashboard (``dfe-analytical-services/CSC_outcomes_and_enablers``,
``R/read_data.R`` and ``R/stats_neighbours.R``):

* Rates per 10,000 children that the DfE computes (children in need, assessment factors,
  UASC looked after) divide by the ONS mid-year estimate of children aged 0 to 17 for the year
  before the period end (``time_period + 1``: mid-2024 for the year to 31 March 2025), from
  ``portal.Population``.
* The statistical-neighbour comparator is the median of the ten neighbours' values for the
  period (2025 model), ignoring suppressed and missing ones, or their sum for counts; with no
  neighbour value it is missing. Joint-return figures are left out of it, as the DfE's join on
  a single LA number leaves them out.
* A London borough is compared with Inner or Outer London, the region its rows carry in every
  EES file, not with London as a whole.
* A local authority's rows are loaded only for periods it existed in: on 31 March of the
  period's end year (30 September for the workforce census year). The files carry placeholder
  ``z``/``x`` rows for reorganised authorities outside their lifetime, and Fingertips back-casts
  new authorities onto earlier years; the DfE drops both.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import FilteredRelation, Q

from dashboards.models import (
    NeighbourAggregation,
    PeriodType,
    PublishedIndicator,
    PublishedValue,
    SuppressionCode,
    Unit,
)
from portal.models import LocalAuthority, Population, Region, StatisticalNeighbour
from portal.models.reference import GeographyLevel

DATA_DIR = Path(__file__).resolve().parents[1] / "published_data"
NATIONAL_CODE = "E92000001"
SUPPRESSION_CODES = frozenset(SuppressionCode.values)
#: What each suppression code means, for the explanation pages show beside a code.
SUPPRESSION_EXPLANATIONS: dict[str, str] = {code.value: code.label for code in SuppressionCode}
MISSING_DISPLAY = "no data"

_STORE_PLACES = Decimal("0.000001")  # PublishedValue's six decimal places
_TEN_THOUSAND = Decimal(10000)
_EES_LEVELS = {
    "National": GeographyLevel.NATIONAL.value,
    "Regional": GeographyLevel.REGIONAL.value,
    "Local authority": GeographyLevel.LOCAL_AUTHORITY.value,
}
# LAIT gives England and the regions pseudo LA numbers (970 England, 980-990 regions) and
# names Inner/Outer London its own way.
_LAIT_ENGLAND = 970
_LAIT_FIRST_REGION = 980
_LAIT_REGION_ALIASES = {"london (inner)": "inner london", "london (outer)": "outer london"}


class PublishedDataError(Exception):
    """A published data file is missing, or holds something the loader cannot read."""


class NotFound(LookupError):
    """The query API was asked for an indicator or local authority the store does not hold."""


# ---------------------------------------------------------------------------------------------
# 1. The indicators
# ---------------------------------------------------------------------------------------------


class SourceFormat(StrEnum):
    """The layouts of the source files."""

    EES = "ees"  # Explore Education Statistics tidy CSV (one row per geography and period)
    FINGERTIPS = "fingertips"  # OHID Fingertips indicator export CSV
    LAIT = "lait"  # DfE Local Authority Interactive Tool long parquet


class Compute(StrEnum):
    """How the stored value is derived from ``value_column``."""

    PUBLISHED = "published"  # the column's value as published
    RATE_PER_10K = "rate_per_10k"  # the column is a count: count / population 0-17 x 10,000
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
    matches those filters (the "Total" row of a breakdown). With ``Compute.RATE_PER_10K`` the
    count in ``value_column`` is the numerator and the population the denominator.
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


OUTCOME_1 = "Outcome 1: Children, young people and families stay together"
OUTCOME_2 = "Outcome 2: Children and young people are safe in and outside of their home"
OUTCOME_3 = "Outcome 3: Children and young people are supported by their family network"
OUTCOME_4 = "Outcome 4: Children in care and care leavers have stable, loving homes"
ENABLER_WORKFORCE = "Enabler: The workforce is equipped and effective"

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
CEASED = Source("la_children_who_ceased_during_the_year.csv", SourceFormat.EES, _CLA, _CLA_URL)
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
    "local authorities: many record every incident as missing. The DfE left these figures off "
    "its dashboard for this reason; compare local authorities with care."
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
            source=CEASED,
            value_column="percentage",
            filters={
                "cla_group": "Reason episode ceased",
                "characteristic": "Special guardianship orders",
            },
            numerator_column="number",
            denominator_filters={"cla_group": "Reason episode ceased", "characteristic": "Total"},
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
            source=CEASED,
            value_column="percentage",
            filters={
                "cla_group": "Reason episode ceased",
                "characteristic": "Residence order or child arrangement order granted",
            },
            numerator_column="number",
            denominator_filters={"cla_group": "Reason episode ceased", "characteristic": "Total"},
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


def key_for_published_series(file: str, column: str, row_filter: str | None = None) -> str | None:
    """The key of the indicator loaded from ``file``'s ``column`` (value or numerator).

    Lets the timely indicator registry (``indicators.registry.PublishedSeries``) find the
    published figure it sits beside. ``row_filter`` is the registry's ``column = "value"`` text.
    """
    wanted: dict[str, str] = {}
    if row_filter:
        name, _, value = row_filter.partition("=")
        wanted[name.strip()] = value.strip().strip('"')
    for spec in INDICATORS:
        columns = {spec.value_column, spec.numerator_column}
        if (
            Path(file).match(spec.source.pattern)
            and column in columns
            and all(spec.filters.get(name) == value for name, value in wanted.items())
        ):
            return spec.key
    return None


# ---------------------------------------------------------------------------------------------
# 2. The loader
# ---------------------------------------------------------------------------------------------


def reference_date(period_type: str, end_year: int) -> datetime.date:
    """The date that decides which local authorities a period's figures can belong to.

    31 March of the end year for financial and academic years (the outcomes files count
    children in need on 31 March), 30 September for the workforce census year.
    """
    if period_type == PeriodType.REPORTING_YEAR:
        return datetime.date(end_year, 9, 30)
    return datetime.date(end_year, 3, 31)


@dataclass(frozen=True)
class _Geography:
    """The reference geography, keyed the way the files name places."""

    la_ids: dict[str, int]
    la_by_ons_code: dict[str, str]
    la_valid_from: dict[str, datetime.date | None]
    la_valid_to: dict[str, datetime.date | None]
    la_sub_region: dict[str, str]
    region_ids: dict[str, int]
    region_by_name: dict[str, str]
    population: pd.DataFrame  # geography_code, year, population

    @classmethod
    def from_database(cls) -> _Geography:
        las = list(
            LocalAuthority.objects.values_list(
                "id", "code", "ons_code", "valid_from", "valid_to", "sub_region__code"
            )
        )
        regions = list(Region.objects.values_list("id", "code", "name"))
        if not las or not regions:
            raise PublishedDataError(
                "No reference geography in the database: run 'manage.py load_reference_data' first."
            )
        rows = Population.objects.values_list(
            "geography_level", "region__code", "la__code", "year", "population_0_17"
        )
        population = pd.DataFrame(
            [
                (la_code or region_code or NATIONAL_CODE, year, people)
                for _, region_code, la_code, year, people in rows
            ],
            columns=["geography_code", "year", "population"],
        )
        return cls(
            la_ids={code: pk for pk, code, *_ in las},
            la_by_ons_code={ons: code for _, code, ons, *_ in las},
            la_valid_from={code: start for _, code, _, start, _, _ in las},
            la_valid_to={code: end for _, code, _, _, end, _ in las},
            la_sub_region={code: sub for _, code, _, _, _, sub in las if sub},
            region_ids={code: pk for pk, code, _ in regions},
            region_by_name={name.casefold(): code for _, code, name in regions},
            population=population,
        )


def _find_file(directory: Path, source: Source) -> Path:
    matches = sorted(directory.glob(source.pattern))
    if not matches:
        raise PublishedDataError(f"No file matching {source.pattern} in {directory}.")
    if len(matches) > 1:
        names = ", ".join(path.name for path in matches)
        raise PublishedDataError(
            f"Several files match {source.pattern} in {directory} ({names}): keep only the "
            "latest release."
        )
    return matches[0]


def _read_csv(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    """Read a CSV file as text, checking it has ``columns``; ``_where`` names each row's line."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise PublishedDataError(f"{path.name}: not a readable UTF-8 CSV file ({error}).") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise PublishedDataError(f"{path.name}: missing column(s) {', '.join(missing)}.")
    # Line 1 is the header; quoted fields in these files never span lines.
    frame["_where"] = "line " + (frame.index + 2).astype(str)
    return frame


def _first_bad(
    frame: pd.DataFrame, mask: pd.Series, path: Path, message: Callable[[pd.Series], str]
) -> None:
    """Raise for the first row where ``mask`` holds, naming the file and the row."""
    if mask.any():
        row = frame.loc[mask].iloc[0]
        raise PublishedDataError(f"{path.name}, {row['_where']}: {message(row)}")


def _period_columns(frame: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    """Add ``period`` and ``period_end_year`` from a ``YYYY``, ``YYYYYY`` or ``YYYY/YY`` column."""
    text = frame[column].str.strip()
    year = text.str.fullmatch(r"\d{4}")
    academic = text.str.fullmatch(r"\d{6}")
    slashed = text.str.fullmatch(r"\d{4}/\d{2}")
    _first_bad(
        frame,
        ~(year | academic | slashed),
        path,
        lambda row: (
            f"unexpected {column} {row[column]!r}; expected a year such as 2025, 202425 or 2024/25."
        ),
    )
    start = text.str[:4].astype(int)
    return frame.assign(
        period=np.where(academic, text.str[:4] + "/" + text.str[4:], text),
        period_end_year=np.where(year, start, start + 1),
    )


def _read_ees(path: Path) -> pd.DataFrame:
    frame = _read_csv(path, ("time_period", "geographic_level"))
    # England-only files (adoption timings) have no region or LA columns.
    for column in ("region_code", "old_la_code"):
        if column not in frame.columns:
            frame[column] = ""
    level = frame["geographic_level"].map(_EES_LEVELS)
    _first_bad(
        frame,
        level.isna(),
        path,
        lambda row: (
            f"unexpected geographic_level {row['geographic_level']!r}; expected "
            "National, Regional or Local authority."
        ),
    )
    code = np.select(
        [level == GeographyLevel.NATIONAL, level == GeographyLevel.REGIONAL],
        [NATIONAL_CODE, frame["region_code"].str.strip()],
        frame["old_la_code"].str.strip(),
    )
    return _period_columns(frame.assign(level=level, geography_code=code), "time_period", path)


def _read_fingertips(path: Path, geography: _Geography) -> pd.DataFrame:
    columns = ("Area Code", "Area Type", "Sex", "Category", "Time period", "Value", "Count")
    frame = _read_csv(path, (*columns, "Denominator"))
    # One row per area and year for all persons; the file also breaks figures down by sex and
    # deprivation decile.
    frame = frame.loc[(frame["Sex"] == "Persons") & (frame["Category"] == "")].copy()
    area_type = frame["Area Type"]
    is_la = area_type.str.startswith("Counties & UAs")
    level = pd.Series(GeographyLevel.LOCAL_AUTHORITY.value, index=frame.index)
    level[area_type == "England"] = GeographyLevel.NATIONAL.value
    level[area_type == "Regions (statistical)"] = GeographyLevel.REGIONAL.value
    _first_bad(
        frame,
        ~(is_la | area_type.isin(["England", "Regions (statistical)"])),
        path,
        lambda row: f"unexpected Area Type {row['Area Type']!r}.",
    )
    code = frame["Area Code"].where(~is_la, frame["Area Code"].map(geography.la_by_ons_code))
    _first_bad(
        frame,
        code.isna(),
        path,
        lambda row: f"area code {row['Area Code']} is not a known local authority.",
    )
    # Fingertips leaves a cell empty where it has no figure (City of London and the Isles of
    # Scilly are counted with Hackney and Cornwall): 'x', not available.
    numbers = frame[["Value", "Count", "Denominator"]].replace("", SuppressionCode.NOT_AVAILABLE)
    frame = frame.assign(level=level, geography_code=code, **numbers)
    frame = _period_columns(frame, "Time period", path)
    return pd.concat([frame, _london_sub_regions(frame, geography)], ignore_index=True)


def _london_sub_regions(frame: pd.DataFrame, geography: _Geography) -> pd.DataFrame:
    """Inner and Outer London rows summed from their boroughs, as the DfE dashboard does."""
    boroughs = frame.assign(sub_region=frame["geography_code"].map(geography.la_sub_region))
    boroughs = boroughs.dropna(subset=["sub_region"])
    counts = pd.to_numeric(boroughs["Count"], errors="coerce")
    people = pd.to_numeric(boroughs["Denominator"], errors="coerce")
    known = counts.notna() & people.notna()
    sums = (
        boroughs.assign(Count=counts, Denominator=people)
        .loc[known]
        .groupby(["sub_region", "period", "period_end_year"], as_index=False)[
            ["Count", "Denominator"]
        ]
        .sum()
    )
    rate = sums["Count"] / sums["Denominator"] * 10000
    return pd.DataFrame(
        {
            "level": GeographyLevel.REGIONAL.value,
            "geography_code": sums["sub_region"],
            "period": sums["period"],
            "period_end_year": sums["period_end_year"],
            "Value": rate.map("{:.6f}".format),
            "Count": sums["Count"].map("{:.0f}".format),
            "Denominator": sums["Denominator"].map("{:.0f}".format),
            "_where": "computed from the boroughs' rows",
        }
    )


def _read_lait(path: Path, measures: Sequence[str], geography: _Geography) -> pd.DataFrame:
    columns = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
    try:
        frame = pd.read_parquet(path, columns=columns, filters=[("Short Desc", "in", measures)])
    except (OSError, ValueError, KeyError) as error:
        raise PublishedDataError(
            f"{path.name}: not a readable LAIT parquet file ({error})."
        ) from None
    frame = frame.astype({"Values": str, "Years": str}).reset_index(drop=True)
    frame["_where"] = (
        "measure " + frame["Short Desc"] + ", " + frame["LA and Regions"] + ", " + frame["Years"]
    )
    number = frame["LA Number"]
    _first_bad(
        frame, number.isna(), path, lambda row: f"no LA Number for {row['LA and Regions']!r}."
    )
    number = number.astype(int)
    region = (
        frame["LA and Regions"]
        .str.casefold()
        .replace(_LAIT_REGION_ALIASES)
        .map(geography.region_by_name)
    )
    is_region = number >= _LAIT_FIRST_REGION
    _first_bad(
        frame,
        is_region & region.isna(),
        path,
        lambda row: f"{row['LA and Regions']!r} is not a known region.",
    )
    level = np.select(
        [number == _LAIT_ENGLAND, is_region],
        [GeographyLevel.NATIONAL.value, GeographyLevel.REGIONAL.value],
        GeographyLevel.LOCAL_AUTHORITY.value,
    )
    code = np.select(
        [number == _LAIT_ENGLAND, is_region], [NATIONAL_CODE, region], number.map("{:03d}".format)
    )
    frame = frame.assign(level=level, geography_code=code)
    return _period_columns(frame, "Years", path)


def _resolve_geography(
    frame: pd.DataFrame, path: Path, period_type: str, geography: _Geography
) -> tuple[pd.DataFrame, int]:
    """Split joint returns, check every place is known and drop LA rows outside LA lifetimes.

    Returns the frame with ``la_id``, ``region_id`` and ``joint_with``, and how many LA rows
    fell outside their authority's lifetime.
    """
    is_la = frame["level"] == GeographyLevel.LOCAL_AUTHORITY
    joint = is_la & frame["geography_code"].str.contains(" / ", regex=False)
    frame = frame.assign(
        joint_codes=frame["geography_code"].where(joint, ""),
        geography_code=frame["geography_code"].str.split(" / "),
    ).explode("geography_code", ignore_index=True)
    joint = frame["joint_codes"] != ""
    frame["joint_with"] = ""
    frame.loc[joint, "joint_with"] = [
        " / ".join(code for code in codes.split(" / ") if code != own)
        for own, codes in zip(
            frame.loc[joint, "geography_code"], frame.loc[joint, "joint_codes"], strict=True
        )
    ]
    is_la = frame["level"] == GeographyLevel.LOCAL_AUTHORITY
    is_region = frame["level"] == GeographyLevel.REGIONAL
    la_id = frame["geography_code"].map(geography.la_ids).where(is_la)
    region_id = frame["geography_code"].map(geography.region_ids).where(is_region)
    _first_bad(
        frame,
        is_la & la_id.isna(),
        path,
        lambda row: f"{row['geography_code']!r} is not a known DfE LA code.",
    )
    _first_bad(
        frame,
        is_region & region_id.isna(),
        path,
        lambda row: f"{row['geography_code']!r} is not a known region code.",
    )

    # A date column per row, compared as datetime64 so the check stays vectorised.
    ref = pd.to_datetime(
        [reference_date(period_type, year) for year in frame["period_end_year"].unique()]
    )
    ref_by_year = dict(zip(frame["period_end_year"].unique(), ref, strict=True))
    on = frame["period_end_year"].map(ref_by_year)
    start = pd.to_datetime(frame["geography_code"].map(geography.la_valid_from))
    end = pd.to_datetime(frame["geography_code"].map(geography.la_valid_to))
    outside = is_la & ((start.notna() & (start > on)) | (end.notna() & (end < on)))
    frame = frame.assign(la_id=la_id, region_id=region_id).loc[~outside]
    return frame.drop(columns="joint_codes"), int(outside.sum())


def _parse_numbers(
    frame: pd.DataFrame, column: str, path: Path
) -> tuple[list[Decimal | None], pd.Series]:
    """Split a published column into exact numbers and suppression codes.

    Thousands separators and a trailing % are dropped. A cell that is neither a number nor a
    known code is an error naming the file and line.
    """
    if column not in frame.columns:
        raise PublishedDataError(f"{path.name}: missing column {column}.")
    text = frame[column].str.strip()
    is_code = text.isin(SUPPRESSION_CODES)
    cleaned = text.str.replace(",", "", regex=False).str.removesuffix("%")
    numeric = pd.to_numeric(cleaned.where(~is_code), errors="coerce")
    bad = ~is_code & ~np.isfinite(numeric.astype(float))
    codes = ", ".join(sorted(SUPPRESSION_CODES))
    _first_bad(
        frame,
        bad,
        path,
        lambda row: (
            f"{column} holds {row[column]!r}, which is neither a number nor a "
            f"suppression code ({codes})."
        ),
    )
    numbers = [
        None if code else Decimal(value).quantize(_STORE_PLACES)
        for value, code in zip(cleaned, is_code, strict=True)
    ]
    return numbers, text.where(is_code, "")


def _years_months(
    frame: pd.DataFrame, column: str, path: Path
) -> tuple[list[Decimal | None], pd.Series]:
    """Read a "YY:MM" duration column as months (the DfE dashboard's 12 x YY + MM)."""
    text = frame[column].str.strip()
    is_code = text.isin(SUPPRESSION_CODES)
    parts = text.str.extract(r"^(\d+):(\d{2})$")
    _first_bad(
        frame,
        ~is_code & parts[0].isna(),
        path,
        lambda row: f"{column} holds {row[column]!r}; expected years and months such as 01:02.",
    )
    months = [
        None if code else Decimal(int(years) * 12 + int(rest))
        for years, rest, code in zip(parts[0], parts[1], is_code, strict=True)
    ]
    return months, text.where(is_code, "")


def _matching(frame: pd.DataFrame, filters: Mapping[str, str], path: Path) -> pd.Series:
    missing = [column for column in filters if column not in frame.columns]
    if missing:
        raise PublishedDataError(f"{path.name}: missing column(s) {', '.join(missing)}.")
    mask = pd.Series(True, index=frame.index)
    for column, value in filters.items():
        mask &= frame[column] == value
    return mask


def _spec_values(
    spec: IndicatorSpec, frame: pd.DataFrame, path: Path, geography: _Geography
) -> pd.DataFrame:
    """The indicator's rows: one per geography and period, ready to store."""
    rows = frame.loc[_matching(frame, spec.filters, path)]
    if rows.empty:
        wanted = ", ".join(f"{name} = {value!r}" for name, value in spec.filters.items())
        raise PublishedDataError(f"{path.name}: no rows where {wanted or 'any'} ({spec.key}).")
    numerators: list[Decimal | None] = [None] * len(rows)
    denominators: list[Decimal | None] = [None] * len(rows)
    if spec.compute == Compute.YEARS_MONTHS:
        values, codes = _years_months(rows, spec.value_column, path)
    else:
        values, codes = _parse_numbers(rows, spec.value_column, path)
    if spec.compute == Compute.RATE_PER_10K:
        numerators = values
        people = rows.assign(year=rows["period_end_year"] - 1).merge(
            geography.population, on=["geography_code", "year"], how="left"
        )["population"]
        denominators = [None if pd.isna(n) else Decimal(int(n)) for n in people]
        values = [
            None
            if count is None or pop is None
            else (count * _TEN_THOUSAND / pop).quantize(_STORE_PLACES)
            for count, pop in zip(numerators, denominators, strict=True)
        ]
        # A published count without a population to divide by cannot become a rate.
        has_rate = np.array(
            [
                count is None or pop is not None
                for count, pop in zip(numerators, denominators, strict=True)
            ],
            dtype=bool,
        )
        codes = codes.where(has_rate, SuppressionCode.NOT_AVAILABLE.value)
    elif spec.numerator_column:
        numerators = _parse_numbers(rows, spec.numerator_column, path)[0]
        if spec.denominator_filters is not None:
            totals = frame.loc[_matching(frame, spec.denominator_filters, path)]
            total_numbers = pd.Series(
                _parse_numbers(totals, spec.numerator_column, path)[0],
                index=pd.MultiIndex.from_frame(totals[["geography_code", "period"]]),
                dtype=object,
            )
            total_numbers = total_numbers[~total_numbers.index.duplicated()]
            keys = pd.MultiIndex.from_frame(rows[["geography_code", "period"]])
            denominators = [None if pd.isna(d) else d for d in total_numbers.reindex(keys).tolist()]
        elif spec.denominator_column:
            denominators = _parse_numbers(rows, spec.denominator_column, path)[0]
    out = pd.DataFrame(
        {
            "level": rows["level"].to_numpy(),
            "geography_code": rows["geography_code"].to_numpy(),
            "la_id": rows["la_id"].to_numpy(),
            "region_id": rows["region_id"].to_numpy(),
            "period": rows["period"].to_numpy(),
            "period_end_year": rows["period_end_year"].to_numpy(),
            "value": pd.Series(values, dtype=object).to_numpy(),
            "suppression": codes.to_numpy(),
            "numerator": pd.Series(numerators, dtype=object).to_numpy(),
            "denominator": pd.Series(denominators, dtype=object).to_numpy(),
            "joint_with": rows["joint_with"].to_numpy(),
            "_where": rows["_where"].to_numpy(),
        }
    )
    return _drop_repeats(out, spec, path)


def _drop_repeats(out: pd.DataFrame, spec: IndicatorSpec, path: Path) -> pd.DataFrame:
    """Keep one of identical repeated rows; two different figures for one place are an error."""
    key = ["geography_code", "period"]
    stored = [*key, "value", "suppression", "numerator", "denominator", "joint_with"]
    out = out.drop_duplicates(subset=stored)
    clash = out.duplicated(subset=key, keep=False)
    if clash.any():
        first = out.loc[clash].iloc[0]
        rows = out.loc[clash & (out["geography_code"] == first["geography_code"])]
        rows = rows.loc[rows["period"] == first["period"]]
        raise PublishedDataError(
            f"{path.name}: different {spec.key} figures for {first['geography_code']} in "
            f"{first['period']} at {' and '.join(rows['_where'])}."
        )
    return out


_VALUE_FIELDS = (
    "geography_level",
    "la_id",
    "region_id",
    "period_end_year",
    "value",
    "suppression",
    "numerator",
    "denominator",
    "joint_with",
)


def _as_records(out: pd.DataFrame) -> dict[tuple[str, str], tuple[object, ...]]:
    """(geography code, period) -> the stored fields in ``_VALUE_FIELDS`` order."""
    la_ids = [None if pd.isna(pk) else int(pk) for pk in out["la_id"].tolist()]
    region_ids = [None if pd.isna(pk) else int(pk) for pk in out["region_id"].tolist()]
    columns = [
        out["level"].astype(str).tolist(),
        la_ids,
        region_ids,
        out["period_end_year"].astype(int).tolist(),
        *(out[name].tolist() for name in ("value", "suppression", "numerator", "denominator")),
        out["joint_with"].tolist(),
    ]
    keys = zip(out["geography_code"].tolist(), out["period"].tolist(), strict=True)
    return dict(zip(keys, zip(*columns, strict=True), strict=True))


def _store_indicators(
    specs: Sequence[IndicatorSpec],
    files: Mapping[str, str],
    periods: Mapping[str, list[str]],
) -> tuple[dict[str, int], int]:
    """Upsert one PublishedIndicator per spec and delete indicators no longer declared."""
    changed = 0
    stored = {indicator.key: indicator for indicator in PublishedIndicator.objects.all()}
    for order, spec in enumerate(specs, start=1):
        wanted = {
            "title": spec.title,
            "group": spec.group,
            "heading": spec.heading,
            "unit": spec.unit.value,
            "decimals": spec.decimals,
            "definition": spec.definition,
            "source": f"{spec.source.publication}; file {files[spec.key]}",
            "source_url": spec.source.url,
            "caveats": list(spec.caveats),
            "sort_order": order,
            "dfe_sort_order": spec.dfe_sort_order,
            "period_type": spec.source.period_type.value,
            "sn_aggregation": spec.sn_aggregation.value,
            "national_only": spec.national_only,
            "periods": periods[spec.key],
        }
        indicator = stored.get(spec.key)
        if indicator is None:
            stored[spec.key] = PublishedIndicator.objects.create(key=spec.key, **wanted)
            changed += 1
        elif any(getattr(indicator, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(indicator, name, value)
            indicator.save()
            changed += 1
    stale = PublishedIndicator.objects.exclude(key__in=[spec.key for spec in specs])
    changed += stale.delete()[1].get(PublishedIndicator._meta.label, 0)
    return {key: indicator.pk for key, indicator in stored.items()}, changed


def _store_values(
    wanted: Mapping[int, Mapping[tuple[str, str], tuple[object, ...]]],
) -> tuple[int, int, int]:
    """Make PublishedValue hold exactly ``wanted`` (indicator id -> rows); only writes changes."""
    existing: dict[tuple[int, str, str], tuple[int, tuple[object, ...]]] = {
        (row[1], row[2], row[3]): (row[0], tuple(row[4:]))
        for row in PublishedValue.objects.values_list(
            "id", "indicator_id", "geography_code", "period", *_VALUE_FIELDS
        )
    }
    to_create: list[tuple[Any, ...]] = []
    to_update: list[PublishedValue] = []
    seen: set[tuple[int, str, str]] = set()
    for indicator_id, rows in wanted.items():
        for (code, period), fields in rows.items():
            key = (indicator_id, code, period)
            seen.add(key)
            current = existing.get(key)
            if current is None:
                to_create.append((*key, *fields))
            elif current[1] != fields:
                to_update.append(
                    PublishedValue(
                        pk=current[0],
                        indicator_id=indicator_id,
                        geography_code=code,
                        period=period,
                        **dict(zip(_VALUE_FIELDS, fields, strict=True)),
                    )
                )
    stale = [pk for key, (pk, _) in existing.items() if key not in seen]
    for start in range(0, len(stale), 500):
        PublishedValue.objects.filter(pk__in=stale[start : start + 500]).delete()
    _insert(to_create)
    PublishedValue.objects.bulk_update(to_update, list(_VALUE_FIELDS), batch_size=500)
    return len(to_create), len(to_update), len(stale)


def _insert(rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert value rows with one executemany.

    A first load creates some 80,000 rows; building a model instance for each made
    ``bulk_create`` take most of the load time. The columns are plain (no defaults or signals
    to honour) and the database adapters convert Decimal themselves.
    """
    if not rows:
        return
    meta = PublishedValue._meta
    names = ["indicator_id", "geography_code", "period", *_VALUE_FIELDS]
    column_of = {field.attname: field.column for field in meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(column_of[name]) for name in names)
    placeholders = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 (table and column names from the model, values bound)
            f"VALUES ({placeholders})",
            rows,
        )


def load_published_data(directory: Path = DATA_DIR) -> dict[str, int]:
    """Read every source file in ``directory`` and make the published-data tables match them.

    Safe to run again: only rows that differ are written, in one transaction. Returns the
    number of stored values per indicator key, plus ``created``, ``updated``, ``deleted`` (value
    rows), ``indicators_changed`` and ``outside_lifetime`` (LA rows skipped because the
    authority did not exist in that period). Raises ``PublishedDataError`` naming the file and
    line of anything it cannot read.
    """
    geography = _Geography.from_database()
    frames: dict[Source, tuple[Path, pd.DataFrame]] = {}
    outside = 0
    lait_measures = sorted(
        {spec.filters["Short Desc"] for spec in INDICATORS if spec.source == LAIT}
    )
    for source in dict.fromkeys(spec.source for spec in INDICATORS):
        path = _find_file(directory, source)
        if source.format == SourceFormat.EES:
            frame = _read_ees(path)
        elif source.format == SourceFormat.FINGERTIPS:
            frame = _read_fingertips(path, geography)
        else:
            frame = _read_lait(path, lait_measures, geography)
        frame, skipped = _resolve_geography(frame, path, source.period_type, geography)
        frames[source] = (path, frame)
        outside += skipped

    records: dict[str, dict[tuple[str, str], tuple[object, ...]]] = {}
    periods: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    for spec in INDICATORS:
        path, frame = frames[spec.source]
        out = _spec_values(spec, frame, path, geography)
        records[spec.key] = _as_records(out)
        labels = out[["period_end_year", "period"]].drop_duplicates().sort_values("period_end_year")
        periods[spec.key] = labels["period"].tolist()
        files[spec.key] = path.name

    with transaction.atomic():
        ids, indicators_changed = _store_indicators(INDICATORS, files, periods)
        created, updated, deleted = _store_values({ids[key]: rows for key, rows in records.items()})
    return {
        **{key: len(rows) for key, rows in records.items()},
        "created": created,
        "updated": updated,
        "deleted": deleted,
        "indicators_changed": indicators_changed,
        "outside_lifetime": outside,
    }


# ---------------------------------------------------------------------------------------------
# 3. The query API
# ---------------------------------------------------------------------------------------------


class Trend(StrEnum):
    """How an LA's latest value compares with its previous one, at the precision shown."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True)
class IndicatorSummary:
    """An indicator as listed on the home page and in summaries."""

    key: str
    title: str
    unit: str
    decimals: int


@dataclass(frozen=True)
class Heading:
    """A sub-heading of an outcome or enabler and its indicators, in page order."""

    title: str
    indicators: tuple[IndicatorSummary, ...]


@dataclass(frozen=True)
class Group:
    """A National Framework outcome or enabler with its headings, in page order."""

    title: str
    is_outcome: bool
    headings: tuple[Heading, ...]


@dataclass(frozen=True)
class IndicatorMeta:
    """Everything an indicator page says about an indicator besides its figures.

    ``periods`` are the period labels held, oldest first. ``period_type_label`` says what a
    label means ("Year ending 31 March", "Academic year", "Year to 30 September").
    """

    key: str
    title: str
    group: str
    heading: str
    unit: str
    decimals: int
    definition: str
    source: str
    source_url: str
    caveats: tuple[str, ...]
    period_type: str
    period_type_label: str
    sn_aggregation: str
    national_only: bool
    dfe_sort_order: int | None
    periods: tuple[str, ...]

    @property
    def latest_period(self) -> str | None:
        return self.periods[-1] if self.periods else None


@dataclass(frozen=True)
class Value:
    """One figure as shown: its number, or its suppression code, or nothing published.

    ``display`` is the number formatted for the indicator's unit and decimal places (``22.6%``,
    ``67``, ``1,130``), the code itself (``c``) or ``"no data"``. ``note`` explains a joint
    return.
    """

    value: Decimal | None
    suppression: str
    display: str
    note: str = ""

    @property
    def status(self) -> str:
        """``number``, ``suppressed`` or ``missing``."""
        if self.value is not None:
            return "number"
        return "suppressed" if self.suppression else "missing"

    @property
    def explanation(self) -> str:
        """What the suppression code means, or an empty string."""
        return SUPPRESSION_EXPLANATIONS.get(self.suppression, "")


NO_DATA = Value(None, "", MISSING_DISPLAY)


@dataclass(frozen=True)
class Geography:
    """A place a figure is for: England (``E92000001``), a region or an LA (3-digit code)."""

    code: str
    name: str
    level: str


ENGLAND = Geography(NATIONAL_CODE, "England", GeographyLevel.NATIONAL.value)


@dataclass(frozen=True)
class SeriesRow:
    """One period of a time series: the LA, its region, England and its neighbours' median."""

    period: str
    period_end_year: int
    la: Value
    region: Value
    england: Value
    neighbours: Value


@dataclass(frozen=True)
class Series:
    """An indicator's figures over time for an LA and its comparators, oldest period first.

    ``region`` is Inner or Outer London for a London borough (what the DfE dashboard compares
    with). ``neighbours`` are the LA's ten statistical neighbours in rank order (none for an
    abolished LA); ``SeriesRow.neighbours`` is their median, or sum for counts.
    """

    indicator: IndicatorMeta
    la: Geography
    region: Geography
    england: Geography
    neighbours: tuple[Geography, ...]
    rows: tuple[SeriesRow, ...]


@dataclass(frozen=True)
class Point:
    """One geography's figure for one period, for bar charts and their tables.

    ``region_name`` is set for LAs (Inner/Outer London for London boroughs). ``selected`` marks
    the chosen LA; ``neighbour_rank`` (1 = closest) marks its statistical neighbours.
    """

    geography: Geography
    period: str
    value: Value
    region_name: str = ""
    selected: bool = False
    neighbour_rank: int | None = None


@dataclass(frozen=True)
class SummaryRow:
    """An indicator at a glance for one LA: latest and previous figures, trend, comparators."""

    indicator: IndicatorSummary
    group: str
    heading: str
    period: str | None
    la: Value
    previous_period: str | None
    previous: Value
    trend: Trend
    region: Value
    england: Value
    neighbours: Value


@dataclass(frozen=True)
class _LaContext:
    la: Geography
    region: Geography
    neighbours: tuple[Geography, ...]
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    def existed(self, period_type: str, end_year: int) -> bool:
        on = reference_date(period_type, end_year)
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or self.valid_to >= on
        )


def format_value(value: Decimal, unit: str, decimals: int) -> str:
    """A number as shown: rounded half away from zero, thousands separated, % or £ added."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    if unit == Unit.PERCENT:
        return f"{text}%"
    if unit == Unit.CURRENCY:
        return f"£{text}"
    return text


def _plain(number: Decimal) -> Decimal:
    """The stored number without the padding zeros of six decimal places (22.600000 -> 22.6)."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def _value(
    number: Decimal | None, code: str, meta: IndicatorMeta | IndicatorSummary, note: str = ""
) -> Value:
    if number is not None:
        return Value(_plain(number), "", format_value(number, meta.unit, meta.decimals), note)
    if code:
        return Value(None, code, code, note)
    return NO_DATA


def _meta(indicator: PublishedIndicator) -> IndicatorMeta:
    return IndicatorMeta(
        key=indicator.key,
        title=indicator.title,
        group=indicator.group,
        heading=indicator.heading,
        unit=indicator.unit,
        decimals=indicator.decimals,
        definition=indicator.definition,
        source=indicator.source,
        source_url=indicator.source_url,
        caveats=tuple(indicator.caveats),
        period_type=indicator.period_type,
        period_type_label=PeriodType(indicator.period_type).label,
        sn_aggregation=indicator.sn_aggregation,
        national_only=indicator.national_only,
        dfe_sort_order=indicator.dfe_sort_order,
        periods=tuple(indicator.periods),
    )


def _summary(meta: IndicatorMeta) -> IndicatorSummary:
    return IndicatorSummary(meta.key, meta.title, meta.unit, meta.decimals)


def _require(key: str) -> tuple[int, IndicatorMeta]:
    """The indicator's id and metadata; ``NotFound`` when it is not loaded."""
    indicator = PublishedIndicator.objects.filter(key=key).first()
    if indicator is None:
        raise NotFound(f"No published indicator {key!r}.")
    return indicator.pk, _meta(indicator)


_LA_FIELDS = (
    "code",
    "name",
    "valid_from",
    "valid_to",
    "region__code",
    "region__name",
    "sub_region__code",
    "sub_region__name",
)


def _la_context(la_code: str) -> _LaContext:
    """The LA, the region it is compared with and its neighbours (one query for current LAs).

    Neighbours come from the latest statistical neighbour model loaded. An abolished LA has
    none, and is read with a second query.
    """
    links = list(
        StatisticalNeighbour.objects.filter(la__code=la_code)
        .order_by("-model_year", "rank")
        .values_list(
            *(f"la__{name}" for name in _LA_FIELDS),
            "neighbour__code",
            "neighbour__name",
            "model_year",
        )
    )
    heads: list[tuple[Any, ...]]
    if links:
        heads = [links[0][: len(_LA_FIELDS)]]
        latest = [link for link in links if link[-1] == links[0][-1]]
    else:
        heads = list(LocalAuthority.objects.filter(code=la_code).values_list(*_LA_FIELDS))
        latest = []
    if not heads:
        raise NotFound(f"No local authority {la_code!r}.")
    code, name, valid_from, valid_to, region_code, region_name, sub_code, sub_name = heads[0]
    return _LaContext(
        la=Geography(code, name, GeographyLevel.LOCAL_AUTHORITY.value),
        region=Geography(
            sub_code or region_code, sub_name or region_name, GeographyLevel.REGIONAL.value
        ),
        neighbours=tuple(
            Geography(link[-3], link[-2], GeographyLevel.LOCAL_AUTHORITY.value) for link in latest
        ),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _with_partners(names: Mapping[str, str], joint_with: Iterable[str | None]) -> Mapping[str, str]:
    """``names`` (code -> name) plus any joint-return partner it lacks: a query only if needed."""
    wanted = {code for value in joint_with if value for code in value.split(" / ")} - names.keys()
    if not wanted:
        return names
    found = LocalAuthority.objects.filter(code__in=wanted).values_list("code", "name")
    return {**names, **dict(found)}


def _joint_note(joint_with: str, names: Mapping[str, str]) -> str:
    if not joint_with:
        return ""
    others = " and ".join(names.get(code, code) for code in joint_with.split(" / "))
    return f"Joint return with {others}: one figure for both."


def _comparator(
    meta: IndicatorMeta, context: _LaContext, period: str | None, numbers: Sequence[Decimal]
) -> Value:
    """The neighbours' comparator for a period: the median of their figures (sum for counts).

    Missing when no neighbour has a figure, and for periods before the LA existed (the DfE
    dashboard drops those for North/West Northamptonshire, Cumberland and Westmorland).
    """
    if not numbers or period is None or not context.existed(meta.period_type, _end_year(period)):
        return NO_DATA
    if meta.sn_aggregation == NeighbourAggregation.SUM:
        return _value(sum(numbers, Decimal(0)), "", meta)
    return _value(statistics.median(numbers), "", meta)


def indicator_groups() -> list[Group]:
    """Outcomes then enablers, each with its headings and their indicators, in page order.

    One query. Groups and headings without a loaded indicator are left out.
    """
    grouped: dict[str, dict[str, list[IndicatorSummary]]] = defaultdict(lambda: defaultdict(list))
    for key, title, unit, decimals, group, heading in PublishedIndicator.objects.order_by(
        "sort_order"
    ).values_list("key", "title", "unit", "decimals", "group", "heading"):
        grouped[group][heading].append(IndicatorSummary(key, title, unit, decimals))
    return [
        Group(
            title=group,
            is_outcome=group.startswith("Outcome"),
            headings=tuple(Heading(title, tuple(items)) for title, items in headings.items()),
        )
        for group, headings in grouped.items()
    ]


def get_indicator(key: str) -> IndicatorMeta | None:
    """The indicator's metadata, or None when no such indicator is loaded. One query."""
    indicator = PublishedIndicator.objects.filter(key=key).first()
    return None if indicator is None else _meta(indicator)


def periods(key: str) -> list[str]:
    """The indicator's period labels, oldest first (``[]`` for an unknown key). One query."""
    found = PublishedIndicator.objects.filter(key=key).values_list("periods", flat=True).first()
    return list(found or [])


def local_authorities(include_predecessors: bool = False) -> list[tuple[str, str, str]]:
    """(DfE code, name, region name) of every current LA, by name, for the LA chooser.

    The region is one of the nine (London, not Inner/Outer London). With
    ``include_predecessors`` the authorities abolished since 2019 are listed too. One query.
    """
    las = LocalAuthority.objects.all() if include_predecessors else LocalAuthority.objects.current()
    return [
        (code, name, region)
        for code, name, region in las.order_by("name").values_list("code", "name", "region__name")
    ]


def time_series(key: str, la_code: str) -> Series:
    """The indicator for an LA, its region, England and its neighbours, period by period.

    Every period the indicator has is a row, oldest first; a geography without a published
    figure for a period shows as missing. The neighbours' comparator for a period is the median
    of the figures of those of the LA's ten neighbours that have one (suppressed, missing and
    joint-return figures ignored), or their sum for counts; it is missing when none has a
    figure, and for periods before the LA existed (as the DfE dashboard drops them). Raises
    ``NotFound`` for an unknown indicator or LA. Three queries (four for an abolished LA).
    """
    indicator_id, meta = _require(key)
    context = _la_context(la_code)
    region_code = context.region.code
    neighbour_codes = [neighbour.code for neighbour in context.neighbours]
    codes = {la_code, NATIONAL_CODE, region_code, *neighbour_codes}
    rows = list(
        PublishedValue.objects.filter(
            indicator_id=indicator_id, geography_code__in=codes
        ).values_list("geography_code", "period", "value", "suppression", "joint_with")
    )
    neighbours = {neighbour.code: neighbour.name for neighbour in context.neighbours}
    names = _with_partners(neighbours, (row[-1] for row in rows))
    figures: dict[tuple[str, str], Value] = {}
    neighbour_numbers: dict[str, list[Decimal]] = defaultdict(list)
    for code, period, number, suppression, joint_with in rows:
        figures[(code, period)] = _value(number, suppression, meta, _joint_note(joint_with, names))
        if code in neighbours and number is not None and not joint_with:
            neighbour_numbers[period].append(number)
    series_rows = [
        SeriesRow(
            period=period,
            period_end_year=_end_year(period),
            la=figures.get((la_code, period), NO_DATA),
            region=figures.get((region_code, period), NO_DATA),
            england=figures.get((NATIONAL_CODE, period), NO_DATA),
            neighbours=_comparator(meta, context, period, neighbour_numbers[period]),
        )
        for period in meta.periods
    ]
    return Series(meta, context.la, context.region, ENGLAND, context.neighbours, tuple(series_rows))


def _end_year(period: str) -> int:
    """2025 for "2025", 2025 for "2024/25" (the labels the loader stores)."""
    return int(period[:4]) + (1 if "/" in period else 0)


def regional_comparison(key: str, period: str | None = None) -> list[Point]:
    """England and every region (the nine, and Inner and Outer London after London).

    For ``period`` (default: the latest). Geographies without a published row are left out
    (for an England-only indicator, only England is returned). Raises ``NotFound`` for an
    unknown indicator. Two queries.
    """
    indicator_id, meta = _require(key)
    period = period or meta.latest_period
    rows = (
        PublishedValue.objects.filter(
            indicator_id=indicator_id,
            period=period,
            geography_level__in=[GeographyLevel.NATIONAL, GeographyLevel.REGIONAL],
        )
        .order_by("geography_code")
        .values_list(
            "geography_code", "region__name", "region__parent__code", "value", "suppression"
        )
    )
    england: list[Point] = []
    regions: list[tuple[str, Point]] = []
    for code, name, parent, number, suppression in rows:
        value = _value(number, suppression, meta)
        if code == NATIONAL_CODE:
            england.append(Point(ENGLAND, str(period), value))
        else:
            # Sub-regions sort right after their parent (London E12000007, then E13...).
            place = Geography(code, name, GeographyLevel.REGIONAL.value)
            regions.append(((parent or code) + code, Point(place, str(period), value)))
    return england + [point for _, point in sorted(regions, key=lambda item: item[0])]


def _sort_points(points: list[Point]) -> list[Point]:
    """Numbers ascending, then suppressed, then missing; ties by name."""

    def order(point: Point) -> tuple[int, Decimal, str]:
        rank = {"number": 0, "suppressed": 1, "missing": 2}[point.value.status]
        return rank, point.value.value or Decimal(0), point.geography.name

    return sorted(points, key=order)


def all_las(
    key: str, period: str | None = None, la_code: str | None = None, neighbours_only: bool = False
) -> list[Point]:
    """Every current LA's figure for ``period`` (default: the latest), for the all-LA chart.

    Sorted by value ascending with suppressed and then missing figures at the end; the LA
    ``la_code`` is flagged ``selected``. With ``neighbours_only`` only that LA and its ten
    statistical neighbours are returned (each with ``neighbour_rank``). Empty for an
    England-only indicator. Raises ``NotFound`` for an unknown indicator (or an unknown
    ``la_code`` with ``neighbours_only``). Two queries, three with ``neighbours_only``.
    """
    indicator_id, meta = _require(key)
    if meta.national_only:
        return []
    period = period or meta.latest_period
    ranks: dict[str, int] = {}
    if neighbours_only:
        if la_code is None:
            raise ValueError("neighbours_only needs la_code.")
        context = _la_context(la_code)
        ranks = {neighbour.code: rank for rank, neighbour in enumerate(context.neighbours, 1)}
    las = LocalAuthority.objects.current().annotate(
        figure=FilteredRelation(
            "published_values",
            condition=Q(
                published_values__indicator_id=indicator_id, published_values__period=period
            ),
        )
    )
    if neighbours_only:
        las = las.filter(code__in=[la_code, *ranks])
    rows = list(
        las.values_list(
            "code",
            "name",
            "sub_region__name",
            "region__name",
            "figure__value",
            "figure__suppression",
            "figure__joint_with",
        )
    )
    names = _with_partners({code: name for code, name, *_ in rows}, (row[-1] for row in rows))
    points = [
        Point(
            geography=Geography(code, name, GeographyLevel.LOCAL_AUTHORITY.value),
            period=str(period),
            value=_value(number, suppression or "", meta, _joint_note(joint_with or "", names)),
            region_name=sub_region or region,
            selected=code == la_code,
            neighbour_rank=ranks.get(code),
        )
        for code, name, sub_region, region, number, suppression, joint_with in rows
    ]
    return _sort_points(points)


def la_summary(la_code: str) -> list[SummaryRow]:
    """Every indicator's latest figure for the LA, with the previous one, trend and comparators.

    "Latest" is the indicator's latest period (so an LA with no figure for it shows as
    missing); "previous" the period before. The trend compares the two at the precision shown
    and is ``not_comparable`` when either is not a number. Region, England and neighbours are
    for the latest period, computed as in ``time_series``. England-only indicators are included
    (the LA columns are then missing). Raises ``NotFound`` for an unknown LA. Three queries.
    """
    metas = {
        indicator.pk: _meta(indicator)
        for indicator in PublishedIndicator.objects.order_by("sort_order")
    }
    context = _la_context(la_code)
    region_code = context.region.code
    neighbours = {neighbour.code: neighbour.name for neighbour in context.neighbours}
    codes = {la_code, NATIONAL_CODE, region_code, *neighbours}
    # Only the latest two periods are shown: older rows are left out of the query.
    first_year = min(
        (_end_year(meta.periods[-2:][0]) for meta in metas.values() if meta.periods), default=0
    )
    figures: dict[tuple[str, str, str], tuple[Decimal | None, str, str]] = {}
    for pk, code, period, number, suppression, joint_with in PublishedValue.objects.filter(
        geography_code__in=codes, period_end_year__gte=first_year
    ).values_list("indicator_id", "geography_code", "period", "value", "suppression", "joint_with"):
        figures[(metas[pk].key, code, period)] = (number, suppression, joint_with)
    names = _with_partners(neighbours, (found[2] for found in figures.values()))

    summary = []
    for meta in metas.values():
        latest = meta.latest_period
        previous = meta.periods[-2] if len(meta.periods) > 1 else None

        def figure(code: str, period: str | None, meta: IndicatorMeta = meta) -> Value:
            found = figures.get((meta.key, code, period or ""))
            if found is None:
                return NO_DATA
            number, suppression, joint_with = found
            return _value(number, suppression, meta, _joint_note(joint_with, names))

        now, before = figure(la_code, latest), figure(la_code, previous)
        numbers = [
            found[0]
            for code in neighbours
            if (found := figures.get((meta.key, code, latest or ""))) is not None
            and found[0] is not None
            and not found[2]
        ]
        summary.append(
            SummaryRow(
                indicator=_summary(meta),
                group=meta.group,
                heading=meta.heading,
                period=latest,
                la=now,
                previous_period=previous,
                previous=before,
                trend=_trend(now, before, meta.decimals),
                region=figure(region_code, latest),
                england=figure(NATIONAL_CODE, latest),
                neighbours=_comparator(meta, context, latest, numbers),
            )
        )
    return summary


def _trend(now: Value, before: Value, decimals: int) -> Trend:
    if now.value is None or before.value is None:
        return Trend.NOT_COMPARABLE
    step = Decimal(1).scaleb(-decimals)
    latest = now.value.quantize(step, rounding=ROUND_HALF_UP)
    previous = before.value.quantize(step, rounding=ROUND_HALF_UP)
    if latest == previous:
        return Trend.SAME
    return Trend.UP if latest > previous else Trend.DOWN
