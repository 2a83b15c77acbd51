"""The public dashboard's cache: rendered fragments and query results, keyed without a viewer.

For public, scope-free pages only. A key here is the page name and its checked query
parameters, never who is asking, so anything stored is served to everyone. Restricted pages
must never use it: what they show depends on the viewer's roles and scope (and on
disclosure control for DfE roles), and a cache keyed without them would hand one viewer's
figures to another.

Entries carry the data version they were built from (``read_data_version``), so reloaded
figures show within a minute. Django's cache is Redis in production, shared by every worker.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from django.core.cache import cache
from django.db.models import Max

from dashboards.models import PublishedIndicator, PublishedValue

T = TypeVar("T")

#: How long a rendered fragment or query result is kept. The data version stored with every
#: entry makes a reload visible within a minute, so this only bounds how long an unused page
#: occupies the cache: a day, so pages warmed after a load (``dashboards.warming``) are still
#: there for the first visitors of the day. The cache Redis evicts the least recently used
#: entries when full (``CACHE_URL``, docker-compose.yml), never the broker's messages.
CACHE_SECONDS = 24 * 60 * 60
#: Entries are stored compressed: a rendered indicator page is about 170 KB of HTML and JSON,
#: 18 KB compressed, so the cache holds every LA's pages in a tenth of the memory.
_COMPRESSION_LEVEL = 1
#: How long browsers and shared proxies may reuse an anonymous page.
BROWSER_MAX_AGE = 5 * 60
#: How often the data version is read from the database (per cache, not per request).
VERSION_SECONDS = 60
VERSION_KEY = "dashboards:data-version"


def read_data_version() -> str:
    """A token that changes when ``load_published_data`` adds, removes or reloads figures.

    The loader keeps no version of its own, so this is read from the data: the highest value
    and indicator ids (new rows get new ids) and the indicators' period lists. It is cached for
    ``VERSION_SECONDS``, so at most one small query a minute reaches the database. A reload that
    only revises figures in place keeps the ids; its pages refresh within ``CACHE_SECONDS``.
    """
    highest = PublishedValue.objects.aggregate(Max("pk"))["pk__max"]
    indicators = PublishedIndicator.objects.aggregate(Max("pk"))["pk__max"]
    # A stable digest (not hash(), which differs between processes sharing the cache).
    periods = json.dumps(list(PublishedIndicator.objects.values_list("key", "periods")))
    version = f"{highest}-{indicators}-{hashlib.sha256(periods.encode()).hexdigest()[:12]}"
    cache.set(VERSION_KEY, version, VERSION_SECONDS)
    return version


def cached(name: str, args: Iterable[object] | None, build: Callable[[], T]) -> T:
    """``build()``, kept in the cache under ``name`` and ``args`` with the data version it was
    built from, and rebuilt when the version has moved on.

    One cache round trip on a hit: the entry and the current version are fetched together.
    Only what ``build`` returns is stored, so a key made from a request that turns out to be
    invalid (``build`` raises ``Http404``) never fills the cache. ``args=None``: not cached.
    """
    if args is None:
        return build()
    key = ":".join(["dashboards", name, *(str(arg) for arg in args)])
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or read_data_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return cast(T, pickle.loads(zlib.decompress(entry[1])))  # noqa: S301 - our own cache
    value = build()
    packed = zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), _COMPRESSION_LEVEL)
    cache.set(key, (version, packed), CACHE_SECONDS)
    return value


@dataclass(frozen=True)
class Fragment:
    """The cacheable part of a page: it depends on the data and the URL, never on the visitor.

    Everything inside ``<main>`` and the breadcrumbs. The layout around it is rendered per
    request, because it carries the request's CSP nonce and a signed-in visitor's own
    navigation; whole-page caching (``cache_page``) would replay both to other people.
    """

    title: str
    html: str
    breadcrumbs: str = ""
    charts: bool = False


def request_key(
    params: Mapping[str, str], shapes: Mapping[str, re.Pattern[str]], *names: str
) -> list[str] | None:
    """The named query parameters (``request.GET.dict()``, or the warmer's own) as a cache key,
    checked against ``shapes`` only (which is all a cache hit needs: only pages built from
    fully checked parameters are ever stored).

    None when a parameter cannot name a real page: the request skips the cache and is refused
    by the full check (a 404) without a cache key.
    """
    values = [params.get(name, "") for name in names]
    for name, value in zip(names, values, strict=True):
        if value and not shapes[name].fullmatch(value):
            return None
    return values
