"""Changes to a person's sign-in details are audited wherever they happen (allauth's own
pages included), and the audit export says what happened in words."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # allauth keeps used authenticator codes and rate limits here


@pytest.fixture
def lead(reference_data: None) -> Any:
    return make_user("lead@barnsley.example.org", ("la_data_lead", "370"))


def sign_in(client: Client, user: Any) -> None:
    """Password then authenticator code, then "confirm it's you", so the changes below are
    allowed without allauth's reauthentication step in between."""
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302, response.content
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def test_removing_an_authenticator_is_audited(client: Client, lead: Any) -> None:
    sign_in(client, lead)
    totp = Authenticator.objects.get(user=lead, type=Authenticator.Type.TOTP)

    client.post(reverse("mfa_deactivate_totp"))

    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.MFA_REMOVED)
    assert (event.actor, event.details["type"]) == (lead, "totp")


def test_changing_the_primary_email_address_is_audited(client: Client, lead: Any) -> None:
    second = EmailAddress.objects.create(
        user=lead, email="lead2@barnsley.example.org", verified=True
    )
    sign_in(client, lead)

    client.post(reverse("account_email"), {"action_primary": "", "email": second.email})

    lead.refresh_from_db()
    assert lead.email == second.email
    event = AuditEvent.objects.get(action=AuditAction.EMAIL_CHANGED)
    assert event.actor == lead
    assert event.details == {
        "from_email": "lead@barnsley.example.org",
        "to_email": "lead2@barnsley.example.org",
    }


def test_removing_an_email_address_is_audited(client: Client, lead: Any) -> None:
    second = EmailAddress.objects.create(
        user=lead, email="lead2@barnsley.example.org", verified=True
    )
    sign_in(client, lead)

    client.post(reverse("account_email"), {"action_remove": "", "email": second.email})

    assert not EmailAddress.objects.filter(pk=second.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.EMAIL_REMOVED)
    assert (event.actor, event.details) == (lead, {"email_address": second.email})


def test_a_password_reset_is_audited(client: Client, lead: Any) -> None:
    client.post(reverse("account_reset_password"), {"email": lead.email})
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", str(mail.outbox[-1].body))
    assert link
    form = client.get(link.group(0), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )

    lead.refresh_from_db()
    assert lead.check_password("a-brand-new-passphrase")
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET)
    assert event.actor == lead


def test_the_export_names_each_action_in_words(client: Client, lead: Any) -> None:
    admin = make_user("admin@education.example.org", ("access_admin", None))
    sign_in(client, lead)
    client.post(reverse("mfa_deactivate_totp"))
    client.force_login(admin)

    response = client.get(reverse("access_admin:audit_export"))

    assert isinstance(response, StreamingHttpResponse)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    removed = next(row for row in rows if row["action"] == "mfa_removed")
    assert removed["action_description"] == "Authenticator removed"
    assert removed["outcome_description"] == "Success"
    page = client.get(reverse("access_admin:audit")).content.decode()
    assert "Authenticator removed" in page
