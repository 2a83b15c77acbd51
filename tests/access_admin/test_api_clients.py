"""Access admins create, rotate and revoke API clients; the secret is shown once."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken, Application

from portal import api_clients
from portal.models import ApiClientAccount, AuditAction, AuditEvent, LocalAuthority


def _once(client: Client, url: str) -> str:
    """The one-time token of the form ``url`` shows."""
    page = client.get(url).content.decode()
    return re.search(r'name="once" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _create(client: Client, la: LocalAuthority) -> Any:
    url = reverse("access_admin:api_client_create")
    return client.post(url, {"local_authority": la.pk, "once": _once(client, url)})


def test_sending_a_form_again_makes_no_second_client_and_replaces_nothing(
    access_admin_client: Client, barnsley: LocalAuthority
) -> None:
    url = reverse("access_admin:api_client_create")
    once = _once(access_admin_client, url)
    first = access_admin_client.post(url, {"local_authority": barnsley.pk, "once": once})
    again = access_admin_client.post(url, {"local_authority": barnsley.pk, "once": once})

    assert first.status_code == 200
    assert again.status_code == 302
    assert again["Location"] == reverse("access_admin:api_clients")
    assert ApiClientAccount.objects.count() == 1
    rotate = reverse("access_admin:api_client_rotate", args=[ApiClientAccount.objects.get().pk])
    once = _once(access_admin_client, rotate)
    secret = access_admin_client.post(rotate, {"once": once}).context["credentials"]
    assert access_admin_client.post(rotate, {"once": once}).status_code == 302
    account = ApiClientAccount.objects.get()
    assert api_clients.supplier_key_matches(account, secret["supplier_key"])
    followed = access_admin_client.get(reverse("access_admin:api_clients")).content.decode()
    assert "already sent" in followed
    assert AuditEvent.objects.filter(action=AuditAction.API_CLIENT_ROTATED).count() == 1


def test_creating_shows_the_secret_and_supplier_key_once(
    access_admin_client: Client, barnsley: LocalAuthority
) -> None:
    response = _create(access_admin_client, barnsley)

    assert response.status_code == 200
    credentials = response.context["credentials"]
    page = response.content.decode()
    assert credentials["client_secret"] in page
    assert credentials["supplier_key"] in page
    assert credentials["token_url"].endswith("/api/oauth/token")
    assert credentials["token_url"] in page
    assert credentials["api_base_url"].endswith("/api")
    account = ApiClientAccount.objects.get()
    assert account.local_authority == barnsley
    assert account.created_by is not None
    # Stored hashed: neither the secret nor the key is kept in clear anywhere.
    application = Application.objects.get()
    assert application.client_secret != credentials["client_secret"]
    assert credentials["supplier_key"] not in account.supplier_key_digest
    assert api_clients.supplier_key_matches(account, credentials["supplier_key"])
    # The list never shows them again.
    listing = access_admin_client.get(reverse("access_admin:api_clients")).content.decode()
    assert "Barnsley" in listing
    assert credentials["client_secret"] not in listing
    event = AuditEvent.objects.get(action=AuditAction.API_CLIENT_CREATED)
    assert event.organisation == "370"
    assert credentials["client_secret"] not in json.dumps(event.details)


def test_the_create_form_asks_for_a_local_authority(access_admin_client: Client) -> None:
    response = access_admin_client.post(reverse("access_admin:api_client_create"), {})

    assert response.status_code == 200
    assert "Choose the local authority" in response.content.decode()
    assert not ApiClientAccount.objects.exists()


def test_rotating_asks_first_then_replaces_the_credentials(
    access_admin_client: Client, barnsley: LocalAuthority
) -> None:
    old = api_clients.create(barnsley, None)
    AccessToken.objects.create(
        application=old.account.application, token="t" * 40, expires="2999-01-01T00:00Z"
    )
    url = reverse("access_admin:api_client_rotate", args=[old.account.pk])

    response = access_admin_client.post(url, {"once": _once(access_admin_client, url)})

    assert response.status_code == 200
    new = response.context["credentials"]
    assert new["client_id"] == old.client_id
    assert new["client_secret"] != old.client_secret
    account = ApiClientAccount.objects.get()
    assert api_clients.supplier_key_matches(account, new["supplier_key"])
    assert not api_clients.supplier_key_matches(account, old.supplier_key)
    assert not AccessToken.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.API_CLIENT_ROTATED).count() == 1


def test_revoking_asks_first_then_ends_the_client(
    access_admin_client: Client, barnsley: LocalAuthority
) -> None:
    old = api_clients.create(barnsley, None)
    url = reverse("access_admin:api_client_revoke", args=[old.account.pk])

    assert "Are you sure" in access_admin_client.get(url).content.decode()
    response = access_admin_client.post(url)

    assert response.status_code == 302
    account = ApiClientAccount.objects.get()
    assert account.revoked_at is not None
    assert not account.is_active
    assert not api_clients.supplier_key_matches(account, old.supplier_key)
    assert (
        "Revoked" in access_admin_client.get(reverse("access_admin:api_clients")).content.decode()
    )
    # Nothing more to do to a revoked client.
    assert access_admin_client.get(url).status_code == 302
    assert (
        access_admin_client.post(
            reverse("access_admin:api_client_rotate", args=[account.pk])
        ).status_code
        == 302
    )
    assert AuditEvent.objects.filter(action=AuditAction.API_CLIENT_REVOKED).count() == 1


@pytest.mark.parametrize("persona", ["lead", "analyst", "case_lead"])
def test_only_access_admins_reach_the_pages(
    client: Client, personas: dict[str, Any], barnsley: LocalAuthority, persona: str
) -> None:
    account = api_clients.create(barnsley, None).account
    client.force_login(personas[persona])

    for name, args in [
        ("access_admin:api_clients", []),
        ("access_admin:api_client_create", []),
        ("access_admin:api_client_rotate", [account.pk]),
        ("access_admin:api_client_revoke", [account.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403
        if name != "access_admin:api_clients":  # the list is GET only (405 before anything)
            assert client.post(reverse(name, args=args)).status_code == 403
    assert ApiClientAccount.objects.get().is_active


def test_the_home_page_links_access_admins_to_the_api_clients(
    access_admin_client: Client,
) -> None:
    page = access_admin_client.get(reverse("home")).content.decode()

    assert reverse("access_admin:api_clients") in page


def test_create_api_client_json_prints_the_credentials_once(barnsley: LocalAuthority) -> None:
    out = StringIO()

    call_command("create_api_client", "--la", "370", "--json", stdout=out)

    values = json.loads(out.getvalue())
    assert set(values) == {
        "client_id",
        "client_secret",
        "supplier_key",
        "scope",
        "token_url",
        "api_base_url",
    }
    account = ApiClientAccount.objects.get()
    assert account.application.client_id == values["client_id"]
    assert api_clients.supplier_key_matches(account, values["supplier_key"])
    assert values["token_url"].endswith("/api/oauth/token")


def test_create_api_client_refuses_an_unknown_code(reference_data: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_client", "--la", "999")
