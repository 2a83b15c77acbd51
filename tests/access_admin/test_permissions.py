"""Permission matrix: every access page for every persona. Anonymous visitors are sent to sign
in, users without the access admin role get 403, access admins get through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.access_admin import urls
from portal.models import AuditAction, AuditEvent, AuditOutcome, Invitation
from tests.access_admin.helpers import send_invitation
from tests.conftest import make_user

Args = Callable[[dict[str, Any], Invitation], list[Any]]


def _none(personas: dict[str, Any], invitation: Invitation) -> list[Any]:
    return []


def _viewer(personas: dict[str, Any], invitation: Invitation) -> list[Any]:
    return [personas["viewer"].pk]


def _viewer_membership(personas: dict[str, Any], invitation: Invitation) -> list[Any]:
    return [personas["viewer"].pk, personas["viewer"].memberships.get().pk]


def _invitation(personas: dict[str, Any], invitation: Invitation) -> list[Any]:
    return [invitation.pk]


def _api_client(personas: dict[str, Any], invitation: Invitation) -> list[Any]:
    from portal import api_clients
    from portal.models import LocalAuthority

    return [api_clients.create(LocalAuthority.objects.get(code="370"), None).account.pk]


#: (method, URL name, URL arguments, status an access admin gets)
ROUTES: list[tuple[str, str, Args, int]] = [
    ("get", "users", _none, 200),
    ("get", "user_detail", _viewer, 200),
    ("post", "user_detail", _viewer, 200),  # an empty add-role form: shown again with errors
    ("get", "remove_membership", _viewer_membership, 200),  # the confirmation page
    ("post", "remove_membership", _viewer_membership, 302),
    ("get", "change_membership", _viewer_membership, 200),
    ("post", "change_membership", _viewer_membership, 200),  # an empty form: errors
    ("get", "deactivate", _viewer, 200),
    ("post", "deactivate", _viewer, 302),
    ("post", "reactivate", _viewer, 302),
    ("get", "access_review", _none, 200),
    ("get", "invite", _none, 200),
    ("post", "invite", _none, 200),  # an empty form: shown again with errors
    ("get", "invitations", _none, 200),
    ("post", "resend", _invitation, 302),
    ("post", "revoke", _invitation, 302),
    ("get", "api_clients", _none, 200),
    ("get", "api_client_create", _none, 200),
    ("post", "api_client_create", _none, 200),  # an empty form: shown again with errors
    ("get", "api_client_rotate", _api_client, 200),
    ("post", "api_client_rotate", _api_client, 302),  # no one-time token: back to the list
    ("get", "api_client_revoke", _api_client, 200),
    ("post", "api_client_revoke", _api_client, 302),
    ("get", "audit", _none, 200),
    ("get", "audit_export", _none, 200),
]
ROUTE_IDS = [f"{method} {name}" for method, name, _, _ in ROUTES]
NON_ADMINS = ["lead", "viewer", "other_lead", "case_lead", "risl", "analyst"]


@pytest.fixture
def invitation(personas: dict[str, Any]) -> Invitation:
    admin = Client()
    admin.force_login(personas["access_admin"])
    send_invitation(admin)
    return Invitation.objects.get()


def _request(
    client: Client,
    method: str,
    name: str,
    args: Args,
    personas: dict[str, Any],
    invitation: Invitation,
) -> Any:
    url = reverse(f"access_admin:{name}", args=args(personas, invitation))
    return getattr(client, method)(url)


def test_every_access_page_is_in_the_matrix() -> None:
    names = {pattern.name for pattern in urls.urlpatterns}
    # The accept link is the one public page; it is tested in test_invite.py and below.
    assert names - {"accept"} == {name for _, name, _, _ in ROUTES}


@pytest.mark.parametrize(("method", "name", "args", "admin_status"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client,
    personas: dict[str, Any],
    invitation: Invitation,
    method: str,
    name: str,
    args: Args,
    admin_status: int,
) -> None:
    response = _request(client, method, name, args, personas, invitation)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", NON_ADMINS)
@pytest.mark.parametrize(("method", "name", "args", "admin_status"), ROUTES, ids=ROUTE_IDS)
def test_users_without_the_access_admin_role_get_403(
    client: Client,
    personas: dict[str, Any],
    invitation: Invitation,
    persona: str,
    method: str,
    name: str,
    args: Args,
    admin_status: int,
) -> None:
    client.force_login(personas[persona])

    response = _request(client, method, name, args, personas, invitation)

    assert response.status_code == 403
    assert b"You do not have permission to do that" in response.content


@pytest.mark.parametrize(("method", "name", "args", "admin_status"), ROUTES, ids=ROUTE_IDS)
def test_access_admins_get_through(
    access_admin_client: Client,
    personas: dict[str, Any],
    invitation: Invitation,
    method: str,
    name: str,
    args: Args,
    admin_status: int,
) -> None:
    response = _request(access_admin_client, method, name, args, personas, invitation)

    assert response.status_code == admin_status


def test_a_refusal_is_audited(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(personas["analyst"])

    client.get(reverse("access_admin:users"))

    event = AuditEvent.objects.get(action=AuditAction.ACCESS_DENIED)
    assert event.actor == personas["analyst"]
    assert event.outcome == AuditOutcome.DENIED
    assert event.details == {
        "path": reverse("access_admin:users"), "method": "GET", "required": "manage_access",
        "status": 403,
    }  # fmt: skip


def test_an_admin_without_an_authenticator_is_signed_out(
    client: Client, personas: dict[str, Any]
) -> None:
    client.force_login(make_user("fresh.admin@example.org", ("access_admin", None), mfa=False))

    response = client.get(reverse("access_admin:users"))

    assert response["Location"] == f"{reverse('account_login')}?set_up=1"
    assert "_auth_user_id" not in client.session


def test_a_deactivated_access_admin_is_refused(client: Client, personas: dict[str, Any]) -> None:
    admin = personas["access_admin"]
    client.force_login(admin)
    admin.is_active = False
    admin.save()

    response = client.get(reverse("access_admin:users"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_accept_link_is_public(client: Client, personas: dict[str, Any]) -> None:
    admin = Client()
    admin.force_login(personas["access_admin"])

    link = send_invitation(admin)

    assert client.get(link).status_code == 200
    assert client.get(reverse("access_admin:accept", args=["not-a-token"])).status_code == 404
