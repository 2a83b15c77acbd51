"""The production profile (DEBUG off) refuses to start on the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from portal.checks import production_needs_real_services

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "csc"}}
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
#: The production profile on real services, with PostgreSQL (``POSTGRES``) overridden apart.
PRODUCTION = {"DEBUG": False, "CELERY_BROKER_URL": "redis://r:6379/0", "CACHES": REDIS_CACHE}


def ids(**overrides: object) -> set[str]:
    with override_settings(**overrides):
        return {error.id or "" for error in production_needs_real_services()}


def test_it_allows_anything_in_debug() -> None:
    assert ids(DEBUG=True, CELERY_BROKER_URL="filesystem://", CACHES=LOCMEM) == set()


def test_it_refuses_sqlite_the_filesystem_broker_and_a_local_cache_in_production() -> None:
    assert ids(DEBUG=False, CELERY_BROKER_URL="filesystem://", CACHES=LOCMEM) >= {
        "portal.E002",
        "portal.E003",
    }
    with override_settings(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3"}}):
        assert "portal.E001" in ids(DEBUG=False)


def test_it_accepts_postgres_and_redis_in_production() -> None:
    with override_settings(DATABASES=POSTGRES):
        assert ids(DEBUG=False, CELERY_BROKER_URL="redis://r:6379/0", CACHES=REDIS_CACHE) == set()


def test_production_needs_a_supplier_key_secret_for_the_api_intake() -> None:
    with override_settings(DATABASES=POSTGRES):
        assert ids(**PRODUCTION, API_SUPPLIER_KEY_SECRET="") == {"portal.E006"}
        assert ids(**PRODUCTION, API_SUPPLIER_KEY_SECRET="s" * 40) == set()


def test_production_needs_a_contact_address_for_the_public() -> None:
    with override_settings(DATABASES=POSTGRES):
        assert ids(**PRODUCTION, CONTACT_EMAIL="") == {"portal.E007"}
        assert ids(**PRODUCTION, CONTACT_EMAIL="team@example.org") == set()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", [["check"], ["migrate", "--plan"]])
def test_production_profile_on_the_embedded_default_does_not_start(command: list[str]) -> None:
    result = _manage(*command, DEBUG="false", SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "portal.E001" in result.stderr
    assert "must use PostgreSQL" in result.stderr
    assert "portal.E002" in result.stderr


def test_production_profile_needs_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "false"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_wsgi_entry_point_refuses_to_start_on_the_embedded_default() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "false",
             "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip

    assert result.returncode != 0
    assert "SystemCheckError" in result.stderr
    assert "portal.E001" in result.stderr
