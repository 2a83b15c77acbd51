"""Inviting someone: the email, the single-use link, accepting, resending and revoking."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import (
    AuditAction,
    AuditEvent,
    Invitation,
    LocalAuthority,
    Membership,
    Region,
    Role,
    User,
)
from tests.access_admin.helpers import NEW_PASSWORD, accept_data, last_link, send_invitation


def test_invite_sends_one_email_with_a_working_link(access_admin_client: Client) -> None:
    link = send_invitation(access_admin_client)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia@barnsley.example.org"]
    assert "admin@education.example.org" in message.body  # who invited them
    assert "Role: LA data lead" in message.body
    assert "Access to: Barnsley (370)" in message.body
    invitation = Invitation.objects.get()
    assert f"on {timezone.localtime(invitation.expires_at):%-d %B %Y} (UK time)" in message.body
    assert "choose a password" in message.body
    assert "authenticator app" in message.body
    response = Client().get(link)
    assert response.status_code == 200
    assert b"Create your account" in response.content
    assert b"as LA data lead, with access to Barnsley (370)" in response.content


def test_invite_is_audited(access_admin_client: Client, personas: dict[str, Any]) -> None:
    send_invitation(access_admin_client)

    event = AuditEvent.objects.get(action=AuditAction.INVITATION_SENT)
    assert event.actor == personas["access_admin"]
    assert event.organisation == "370"
    assert event.details["invitee_email"] == "nadia@barnsley.example.org"
    assert event.details["local_authorities"] == ["370"]


def test_the_raw_token_is_not_stored(access_admin_client: Client) -> None:
    token = send_invitation(access_admin_client).rstrip("/").rsplit("/", 1)[-1]

    invitation = Invitation.objects.get()
    assert token not in {str(value) for value in vars(invitation).values()}
    assert Invitation.find_pending(token) == invitation


def test_accepting_creates_the_account_and_goes_to_authenticator_setup(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    link = send_invitation(access_admin_client)
    newcomer = Client()

    response = newcomer.post(link, accept_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("session:set_up_authenticator")
    user = User.objects.get(email="nadia@barnsley.example.org")
    assert user.full_name == "Nadia New"
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.filter(
        user=user, email=user.email, verified=True, primary=True
    ).exists()
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.local_authority.code) == ("la_data_lead", "370")  # type: ignore[union-attr]
    assert membership.granted_by == personas["access_admin"]
    invitation = Invitation.objects.get()
    assert invitation.user == user
    assert invitation.status == "Accepted"
    # Not signed in until their authenticator app is set up (tests/access/
    # test_mfa_before_session.py follows the rest of the way).
    assert SESSION_KEY not in newcomer.session
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ACCEPTED, actor=user).exists()
    assert newcomer.get(reverse("session:set_up_authenticator")).status_code == 200


def test_accepting_a_region_invitation_gives_one_membership_per_region(
    access_admin_client: Client,
) -> None:
    regions = list(Region.objects.filter(code__in=["E12000003", "E12000004"]))
    link = send_invitation(
        access_admin_client, role="risl", local_authorities=[], regions=[r.pk for r in regions]
    )

    Client().post(link, accept_data())

    user = User.objects.get(email="nadia@barnsley.example.org")
    assert {m.region for m in user.memberships.all()} == set(regions)


def test_accepting_an_unscoped_invitation_gives_one_unscoped_membership(
    access_admin_client: Client,
) -> None:
    link = send_invitation(access_admin_client, role="national_analyst", local_authorities=[])

    Client().post(link, accept_data())

    membership = Membership.objects.get(user__email="nadia@barnsley.example.org")
    assert membership.role == Role.NATIONAL_ANALYST
    assert membership.local_authority is None
    assert membership.region is None


def _assert_link_refused(link: str) -> None:
    response = Client().get(link)
    assert response.status_code == 404
    assert b"This invitation link has expired or been used" in response.content
    assert b"Ask the access admin who invited you" in response.content


def test_the_link_works_once(access_admin_client: Client) -> None:
    link = send_invitation(access_admin_client)
    Client().post(link, accept_data())

    _assert_link_refused(link)
    response = Client().post(link, accept_data())
    assert response.status_code == 404
    assert User.objects.filter(email="nadia@barnsley.example.org").count() == 1


def test_an_expired_link_fails(access_admin_client: Client) -> None:
    link = send_invitation(access_admin_client)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    _assert_link_refused(link)
    assert Invitation.objects.get().status == "Expired"


def test_a_revoked_link_fails(access_admin_client: Client) -> None:
    link = send_invitation(access_admin_client)
    invitation = Invitation.objects.get()

    response = access_admin_client.post(reverse("access_admin:revoke", args=[invitation.pk]))

    assert response.status_code == 302
    _assert_link_refused(link)
    invitation.refresh_from_db()
    assert invitation.status == "Revoked"
    assert AuditEvent.objects.filter(
        action=AuditAction.INVITATION_REVOKED, object_id=str(invitation.pk)
    ).exists()


def test_resending_replaces_the_link_and_restarts_the_clock(access_admin_client: Client) -> None:
    old_link = send_invitation(access_admin_client)
    invitation = Invitation.objects.get()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))

    response = access_admin_client.post(reverse("access_admin:resend", args=[invitation.pk]))

    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new_link = last_link()
    assert new_link != old_link
    _assert_link_refused(old_link)
    assert Client().get(new_link).status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_RESENT).exists()


def test_an_accepted_invitation_cannot_be_resent_or_revoked(access_admin_client: Client) -> None:
    link = send_invitation(access_admin_client)
    Client().post(link, accept_data())
    invitation = Invitation.objects.get()

    access_admin_client.post(reverse("access_admin:resend", args=[invitation.pk]))
    response = access_admin_client.post(
        reverse("access_admin:revoke", args=[invitation.pk]), follow=True
    )

    assert len(mail.outbox) == 1
    assert b"This invitation has already been accepted" in response.content
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize(
    ("role", "la_codes", "region_codes", "field", "message"),
    [
        (
            "la_data_lead",
            [],
            [],
            "local_authorities",
            "Choose at least one local authority for an LA data lead",
        ),
        (
            "dfe_case_lead",
            [],
            [],
            "local_authorities",
            "Choose at least one local authority for a DfE Case Lead",
        ),
        (
            "la_data_lead",
            ["370"],
            ["E12000003"],
            "regions",
            "An LA data lead has no region. Untick the regions",
        ),
        (
            "risl",
            [],
            [],
            "regions",
            "Choose a region for a Regional Improvement Support Lead (RISL)",
        ),
        (
            "risl",
            ["370"],
            ["E12000003"],
            "local_authorities",
            "A Regional Improvement Support Lead (RISL) has no local authority. "
            "Untick the local authorities",
        ),
        (
            "access_admin",
            ["370"],
            [],
            "local_authorities",
            "An access admin has no local authority or region. Untick the local authorities",
        ),
        (
            "national_analyst",
            [],
            ["E12000003"],
            "regions",
            "A DfE national analyst has no local authority or region. Untick the regions",
        ),
    ],
)
def test_a_scope_that_does_not_fit_the_role_is_a_field_error(
    access_admin_client: Client,
    role: str,
    la_codes: list[str],
    region_codes: list[str],
    field: str,
    message: str,
) -> None:
    data = {
        "email": "x@example.org",
        "full_name": "X",
        "role": role,
        "local_authorities": [la.pk for la in LocalAuthority.objects.filter(code__in=la_codes)],
        "regions": [r.pk for r in Region.objects.filter(code__in=region_codes)],
    }

    response = access_admin_client.post(reverse("access_admin:invite"), data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert b"There is a problem" in response.content
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_an_email_with_an_account_is_refused(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    response = access_admin_client.post(
        reverse("access_admin:invite"),
        {
            "email": personas["lead"].email.upper(),
            "full_name": "Again",
            "role": "la_viewer",
            "local_authorities": [barnsley.pk],
        },
    )

    assert "This person already has an account" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_a_deactivated_users_email_is_refused_with_advice_to_reactivate(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    User.objects.filter(pk=personas["viewer"].pk).update(is_active=False)

    response = access_admin_client.post(
        reverse("access_admin:invite"),
        {
            "email": personas["viewer"].email,
            "full_name": "V",
            "role": "la_viewer",
            "local_authorities": [barnsley.pk],
        },
    )

    assert "Reactivate it" in response.context["form"].errors["email"][0]


def test_a_second_pending_invitation_is_refused(access_admin_client: Client) -> None:
    send_invitation(access_admin_client)

    response = access_admin_client.post(
        reverse("access_admin:invite"),
        {"email": "NADIA@barnsley.example.org", "full_name": "N", "role": "national_analyst"},
    )

    assert "already has a pending invitation" in response.context["form"].errors["email"][0]


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("short-pass", "short-pass", "password", "This password is too short"),
        ("password1234", "password1234", "password", "This password is too common"),
        (NEW_PASSWORD, "something-else-entirely", "password_confirm", "The passwords do not match"),
    ],
)
def test_the_password_is_checked(
    access_admin_client: Client, password: str, confirm: str, field: str, message: str
) -> None:
    link = send_invitation(access_admin_client)

    response = Client().post(
        link, {"full_name": "Nadia New", "password": password, "password_confirm": confirm}
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(email="nadia@barnsley.example.org").exists()


def test_someone_signed_in_is_asked_to_sign_out_first(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    link = send_invitation(access_admin_client)
    other = Client()
    other.force_login(personas["lead"])

    response = other.post(link, accept_data())

    assert b"Sign out to accept your invitation" in response.content
    assert not User.objects.filter(email="nadia@barnsley.example.org").exists()
    assert Invitation.objects.get().status == "Pending"


def test_a_case_lead_can_be_invited_to_several_local_authorities(
    access_admin_client: Client,
) -> None:
    chosen = list(LocalAuthority.objects.filter(code__in=["370", "351", "380"]))

    send_invitation(
        access_admin_client, role="dfe_case_lead", local_authorities=[la.pk for la in chosen]
    )

    invitation = Invitation.objects.get()
    assert set(invitation.local_authorities.all()) == set(chosen)


def test_each_scope_sits_under_the_roles_that_take_it(access_admin_client: Client) -> None:
    """The radios say which scope each role takes, for the page's script, and each scope's
    panel comes straight after the last of its roles. Without the script nothing is hidden:
    every panel and box is in the page, and the filter box (useless without it) is hidden."""
    html = access_admin_client.get(reverse("access_admin:invite")).content.decode()

    scopes = dict(re.findall(r'value="(\w+)" data-scope="(\w*)"', html))
    assert scopes == {
        "la_data_lead": "la",
        "la_viewer": "la",
        "dfe_case_lead": "la",
        "risl": "region",
        "national_analyst": "",
        "access_admin": "",
    }
    order = [
        html.index('value="dfe_case_lead"'),
        html.index('id="id_local_authorities-panel"'),
        html.index('value="risl"'),
        html.index('id="id_regions-panel"'),
        html.index('value="national_analyst"'),
    ]
    assert order == sorted(order)
    assert "govuk-radios__conditional--hidden" not in html
    assert html.count('name="local_authorities"') == LocalAuthority.objects.current().count()
    assert re.search(r"<div[^>]*data-scope-filter[^>]*hidden", html)
    assert "portal/js/invite-scope.js" in html


def test_a_scope_error_is_in_the_summary_and_beside_its_field(
    access_admin_client: Client,
) -> None:
    data = {"email": "x@example.org", "full_name": "X", "role": "risl"}

    html = access_admin_client.post(reverse("access_admin:invite"), data).content.decode()

    message = "Choose a region for a Regional Improvement Support Lead (RISL)"
    assert f'<a href="#id_regions_0">{message}</a>' in html
    assert re.search(rf'id="id_regions-error"[^>]*>.*{re.escape(message)}', html)
    # The role chosen is kept, so the page's script shows the region panel again.
    assert re.search(r'value="risl"[^>]* checked', html)
