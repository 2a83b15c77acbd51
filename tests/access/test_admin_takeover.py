"""No second, unaudited way in: a superuser in the Django admin cannot take over another
person's account (their authenticator, email address, password or sessions), nor enrol an
authenticator for anyone. Every path is refused and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.conftest import TOTP_SECRET, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client: Client, reference_data: None) -> Client:
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    client.force_login(root)
    return client


@pytest.fixture
def victim(reference_data: None) -> Any:
    return make_user("lead@barnsley.example.org", ("la_data_lead", "370"))


def _admin_url(name: str, *args: Any) -> str | None:
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None  # not registered at all: nothing to reach


def test_the_victims_authenticator_cannot_be_deleted(superuser_client: Client, victim: Any) -> None:
    authenticator = Authenticator.objects.get(user=victim, type=Authenticator.Type.TOTP)
    url = _admin_url("mfa_authenticator_delete", authenticator.pk)

    if url is not None:
        assert superuser_client.get(url).status_code in (403, 404)
        assert superuser_client.post(url, {"post": "yes"}).status_code in (403, 404)
    changelist = _admin_url("mfa_authenticator_changelist")
    if changelist is not None:
        response = superuser_client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [authenticator.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302, 403)

    assert Authenticator.objects.filter(pk=authenticator.pk).exists()


def test_an_authenticator_cannot_be_added_for_anyone(superuser_client: Client, victim: Any) -> None:
    url = _admin_url("mfa_authenticator_add")
    before = Authenticator.objects.count()

    if url is not None:
        response = superuser_client.post(
            url, {"user": victim.pk, "type": "totp", "data": '{"secret": "X"}'}
        )
        assert response.status_code in (403, 404)

    assert Authenticator.objects.count() == before


def test_the_admin_never_shows_an_authenticator_secret(
    superuser_client: Client, victim: Any
) -> None:
    authenticator = Authenticator.objects.get(user=victim, type=Authenticator.Type.TOTP)
    url = _admin_url("mfa_authenticator_change", authenticator.pk)

    if url is not None:
        html = superuser_client.get(url).content.decode()
        assert TOTP_SECRET not in html
        assert str(authenticator.data["secret"]) not in html


def test_the_victims_email_address_cannot_be_changed(superuser_client: Client, victim: Any) -> None:
    address = EmailAddress.objects.get(user=victim)
    change = _admin_url("account_emailaddress_change", address.pk)
    user_change = _admin_url("portal_user_change", victim.pk)

    if change is not None:
        response = superuser_client.post(
            change,
            {"user": victim.pk, "email": "attacker@example.org", "verified": "on", "primary": "on"},
        )
        assert response.status_code in (403, 404)
    add = _admin_url("account_emailaddress_add")
    if add is not None:
        response = superuser_client.post(
            add, {"user": victim.pk, "email": "attacker@example.org", "verified": "on"}
        )
        assert response.status_code in (403, 404)
    assert user_change is not None
    response = superuser_client.post(
        user_change, {"email": "attacker@example.org", "is_active": "on"}
    )
    assert response.status_code == 403

    victim.refresh_from_db()
    assert victim.email == "lead@barnsley.example.org"
    assert list(EmailAddress.objects.values_list("email", flat=True).filter(user=victim)) == [
        "lead@barnsley.example.org"
    ]


def test_an_unverified_address_cannot_be_marked_verified(
    superuser_client: Client, victim: Any
) -> None:
    address = EmailAddress.objects.create(user=victim, email="second@example.org", verified=False)
    changelist = _admin_url("account_emailaddress_changelist")

    if changelist is not None:
        superuser_client.post(
            changelist, {"action": "make_verified", "_selected_action": [address.pk]}
        )

    address.refresh_from_db()
    assert not address.verified


def test_the_victims_password_cannot_be_set(superuser_client: Client, victim: Any) -> None:
    password_hash = victim.password
    url = f"/admin/portal/user/{victim.pk}/password/"

    response = superuser_client.post(
        url, {"password1": "an-attackers-passphrase", "password2": "an-attackers-passphrase"}
    )

    assert response.status_code in (302, 403, 404)
    victim.refresh_from_db()
    assert victim.password == password_hash


def test_the_victims_sessions_are_not_shown_or_changed(
    superuser_client: Client, victim: Any
) -> None:
    session = UserSession.objects.create(
        user=victim, ip="127.0.0.1", session_key="secret-session-key", user_agent="test"
    )
    change = _admin_url("usersessions_usersession_change", session.pk)

    if change is not None:
        assert "secret-session-key" not in superuser_client.get(change).content.decode()
        assert superuser_client.post(change, {"user": victim.pk}).status_code in (403, 404)
    changelist = _admin_url("usersessions_usersession_changelist")
    if changelist is not None:
        assert "secret-session-key" not in superuser_client.get(changelist).content.decode()


def test_the_admin_password_change_goes_to_the_audited_page(superuser_client: Client) -> None:
    response = superuser_client.post(
        reverse("admin:password_change"),
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("account_change_password")


def test_a_superuser_still_cannot_see_an_las_data(superuser_client: Client) -> None:
    """Being a superuser gives no role: the data pages go by memberships only."""
    from portal.access import Action, local_authorities_for
    from portal.models import User

    root = User.objects.get(email="root@example.org")

    assert not local_authorities_for(root, Action.VIEW_CHILD_LEVEL).exists()
