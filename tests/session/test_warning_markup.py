"""The session timeout warning's markup: on signed-in pages only, with the numbers its script
needs and nothing that breaks without JavaScript or under the content security policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, db: None) -> Client:
    client.force_login(make_user("markup@example.org"))
    return client


def dialog_tag(html: str) -> str:
    match = re.search(r"<dialog[^>]*>", html)
    assert match, "no <dialog> on the page"
    return match.group(0)


def test_signed_in_pages_carry_the_warning_and_its_script(signed_in: Client) -> None:
    html = signed_in.get(reverse("home")).content.decode()

    dialog = dialog_tag(html)
    assert 'class="app-timeout-warning"' in dialog
    assert 'data-idle-seconds="1800"' in dialog
    assert 'data-warning-seconds="120"' in dialog
    assert f'data-extend-url="{reverse("session:extend")}"' in dialog
    assert f'data-timed-out-url="{reverse("session:timed_out")}"' in dialog
    assert " open" not in dialog  # closed, so not displayed until the script opens it
    assert '<script type="module" src="/static/portal/js/session-timeout.js"></script>' in html
    assert "You're about to be signed out" in html
    assert "For your security, we will sign you out in" in html
    assert 'aria-live="polite"' in html
    assert 'name="csrfmiddlewaretoken"' in html.split("<dialog", 1)[1]
    assert " style=" not in html.split("<dialog", 1)[1]  # style-src 'self': no inline styles


def test_the_idle_time_follows_the_setting(signed_in: Client, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 900

    html = signed_in.get(reverse("home")).content.decode()

    assert 'data-idle-seconds="900"' in dialog_tag(html)


def test_signed_out_pages_have_neither(client: Client) -> None:
    html = client.get(reverse("home")).content.decode()

    assert "<dialog" not in html
    assert "session-timeout.js" not in html
