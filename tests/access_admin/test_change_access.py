"""Changing a user's access on their page: adding, changing and removing roles, all audited.
Removing asks for confirmation first; changing a role is one step and one audit event."""

from __future__ import annotations

from typing import Any
from unittest import mock

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

    assert "You cannot change or remove your own roles" in page
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


# --- Removing: the confirmation page ---------------------------------------------------------


def _remove(user: Any, membership: Membership) -> str:
    return reverse("access_admin:remove_membership", args=[user.pk, membership.pk])


def _change(user: Any, membership: Membership) -> str:
    return reverse("access_admin:change_membership", args=[user.pk, membership.pk])


def test_the_user_page_links_to_change_and_remove_each_role_rather_than_removing_at_once(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    membership = lead.memberships.get()

    html = access_admin_client.get(_detail(lead)).content.decode()

    assert f'href="{_remove(lead, membership)}"' in html
    assert f'href="{_change(lead, membership)}"' in html
    assert f'action="{_remove(lead, membership)}"' not in html  # no one-click POST


def test_the_removal_page_says_what_the_person_loses_and_changes_nothing(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    membership = lead.memberships.get()

    response = access_admin_client.get(_remove(lead, membership))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Are you sure you want to remove this role?" in html
    assert (
        "lead@barnsley.example.org will no longer be LA data lead with access to Barnsley (370)"
        in html
    )
    assert "upload extracts and download the files sent" in html  # what the role allowed
    assert "explain queries and accept submissions" in html
    assert "invite people" not in html  # not something this role gives
    assert "It is their only role" in html
    assert "Remove role</button>" in html
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_REMOVED).exists()


def test_the_removal_page_lists_the_roles_they_keep(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    risl = personas["risl"]
    region_role = risl.memberships.get()
    extra = Membership.objects.create(user=risl, role=Role.NATIONAL_ANALYST)

    html = access_admin_client.get(_remove(risl, extra)).content.decode()

    assert "will no longer be DfE national analyst with access to All local authorities" in html
    assert "They keep their other role" in html
    assert f"Regional Improvement Support Lead ({region_role.scope_label})" in html
    assert "It is their only role" not in html


def test_an_access_admin_is_not_offered_the_removal_of_their_own_role(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]

    response = access_admin_client.get(_remove(admin, admin.memberships.get()), follow=True)

    assert response.redirect_chain == [(_detail(admin), 302)]
    assert b"You cannot remove your own roles" in response.content
    assert b"Remove role</button>" not in response.content


def test_the_removal_page_of_another_users_role_is_404(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    membership = personas["lead"].memberships.get()

    assert access_admin_client.get(_remove(personas["viewer"], membership)).status_code == 404


# --- Changing a role in one step -------------------------------------------------------------


def test_the_change_page_starts_from_the_current_role_and_scope(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    lead = personas["lead"]

    response = access_admin_client.get(_change(lead, lead.memberships.get()))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["role"].value() == "la_data_lead"
    assert form["local_authority"].value() == barnsley.pk
    assert "is LA data lead with access to Barnsley (370)" in response.content.decode()


def test_changing_a_role_and_its_scope_is_one_change_and_one_audit_event(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    membership = lead.memberships.get()
    leeds = LocalAuthority.objects.get(code="383")

    response = access_admin_client.post(
        _change(lead, membership), {"role": "la_viewer", "local_authority": leeds.pk}, follow=True
    )

    assert response.redirect_chain == [(_detail(lead), 302)]
    assert (
        b"role has been changed from LA data lead (Barnsley (370)) to LA viewer (Leeds (383))"
        in response.content
    )
    changed = lead.memberships.get()  # still one membership: the same row, changed
    assert changed.pk == membership.pk
    assert (changed.role, changed.local_authority, changed.region) == ("la_viewer", leeds, None)
    assert changed.granted_by == personas["access_admin"]
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert (event.actor, event.organisation, event.object_id) == (
        personas["access_admin"],
        "383",
        str(membership.pk),
    )
    assert event.details == {
        "user_id": lead.pk,
        "user_email": lead.email,
        "role": "la_viewer",
        "local_authority": "383",
        "region": "",
        "previous_role": "la_data_lead",
        "previous_local_authority": "370",
        "previous_region": "",
    }
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.ROLE_GRANTED, AuditAction.ROLE_REMOVED]
    ).exists()


def test_changing_an_la_role_to_a_regional_one(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    case_lead = personas["case_lead"]
    yorkshire = Region.objects.get(code="E12000003")

    access_admin_client.post(
        _change(case_lead, case_lead.memberships.get()), {"role": "risl", "region": yorkshire.pk}
    )

    assert list(case_lead.memberships.values_list("role", "local_authority", "region")) == [
        ("risl", None, yorkshire.pk)
    ]


def test_a_change_to_nothing_new_or_to_a_role_they_hold_elsewhere_is_refused(
    access_admin_client: Client, personas: dict[str, Any], barnsley: LocalAuthority
) -> None:
    lead = personas["lead"]
    membership = lead.memberships.get()
    Membership.objects.create(user=lead, role=Role.LA_VIEWER, local_authority=barnsley)

    same = access_admin_client.post(
        _change(lead, membership), {"role": "la_data_lead", "local_authority": barnsley.pk}
    )
    held = access_admin_client.post(
        _change(lead, membership), {"role": "la_viewer", "local_authority": barnsley.pk}
    )

    assert "already has this role" in same.context["form"].non_field_errors()[0]
    assert "in another row" in held.context["form"].non_field_errors()[0]
    membership.refresh_from_db()
    assert membership.role == Role.LA_DATA_LEAD
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).exists()


def test_a_changed_scope_that_does_not_fit_the_role_is_a_field_error(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]

    response = access_admin_client.post(_change(lead, lead.memberships.get()), {"role": "risl"})

    assert response.status_code == 200
    assert response.context["form"].errors["region"] == [
        "Select a region for the Regional Improvement Support Lead role"
    ]
    assert lead.memberships.get().role == Role.LA_DATA_LEAD


def test_a_change_whose_audit_event_fails_is_not_made(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    membership = lead.memberships.get()

    with (
        mock.patch("portal.access_admin.services.record", side_effect=RuntimeError("no audit")),
        pytest.raises(RuntimeError),
    ):
        access_admin_client.post(_change(lead, membership), {"role": "national_analyst"})

    membership.refresh_from_db()
    assert (membership.role, membership.local_authority.code) == ("la_data_lead", "370")


def test_nobody_changes_their_own_role(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    admin = personas["access_admin"]
    membership = admin.memberships.get()

    page = access_admin_client.get(_change(admin, membership), follow=True)
    response = access_admin_client.post(_change(admin, membership), {"role": "national_analyst"})

    assert page.redirect_chain == [(_detail(admin), 302)]
    assert b"You cannot change your own roles" in page.content
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.ACCESS_ADMIN
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() == 1
