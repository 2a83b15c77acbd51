"""Stored indicator values: what the restricted dashboards read.

Each accepted submission's values are computed by a worker (``indicators.services.
store_indicators``) and stored with the submission they came from. Once a newer accepted
submission's values are computed, they replace all of the LA's previous ones in one
transaction, so a dashboard never mixes two extracts; until then the LA's figures are still
the superseded submission's (``submissions.services.figures_source`` says which).

Nothing reads these tables directly but ``indicators.queries``, which scopes every read to the
viewer (``portal.access``) and applies small-number suppression (``indicators.disclosure``)
for viewers who may not see the LA's child-level records.
"""

from __future__ import annotations

from django.db import models

from portal.access import OrgScopedQuerySet


class IndicatorValueQuerySet(OrgScopedQuerySet["IndicatorValue"]):
    la_field = "local_authority"


class IndicatorValue(models.Model):
    """One indicator for one rolling 12-month period of one LA, from one submission: its
    numerator, denominator and value, or no numbers and the ``status`` saying why
    (``indicators.registry.Status``)."""

    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="indicator_values"
    )
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="indicator_values"
    )
    indicator_id = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    numerator = models.IntegerField(null=True, blank=True)
    denominator = models.IntegerField(null=True, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)
    status = models.CharField(max_length=24)
    note = models.CharField(max_length=200, blank=True)

    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        ordering = ["indicator_id", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "indicator_id", "period_end"], name="one_value_per_period"
            )
        ]
        indexes = [models.Index(fields=["local_authority", "indicator_id", "period_end"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} to {self.period_end}: {self.value} ({self.status})"


class IndicatorBreakdownQuerySet(OrgScopedQuerySet["IndicatorBreakdown"]):
    la_field = "local_authority"


class IndicatorBreakdown(models.Model):
    """One indicator value for one group of children (age band, sex, ethnicity group or
    disability) in one period: for the restricted dashboards' breakdowns. The groups of a
    dimension partition the children of the LA's ``IndicatorValue`` for the same period
    ("Unknown" included), which is why they are suppressed as one table."""

    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="indicator_breakdowns"
    )
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="indicator_breakdowns"
    )
    indicator_id = models.CharField(max_length=40)
    period_end = models.DateField()
    dimension = models.CharField(max_length=20)
    category = models.CharField(max_length=40)
    numerator = models.IntegerField(null=True, blank=True)
    denominator = models.IntegerField(null=True, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)
    status = models.CharField(max_length=24)

    objects = IndicatorBreakdownQuerySet.as_manager()

    class Meta:
        ordering = ["indicator_id", "period_end", "dimension", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "indicator_id", "period_end", "dimension", "category"],
                name="one_breakdown_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.dimension}={self.category} to {self.period_end}"
