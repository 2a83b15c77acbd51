"""Task entry points. Each takes IDs only, calls a service and is safe to run twice."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from workers.models import WorkerHeartbeat


@shared_task(name="workers.heartbeat")
def heartbeat() -> str:
    """Record that this worker host is alive (idempotent upsert)."""
    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now()}
    )
    return hostname
