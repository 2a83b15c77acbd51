"""Changing a user's access on their page: adding and removing roles, all audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent, LocalAuthority, Membership, Region, Role


def _detail(user: Any) -> str:
    return reverse("access_admin:user_detail", args=[user.pk])


def test_the_user_page_shows_their_roles_and_an_add_role_form(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    response = access_admin_client.get(_detail(personas["lead"]))

    html = response.content.decode()
    assert "lead@barnsley.example.org" in html
    assert "Barnsley (370)" in html
    assert 'class="govuk-summary-list"' in html
    assert "Add a role" in html
    assert "Deactivate user" in html


def test_granting_a_role_for_a_local_authority(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    leeds = LocalAuthority.objects.get(code="383")

    response = access_admin_client.post(
        _detail(lead), {"role": "la_viewer", "local_authority": leeds.pk}
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user=lead, role=Role.LA_VIEWER)
    assert membership.local_authority == leeds
    assert membership.granted_by == personas["access_admin"]
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.actor == personas["access_admin"]
    assert event.organisation == "383"
    assert event.details == {"user_id": lead.pk, "user_email": lead.email, "role": "la_viewer"}
    assert b"has been given the new role" in access_admin_client.get(response["Location"]).content


def test_granting_a_region_and_an_unscoped_role(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    analyst = personas["analyst"]
    london = Region.objects.get(code="E12000007")

    access_admin_client.post(_detail(analyst), {"role": "risl", "region": london.pk})
    access_admin_client.post(_detail(analyst), {"role": "access_admin"})

    assert set(analyst.memberships.values_list("role", "region__code")) == {
        ("national_analyst", None),
        ("risl", "E12000007"),
        ("access_admin", None),
    }


@pytest.mark.parametrize(
    ("role", "la_code", "region_code", "field", "message"),
    [
        (
            "la_viewer",
            None,
            None,
            "local_authority",
            "Select a local authority for the LA viewer role",
        ),
        (
            "la_viewer",
            "383",
            "E12000003",
            "region",
            "Do not select a region for the LA viewer role",
        ),
        (
            "risl",
            "383",
            "E12000003",
            "local_authority",
            "Do not select a local authority for the Regional Improvement Support Lead role",
        ),
        (
            "national_analyst",
            "383",
            None,
            "local_authority",
            "Do not select a local authority for the DfE national analyst role",
        ),
    ],
)
def test_a_scope_that_does_not_fit_the_role_is_a_field_error(
    access_admin_client: Client,
    personas: dict[str, Any],
    role: str,
    la_code: str | None,
    region_code: str | None,
    field: str,
    message: str,
) -> None:
    post: dict[str, Any] = {"role": role}
    if la_code:
        post["local_authority"] = LocalAuthority.objects.get(code=la_code).pk
    if region_code:
        post["region"] = Region.objects.get(code=region_code).pk

    response = access_admin_client.post(_detail(personas["viewer"]), post)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_GRANTED).exists()


def test_granting_a_role_they_already_have_is_refused(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    barnsley = LocalAuthority.objects.get(code="370")

    response = access_admin_client.post(
        _detail(personas["lead"]), {"role": "la_data_lead", "local_authority": barnsley.pk}
    )

    assert response.status_code == 200
    assert "already has this role" in response.context["form"].non_field_errors()[0]
    assert personas["lead"].memberships.count() == 1


def test_removing_a_role(access_admin_client: Client, personas: dict[str, Any]) -> None:
    lead = personas["lead"]
    membership = lead.memberships.get()

    response = access_admin_client.post(
        reverse("access_admin:remove_membership", args=[lead.pk, membership.pk]), follow=True
    )

    assert not lead.memberships.exists()
    assert b"LA data lead (Barnsley (370)) has been removed" in response.content
    event = AuditEvent.objects.get(action=AuditAction.ROLE_REMOVED)
    assert (event.actor, event.organisation, event.object_id) == (
        personas["access_admin"],
        "370",
        str(membership.pk),
    )


def test_a_role_is_only_removed_through_its_own_user(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    membership = personas["lead"].memberships.get()

    response = access_admin_client.post(
        reverse("access_admin:remove_membership", args=[personas["viewer"].pk, membership.pk])
    )

    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_access_admin_cannot_remove_their_own_access_admin_role(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]
    membership = admin.memberships.get()

    page = access_admin_client.get(_detail(admin)).content.decode()
    response = access_admin_client.post(
        reverse("access_admin:remove_membership", args=[admin.pk, membership.pk])
    )

    assert "You cannot remove your own roles" in page
    assert reverse("access_admin:remove_membership", args=[admin.pk, membership.pk]) not in page
    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_REMOVED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() == 1


def test_another_access_admins_role_can_be_removed(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    analyst = personas["analyst"]
    extra = Membership.objects.create(user=analyst, role=Role.ACCESS_ADMIN)

    access_admin_client.post(reverse("access_admin:remove_membership", args=[analyst.pk, extra.pk]))

    assert not Membership.objects.filter(pk=extra.pk).exists()
