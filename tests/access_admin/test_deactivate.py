"""Deactivating a user stops them at once: every session they have ends. Reactivating lets
them back in."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent, User
from tests.conftest import PASSWORD, totp_code

SIGNED_IN_PAGE = "usersessions_list"  # "Your account": any page that needs a signed-in user


def _sign_in(email: str) -> Client:
    """A browser that signed in through the real sign-in pages: password, then app code."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = browser.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert browser.get(reverse(SIGNED_IN_PAGE)).status_code == 200
    return browser


def test_deactivating_ends_the_users_live_sessions_at_once(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    signed_in_properly = _sign_in(lead.email)
    forced = Client()
    forced.force_login(lead)  # a session that allauth's session list never saw
    session_keys = [signed_in_properly.session.session_key, forced.session.session_key]

    response = access_admin_client.post(reverse("access_admin:deactivate", args=[lead.pk]))

    assert response.status_code == 302
    for browser in (signed_in_properly, forced):
        next_response = browser.get(reverse(SIGNED_IN_PAGE))
        assert next_response.status_code == 302
        assert next_response["Location"].startswith(reverse("account_login"))
    assert not UserSession.objects.filter(user=lead).exists()
    assert not Session.objects.filter(session_key__in=session_keys).exists()
    # Gone from the cache too (the session engine is cached_db), not just from the table.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    assert not any(store.exists(key) for key in session_keys)


def test_deactivating_is_recorded_and_leaves_the_roles_in_place(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    _sign_in(lead.email)

    response = access_admin_client.post(
        reverse("access_admin:deactivate", args=[lead.pk]), follow=True
    )

    lead.refresh_from_db()
    assert not lead.is_active
    assert lead.deactivated_at is not None
    assert lead.memberships.count() == 1
    assert b"has been deactivated and signed out" in response.content
    event = AuditEvent.objects.get(action=AuditAction.USER_DEACTIVATED)
    assert event.actor == personas["access_admin"]
    assert event.object_id == str(lead.pk)
    assert event.details["sessions_ended"] == 1


def test_a_deactivated_user_cannot_sign_in(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    access_admin_client.post(reverse("access_admin:deactivate", args=[personas["lead"].pk]))

    browser = Client()
    response = browser.post(
        reverse("account_login"), {"login": personas["lead"].email, "password": PASSWORD}
    )

    # The same answer as a wrong password: nothing says the password was right.
    assert response.status_code == 200
    assert response.context["form"].errors
    assert SESSION_KEY not in browser.session


def test_deactivate_asks_for_confirmation_first(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    response = access_admin_client.get(
        reverse("access_admin:deactivate", args=[personas["lead"].pk])
    )

    assert response.status_code == 200
    assert b"Are you sure you want to deactivate" in response.content
    assert b"govuk-button--warning" in response.content
    assert User.objects.get(pk=personas["lead"].pk).is_active


def test_an_access_admin_cannot_deactivate_themselves(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]
    url = reverse("access_admin:deactivate", args=[admin.pk])

    confirm = access_admin_client.get(url, follow=True)
    response = access_admin_client.post(url)

    assert b"You cannot deactivate your own account" in confirm.content
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() == 1
    assert User.objects.get(pk=admin.pk).is_active
    assert not AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED).exists()
    assert access_admin_client.get(reverse("access_admin:users")).status_code == 200


def test_reactivating_lets_them_sign_in_again(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    access_admin_client.post(reverse("access_admin:deactivate", args=[lead.pk]))

    response = access_admin_client.post(
        reverse("access_admin:reactivate", args=[lead.pk]), follow=True
    )

    lead.refresh_from_db()
    assert lead.is_active
    assert lead.deactivated_at is None
    assert b"has been reactivated" in response.content
    assert AuditEvent.objects.filter(
        action=AuditAction.USER_REACTIVATED, object_id=str(lead.pk)
    ).exists()
    _sign_in(lead.email)
