"""Audit events for authentication, from Django's and allauth's signals.

Connected in ``PortalConfig.ready``. A failed sign-in records the email address typed (a
user's work address, not child data) because investigating attacks needs it.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from portal.audit import AuditAction, AuditOutcome, record
from portal.middleware import SESSION_STARTED_KEY


@receiver(auth_signals.user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = time.time()
    record(AuditAction.SIGN_IN, request=request, actor=user)


@receiver(auth_signals.user_login_failed)
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    record(AuditAction.SIGN_IN_FAILED, request=request, outcome=AuditOutcome.FAILURE, email=email)


@receiver(auth_signals.user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(AuditAction.SIGN_OUT, request=request, actor=user)


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record(
        AuditAction.MFA_ADDED,
        request=request,
        actor=user,
        obj=authenticator,
        type=authenticator.type,
    )


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record(
        AuditAction.MFA_REMOVED,
        request=request,
        actor=user,
        obj=authenticator,
        type=authenticator.type,
    )


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(
        AuditAction.SIGN_IN_FAILED,
        request=request,
        actor=user,
        outcome=AuditOutcome.FAILURE,
        step="mfa",
    )


@receiver(account_signals.password_changed)
def _password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(AuditAction.PASSWORD_CHANGED, request=request, actor=user)


@receiver(account_signals.password_reset)
def _password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(AuditAction.PASSWORD_RESET, request=request, actor=user)
