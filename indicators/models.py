"""Stored indicator values: what the restricted dashboards read.

Each accepted submission's values are computed by a worker (``indicators.services.
store_indicators``) and stored with the submission they came from. Once a newer accepted
submission's values are computed, they replace all of the LA's previous ones in one
transaction, so a dashboard never mixes two extracts; until then the LA's figures are still
the superseded submission's (``submissions.services.figures_source`` says which).

Nothing reads these tables directly but ``indicators.queries``, which scopes every read to the
viewer (``portal.access``) and applies small-number suppression (``indicators.disclosure``)
for viewers who may not see the LA's child-level records.

The LA data leads' context notes on an indicator (``ContextNote``, its text in append-only
``ContextNoteRevision`` rows) are written and read only through ``indicators.notes``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from indicators.registry import REGISTRY
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


# --- Context notes --------------------------------------------------------------------------

#: The longest a context note may be, in characters (line breaks count one each).
NOTE_MAX_LENGTH = 2000


def validate_indicator_id(value: str) -> None:
    """Only an indicator of the registry can carry notes."""
    if value not in REGISTRY:
        raise ValidationError("There is no indicator %(id)s.", code="unknown_indicator",
                              params={"id": value})  # fmt: skip


class ContextNoteQuerySet(OrgScopedQuerySet["ContextNote"]):
    la_field = "local_authority"


class ContextNote(models.Model):
    """An LA data lead's context note on one of the LA's indicators, for one rolling 12-month
    period (``period_end``) or, when that is empty, for all of them.

    The note itself never changes: its text is that of its latest ``ContextNoteRevision``, and
    an edit adds a revision, so every earlier version is kept. Written through
    ``indicators.notes`` only (which checks ``Action.WRITE_NOTE`` and audits every write)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="context_notes"
    )
    indicator_id = models.CharField(max_length=40, validators=[validate_indicator_id])
    period_end = models.DateField(null=True, blank=True)
    # PROTECT: a note's author is part of what readers are shown; people are deactivated,
    # never deleted, while they have written notes.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContextNoteQuerySet.as_manager()

    class Meta:
        ordering = ["local_authority", "indicator_id", "-created_at"]
        indexes = [models.Index(fields=["local_authority", "indicator_id"])]

    def __str__(self) -> str:
        period = f" to {self.period_end}" if self.period_end else ""
        return f"Note on {self.indicator_id}{period} ({self.pk})"


class ContextNoteRevisionQuerySet(models.QuerySet["ContextNoteRevision"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Context note revisions are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Context note revisions are append-only.")


class ContextNoteRevision(models.Model):
    """One version of a context note's text: ``number`` 1 is the note as first written, and
    the highest number is its current text.

    Append-only, as the audit trail is in the application (``portal.models.audit``): a saved
    revision is never changed or deleted, so a note's history is always complete. The
    ``(note, number)`` constraint makes two edits of the same version collide rather than
    both become "the latest"."""

    note = models.ForeignKey(ContextNote, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContextNoteRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["note", "number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="one_note_revision_number")
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.note_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Context note revisions are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Context note revisions are append-only.")
