"""The Celery application. Configuration comes from Django settings (``CELERY_`` namespace),
task routes to the ``checks``, ``indicators`` and ``housekeeping`` queues included."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("csc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])


def beat_schedule() -> dict[str, dict[str, object]]:
    """What beat sends, all of it to the housekeeping queue (see CELERY_TASK_ROUTES). Each
    periodic message expires after one interval: beat keeps sending while no worker consumes,
    and a worker coming back needs only the newest, not a backlog."""
    from django.conf import settings

    reconcile = settings.SUBMISSION_RECONCILE_SECONDS
    return {
        "worker-heartbeat": {
            "task": "workers.heartbeat",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
        # Re-queues checks and indicator computations whose worker died (a lapsed lease) or
        # whose message was lost: how a killed worker's job resumes (see submissions.services
        # and indicators.services).
        "reconcile-submissions": {
            "task": "workers.reconcile_submissions",
            "schedule": reconcile,
            "options": {"expires": reconcile},
        },
        # API-fed LAs' nightly snapshots, each at its own hour (submissions.api.snapshot).
        "snapshot-api-feeds": {
            "task": "workers.snapshot_api_feeds",
            "schedule": crontab(minute=5),
            "options": {"expires": 3600.0},
        },
        "purge-raw-files": {
            "task": "workers.purge_raw_files",
            "schedule": crontab(hour=2, minute=30),
        },
        # Stored canonical extracts: superseded ones CANONICAL_RETENTION_DAYS after (those of
        # submissions with errors or failed go with their raw files, in the task above).
        "purge-canonical-extracts": {
            "task": "workers.purge_canonical_extracts",
            "schedule": crontab(hour=2, minute=45),
        },
        # Accounts deactivated ACCOUNT_RETENTION_DAYS ago lose their personal data.
        "remove-deactivated-accounts": {
            "task": "workers.remove_deactivated_accounts",
            "schedule": crontab(hour=3, minute=0),
        },
        # Expired OAuth2 access tokens of API clients (django-oauth-toolkit's cleartokens).
        "clear-expired-tokens": {
            "task": "workers.clear_expired_tokens",
            "schedule": crontab(hour=3, minute=15),
        },
    }


app.conf.beat_schedule = beat_schedule()
