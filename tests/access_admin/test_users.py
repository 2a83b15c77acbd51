"""The users list: roles with scope, authenticator status, last sign-in, search."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import User
from tests.conftest import make_user

LONDON = ZoneInfo("Europe/London")


def _row(html: str, email: str) -> str:
    """The table row that shows ``email``."""
    start = html.index(f">{email}<")
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def test_the_list_shows_roles_mfa_status_and_last_sign_in(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    User.objects.filter(pk=personas["lead"].pk).update(
        last_login=datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    )

    html = access_admin_client.get(reverse("access_admin:users")).content.decode()

    lead = _row(html, personas["lead"].email)
    assert "LA data lead: Barnsley (370)" in lead
    assert "Set up" in lead
    assert "2 Mar 2026, 09:30" in lead
    assert "Active" in lead
    assert "Regional Improvement Support Lead: Yorkshire and The Humber region" in _row(
        html, personas["risl"].email
    )
    assert "DfE national analyst: All local authorities" in _row(html, personas["analyst"].email)
    no_mfa = _row(html, personas["no_mfa"].email)
    assert "Not set up" in no_mfa
    assert "Never" in no_mfa
    assert reverse("access_admin:user_detail", args=[personas["lead"].pk]) in lead
    assert "8 users" in html


def test_deactivated_users_are_marked(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    User.objects.filter(pk=personas["viewer"].pk).update(is_active=False)

    html = access_admin_client.get(reverse("access_admin:users")).content.decode()

    assert "Deactivated" in _row(html, personas["viewer"].email)


def test_search_matches_email_or_name(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    User.objects.filter(pk=personas["risl"].pk).update(full_name="Rhiannon Ward")
    url = reverse("access_admin:users")

    by_email = access_admin_client.get(url, {"q": "BARNSLEY"}).context["page_obj"]
    by_name = access_admin_client.get(url, {"q": "rhiannon"}).context["page_obj"]

    assert {u.email for u in by_email} == {
        "lead@barnsley.example.org",
        "viewer@barnsley.example.org",
        "new@barnsley.example.org",
    }
    assert [u.email for u in by_name] == ["risl@education.example.org"]


def test_the_list_links_to_invitations_and_the_access_review(access_admin_client: Client) -> None:
    html = access_admin_client.get(reverse("access_admin:users")).content.decode()

    for name in ("invitations", "access_review", "audit", "invite"):
        assert f'href="{reverse(f"access_admin:{name}")}"' in html
    assert 'aria-current="page">Users</a>' in html


def test_the_number_of_queries_does_not_grow_with_the_number_of_users(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    url = reverse("access_admin:users")
    access_admin_client.get(url)  # the first request also records the session
    with CaptureQueriesContext(connection) as before:
        access_admin_client.get(url)
    for n in range(5):
        make_user(f"extra{n}@example.org", ("la_viewer", "383"))

    with CaptureQueriesContext(connection) as after:
        access_admin_client.get(url)

    assert len(after) == len(before)
