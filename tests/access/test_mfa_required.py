"""A signed-in session without an authenticator app is ended at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/", "/privacy/", "/accounts/email/", "/access/", "/accounts/sessions/"]
)
def test_every_page_ends_a_session_without_an_authenticator(
    client: Client, personas: dict[str, Any], path: str
) -> None:
    """Signing in never makes such a session (tests/access/test_mfa_before_session.py); one
    left from before, or whose authenticator was removed, is ended rather than offered
    authenticator set-up, which would let a password alone enrol a new authenticator."""
    client.force_login(personas["no_mfa"])

    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == f"{reverse('account_login')}?set_up=1"
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED)
    assert (event.actor, event.details) == (personas["no_mfa"], {"reason": "no_authenticator"})


def test_the_sign_in_page_says_why(client: Client) -> None:
    html = client.get(f"{reverse('account_login')}?set_up=1").content.decode()

    assert "You were signed out because your account has no authenticator app" in html


def test_users_with_an_authenticator_pass(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(personas["lead"])

    assert client.get("/").status_code == 200


def test_signed_in_pages_are_never_stored(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(personas["lead"])

    response = client.get("/")

    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Request-ID"]


def test_removing_the_authenticator_ends_a_session_on_its_next_page(
    client: Client, personas: dict[str, Any]
) -> None:
    """The authenticator is looked up with the user on every request (portal.auth_backends),
    never remembered from an earlier one."""
    from allauth.mfa.models import Authenticator

    client.force_login(personas["lead"])
    assert client.get("/").status_code == 200

    Authenticator.objects.filter(user=personas["lead"]).delete()

    response = client.get("/")
    assert response.headers["Location"] == f"{reverse('account_login')}?set_up=1"


def test_the_user_and_their_authenticator_are_one_query(personas: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.auth_backends import PortalModelBackend, has_authenticator_app

    backend = PortalModelBackend()
    with CaptureQueriesContext(connection) as queries:
        lead = backend.get_user(personas["lead"].pk)
        no_mfa = backend.get_user(personas["no_mfa"].pk)
        assert has_authenticator_app(lead) is True
        assert has_authenticator_app(no_mfa) is False
    assert len(queries) == 2
    assert backend.get_user(0) is None
