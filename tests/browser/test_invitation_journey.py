"""End to end in headless Chromium: an access admin invites a data lead; the invitee sets a
password and must set up an authenticator app (codes generated here from the secret the page
shows) before they are signed in at all, sees their recovery codes, signs out and back in
with a code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from portal.models import Invitation
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "tangerine-orbit-ladder-42"


def sign_in(page: Any, email: str, password: str, secret: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code(secret) if secret else totp_code())
    page.get_by_role("button", name="Continue").click()


def test_an_invited_user_must_set_up_an_authenticator_before_anything_else(
    page: Any, personas: dict[str, Any]
) -> None:
    # The access admin invites a new Barnsley data lead through the pages.
    sign_in(page, personas["access_admin"].email, PASSWORD)
    page.goto("/access/invite/")
    page.get_by_label("Email address").fill("newlead@barnsley.example.org")
    page.get_by_label("Full name").fill("Nia Newlead")
    page.get_by_label("LA data lead").check()
    page.get_by_label("Barnsley").check()
    page.get_by_role("button", name=re.compile("Send invitation|Invite|Continue")).click()
    assert "newlead@barnsley.example.org" in page.content()
    page.context.clear_cookies()  # the invitee opens the link in their own browser

    # The invitee follows the link from the email.
    body = str(mail.outbox[-1].body)
    link = re.search(r"https?://\S+/access/invitations/accept/\S+/", body)
    assert link, body
    page.goto(link.group(0))
    screenshot(page, "invitation-accept")
    page.get_by_label("Create a password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Continue|Create|Accept")).click()

    # Not signed in yet: every page leads back to authenticator set-up until it is done.
    page.wait_for_url("**/session/set-up-authenticator/")
    for path in ("/accounts/sessions/", "/access/"):
        page.goto(path)
        assert page.url.endswith("/session/set-up-authenticator/"), path
    page.goto("/")
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    page.goto("/session/set-up-authenticator/")
    screenshot(page, "totp-setup")
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#authenticator_secret").inner_text().strip()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Continue").click()

    # Now signed in, and shown the recovery codes made with the app.
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    screenshot(page, "recovery-codes")
    page.goto("/accounts/sessions/")
    assert page.url.endswith("/accounts/sessions/")

    # Signs out, and back in with password and a fresh code from the same secret.
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Sign out").click()
    page.context.clear_cookies()
    sign_in(page, "newlead@barnsley.example.org", NEW_PASSWORD, secret=secret)
    page.goto("/accounts/sessions/")
    assert page.url.endswith("/accounts/sessions/")
    assert "Your account" in page.content()
    screenshot(page, "signed-in-with-totp")


def test_the_invite_form_shows_only_the_scope_the_role_takes(
    page: Any, personas: dict[str, Any]
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, personas["access_admin"].email, PASSWORD)
    page.goto("/access/invite/")
    las = page.locator("#id_local_authorities-panel")
    regions = page.locator("#id_regions-panel")
    # No role yet: no scope is asked for.
    expect(las).to_be_hidden()
    expect(regions).to_be_hidden()

    page.get_by_label("Regional Improvement Support Lead").check()
    expect(regions).to_be_visible()
    expect(las).to_be_hidden()
    assert (
        page.get_by_label("Regional Improvement Support Lead").get_attribute("aria-controls")
        == "id_regions-panel"
    )

    page.get_by_label("DfE national analyst").check()
    expect(regions).to_be_hidden()
    expect(las).to_be_hidden()

    # A Case Lead takes several local authorities, found with the filter box.
    page.get_by_label("DfE Case Lead").check()
    expect(las).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Filter local authorities").fill("barn")
    expect(las.locator(".govuk-checkboxes__item:visible")).to_have_count(2)  # Barnet, Barnsley
    expect(page.get_by_text("2 of 153 shown")).to_be_visible()
    page.get_by_label("Barnsley").check()
    page.get_by_label("Filter local authorities").fill("sheff")
    # What is ticked stays in view while the filter hides the rest.
    expect(page.get_by_label("Barnsley")).to_be_visible()
    page.get_by_label("Sheffield").check()
    screenshot(page, "invite-case-lead")

    # A tick left in a scope the role does not take is not sent.
    page.get_by_label("Regional Improvement Support Lead").check()
    page.locator("#id_regions-panel").get_by_label("Yorkshire").check()
    page.get_by_label("DfE Case Lead").check()
    page.get_by_label("Email address").fill("case.lead@education.example.gov.uk")
    page.get_by_label("Full name").fill("Cara Caselead")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url("**/access/invitations/")

    invitation = Invitation.objects.get(email="case.lead@education.example.gov.uk")
    assert invitation.role == "dfe_case_lead"
    assert sorted(la.name for la in invitation.local_authorities.all()) == [
        "Barnsley",
        "Sheffield",
    ]
    assert not invitation.regions.exists()
    assert errors == []


def test_without_javascript_every_scope_shows_and_the_server_checks_it(
    browser: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, personas["access_admin"].email, PASSWORD)
        page.goto("/access/invite/")
        expect(page.locator("#id_local_authorities-panel")).to_be_visible()
        expect(page.locator("#id_regions-panel")).to_be_visible()
        page.get_by_label("Email address").fill("analyst@education.example.gov.uk")
        page.get_by_label("Full name").fill("Ana Lyst")
        page.get_by_label("DfE national analyst").check()
        page.get_by_label("Barnsley").check()
        page.get_by_role("button", name="Send invitation").click()
        expect(
            page.get_by_role("link", name="A DfE national analyst has no local authority")
        ).to_be_visible()
        assert not Invitation.objects.exists()
    finally:
        context.close()
