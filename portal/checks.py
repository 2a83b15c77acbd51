"""System checks that stop the production profile running on the embedded default.

The embedded default (SQLite, filesystem broker, local-memory cache) is for a laptop: for
development (``DEBUG``) and the demo (``DEMO``). Otherwise the service holds real data about
children, so it must run on PostgreSQL with Redis and a real secret key; these checks make
``migrate``, ``check`` and the WSGI start-up refuse anything else.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register()
def production_needs_real_services(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.DEBUG or settings.DEMO:  # development, or the demo on the embedded default
        return []
    errors = []
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty key when it is read
    except ImproperlyConfigured:
        errors.append(
            Error(
                "The production profile (DEBUG off) needs a secret key.",
                hint="Set SECRET_KEY to a long random value (python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'), or set DEBUG=true for local development.",
                id="portal.E004",
            )
        )
    if not settings.API_SUPPLIER_KEY_SECRET:
        errors.append(
            Error(
                "The production profile (DEBUG off) needs API_SUPPLIER_KEY_SECRET: the API "
                "intake checks every sender's SupplierKey as an HMAC under it.",
                hint="Set API_SUPPLIER_KEY_SECRET to a long random value, kept in the secret "
                "store; changing it invalidates every API client's supplier key.",
                id="portal.E006",
            )
        )
    if not settings.CONTACT_EMAIL:
        errors.append(
            Error(
                "The production profile (DEBUG off) needs CONTACT_EMAIL: the accessibility "
                "statement must give the public a way to reach the service team.",
                hint="Set CONTACT_EMAIL to the team's shared mailbox.",
                id="portal.E007",
            )
        )
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        errors.append(
            Error(
                "The production profile (DEBUG off) must use PostgreSQL.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/name, "
                "or set DEBUG=true for local development.",
                id="portal.E001",
            )
        )
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        errors.append(
            Error(
                "The production profile (DEBUG off) must use Redis as the Celery broker, "
                f"not {settings.CELERY_BROKER_URL.split(':', 1)[0]}.",
                hint="Set REDIS_URL=redis://host:6379/0.",
                id="portal.E002",
            )
        )
    if "locmem" in settings.CACHES["default"]["BACKEND"].lower():
        errors.append(
            Error(
                "The production profile (DEBUG off) must use a shared cache: rate limits and "
                "one-time-code reuse checks depend on it.",
                hint="Set REDIS_URL=redis://host:6379/0 (and CACHE_URL for a cache Redis of "
                "its own).",
                id="portal.E003",
            )
        )
    return errors


#: The promise for a killed worker: its job resumes within this long of a worker being there.
RESUME_WITHIN_SECONDS = 120


@register()
def killed_jobs_resume_in_time(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A killed worker's job waits for its lease to lapse, then for the next reconciler run:
    the two settings together must keep the promise, in every profile."""
    messages: list[CheckMessage] = []
    lease = settings.SUBMISSION_LEASE_SECONDS
    reconcile = settings.SUBMISSION_RECONCILE_SECONDS
    if lease <= 0 or reconcile <= 0:
        messages.append(
            Error(
                "SUBMISSION_LEASE_SECONDS and SUBMISSION_RECONCILE_SECONDS must be positive.",
                id="portal.E005",
            )
        )
    elif lease + reconcile > RESUME_WITHIN_SECONDS:
        messages.append(
            Warning(
                f"A killed worker's job can wait {lease + reconcile:.0f} seconds "
                f"(SUBMISSION_LEASE_SECONDS {lease:.0f} + SUBMISSION_RECONCILE_SECONDS "
                f"{reconcile:.0f}) before it resumes, more than the "
                f"{RESUME_WITHIN_SECONDS} seconds promised.",
                hint="Keep their sum at 120 seconds or less (defaults: 60 and 30).",
                id="portal.W001",
            )
        )
    return messages
