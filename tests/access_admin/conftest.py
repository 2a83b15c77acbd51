"""Fixtures for the access pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from portal.models import LocalAuthority


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Start each test with an empty cache: allauth keeps used authenticator codes there (so
    a code is refused a second time within its 30 seconds) and its sign-in rate limits."""
    cache.clear()


@pytest.fixture
def access_admin_client(client: Client, personas: dict[str, Any]) -> Client:
    """The test client, signed in as the access admin persona (who has an authenticator)."""
    client.force_login(personas["access_admin"])
    return client


@pytest.fixture
def barnsley(reference_data: None) -> LocalAuthority:
    return LocalAuthority.objects.get(code="370")
