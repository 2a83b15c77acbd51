"""The published annual figures behind the public dashboard, in one tidy store.

Filled from the files in ``dashboards/published_data/`` by the ``load_published_data`` management
command (see ``dashboards.published.loader``); nobody edits these tables by hand. One
``PublishedIndicator`` row per indicator, one ``PublishedValue`` row per indicator, geography
and period.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from portal.models import LocalAuthority, Region
from portal.models.reference import GeographyLevel


class Unit(models.TextChoices):
    """What a value measures, which decides how it is formatted."""

    PERCENT = "percent", "Percentage"
    RATE_PER_10K = "rate_per_10k", "Rate per 10,000 children"
    COUNT = "count", "Number"
    MONTHS = "months", "Months"
    SCORE = "score", "Score"
    RATIO = "ratio", "Ratio"
    CURRENCY = "currency", "Pounds"


class PeriodType(models.TextChoices):
    """The kind of year a period label names.

    ``reporting_year`` is the children's social work workforce census year (to 30 September);
    the others end on 31 March (financial year) or in the summer (academic year).
    """

    FINANCIAL_YEAR = "financial_year", "Year ending 31 March"
    ACADEMIC_YEAR = "academic_year", "Academic year"
    REPORTING_YEAR = "reporting_year", "Year to 30 September"


class NeighbourAggregation(models.TextChoices):
    """How the DfE dashboard combines an LA's ten statistical neighbours' values."""

    MEDIAN = "median", "Median of the neighbours"
    SUM = "sum", "Sum of the neighbours"


class PublishedIndicator(models.Model):
    """One indicator of the public dashboard, with what a reader needs to understand it.

    None is a performance measure, so there is no polarity: pages never colour values as good
    or bad. ``group`` is the National Framework outcome or enabler as the DfE dashboard labels
    it, ``heading`` the dashboard's sub-heading within it. ``periods`` lists the period labels
    the store holds, oldest first; the loader keeps it in step with the values, and sets
    ``figures_updated_at`` whenever a load adds, changes or removes any of them: the "last
    updated" every page shows beside the publisher's ``source_released``.
    """

    key = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=255)
    group = models.CharField(
        max_length=120, help_text="Outcome or enabler, e.g. 'Outcome 1: Children, ...'."
    )
    heading = models.CharField(max_length=160, help_text="Sub-heading within the group.")
    unit = models.CharField(max_length=20, choices=Unit.choices)
    decimals = models.PositiveSmallIntegerField(help_text="Decimal places shown.")
    definition = models.TextField()
    source = models.TextField(help_text="Publication and file the figures come from.")
    source_url = models.URLField(blank=True)
    source_released = models.DateField(
        null=True, blank=True, help_text="When the publisher released the loaded file."
    )
    caveats = models.JSONField(default=list, blank=True, help_text="List of caveat paragraphs.")
    guidance = models.JSONField(
        default=list, blank=True, help_text="How to read the figure: a list of paragraphs."
    )
    sort_order = models.PositiveSmallIntegerField()
    dfe_sort_order = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Row of the DfE dashboard's summary_page_metadata.csv this indicator "
        "implements; empty for figures the DfE dashboard does not show.",
    )
    period_type = models.CharField(max_length=20, choices=PeriodType.choices)
    sn_aggregation = models.CharField(
        max_length=10, choices=NeighbourAggregation.choices, default=NeighbourAggregation.MEDIAN
    )
    national_only = models.BooleanField(
        default=False, help_text="Published for England only (no regional or LA figures)."
    )
    periods = models.JSONField(default=list, blank=True, help_text="Period labels, oldest first.")
    figures_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a load last changed this indicator's figures (the service's copy).",
    )

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return self.title


class SuppressionCode(models.TextChoices):
    """Why a published figure has no number, as the source file says.

    The EES codes are the Explore Education Statistics symbols; ``-`` is the DfE Local
    Authority Interactive Tool's single mark for any figure it does not publish.
    """

    CONFIDENTIAL = "c", "Suppressed to protect confidentiality"
    ROUNDS_TO_ZERO = "k", "Rounds to 0 but is not 0"
    LOW = "low", "A small number that rounds to 0"
    LOW_RELIABILITY = "u", "Low reliability"
    NOT_AVAILABLE = "x", "Not available"
    NOT_APPLICABLE = "z", "Not applicable"
    NOT_PUBLISHED = "-", "Not published (suppressed or not available)"


class PublishedValue(models.Model):
    """One published figure: an indicator's value for a geography and a period.

    ``geography_code`` is ``E92000001`` for England, the ONS code for a region (``E12...``) or
    for Inner/Outer London (``E13...``), and the three-digit DfE code for a local authority,
    with ``la``/``region`` pointing at the reference rows. Abolished authorities keep their own
    rows (Northamptonshire, 928, to 2021). A withheld figure has its code in ``suppression``
    and no ``value``; a code is never stored as a number. ``joint_with`` names the other LA(s)
    of a joint return (Kingston upon Thames and Richmond upon Thames publish one workforce
    figure): the same value is stored for each.
    """

    indicator = models.ForeignKey(
        PublishedIndicator, on_delete=models.CASCADE, related_name="values"
    )
    geography_level = models.CharField(max_length=20, choices=GeographyLevel.choices)
    geography_code = models.CharField(max_length=9)
    la = models.ForeignKey(
        LocalAuthority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_values",
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="published_values"
    )
    period = models.CharField(max_length=9, help_text="As published, e.g. '2025' or '2024/25'.")
    period_end_year = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    suppression = models.CharField(
        max_length=3, choices=SuppressionCode.choices, blank=True, default=""
    )
    numerator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    joint_with = models.CharField(
        max_length=20, blank=True, default="", help_text="DfE code(s) of a joint return's other LA."
    )

    class Meta:
        ordering = ["indicator", "period_end_year", "geography_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "geography_code", "period"],
                name="published_value_unique_indicator_geography_period",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(suppression=""),
                name="published_value_number_or_code",
            ),
            models.CheckConstraint(
                condition=Q(geography_level=GeographyLevel.NATIONAL, region=None, la=None)
                | Q(geography_level=GeographyLevel.REGIONAL, region__isnull=False, la=None)
                | Q(geography_level=GeographyLevel.LOCAL_AUTHORITY, region=None, la__isnull=False),
                name="published_value_geography_matches_level",
            ),
        ]
        indexes = [
            models.Index(fields=["geography_code", "indicator"], name="published_value_geo_idx"),
            models.Index(
                fields=["indicator", "period_end_year"], name="published_value_period_idx"
            ),
        ]

    def __str__(self) -> str:
        shown = self.suppression or self.value
        return f"{self.indicator.key} {self.geography_code} {self.period}: {shown}"


class LeadershipRating(models.Model):
    """An LA's latest Ofsted judgement of the impact of leaders on social work practice.

    From the same file as the four "number of local authorities with an Ofsted leadership
    rating of ..." indicators (``dashboards.published.loader``), which store a 1 or 0 per LA:
    this keeps the judgement in words and when it was made, for the LA's own pages. ``period``
    is the indicators' period ("2025": inspections as at 31 March 2025).
    """

    la = models.OneToOneField(
        LocalAuthority, on_delete=models.PROTECT, related_name="leadership_rating"
    )
    rating = models.CharField(max_length=40, help_text="As Ofsted writes it, e.g. 'Good'.")
    inspection_date = models.DateField()
    publication_date = models.DateField(null=True, blank=True)
    period = models.CharField(max_length=9)

    def __str__(self) -> str:
        return f"{self.la_id}: {self.rating} ({self.inspection_date:%d %B %Y})"
