"""Behind a TLS proxy every request comes from the proxy's address. With ``TRUSTED_PROXY_COUNT``
set, the rate limits, the audit trail and the logs use the client address the proxy forwards
(``X-Forwarded-For``), so one user's failed sign-ins cannot lock out every user; without it a
forged ``X-Forwarded-For`` is ignored. Failed sign-ins are limited per account as well."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from portal.audit import AuditAction, record
from portal.models import AuditEvent
from tests.conftest import PASSWORD, ROOT

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
LOCKED_OUT = "Too many failed login attempts"

behind_one_proxy = override_settings(TRUSTED_PROXY_COUNT=1, ALLAUTH_TRUSTED_PROXY_COUNT=1)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, email: str, password: str, forwarded_for: str | None) -> Any:
    extra: dict[str, Any] = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def fail_from(client: Client, forwarded_for: str | None, times: int) -> None:
    """``times`` failed sign-ins, each for a different (unknown) account, so only the
    per-address limit can bite."""
    for n in range(times):
        response = sign_in(client, f"nobody{n}@example.org", "wrong-password-123", forwarded_for)
        assert LOCKED_OUT not in response.content.decode()


def test_the_setting_comes_from_the_environment_and_feeds_allauth() -> None:
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true"}
    env["TRUSTED_PROXY_COUNT"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["1", "1"]


@behind_one_proxy
def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(
    client: Client, personas: dict[str, Any]
) -> None:
    fail_from(client, "203.0.113.5", times=10)
    # The eleventh failure from the same client within a minute is refused...
    refused = sign_in(client, "nobody-else@example.org", "wrong-password-123", "203.0.113.5")
    assert LOCKED_OUT in refused.content.decode()

    # ...but another user, behind the same proxy, signs in.
    other = sign_in(Client(), personas["lead"].email, PASSWORD, "198.51.100.7")
    assert other.status_code == 302
    assert other.headers["Location"] == reverse("mfa_authenticate")


@behind_one_proxy
def test_behind_a_proxy_the_audit_trail_records_the_client_address(
    client: Client, personas: dict[str, Any]
) -> None:
    # A client-supplied X-Forwarded-For entry before the proxy's own is not trusted.
    sign_in(client, personas["lead"].email, "wrong-password-123", "192.0.2.66, 203.0.113.5")

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.ip_address == "203.0.113.5"


@behind_one_proxy
def test_failures_against_one_account_are_limited_across_many_addresses(
    client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    for n in range(5):
        email = lead.email.upper() if n % 2 else lead.email
        response = sign_in(Client(), email, "wrong-password-123", f"203.0.113.{n + 10}")
        assert LOCKED_OUT not in response.content.decode()

    # Even the right password, from a fresh address, is refused for now.
    refused = sign_in(Client(), lead.email, PASSWORD, "198.51.100.99")
    assert refused.status_code == 200
    assert LOCKED_OUT in refused.content.decode()
    assert "_auth_user_id" not in Client().session
    # Other accounts are unaffected.
    viewer = sign_in(Client(), personas["viewer"].email, PASSWORD, "198.51.100.99")
    assert viewer.headers["Location"] == reverse("mfa_authenticate")


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(
    client: Client, personas: dict[str, Any]
) -> None:
    # Each attempt claims a different address; all count against the real one.
    for n in range(10):
        sign_in(client, f"nobody{n}@example.org", "wrong-password-123", f"203.0.113.{n}")
    refused = sign_in(client, "nobody-else@example.org", "wrong-password-123", "198.51.100.1")
    assert LOCKED_OUT in refused.content.decode()

    addresses = set(
        AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).values_list(
            "ip_address", flat=True
        )
    )
    assert addresses == {PROXY}


@override_settings(TRUSTED_PROXY_COUNT=2, ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_the_audit_trail_falls_back_to_the_peer_when_the_header_is_short(rf: Any) -> None:
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    request.user = _anonymous()

    assert record(AuditAction.SIGN_IN_FAILED, request=request).ip_address == PROXY


@behind_one_proxy
def test_audit_log_lines_carry_the_client_address(
    rf: Any, caplog: pytest.LogCaptureFixture
) -> None:
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    request.user = _anonymous()

    with caplog.at_level(logging.INFO, logger="portal.audit"):
        record(AuditAction.SIGN_IN_FAILED, request=request)

    assert "ip=203.0.113.5" in caplog.text


def _anonymous() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _gunicorn_conf() -> Any:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (0, "203.0.113.5", PROXY),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "192.0.2.66, 203.0.113.5", "203.0.113.5"),
        (1, None, PROXY),
        (2, "203.0.113.5", PROXY),
        (1, "not-an-address", PROXY),
    ],
)
def test_the_access_log_shows_the_client_address(
    count: int, forwarded_for: str | None, expected: str
) -> None:
    conf = _gunicorn_conf()
    environ = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for

    assert conf.client_address(environ, count) == expected
    assert "%({x-request-id}o)s" in conf.access_log_format
