"""MFA before any session. An account without an authenticator app gets no signed-in session
from its password: it proves it controls its email address in the same sign-in (a code sent
by email, or the invitation link), sets up an authenticator app, and only then is signed in.
A deactivated account's sign-in looks exactly like a wrong password."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent, User
from tests.conftest import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db

SET_UP = reverse("session:set_up_authenticator")
CONFIRM_CODE = reverse("account_confirm_login_code")
SIGNED_IN_PAGE = reverse("usersessions_list")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # allauth keeps used authenticator codes and rate limits here


@pytest.fixture
def new_user(reference_data: None) -> Any:
    """Barnsley's data lead who has a password but no authenticator app."""
    return make_user("new@barnsley.example.org", ("la_data_lead", "370"), mfa=False)


def assert_not_signed_in(client: Client) -> None:
    assert "_auth_user_id" not in client.session
    response = client.get(SIGNED_IN_PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


def emailed_code() -> str:
    match = re.search(r"^\s*(\d{6})\s*$", str(mail.outbox[-1].body), re.MULTILINE)
    assert match, mail.outbox[-1].body
    return match.group(1)


def set_up_authenticator(client: Client) -> tuple[Any, str]:
    page = client.get(SET_UP)
    assert page.status_code == 200
    secret = page.context["form"].secret
    return client.post(SET_UP, {"code": totp_code(secret)}), secret


def test_a_password_alone_gives_no_session(client: Client, new_user: Any) -> None:
    response = client.post(
        reverse("account_login"), {"login": new_user.email, "password": PASSWORD}
    )

    assert response.headers["Location"] == CONFIRM_CODE
    assert_not_signed_in(client)
    assert mail.outbox[-1].to == [new_user.email]
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_the_set_up_page_is_closed_until_the_emailed_code_is_entered(
    client: Client, new_user: Any
) -> None:
    client.post(reverse("account_login"), {"login": new_user.email, "password": PASSWORD})

    response = client.get(SET_UP)

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=new_user).exists()
    assert_not_signed_in(client)


def test_a_wrong_emailed_code_does_not_open_the_set_up_page(client: Client, new_user: Any) -> None:
    client.post(reverse("account_login"), {"login": new_user.email, "password": PASSWORD})
    wrong = "000000" if emailed_code() != "000000" else "111111"

    response = client.post(CONFIRM_CODE, {"code": wrong})

    assert response.status_code == 200
    assert client.get(SET_UP).status_code == 302
    assert_not_signed_in(client)
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (event.actor, event.details["step"]) == (new_user, "email_code")
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_CODE_SENT).count() == 1


def test_emailed_code_then_authenticator_then_signed_in(client: Client, new_user: Any) -> None:
    client.post(reverse("account_login"), {"login": new_user.email, "password": PASSWORD})
    after_code = client.post(CONFIRM_CODE, {"code": emailed_code()})
    assert after_code.headers["Location"] == SET_UP
    assert_not_signed_in(client)  # proving the email address is not enough either

    done, secret = set_up_authenticator(client)

    assert done.status_code == 302
    assert done.headers["Location"] == reverse("mfa_view_recovery_codes")
    assert client.session["_auth_user_id"] == str(new_user.pk)
    assert Authenticator.objects.filter(user=new_user, type=Authenticator.Type.TOTP).exists()
    # Recovery codes are made with it and shown once, straight away.
    codes = client.get(done.headers["Location"])
    assert codes.status_code == 200
    assert client.get(SIGNED_IN_PAGE).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.MFA_ADDED, actor=new_user).count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN, actor=new_user).exists()
    assert secret not in str(AuditEvent.objects.values_list("details", flat=True))


def test_a_wrong_authenticator_code_leaves_them_signed_out(client: Client, new_user: Any) -> None:
    client.post(reverse("account_login"), {"login": new_user.email, "password": PASSWORD})
    client.post(CONFIRM_CODE, {"code": emailed_code()})
    page = client.get(SET_UP)
    wrong = "000000" if totp_code(page.context["form"].secret) != "000000" else "111111"

    response = client.post(SET_UP, {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=new_user).exists()
    assert_not_signed_in(client)


@pytest.mark.parametrize(
    "path", ["/", "/accounts/email/", "/access/", "/accounts/2fa/totp/activate/"]
)
def test_a_session_without_an_authenticator_is_ended(
    client: Client, new_user: Any, path: str
) -> None:
    """Sessions from before this rule, or whose authenticator was removed since (by the user
    or an administrator), are signed out rather than offered authenticator set-up."""
    client.force_login(new_user)

    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))
    assert_not_signed_in(client)
    assert not Authenticator.objects.filter(user=new_user).exists()


def test_removing_ones_own_authenticator_ends_the_session(
    client: Client, reference_data: None
) -> None:
    lead = make_user("lead@barnsley.example.org", ("la_data_lead", "370"))
    client.post(reverse("account_login"), {"login": lead.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    removed = client.post(reverse("mfa_deactivate_totp"))
    next_page = client.get(removed.headers["Location"])

    assert not Authenticator.objects.filter(user=lead, type=Authenticator.Type.TOTP).exists()
    assert next_page.headers["Location"] == f"{reverse('account_login')}?set_up=1"
    assert_not_signed_in(client)


def test_the_invitation_link_proves_the_email_address(
    client: Client, personas: dict[str, Any]
) -> None:
    from tests.access_admin.helpers import NEW_PASSWORD, accept_data, send_invitation

    admin = Client()
    admin.force_login(personas["access_admin"])
    link = send_invitation(admin)
    outbox_before = len(mail.outbox)

    accepted = client.post(link, accept_data())

    assert accepted.headers["Location"] == SET_UP
    assert len(mail.outbox) == outbox_before  # no code: the link came by email
    assert_not_signed_in(client)
    done, _ = set_up_authenticator(client)
    user = User.objects.get(email="nadia@barnsley.example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert done.headers["Location"] == reverse("mfa_view_recovery_codes")
    assert user.check_password(NEW_PASSWORD)


def test_an_abandoned_invitation_set_up_needs_the_emailed_code_later(
    client: Client, personas: dict[str, Any]
) -> None:
    from tests.access_admin.helpers import NEW_PASSWORD, accept_data, send_invitation

    admin = Client()
    admin.force_login(personas["access_admin"])
    client.post(send_invitation(admin), accept_data())
    client.cookies.clear()  # closed the browser before setting up the app

    response = client.post(
        reverse("account_login"), {"login": "nadia@barnsley.example.org", "password": NEW_PASSWORD}
    )

    assert response.headers["Location"] == CONFIRM_CODE
    assert client.get(SET_UP).status_code == 302


def test_a_deactivated_account_looks_like_a_wrong_password(
    client: Client, reference_data: None
) -> None:
    user = make_user("gone@barnsley.example.org", ("la_viewer", "370"), is_active=False)
    wrong = client.post(
        reverse("account_login"), {"login": user.email, "password": "not-the-password-1"}
    )
    cache.clear()

    right = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert right.status_code == wrong.status_code == 200
    assert right.context["form"].errors == wrong.context["form"].errors
    assert "inactive" not in right.content.decode().lower()
    assert_not_signed_in(client)
    assert (
        AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, actor_email=user.email).count()
        == 2
    )


def test_the_account_inactive_page_says_nothing_about_the_password(client: Client) -> None:
    html = client.get(reverse("account_inactive")).content.decode()

    assert "inactive" not in html.lower()
    assert "deactivated" not in html.lower()
