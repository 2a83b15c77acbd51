"""The audit trail: an append-only record of security-relevant events."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    MFA_ADDED = "mfa_added", "Authenticator added"
    MFA_REMOVED = "mfa_removed", "Authenticator removed"
    MFA_RECOVERY_CODES_RESET = "mfa_recovery_codes_reset", "Recovery codes replaced"
    SIGN_IN_CODE_SENT = "sign_in_code_sent", "Sign-in code emailed"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    PASSWORD_SET = "password_set", "Password set"
    EMAIL_ADDED = "email_added", "Email address added"
    EMAIL_VERIFIED = "email_verified", "Email address verified"
    EMAIL_CHANGED = "email_changed", "Main email address changed"
    EMAIL_REMOVED = "email_removed", "Email address removed"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_RESENT = "invitation_resent", "Invitation resent"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    ROLE_GRANTED = "role_granted", "Role granted"
    ROLE_REMOVED = "role_removed", "Role removed"
    ROLE_CHANGED = "role_changed", "Role changed"
    USER_DEACTIVATED = "user_deactivated", "User deactivated"
    USER_REACTIVATED = "user_reactivated", "User reactivated"
    USER_REMOVED = "user_removed", "Account removed (retention)"
    SESSION_EXPIRED = "session_expired", "Session expired"
    UPLOAD = "upload", "Extract uploaded"
    SUBMISSION_DECISION = "submission_decision", "Submission decision"
    DASHBOARD_VIEWED = "dashboard_viewed", "Restricted dashboard viewed"
    EXPORT = "export", "Download or export"
    API_CALL = "api_call", "API call"
    FILE_DELETED = "file_deleted", "Raw file deleted"
    CANONICAL_DELETED = "canonical_deleted", "Stored extract deleted"
    NOTE_WRITTEN = "note_written", "Context note written"
    ACCESS_DENIED = "access_denied", "Access denied"
    API_CLIENT_CREATED = "api_client_created", "API client created"
    API_CLIENT_ROTATED = "api_client_rotated", "API client credentials replaced"
    API_CLIENT_REVOKED = "api_client_revoked", "API client revoked"
    API_FEED_CHANGED = "api_feed_changed", "API snapshot settings changed"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did what, when (UTC), to which organisation's object, with what outcome.

    Append-only: the application refuses updates and deletes, and database triggers refuse
    them too (PostgreSQL: UPDATE, DELETE and TRUNCATE; SQLite: UPDATE, DELETE and REPLACE).
    Triggers stop mistakes, not the table's owner, who can disable them: in production the
    runtime role does not own the tables and may only SELECT and INSERT here
    (docs/deployment.md, ``manage.py grant_runtime_role``). ``details`` holds identifiers and
    counts only — never a child's identifier, name or date of birth.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No foreign-key constraint: deleting a user must never need to touch the audit trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    outcome = models.CharField(
        max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    organisation = models.CharField(
        max_length=16, blank=True, help_text="DfE LA code or region code"
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        triggers = [
            pgtrigger.Protect(
                name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            # TRUNCATE fires no row triggers: refuse it with a statement-level one. (pgtrigger's
            # Protect supports statement level only with transition tables, which TRUNCATE has
            # none of.)
            pgtrigger.Trigger(
                name="audit_no_truncate",
                operation=pgtrigger.Truncate,
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
            ),
        ]
        # SQLite has no pgtrigger: migration 0002 adds the equivalent triggers there.

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'anonymous'} {self.action}"
        )

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")
