"""Fixtures of the browser tests (the browser itself and ``live_server`` are in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """An empty cache before and after the test, for tests that sign in: allauth refuses a
    TOTP code used before (kept in the cache for 30 seconds), and user ids repeat between
    tests, so a code from the previous test could be refused. Used with
    ``pytest.mark.usefixtures("fresh_cache")``."""
    cache.clear()
    yield
    cache.clear()
