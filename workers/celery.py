"""The Celery application. Configuration comes from Django settings (``CELERY_`` namespace)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("csc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "workers.heartbeat", "schedule": 60.0},
    # Re-queues submissions stuck in a working state: the safety net for lost messages and
    # dead workers (see submissions.services).
    "reconcile-submissions": {"task": "workers.reconcile_submissions", "schedule": 5 * 60.0},
    "purge-raw-files": {"task": "workers.purge_raw_files", "schedule": crontab(hour=2, minute=30)},
}
