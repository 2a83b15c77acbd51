"""Submissions: one LA's upload (or API push) of extracts, its files, and what checking found.

A submission moves through ``Submission.Status`` only inside the guarded functions in
``submissions.services`` (lock the row, check the state, change it, audit). Workers find the
row by id and claim it with a conditional update, so a task delivered twice does nothing the
second time.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.access import OrgScopedQuerySet
from submissions.extract.canonical import FORMAT_LABELS


class SubmissionQuerySet(OrgScopedQuerySet["Submission"]):
    la_field = "local_authority"


class Submission(models.Model):
    """An extract sent by a local authority, from upload to acceptance (or failure)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        CHECKING = "checking", "Checking files"
        VALIDATING = "validating", "Validating"
        READY = "ready", "Ready to accept"
        HAS_ERRORS = "has_errors", "Has errors"
        ACCEPTED = "accepted", "Accepted"
        SUPERSEDED = "superseded", "Superseded"
        FAILED = "failed", "Failed"

    #: States a worker is (or should be) busy with: the reconciler re-queues stale ones.
    WORKING = (Status.RECEIVED, Status.CHECKING, Status.VALIDATING)
    #: Validation finished: the report can be read.
    CHECKED = (Status.READY, Status.HAS_ERRORS, Status.ACCEPTED, Status.SUPERSEDED)

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        API = "api", "API"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="submissions"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.UPLOAD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    as_of = models.DateField("extract date", help_text="The date the extract was taken (C1).")
    coverage_start = models.DateField(
        null=True, blank=True, help_text="The date from which the extract is complete (C0)."
    )

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: Until when the worker that claimed it holds it (it renews the lease while it runs). A
    #: lapsed lease means the worker died: the reconciler re-queues the submission.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done (0-100).")
    progress_message = models.CharField(max_length=200, blank=True)
    failure_reason = models.TextField(blank=True)

    formats = models.JSONField(default=list, blank=True)
    row_counts = models.JSONField(default=dict, blank=True)
    #: Rules not run because the formats sent lack a field they need: a list of
    #: ``{"code", "message", "missing", "reason"}`` (``rules.registry.NotApplicable``).
    not_applicable_rules = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    query_count = models.PositiveIntegerField(default=0)
    validated_at = models.DateTimeField(null=True, blank=True)

    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    indicators_computed_at = models.DateTimeField(null=True, blank=True)
    # Computing the indicators of an accepted submission: claimed, leased and fenced like the
    # check (``attempts``, ``lease_expires_at``), with a final failed state.
    indicators_attempts = models.PositiveSmallIntegerField(default=0)
    indicators_lease_expires_at = models.DateTimeField(null=True, blank=True)
    indicators_queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reconciler last re-queued the computation."
    )
    indicators_failed_at = models.DateTimeField(null=True, blank=True)
    indicators_failure_reason = models.TextField(blank=True)
    raw_files_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "status_changed_at"])]
        constraints = [
            # At most one accepted submission per LA: the one the dashboards read.
            models.UniqueConstraint(
                fields=["local_authority"],
                condition=Q(status="accepted"),
                name="one_accepted_submission_per_la",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.local_authority} extract of {self.as_of:%d %B %Y} ({self.get_status_display()})"
        )

    @property
    def is_working(self) -> bool:
        return self.status in self.WORKING

    @property
    def is_checked(self) -> bool:
        return self.status in self.CHECKED

    @property
    def format_labels(self) -> list[str]:
        """The formats sent, in words ("CIN census XML", "SSDA903 CSV")."""
        return [FORMAT_LABELS.get(code, code) for code in self.formats]

    @property
    def indicators_pending(self) -> bool:
        """Accepted, and its figures are neither stored yet nor given up on."""
        return (
            self.status == self.Status.ACCEPTED
            and self.indicators_computed_at is None
            and self.indicators_failed_at is None
        )


class SubmissionFileQuerySet(OrgScopedQuerySet["SubmissionFile"]):
    la_field = "submission__local_authority"


