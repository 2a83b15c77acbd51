"""The access review: active users who have not signed in for 90 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, User
from tests.conftest import make_user


def _listed(client: Client) -> set[str]:
    return {u.email for u in client.get(reverse("access_admin:access_review")).context["page_obj"]}


def test_users_not_seen_for_90_days_are_listed(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    now = timezone.now()
    User.objects.update(last_login=now - timedelta(days=1))
    User.objects.filter(pk=personas["lead"].pk).update(last_login=now - timedelta(days=91))
    User.objects.filter(pk=personas["viewer"].pk).update(last_login=now - timedelta(days=89))
    User.objects.filter(pk=personas["other_lead"].pk).update(
        last_login=now - timedelta(days=200), is_active=False
    )

    assert _listed(access_admin_client) == {personas["lead"].email}


def test_users_who_never_signed_in_are_listed_90_days_after_their_invitation(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    now = timezone.now()
    User.objects.update(last_login=now)
    old = make_user("old@example.org", ("national_analyst", None))
    recent = make_user("recent@example.org", ("national_analyst", None))
    # Account created recently, but invited long ago: the invitation date counts.
    Invitation.objects.create(
        email=old.email,
        role="national_analyst",
        token_hash="a" * 64,
        user=old,
        created_at=now - timedelta(days=120),
        expires_at=now - timedelta(days=113),
        accepted_at=now - timedelta(days=114),
    )
    legacy = make_user("legacy@example.org", ("national_analyst", None))
    User.objects.filter(pk=legacy.pk).update(date_joined=now - timedelta(days=95))

    listed = _listed(access_admin_client)

    assert listed == {old.email, legacy.email}
    assert recent.email not in listed


def test_each_listed_user_has_a_deactivate_link(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    User.objects.update(last_login=timezone.now() - timedelta(days=100))

    html = access_admin_client.get(reverse("access_admin:access_review")).content.decode()

    assert reverse("access_admin:deactivate", args=[personas["lead"].pk]) in html


def test_nobody_to_review(access_admin_client: Client, personas: dict[str, Any]) -> None:
    User.objects.update(last_login=timezone.now())

    response = access_admin_client.get(reverse("access_admin:access_review"))

    assert (
        b"Everyone with an active account has signed in within the last 90 days" in response.content
    )
