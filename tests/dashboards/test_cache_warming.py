"""After a data load the public cache holds the pages, so the first visitors do not wait for
them to be built (``dashboards.warming``, run by ``manage.py load_published_data``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards import warming
from dashboards.cache import VERSION_KEY

WARMED = [
    "dashboards:index",
    "dashboards:indicator:cla_rate:::",
    "dashboards:indicator:rereferral_12m:::",
    "dashboards:la-summary:370",
    "dashboards:la-summary:202",
    "dashboards:dashboard-data",
]


@pytest.fixture(autouse=True)
def empty_cache(settings: Any) -> Iterator[None]:
    """An empty cache big enough for every warmed page (the local-memory cache keeps 300
    entries by default and drops a third when full; Redis, where warming runs, has no such
    limit)."""
    if not warming.cache_is_shared():
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "OPTIONS": {"MAX_ENTRIES": 5000}}
        }
    cache.clear()
    yield
    cache.clear()


def current(key: str) -> bool:
    """True when the cache holds ``key`` built from the current data version."""
    entry = cache.get(key)
    return entry is not None and entry[0] == cache.get(VERSION_KEY)


def test_the_load_command_warms_the_public_cache(loaded: None, db: None) -> None:
    out = io.StringIO()
    call_command("load_published_data", "--warm", stdout=out)

    assert all(current(key) for key in WARMED), [key for key in WARMED if not current(key)]
    assert "Public cache warmed" in out.getvalue()
    assert "Queued the indicator pages of every LA" in out.getvalue()
    # The first visitor's page comes from the cache: no query builds it.
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/published/cla_rate/")
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "dashboards_publishedvalue" in q["sql"]]


def test_a_per_process_cache_is_not_warmed_unless_asked(loaded: None, db: None) -> None:
    if warming.cache_is_shared():
        pytest.skip("The tests run with a shared cache (REDIS_URL set).")

    call_command("load_published_data", stdout=io.StringIO())

    assert not any(cache.get(key) for key in WARMED)


def test_every_la_page_of_an_indicator_is_warmed(loaded: None, db: None) -> None:
    built = warming.warm_indicator_la_pages("cla_rate", ["370", "202"])

    assert built == 4
    for code in ("370", "202"):
        assert current(f"dashboards:indicator:cla_rate:{code}::")
        assert current(f"dashboards:indicator:cla_rate:{code}::neighbours")
