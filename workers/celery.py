"""The Celery application. Configuration comes from Django settings (``CELERY_`` namespace)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("csc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "workers.heartbeat", "schedule": 60.0},
}
