"""/session/timed-out/: where the timeout warning sends the browser when time runs out. The
timer POSTs (with the page's CSRF token) to sign out, and is shown the page; a GET never
signs anyone out, so another site's link or image cannot."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TIMED_OUT = reverse("session:timed_out")
SIGNED_IN_PAGE = reverse("usersessions_list")


@pytest.fixture
def user(db: None) -> Any:
    return make_user("timed-out@example.org")


def assert_signed_out(client: Client) -> None:
    response = client.get(SIGNED_IN_PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


def test_a_post_signs_out_a_signed_in_user(client: Client, user: Any) -> None:
    client.force_login(user)

    response = client.post(TIMED_OUT)

    assert response.status_code == 302
    assert response.headers["Location"] == TIMED_OUT
    assert_signed_out(client)
    event = AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED)
    assert event.actor == user
    assert event.details == {"reason": "idle"}


def test_the_page_explains_what_happened(client: Client, user: Any) -> None:
    client.force_login(user)

    html = client.post(TIMED_OUT, follow=True).content.decode()

    assert (
        "<title>You have been signed out \N{EN DASH} Children&#x27;s social care data</title>"
        in html
    )
    assert '<h1 class="govuk-heading-l">You have been signed out</h1>' in html
    assert (
        "We signed you out because you did not do anything for 30 minutes. "
        "We did this to keep your information secure."
    ) in html
    assert f'href="{reverse("account_login")}"' in html
    # The person is signed out by the time the page renders: no warning dialog on it.
    assert "session-timeout-warning" not in html
    assert "no-store" in client.get(TIMED_OUT).headers["Cache-Control"]


def test_the_idle_time_in_the_text_follows_the_setting(client: Client, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 15 * 60

    assert "did not do anything for 15 minutes." in client.get(TIMED_OUT).content.decode()


def test_it_works_for_someone_already_signed_out(client: Client) -> None:
    response = client.get(TIMED_OUT)

    assert response.status_code == 200
    assert "You have been signed out" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).exists()


@pytest.mark.parametrize("origin", ["cross-site", "same-site", "same-origin", None])
def test_a_get_never_signs_anyone_out(client: Client, user: Any, origin: str | None) -> None:
    client.force_login(user)

    response = client.get(TIMED_OUT, headers={"Sec-Fetch-Site": origin} if origin else {})

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("home")
    assert client.get(SIGNED_IN_PAGE).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).exists()


def test_signing_out_needs_the_csrf_token(user: Any) -> None:
    """Another site's form cannot post here either."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    forged = client.post(TIMED_OUT)
    assert forged.status_code == 403
    assert client.get(SIGNED_IN_PAGE).status_code == 200

    page = client.get(SIGNED_IN_PAGE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "signed-in pages carry a CSRF token for the timer"
    response = client.post(TIMED_OUT, {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert_signed_out(client)


def test_a_post_when_already_signed_out_just_shows_the_page(client: Client) -> None:
    response = client.post(TIMED_OUT, follow=True)

    assert response.status_code == 200
    assert "You have been signed out" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).exists()
