"""Signing in — with password, then authenticator code — is audited, success and failure."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent, AuditOutcome
from tests.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def test_a_full_sign_in_is_audited_with_the_request_id(
    client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]

    first = client.post(reverse("account_login"), {"login": lead.email, "password": PASSWORD})
    assert first.headers["Location"] == reverse("mfa_authenticate")
    done = client.post(reverse("mfa_authenticate"), {"code": totp_code()})

    assert done.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert event.actor == lead
    assert event.request_id == done.headers["X-Request-ID"]


def test_a_wrong_password_is_audited_as_a_failure(client: Client, personas: dict[str, Any]) -> None:
    client.post(
        reverse("account_login"),
        {"login": "lead@barnsley.example.org", "password": "wrong-password-123"},
    )

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.outcome == AuditOutcome.FAILURE
    assert event.actor_email == "lead@barnsley.example.org"
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_a_wrong_authenticator_code_is_audited_and_does_not_sign_in(
    client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    client.post(reverse("account_login"), {"login": lead.email, "password": PASSWORD})

    response = client.post(
        reverse("mfa_authenticate"), {"code": "000000" if totp_code() != "000000" else "111111"}
    )

    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, actor=lead).exists()
    assert "_auth_user_id" not in client.session


def test_a_password_reset_does_not_skip_the_authenticator(
    client: Client, personas: dict[str, Any]
) -> None:
    from django.core import mail

    lead = personas["lead"]
    client.post(reverse("account_reset_password"), {"email": lead.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    form = client.get(path, follow=True)
    new_password = "a-brand-new-passphrase-2026"
    client.post(form.redirect_chain[-1][0] if form.redirect_chain else path,
                {"password1": new_password, "password2": new_password})  # fmt: skip

    assert "_auth_user_id" not in client.session  # reset never signs in by itself
    response = client.post(
        reverse("account_login"), {"login": lead.email, "password": new_password}
    )
    assert response.headers["Location"] == reverse("mfa_authenticate")
