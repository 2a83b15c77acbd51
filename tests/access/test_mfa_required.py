"""A signed-in user without an authenticator app can do nothing but set one up."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/", "/privacy/", "/accounts/email/", "/access/", "/accounts/sessions/"]
)
def test_every_page_sends_them_to_totp_setup(
    client: Client, personas: dict[str, Any], path: str
) -> None:
    client.force_login(personas["no_mfa"])

    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("mfa_activate_totp")


def test_they_can_reach_the_setup_page_and_sign_out(
    client: Client, personas: dict[str, Any]
) -> None:
    signed_in = client.post(
        reverse("account_login"), {"login": personas["no_mfa"].email, "password": PASSWORD}
    )
    assert signed_in.headers["Location"] == "/"  # then the middleware sends them on to set-up

    # Just signed in with their password, so no "confirm it's you" before the first set-up.
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_users_with_an_authenticator_pass(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(personas["lead"])

    assert client.get("/").status_code == 200


def test_signed_in_pages_are_never_stored(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(personas["lead"])

    response = client.get("/")

    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Request-ID"]


def test_setting_up_an_authenticator_later_asks_for_the_password_again(
    client: Client, personas: dict[str, Any]
) -> None:
    from portal.middleware import SESSION_STARTED_KEY

    client.post(reverse("account_login"), {"login": personas["no_mfa"].email, "password": PASSWORD})
    session = client.session
    session[SESSION_STARTED_KEY] -= 11 * 60  # signed in more than 10 minutes ago
    session.save()

    response = client.get(reverse("mfa_activate_totp"))

    assert response.headers["Location"].startswith(reverse("account_reauthenticate"))
