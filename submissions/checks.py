"""System checks for the submission pipeline's settings.

Production (``DEBUG`` off) has no default master key for the files at rest and no default
base URL for links in emails: both must come from the environment. The stuck-submission
threshold must outlast the longest a task can run, or the reconciler would re-queue a
submission that a worker is still checking.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

KEY_HINT = (
    "Set FILE_ENCRYPTION_KEY to the base64 of 32 random bytes, e.g. the output of "
    "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())', and keep "
    "it in the secret store: files stored under one key cannot be read without it."
)


def _key_length(value: str) -> int | None:
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None


@register()
def pipeline_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    key = settings.FILE_ENCRYPTION_KEY
    if not key and not settings.DEBUG:
        errors.append(
            Error(
                "FILE_ENCRYPTION_KEY is not set: uploaded files cannot be encrypted at rest.",
                hint=KEY_HINT,
                id="submissions.E001",
            )
        )
    elif key and _key_length(key) != 32:
        errors.append(
            Error(
                "FILE_ENCRYPTION_KEY is not the base64 encoding of 32 bytes.",
                hint=KEY_HINT,
                id="submissions.E002",
            )
        )
    base_url = settings.SERVICE_BASE_URL
    if not settings.DEBUG and not base_url.startswith(("https://", "http://")):
        errors.append(
            Error(
                "SERVICE_BASE_URL is not set: emails cannot link to the service.",
                hint="Set SERVICE_BASE_URL to the address users open, e.g. "
                "https://csc-data.example.org",
                id="submissions.E003",
            )
        )
    if settings.SUBMISSION_STUCK_AFTER_MINUTES * 60 <= settings.CELERY_TASK_TIME_LIMIT:
        errors.append(
            Error(
                "SUBMISSION_STUCK_AFTER_MINUTES must be longer than CELERY_TASK_TIME_LIMIT "
                f"({settings.CELERY_TASK_TIME_LIMIT // 60} minutes), or the reconciler would "
                "re-queue submissions that are still being checked.",
                id="submissions.E004",
            )
        )
    return errors
