"""Filling the public cache after a data load, so the first visitors after a reload do not pay
for the first render of every page.

A reload moves the data version (``dashboards.cache.read_data_version``), which makes every
cached fragment stale at once; without warming, the first visitor to each page waits for it
to be built. ``warm_public_cache`` builds, through the very functions the views call (so the
keys are the views' own), in this order:

* the home page, every indicator page without an LA (the pages links lead to) and every LA
  summary, and the whole-dashboard download (seconds to build): about 230 fragments, run by
  ``manage.py load_published_data`` itself;
* with ``la_pages``, every indicator page for every LA, in both views (all LAs and the
  neighbours): about 20,000 fragments, too many to wait for at a deployment, so the load
  command leaves them to ``workers.warm_indicator_pages`` tasks, one per indicator (a few
  seconds each, so work queued behind one waits little).

Only a cache shared by every web process (Redis, in production) gains from it: the local-memory
cache of development belongs to the process that fills it (``cache_is_shared``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from dashboards.cache import read_data_version
from dashboards.published import queries
from dashboards.views import public

_PER_PROCESS_BACKENDS = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@dataclass(frozen=True)
class Warmed:
    """What a warming run built, and how long it took."""

    fragments: int
    seconds: float


def cache_is_shared() -> bool:
    """True when the cache is one every web process reads (not a per-process memory cache)."""
    return settings.CACHES["default"]["BACKEND"] not in _PER_PROCESS_BACKENDS


def indicator_keys() -> list[str]:
    """Every public indicator's key, in page order."""
    headings = [heading for group in queries.indicator_groups() for heading in group.headings]
    return [item.key for heading in headings for item in heading.indicators]


def _la_codes() -> list[str]:
    return [code for code, _, _ in queries.local_authorities()]


def warm_public_cache(*, la_pages: bool = False) -> Warmed:
    """Build every page without an LA, every LA summary and the whole-dashboard download into
    the cache; with ``la_pages`` also every indicator page of every LA."""
    began = time.perf_counter()
    # The version in the cache may predate the load for up to a minute; fragments stamped with
    # it would be stale as soon as it is read again.
    read_data_version()
    keys, codes = indicator_keys(), _la_codes()
    public.index_fragment()
    for key in keys:
        public.indicator_fragment(key, {})
    for code in codes:
        public.la_summary_fragment(code)
    public.dashboard_zip()
    built = 2 + len(keys) + len(codes)
    if la_pages:
        for key in keys:
            built += warm_indicator_la_pages(key, codes)
    return Warmed(built, time.perf_counter() - began)


def warm_indicator_la_pages(key: str, codes: list[str] | None = None) -> int:
    """Build the indicator's page for every LA (``codes``, default all), in both views; the
    number of fragments built."""
    built = 0
    for code in codes if codes is not None else _la_codes():
        for view in ("", public.VIEW_NEIGHBOURS):
            public.indicator_fragment(key, {"la": code, "view": view})
            built += 1
    return built
