"""Writing to the audit trail. Call ``record`` from services and views; never put a child's
identifier, name or date of birth in ``details`` (identifiers of our own objects are fine)."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

from portal.models import AuditAction, AuditEvent, AuditOutcome

__all__ = ["AuditAction", "AuditOutcome", "client_ip", "record"]

logger = logging.getLogger("portal.audit")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth's rate limits see it: behind ``TRUSTED_PROXY_COUNT``
    proxies, the entry that many from the right of X-Forwarded-For; otherwise the peer."""
    try:
        return str(get_adapter(request).get_client_ip(request))
    except (ImproperlyConfigured, PermissionDenied):
        # X-Forwarded-For shorter than the configured proxy count, or not an address: record
        # the peer (still evidence) rather than lose the event.
        return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


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
        ip_address=client_ip(request) if request is not None else None,
        details=details,
    )
    logger.info(
        "audit action=%s outcome=%s actor=%s object=%s:%s request=%s ip=%s",
        action, outcome, event.actor_id, object_type, object_id, event.request_id,
        event.ip_address or "-",
    )  # fmt: skip
    return event
