"""Health checks for the load balancer and for operators.

Anyone may ask whether the service is healthy (200 or 503); only signed-in administrators see
which dependency failed, so the endpoint does not advertise the service's internals (ASVS 13.4.5).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from workers.celery import app as celery_app

__all__ = ["CheckResult", "run_checks"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    milliseconds: float


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != "1":
        raise RuntimeError("value written to the cache could not be read back")
    return cache.__class__.__name__


def _broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return (
            conn.transport_cls
            if isinstance(conn.transport_cls, str)
            else conn.transport.driver_type
        )


CHECKS: dict[str, Callable[[], str]] = {"database": _database, "cache": _cache, "broker": _broker}


def run_checks() -> list[CheckResult]:
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # a health check reports every failure, whatever its type
            detail, ok = f"{exc.__class__.__name__}: {exc}", False
        results.append(CheckResult(name, ok, detail, (time.perf_counter() - started) * 1000))
    return results
