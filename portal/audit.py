"""Writing to the audit trail. Call ``record`` from services and views; never put a child's
identifier, name or date of birth in ``details`` (identifiers of our own objects are fine)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from portal.models import AuditAction, AuditEvent, AuditOutcome

__all__ = ["AuditAction", "AuditOutcome", "record"]

logger = logging.getLogger("portal.audit")


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: AuditAction,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    organisation: str = "",
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    **details: Any,
) -> AuditEvent:
    """Append one event. ``actor`` defaults to the request's signed-in user."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    event = AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=getattr(actor, "email", "") or details.pop("email", ""),
        action=action,
        outcome=outcome,
        organisation=organisation,
        object_type=object_type,
        object_id=object_id,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        ip_address=_client_ip(request) if request is not None else None,
        details=details,
    )
    logger.info(
        "audit action=%s outcome=%s actor=%s object=%s:%s request=%s",
        action, outcome, event.actor_id, object_type, object_id, event.request_id,
    )  # fmt: skip
    return event
