"""Audit events for authentication, from Django's and allauth's signals.

Connected in ``PortalConfig.ready``. A failed sign-in records the email address typed (a
user's work address, not child data) because investigating attacks needs it. Changes to how
someone signs in (authenticators, email addresses, passwords) are recorded here rather than
in the views, so they are audited wherever allauth makes them.
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


def _authenticator_event(action: AuditAction) -> Any:
    """A receiver recording ``action`` on the authenticator the signal names."""

    def receive(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
        record(action, request=request, actor=user, obj=authenticator, type=authenticator.type)

    return receive


def _account_event(action: AuditAction) -> Any:
    """A receiver recording ``action`` by the signal's user (password changes)."""

    def receive(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        record(action, request=request, actor=user)

    return receive


# Kept referenced here: signals hold their receivers weakly.
_mfa_added = receiver(mfa_signals.authenticator_added)(_authenticator_event(AuditAction.MFA_ADDED))
_mfa_reset = receiver(mfa_signals.authenticator_reset)(
    _authenticator_event(AuditAction.MFA_RECOVERY_CODES_RESET)
)
_password_changed = receiver(account_signals.password_changed)(
    _account_event(AuditAction.PASSWORD_CHANGED)
)
_password_reset = receiver(account_signals.password_reset)(
    _account_event(AuditAction.PASSWORD_RESET)
)
_password_set = receiver(account_signals.password_set)(_account_event(AuditAction.PASSWORD_SET))


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    # Sent after the row is deleted, so there is no id left to record; the type says which.
    record(
        AuditAction.MFA_REMOVED,
        request=request,
        actor=user,
        object_type=authenticator._meta.label,
        type=authenticator.type,
        user_id=user.pk,
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


@receiver(account_signals.email_added)
def _email_added(sender: Any, request: Any, user: Any, email_address: Any, **kwargs: Any) -> None:
    record(
        AuditAction.EMAIL_ADDED,
        request=request,
        actor=user,
        obj=email_address,
        email_address=email_address.email,
    )


@receiver(account_signals.email_confirmed)
def _email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    record(
        AuditAction.EMAIL_VERIFIED,
        request=request,
        actor=email_address.user,
        obj=email_address,
        email_address=email_address.email,
    )


@receiver(account_signals.email_changed)
def _email_changed(
    sender: Any,
    request: Any,
    user: Any,
    from_email_address: Any,
    to_email_address: Any,
    **kwargs: Any,
) -> None:
    record(
        AuditAction.EMAIL_CHANGED,
        request=request,
        actor=user,
        obj=to_email_address,
        from_email=from_email_address.email if from_email_address is not None else "",
        to_email=to_email_address.email,
    )


@receiver(account_signals.email_removed)
def _email_removed(sender: Any, request: Any, user: Any, email_address: Any, **kwargs: Any) -> None:
    # Sent after the row is deleted: the address itself says which.
    record(
        AuditAction.EMAIL_REMOVED,
        request=request,
        actor=user,
        object_type=email_address._meta.label,
        email_address=email_address.email,
    )


@receiver(account_signals.login_code_rejected)
def _login_code_rejected(
    sender: Any, request: Any, user: Any, last_attempt: bool = False, **kwargs: Any
) -> None:
    record(
        AuditAction.SIGN_IN_FAILED,
        request=request,
        actor=user,
        outcome=AuditOutcome.FAILURE,
        step="email_code",
        last_attempt=last_attempt,
    )
