"""Rendered parts of the restricted pages, kept for the scope and data they were built from.

The restricted pages show each viewer what their scope allows (which LAs, and which of them
unsuppressed), so unlike ``dashboards.cache`` nothing here is keyed by the URL alone: the
caller's key must hold everything the stored part depends on. That is

* the scope: the LAs the part covers and, of those, the ones the viewer sees unsuppressed
  (``scope_key``), so two viewers share an entry only when they would be shown the same;
* the data version: which submissions the figures come from and when they were stored, the
  latest status of the LAs' submissions, and the LAs' context notes (``figures_version``), so
  an accepted extract, a newly stored figure or a new note shows at once.

What the viewer may do (links to write a note, to drill down) and anything per request (the
CSRF token, the CSP nonce) stay outside the stored part. Django's cache is Redis in
production, shared by every worker; entries expire after ``CACHE_SECONDS`` whatever happens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from django.core.cache import cache
from django.db.models import Count, Max

from indicators.models import ContextNoteRevision
from submissions.models import Submission

T = TypeVar("T")

CACHE_SECONDS = 10 * 60


def _digest(parts: Iterable[object]) -> str:
    # A stable digest (not hash(), which differs between the processes sharing the cache).
    text = json.dumps([str(part) for part in parts])
    return hashlib.sha256(text.encode()).hexdigest()


def scope_key(la_ids: Iterable[int], unsuppressed_ids: Iterable[int]) -> str:
    """The LAs a part covers and those of them the viewer sees unsuppressed, as one key."""
    return _digest([sorted(la_ids), sorted(unsuppressed_ids)])


def figures_version(la_ids: Iterable[int] | None = None) -> str:
    """A token that changes whenever what the restricted pages show for these LAs (None:
    any LA, cheaper to ask for a long list) may change: a submission created or changing
    status, figures stored, a context note written. Two queries."""
    submissions = Submission.objects.all()
    notes = ContextNoteRevision.objects.all()
    if la_ids is not None:
        ids = list(la_ids)
        submissions = submissions.filter(local_authority_id__in=ids)
        notes = notes.filter(note__local_authority_id__in=ids)
    counts = submissions.aggregate(
        count=Count("pk"), changed=Max("status_changed_at"), stored=Max("indicators_computed_at")
    )
    written = notes.aggregate(count=Count("pk"), written=Max("created_at"))
    return _digest([*counts.values(), *written.values()])


def cached(name: str, key: Iterable[object], build: Callable[[], T]) -> T:
    """``build()``, kept under ``name`` and ``key`` (which must hold the scope and the data
    version, see the module docstring)."""
    full = f"restricted:{name}:{_digest(key)}"
    found = cache.get(full)
    if found is not None:
        return cast(T, found)
    value = build()
    cache.set(full, value, CACHE_SECONDS)
    return value
