"""Separation of duties: nobody changes their own access, and a person who manages access
gets data only from a second, different access admin. Every refusal is a 403 and audited."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from portal.access_admin import services
from portal.models import (
    AuditAction,
    AuditEvent,
    AuditOutcome,
    Invitation,
    LocalAuthority,
    Membership,
    Role,
    User,
)
from tests.conftest import make_user


def _detail(user: Any) -> str:
    return reverse("access_admin:user_detail", args=[user.pk])


def _denied(actor: Any) -> AuditEvent:
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_DENIED)
    assert (event.actor, event.outcome) == (actor, AuditOutcome.DENIED)
    return event


def test_an_access_admin_cannot_give_themselves_child_level_data(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    admin = personas["access_admin"]

    response = access_admin_client.post(
        _detail(admin), {"role": "la_data_lead", "local_authority": barnsley.pk}
    )

    assert response.status_code == 403
    assert list(admin.memberships.values_list("role", flat=True)) == [Role.ACCESS_ADMIN]
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_GRANTED).exists()
    event = _denied(admin)
    assert event.details["reason"] == "own_access"
    assert event.details["user_id"] == admin.pk
    assert event.object_id == str(admin.pk)


def test_an_access_admin_cannot_give_themselves_another_unscoped_role(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]

    response = access_admin_client.post(_detail(admin), {"role": "national_analyst"})

    assert response.status_code == 403
    assert not admin.memberships.filter(role=Role.NATIONAL_ANALYST).exists()
    _denied(admin)


def test_nobody_can_remove_their_own_roles(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    admin = personas["access_admin"]
    data_role = Membership.objects.create(user=admin, role=Role.LA_VIEWER, local_authority=barnsley)
    url = reverse("access_admin:remove_membership", args=[admin.pk, data_role.pk])

    response = access_admin_client.post(url)

    assert response.status_code == 403
    assert Membership.objects.filter(pk=data_role.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_REMOVED).exists()
    _denied(admin)


def test_nobody_can_deactivate_themselves(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]

    response = access_admin_client.post(reverse("access_admin:deactivate", args=[admin.pk]))

    assert response.status_code == 403
    assert User.objects.get(pk=admin.pk).is_active
    _denied(admin)


def test_nobody_can_reactivate_themselves(personas: dict[str, Any], rf: Any) -> None:
    """Not reachable through the pages (a deactivated user cannot sign in), but the service
    refuses it too, so no other caller can."""
    admin = personas["access_admin"]
    User.objects.filter(pk=admin.pk).update(is_active=False)
    admin.refresh_from_db()
    request = rf.post("/")
    request.user = admin

    with pytest.raises(PermissionDenied):
        services.reactivate(admin, admin, request)

    assert not User.objects.get(pk=admin.pk).is_active
    _denied(admin)


def test_a_second_access_admin_can_give_an_access_admin_a_data_role(
    client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    admin = personas["access_admin"]
    second = make_user("second@education.example.org", ("access_admin", None))
    client.force_login(second)

    response = client.post(_detail(admin), {"role": "la_viewer", "local_authority": barnsley.pk})

    assert response.status_code == 302
    assert admin.memberships.filter(role=Role.LA_VIEWER, local_authority=barnsley).exists()
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.actor == second


def test_a_second_access_admin_can_make_a_data_user_an_access_admin(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]

    response = access_admin_client.post(_detail(lead), {"role": "access_admin"})

    assert response.status_code == 302
    assert lead.memberships.filter(role=Role.ACCESS_ADMIN).exists()


def test_an_access_admin_cannot_invite_an_email_address_of_their_own(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    """A second address added to one's own account (allauth's email page) is not a new
    person: inviting it would give the admin a second account with child-level data."""
    admin = personas["access_admin"]
    EmailAddress.objects.create(user=admin, email="admin.alias@example.org", verified=True)

    response = access_admin_client.post(
        reverse("access_admin:invite"),
        {
            "email": "Admin.Alias@example.org",
            "full_name": "Me Again",
            "role": "la_data_lead",
            "local_authorities": [barnsley.pk],
        },
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert not mail.outbox
    event = _denied(admin)
    assert event.details["reason"] == "own_access"


def test_another_persons_second_address_counts_as_an_existing_account(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    EmailAddress.objects.create(user=personas["lead"], email="lead.alias@example.org")

    response = access_admin_client.post(
        reverse("access_admin:invite"),
        {
            "email": "lead.alias@example.org",
            "full_name": "Lead Again",
            "role": "la_viewer",
            "local_authorities": [barnsley.pk],
        },
    )

    assert response.status_code == 200
    assert "This person already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_own_user_page_offers_no_changes(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]
    membership = admin.memberships.get()

    html = access_admin_client.get(_detail(admin)).content.decode()

    assert "Add a role" not in html
    assert reverse("access_admin:remove_membership", args=[admin.pk, membership.pk]) not in html
    assert reverse("access_admin:change_membership", args=[admin.pk, membership.pk]) not in html
    assert "Ask another access admin to change your access" in html


def test_the_access_review_flags_people_with_both_kinds_of_role(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    both = make_user("both@barnsley.example.org", ("access_admin", None), ("la_data_lead", "370"))

    response = access_admin_client.get(reverse("access_admin:access_review"))

    flagged = {person.email for person in response.context["both_kinds"]}
    assert flagged == {both.email}
    html = response.content.decode()
    assert "manage access and can also see data" in html
    assert both.email in html
