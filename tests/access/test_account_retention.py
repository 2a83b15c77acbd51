"""Deactivated accounts lose their personal data ACCOUNT_RETENTION_DAYS after deactivation
(the privacy notice's promise), by the daily housekeeping task; the audit trail stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client
from django.utils import timezone

from portal.models import AuditAction, AuditEvent, Membership, User
from portal.retention import REMOVED_NAME, remove_deactivated_accounts
from tests.conftest import PASSWORD
from workers.tasks import remove_deactivated_accounts as task

pytestmark = pytest.mark.django_db


def deactivate(user: Any, days_ago: int) -> None:
    user.is_active = False
    user.deactivated_at = timezone.now() - timedelta(days=days_ago)
    user.save()


def test_an_account_deactivated_long_enough_ago_is_erased(
    personas: dict[str, Any], settings: Any
) -> None:
    settings.ACCOUNT_RETENTION_DAYS = 90
    lead = personas["lead"]
    AuditEvent.objects.create(actor=lead, actor_email=lead.email, action=AuditAction.UPLOAD)
    deactivate(lead, days_ago=91)
    old_email = lead.email

    assert task.apply().get() == 1

    lead.refresh_from_db()
    assert lead.full_name == REMOVED_NAME
    assert old_email not in lead.email
    assert not lead.has_usable_password()
    assert not EmailAddress.objects.filter(user=lead).exists()
    assert not Authenticator.objects.filter(user=lead).exists()
    assert not Membership.objects.filter(user=lead).exists()
    assert not User.objects.filter(email=old_email).exists()
    # The audit trail keeps what they did, with the address they had then.
    assert AuditEvent.objects.filter(actor=lead, actor_email=old_email).exists()
    removal = AuditEvent.objects.get(action=AuditAction.USER_REMOVED)
    assert removal.object_id == str(lead.pk)
    assert old_email not in str(removal.details)
    assert not Client().login(email=old_email, password=PASSWORD)


def test_recent_deactivations_and_active_accounts_are_kept(
    personas: dict[str, Any], settings: Any
) -> None:
    settings.ACCOUNT_RETENTION_DAYS = 90
    deactivate(personas["lead"], days_ago=89)

    assert remove_deactivated_accounts(timezone.now()) == 0
    assert remove_deactivated_accounts(timezone.now() + timedelta(days=2)) == 1
    # Once removed, never again.
    assert remove_deactivated_accounts(timezone.now() + timedelta(days=3)) == 0
    assert EmailAddress.objects.filter(user=personas["viewer"]).exists()
