"""The idle clock and "last seen" (portal.middleware.SessionActivityMiddleware): restarted by
activity, at most once a minute, so reading pages writes nothing most of the time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SIGNED_IN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)", re.IGNORECASE)


@pytest.fixture
def client_at(client: Client, db: None, settings: Any) -> Any:
    # The cached_db sessions live in the cache until it expires them. Redis (CI, production)
    # expires entries by its own clock, which time_machine cannot move, so the sessions here
    # are cached in process memory, whose expiry reads the travelled clock.
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    with time_machine.travel(SIGNED_IN, tick=False) as traveller:
        client.force_login(make_user("activity@example.org"))
        client.get(reverse("accessibility"))  # the first page restarts the clock
        yield client, traveller


def expiry(client: Client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def writes(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])]


def test_pages_within_a_minute_write_nothing(client_at: Any) -> None:
    client, traveller = client_at
    before = expiry(client)
    traveller.shift(timedelta(seconds=59))

    assert writes(client, reverse("accessibility")) == []
    assert expiry(client) == before


def test_a_page_after_a_minute_restarts_the_idle_clock_and_last_seen(client_at: Any) -> None:
    client, traveller = client_at
    traveller.shift(timedelta(minutes=20))

    client.get(reverse("accessibility"))

    assert expiry(client) == SIGNED_IN + timedelta(minutes=20 + 30)
    session = UserSession.objects.get(session_key=client.session.session_key)
    assert session.last_seen_at == SIGNED_IN + timedelta(minutes=20)


def test_activity_keeps_the_session_past_the_idle_limit(client_at: Any) -> None:
    client, traveller = client_at
    for _ in range(4):  # 4 x 20 minutes, longer than the 30-minute idle limit
        traveller.shift(timedelta(minutes=20))
        assert client.get(reverse("usersessions_list")).status_code == 200


def test_no_activity_for_the_idle_limit_signs_out(client_at: Any) -> None:
    client, traveller = client_at
    traveller.shift(timedelta(minutes=30, seconds=1))

    response = client.get(reverse("usersessions_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_warning_counts_from_the_servers_last_restart(client_at: Any) -> None:
    client, traveller = client_at
    traveller.shift(timedelta(seconds=45))  # within the minute: the clock is not restarted

    html = client.get(reverse("accessibility")).content.decode()

    assert 'data-idle-seconds="1800"' in html
    assert 'data-idle-remaining-seconds="1755"' in html
