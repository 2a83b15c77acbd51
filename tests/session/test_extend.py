"""POST /session/extend/: the "Stay signed in" button of the session timeout warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

EXTEND = reverse("session:extend")


@pytest.fixture
def user(db: None) -> Any:
    return make_user("extend@example.org")


def session_expiry(client: Client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_it_restarts_the_idle_clock(client: Client, user: Any, settings: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        client.force_login(user)
        signed_in_expiry = session_expiry(client)
        traveller.shift(timedelta(minutes=20))

        response = client.post(EXTEND)

        assert response.status_code == 204
        assert response.content == b""
        assert session_expiry(client) == signed_in_expiry + timedelta(minutes=20)
        # 20 minutes after the extension (40 after sign-in) the session is still valid.
        traveller.shift(timedelta(minutes=20))
        assert client.get(reverse("usersessions_list")).status_code == 200


def test_anonymous_callers_get_401_json_not_a_redirect(client: Client) -> None:
    response = client.post(EXTEND)

    assert response.status_code == 401
    assert response.json() == {"error": "not_signed_in"}


@pytest.mark.parametrize("signed_in", [True, False])
def test_it_only_accepts_post(client: Client, user: Any, signed_in: bool) -> None:
    if signed_in:
        client.force_login(user)

    assert client.get(EXTEND).status_code == 405


def test_it_needs_the_csrf_token(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(EXTEND).status_code == 403
