"""The session timeout warning (WCAG 2.2.1) in a real browser: it opens before the idle limit
with focus on its heading, "Stay signed in" and Escape keep the session, running out lands on
the timed-out page signed out, and the absolute limit cannot be extended.

The live server runs in this process, so the ``settings`` fixture shortens the limits for it.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from portal.middleware import SESSION_STARTED_KEY
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot, totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]

# The warning opens 120 seconds before sign-out, so an idle limit of 135 seconds opens it 15
# seconds after a page loads: time enough, on a busy machine, to focus a link first.
IDLE_SECONDS_WARNING_SOON = 135


def sign_in(page: Any, user: Any) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def session_key(page: Any) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")


def session_expiry(page: Any) -> datetime:
    return Session.objects.get(session_key=session_key(page)).expire_date


def test_the_warning_opens_and_stay_signed_in_keeps_the_session(
    page: Any, personas: dict[str, Any], settings: Any
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    settings.SESSION_COOKIE_AGE = IDLE_SECONDS_WARNING_SOON
    sign_in(page, personas["lead"])
    your_account = page.get_by_role("link", name="Your account")
    your_account.focus()
    expect(your_account).to_be_focused()
    dialog = page.get_by_role("dialog", name="You're about to be signed out")
    expect(dialog).to_be_hidden()

    expect(dialog).to_be_visible(timeout=30_000)

    expect(page.locator("#session-timeout-heading")).to_be_focused()
    announcement = page.locator("#session-timeout-announcement")
    assert announcement.get_attribute("aria-live") == "polite"
    expect(announcement).to_have_text("For your security, we will sign you out in 2 minutes.")
    expect(dialog).to_contain_text(
        re.compile(r"we will sign you out in (2 minutes|1 minute \d+ seconds)\.")
    )
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_visible()
    expect(dialog.get_by_role("link", name="Sign out")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_hidden()
    assert serious_violations(page) == []
    screenshot(page, "session-timeout-warning")
    before = session_expiry(page)

    with page.expect_response("**/session/extend/") as extend:
        dialog.get_by_role("button", name="Stay signed in").click()

    assert extend.value.status == 204
    expect(dialog).to_be_hidden()
    expect(your_account).to_be_focused()
    assert session_expiry(page) > before

    # The countdown restarted: the warning opens again 15 seconds later, and Escape also
    # means "Stay signed in".
    expect(dialog).to_be_visible(timeout=30_000)
    with page.expect_response("**/session/extend/") as extend:
        page.keyboard.press("Escape")
    assert extend.value.status == 204
    expect(dialog).to_be_hidden()

    # Still signed in: a signed-in page opens instead of sending us to sign in.
    page.goto("/accounts/sessions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    assert errors == [], errors  # e.g. the module blocked by the content security policy


def test_running_out_lands_on_the_timed_out_page_signed_out(
    page: Any, personas: dict[str, Any], settings: Any
) -> None:
    sign_in(page, personas["lead"])
    # Shorter than the warning: the next page opens the warning at once and runs out in 6 s.
    settings.SESSION_COOKIE_AGE = 6
    page.goto("/")
    dialog = page.get_by_role("dialog", name="You're about to be signed out")
    expect(dialog).to_be_visible()

    page.wait_for_url("**/session/timed-out/", timeout=20_000)

    expect(page.get_by_role("heading", level=1)).to_have_text("You have been signed out")
    expect(page.get_by_text("We did this to keep your information secure.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    screenshot(page, "session-timed-out")
    page.goto("/accounts/sessions/")
    assert "/accounts/login/" in page.url


def test_the_absolute_limit_warns_but_cannot_be_extended(
    page: Any, personas: dict[str, Any]
) -> None:
    sign_in(page, personas["lead"])
    # Move the sign-in time back so that the absolute limit is 8 seconds away.
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key(page))
    store[SESSION_STARTED_KEY] = time.time() - django_settings.SESSION_ABSOLUTE_SECONDS + 8
    store.save()
    page.goto("/")
    dialog = page.get_by_role("dialog", name="You're about to be signed out")

    expect(dialog).to_be_visible()

    expect(page.locator("#session-timeout-heading")).to_be_focused()
    expect(dialog).to_contain_text("you'll need to sign in again")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_hidden()
    screenshot(page, "session-timeout-absolute")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    page.wait_for_url("**/accounts/login/?expired=1", timeout=20_000)
    expect(page.get_by_text("your session reached its 10-hour limit")).to_be_visible()
