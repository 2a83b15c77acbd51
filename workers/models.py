from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each worker host ran the heartbeat task: proof that a worker is consuming
    the queue (the broker being reachable is not enough)."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