class SubmissionFile(models.Model):
    """One uploaded file, stored encrypted under a random name.

    ``display_name`` is what the user called it: shown on pages and in findings, never used in
    a path. ``wrapped_key`` is the file's own data key, encrypted with the master key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    display_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    wrapped_key = models.BinaryField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionFileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def storage_name(self) -> str:
        return self.id.hex


class CanonicalExtractQuerySet(OrgScopedQuerySet["CanonicalExtract"]):
    la_field = "submission__local_authority"


class CanonicalExtract(models.Model):
    """A checked submission's canonical tables, as its check read them: one blob, written once
    by the check (``submissions.extract.stored`` format) and encrypted like an upload
    (``submissions.storage``: its own data key, wrapped by the master key, bound to this id).

    Indicators, their recomputation and the drill-down read it instead of the raw files, so
    figures survive the raw files' purge. Kept while the submission is its LA's accepted one;
    deleted CANONICAL_RETENTION_DAYS after it was superseded, and with the raw files when the
    check found errors or failed (``services.purge_canonical_extracts``). A deleted one keeps
    its row (``deleted_at``, no key) as the record that it existed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="canonical_extract"
    )
    format_version = models.PositiveSmallIntegerField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    wrapped_key = models.BinaryField()
    stored_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = CanonicalExtractQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Stored extract of submission {self.submission_id}"

    @property
    def storage_name(self) -> str:
        return self.id.hex


class ValidationFinding(models.Model):
    """One finding of a submission's check, located in the user's own file."""

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        QUERY = "query", "Query"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    file = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=255, blank=True)
    child_id = models.CharField(max_length=64, blank=True)
    field = models.CharField(max_length=64, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["submission", "severity", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.location}"


class QueryExplanation(models.Model):
    """A data lead's note explaining the queries of one rule in one submission."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="explanations"
    )
    code = models.CharField(max_length=40)
    note = models.TextField()
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    explained_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "code"], name="one_explanation_per_rule")
        ]

    def __str__(self) -> str:
        return f"Explanation of {self.code}"


# --- API intake state (submissions.api) ------------------------------------------------------


class ApiChildRecordQuerySet(OrgScopedQuerySet["ApiChildRecord"]):
    la_field = "local_authority"


class ApiChildRecord(models.Model):
    """One API-fed LA's current record for one child: the payload record with every delta
    applied (``submissions.api.merge``). JSONB on PostgreSQL; the database's encryption at
    rest protects it, like the other child-level tables."""

    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="api_child_records"
    )
    la_child_id = models.CharField(max_length=36)
    record = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ApiChildRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["local_authority", "la_child_id"], name="api_child_record_unique"
            )
        ]

    def __str__(self) -> str:
        # The LA's own identifier for the child is child data: never in the text.
        return f"API record {self.pk} of LA {self.local_authority_id}"


class ApiBatchQuerySet(OrgScopedQuerySet["ApiBatch"]):
    la_field = "local_authority"


class ApiBatch(models.Model):
    """The replay log: one accepted request body per LA, by its SHA-256. The same body posted
    again changes nothing and gets the same receipts back."""

    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="api_batches"
    )
    client = models.ForeignKey(
        "portal.ApiClientAccount", on_delete=models.SET_NULL, null=True, related_name="batches"
    )
    body_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    record_count = models.PositiveIntegerField()
    receipts = models.JSONField(default=list)

    objects = ApiBatchQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["local_authority", "body_sha256"], name="api_batch_body_unique"
            )
        ]

    def __str__(self) -> str:
        return f"API batch {self.body_sha256[:12]} of LA {self.local_authority_id}"


class ApiFeedQuerySet(OrgScopedQuerySet["ApiFeed"]):
    la_field = "local_authority"


class ApiFeed(models.Model):
    """How an API-fed LA's current records become submissions (``submissions.api.snapshot``):
    a nightly snapshot at ``snapshot_hour`` (UK time; None: only when the LA's data lead asks),
    and whether a snapshot with no errors is accepted without a person deciding."""

    local_authority = models.OneToOneField(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="api_feed"
    )
    snapshot_hour = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=2,
        validators=[MaxValueValidator(23)],
        help_text="Hour of the day (UK time) of the nightly snapshot; empty for none.",
    )
    auto_accept = models.BooleanField(
        default=False, help_text="Accept a snapshot with no errors without a person deciding."
    )
    last_snapshot_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ApiFeedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"API feed of {self.local_authority}"
