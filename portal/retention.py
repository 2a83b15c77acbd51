"""Deactivated accounts are removed ``ACCOUNT_RETENTION_DAYS`` after deactivation, as the
privacy notice promises.

"Removed" means the person's personal data is erased, not that the row is deleted: the audit
trail (kept for six years, append-only) and the submissions, decisions and context notes they
made point at the row, and must keep pointing at something. So the account keeps its id and
loses everything that identifies the person or lets anyone sign in as them: email addresses,
name, password, authenticators and recovery codes, sessions, roles. The audit events written
while they used the service keep the address they had then (``actor_email``), for as long as
the audit trail is kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction

from portal.audit import AuditAction, record
from portal.models import Membership, User

#: What a removed account is called wherever its earlier work is shown.
REMOVED_NAME = "Former user"
REMOVED_DOMAIN = "removed.invalid"


def removed_email(user_id: int) -> str:
    return f"removed-{user_id}@{REMOVED_DOMAIN}"


def accounts_due(now: datetime) -> list[User]:
    """Deactivated accounts past their retention, not removed yet."""
    cutoff = now - timedelta(days=settings.ACCOUNT_RETENTION_DAYS)
    return list(
        User.objects.filter(is_active=False, deactivated_at__lt=cutoff).exclude(
            email__endswith=f"@{REMOVED_DOMAIN}"
        )
    )


def remove_account(user: User) -> None:
    """Erase ``user``'s personal data and every way to sign in as them (audited)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        sessions = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=sessions).delete()
        UserSession.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        Membership.objects.filter(user=user).delete()
        user.email = removed_email(user.pk)
        user.full_name = REMOVED_NAME
        user.set_unusable_password()
        user.save()
        # No personal data in the event: the account's id is its object id.
        record(AuditAction.USER_REMOVED, actor=None, obj=user, reason="retention")


def remove_deactivated_accounts(now: datetime) -> int:
    """Beat, daily: remove every account deactivated over ``ACCOUNT_RETENTION_DAYS`` ago.
    Returns how many were removed."""
    due = accounts_due(now)
    for user in due:
        remove_account(user)
    return len(due)
