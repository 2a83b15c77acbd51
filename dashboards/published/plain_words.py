"""Plain words for the public dashboard: the abbreviations of children's social care, and the
Department for Education dashboard's own name for each indicator.

The public pages give every indicator a title a non-specialist can read ("Overall absence of
children in need at 31 March (not on a child protection plan or looked after)") and never use
an abbreviation without its words. Specialists still need to match an indicator with the DfE
dashboard's (``Overall absence for CINO at 31 March``), so each page also shows that name,
with the words of every abbreviation in it (``abbreviations_in``).
"""

from __future__ import annotations

import re

#: The abbreviations of the field and of the figures' publishers, with their words as the
#: pages write them. ``tests/dashboards/test_public_words.py`` checks that no public page
#: uses one before (or without) these words.
ABBREVIATIONS: dict[str, str] = {
    "CAO": "child arrangements order",
    "CIN": "children in need",
    "CINO": "children in need who are not on a child protection plan or looked after",
    "CLA": "children looked after",
    "CPP": "child protection plan",
    "CPPO": "children on a child protection plan who are not looked after",
    "DfE": "Department for Education",
    "EET": "education, employment or training",
    "FTE": "full-time equivalent",
    "KS2": "key stage 2",
    "KS4": "key stage 4",
    "LA": "local authority",
    "LAIT": "Local Authority Interactive Tool",
    "MHCLG": "Ministry of Housing, Communities and Local Government",
    "NFA": "no further action",
    "OHID": "Office for Health Improvement and Disparities",
    "ONS": "Office for National Statistics",
    "SDQ": "Strengths and Difficulties Questionnaire",
    "SGO": "special guardianship order",
    "UASC": "unaccompanied asylum-seeking children",
}

#: The DfE dashboard's name for each of its indicators, by row of its
#: ``data/summary_page_metadata.csv`` (``IndicatorSpec.dfe_sort_order``), as written there
#: (``dfe-analytical-services/CSC_outcomes_and_enablers`` @ ``2f5d11a4``).
DFE_DASHBOARD_NAMES: dict[int, str] = {
    1: "Rate of children in need, per 10,000 children",
    2: "Repeat referrals (within 12 months)",
    3: "Rate of children starting to be looked after, per 10,000 children",
    4: "Rate of children looked after on 31 March, per 10,000 children",
    5: "Rate of children starting to be looked after who were UASC, per 10,000 children",
    6: "Rate of children looked after on 31 March who were UASC, per 10,000 children",
    7: "% CLA with one or more mid-year moves",
    8: "Overall absence for CINO at 31 March",
    9: "Overall absence for CPPO at 31 March",
    10: "Overall absence for CLA 12 months on 31 March",
    11: "Persistent absentees for CINO at 31 March (overall absence 10% or more)",
    12: "Persistent absentees for CPPO at 31 March (overall absence 10% or more)",
    13: "Persistent absentees for CLA 12 months at 31 March (overall absence 10% or more)",
    14: "Severe absentees for CINO at 31 March (overall absence 50% or more)",
    15: "Severe absentees for CPPO at 31 March (overall absence 50% or more)",
    16: "Severe absentees for CLA 12 months at 31 March (overall absence 50% or more)",
    17: "CINO at 31 March pupils achieving expected standard in reading, writing and mathematics "
    "combined (KS2)",
    18: "CPPO at 31 March pupils achieving expected standard in reading, writing and mathematics "
    "combined (KS2)",
    19: "CLA 12 months on 31 March pupils achieving expected standard in reading, writing and "
    "mathematics combined (KS2)",
    20: "Average attainment 8 for CINO at 31 March (KS4)",
    21: "Average attainment 8 for CPPO at 31 March (KS4)",
    22: "Average attainment 8 for CLA 12 months on 31 March (KS4)",
    23: "Percentage of child protection plans (CPP) starting during year, which were a second or "
    "subsequent plan",
    24: "Percentage of child protection plans (CPP) longer than 2 years",
    25: "Rate of Hospital admissions caused by unintentional and deliberate injuries to children "
    "and young people (0 to 14 years), per 10,000 children",
    26: "Rate of Domestic Abuse child, per 10,000 children",
    27: "Rate of Domestic Abuse parent, per 10,000 children",
    28: "Rate of Domestic Abuse person, per 10,000 children",
    29: "Rate of Emotional Abuse, per 10,000 children",
    30: "Rate of Faith linked abuse, per 10,000 children",
    31: "Rate of Neglect, per 10,000 children",
    32: "Rate of Physical Abuse adult on child, per 10,000 children",
    33: "Rate of Physical Abuse child on child, per 10,000 children",
    34: "Rate of Physical Abuse unknown, per 10,000 children",
    35: "Rate of Sexual Abuse adult on child, per 10,000 children",
    36: "Rate of Sexual Abuse child on child, per 10,000 children",
    37: "Rate of Sexual Abuse unknown, per 10,000 children",
    38: "Rate of Child criminal exploitation, per 10,000 children",
    39: "Rate of Child sexual exploitation, per 10,000 children",
    40: "Rate of Gangs, per 10,000 children",
    41: "Rate of Going missing, per 10,000 children",
    42: "Rate of Trafficking, per 10,000 children",
    43: "Percentage of children who cease being looked after due to special guardianship order "
    "(SGO)",
    44: "Percentage of children who cease being looked after due to residence order or child "
    "arrangements order (CAO)",
    45: "% CLA on 31 March with 3 or more placements during the year",
    46: "% CLA on 31 March placed more than 20 miles from home",
    47: "Average number of months between decision that a child should be placed for adoption "
    "and matching of child and adopters",
    48: "% CLA on 31 March living in foster care",
    49: "% CLA on 31 March living in secure homes and children's homes",
    50: "% CLA on 31 March living in independent and semi-independent living "
    "arrangements/supported accommodation",
    51: "Average SDQ score",
    52: "Care leavers in education, employment or training (17 to 18 years)",
    53: "Care leavers in education, employment or training (19 to 21 years)",
    54: "Care leavers in accommodation considered suitable (17 to 18 years)",
    55: "Care leavers in accommodation considered suitable (19 to 21 years)",
    56: "Share of total local authority spend on children's services",
    57: "Average per capita (of all children in a local authority) spend on children's services",
    58: "Share of children's services spend not on CLA",
    59: "Number of local authorities with an Ofsted Leadership Rating of Outstanding",
    60: "Number of local authorities with an Ofsted Leadership Rating of Good",
    61: "Number of local authorities with an Ofsted Leadership Rating of Requires Improvement",
    62: "Number of local authorities with an Ofsted Leadership Rating of Inadequate",
    63: "Turnover rate (FTE)",
    64: "Agency worker rate (FTE)",
    65: "Vacancy rate (FTE)",
    66: "Average caseload (FTE)",
    67: "% CLA with 3 or more social workers in past 12 months",
    68: "Social workers from ethnic minority backgrounds",
}

_WORD = re.compile(r"\b[A-Za-z][A-Za-z0-9]*\b")


def abbreviations_in(text: str) -> tuple[tuple[str, str], ...]:
    """Each abbreviation ``text`` uses, with its words, in the order they first appear."""
    found = dict.fromkeys(word for word in _WORD.findall(text) if word in ABBREVIATIONS)
    return tuple((word, ABBREVIATIONS[word]) for word in found)
