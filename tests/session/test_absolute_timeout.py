"""The absolute session limit (SESSION_ABSOLUTE_SECONDS, 10 hours): enforced on the next
request by portal.middleware.SessionLifetimeMiddleware, and exposed to the warning dialog."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.middleware import SESSION_STARTED_KEY
from portal.models import AuditAction, AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SIGNED_IN_PAGE = reverse("usersessions_list")
EXPIRED_LOGIN = f"{reverse('account_login')}?expired=1"


@pytest.fixture
def user(db: None) -> Any:
    return make_user("absolute@example.org")


def signed_in_for(client: Client, user: Any, seconds: float) -> None:
    client.force_login(user)
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - seconds
    session.save()


def test_a_session_past_the_limit_is_signed_out(client: Client, user: Any) -> None:
    signed_in_for(client, user, settings.SESSION_ABSOLUTE_SECONDS + 1)

    response = client.get(SIGNED_IN_PAGE)

    assert response.status_code == 302
    assert response.headers["Location"] == EXPIRED_LOGIN
    after = client.get(SIGNED_IN_PAGE)
    assert after.status_code == 302
    assert after.headers["Location"].startswith(f"{reverse('account_login')}?next=")
    event = AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED)
    assert event.actor == user
    assert event.details == {"reason": "absolute"}


def test_a_session_inside_the_limit_carries_on(client: Client, user: Any) -> None:
    signed_in_for(client, user, settings.SESSION_ABSOLUTE_SECONDS - 60)

    assert client.get(SIGNED_IN_PAGE).status_code == 200


def test_stay_signed_in_cannot_pass_the_limit(client: Client, user: Any) -> None:
    signed_in_for(client, user, settings.SESSION_ABSOLUTE_SECONDS + 1)

    response = client.post(reverse("session:extend"))

    # The script treats a redirect as "the session has ended", never as success.
    assert response.status_code == 302
    assert response.headers["Location"] == EXPIRED_LOGIN


def test_the_warning_timer_lands_on_the_ten_hour_message(client: Client, user: Any) -> None:
    signed_in_for(client, user, settings.SESSION_ABSOLUTE_SECONDS + 1)

    response = client.get(reverse("session:timed_out"), follow=True)

    assert response.redirect_chain == [(EXPIRED_LOGIN, 302)]
    assert (
        "You were signed out because your session reached its 10-hour limit. Sign in again."
        in response.content.decode()
    )


def test_the_dialog_is_told_the_time_left_before_the_limit(client: Client, user: Any) -> None:
    signed_in_for(client, user, settings.SESSION_ABSOLUTE_SECONDS - 600)

    html = client.get(SIGNED_IN_PAGE).content.decode()

    remaining = re.search(r'data-absolute-remaining-seconds="(\d+)"', html)
    assert remaining
    assert 590 <= int(remaining.group(1)) <= 600
