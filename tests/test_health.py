"""The health endpoint and command check the real database, cache and broker."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

# A cache on a port where nothing listens: a real, not simulated, outage.
BROKEN_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


@pytest.mark.django_db
def test_anyone_sees_only_the_overall_status(client: Client) -> None:
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_administrators_see_each_dependency(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)

    checks = client.get("/health/").json()["checks"]

    assert set(checks) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in checks.values()), checks


@pytest.mark.django_db
def test_it_reports_503_when_a_dependency_is_down(client: Client, admin_user: Any) -> None:
    # Sessions normally live in the cache too; keep them in the database for this test.
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.db"):
        client.force_login(admin_user)
    with override_settings(
        CACHES=BROKEN_CACHE, SESSION_ENGINE="django.contrib.sessions.backends.db"
    ):
        response = client.get("/health/")
    body = response.json()

    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_the_healthcheck_command_passes_when_everything_is_up(capsys: Any) -> None:
    call_command("healthcheck")

    out = capsys.readouterr().out
    assert "database  ok" in out
    assert "broker    ok" in out


@pytest.mark.django_db
def test_the_healthcheck_command_fails_when_the_broker_is_down(monkeypatch: Any) -> None:
    from workers.celery import app

    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")

    with pytest.raises(CommandError, match="unavailable"):
        call_command("healthcheck")
