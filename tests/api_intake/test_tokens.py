"""Expired API tokens are cleared daily (django-oauth-toolkit's cleartokens, on beat)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from workers.celery import app
from workers.tasks import clear_expired_tokens


@pytest.mark.django_db
def test_expired_tokens_are_cleared_and_live_ones_kept(credentials: Any) -> None:
    application = credentials.account.application
    now = timezone.now()
    AccessToken.objects.create(application=application, token="old", expires=now - timedelta(1))
    AccessToken.objects.create(application=application, token="live", expires=now + timedelta(1))

    clear_expired_tokens()

    assert list(AccessToken.objects.values_list("token", flat=True)) == ["live"]


def test_clearing_is_on_the_beat_schedule_on_the_housekeeping_queue(settings: Any) -> None:
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert "workers.clear_expired_tokens" in tasks
    assert settings.CELERY_TASK_ROUTES["workers.clear_expired_tokens"] == {"queue": "housekeeping"}
