"""Issue 13's "done when", in headless Chromium: an access admin creates, rotates and revokes
an API client for Barnsley through the pages, and a revoked client's token stops working at
once.

The credentials are read off the page and used over real HTTP against ``live_server``, as the
D2I sender uses them (``tests.api_intake.conftest.Sender``): a token by form post, then one
valid record. Every page passes axe (no serious or critical violations) and the list,
credentials and confirmation pages are saved as screenshots (test-artifacts/api-client-*.png).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from portal import api_clients
from portal.models import ApiClientAccount
from tests.api_intake.conftest import Sender, maximal_record
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]


@dataclass(frozen=True)
class Account:
    scope: str


@dataclass(frozen=True)
class PageCredentials:
    """What the credentials page shows, in the shape ``Sender`` reads."""

    client_id: str
    client_secret: str
    supplier_key: str
    account: Account
    token_url: str
    api_base_url: str
    la_code: str


@pytest.fixture
def watched(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(reduced_motion="reduce")
    return errors


def checked(page: Any, errors: list[str], name: str | None = None) -> None:
    """axe finds nothing serious, no script failed, and (if named) a screenshot for people."""
    assert serious_violations(page) == [], page.url
    assert errors == [], page.url
    if name:
        screenshot(page, f"api-client-{name}")


def shown_setting(page: Any, key: str) -> str:
    row = page.locator(".govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(f"^{key}$"))
    )
    return str(row.locator("dd").inner_text()).strip()


def credentials_on(page: Any) -> PageCredentials:
    return PageCredentials(
        client_id=shown_setting(page, "CLIENT_ID"),
        client_secret=shown_setting(page, "CLIENT_SECRET"),
        supplier_key=shown_setting(page, "SUPPLIER_KEY"),
        account=Account(scope=shown_setting(page, "SCOPE")),
        token_url=shown_setting(page, "TOKEN_ENDPOINT"),
        api_base_url=shown_setting(page, "API_ENDPOINT"),
        la_code=shown_setting(page, "LA_CODE"),
    )


def revisit(page: Any, navigate: Any) -> None:
    """Go back to (or reload) the page a POST answered. The page is never stored
    (``no-store``), so Chromium will not show it again without posting the form once more,
    which it does not do on its own: it shows its "Confirm form resubmission" error instead."""
    refused = ""
    try:
        navigate()
    except PlaywrightError as error:
        refused = str(error)
    if refused:
        assert "ERR_CACHE_MISS" in refused, refused
        page.wait_for_url("chrome-error://chromewebdata/")
    page.wait_for_load_state()


def barnsley_row(page: Any) -> Any:
    return page.locator("tbody tr").filter(has_text="Barnsley (370)")


def test_an_access_admin_creates_rotates_and_revokes_a_client_in_the_browser(
    page: Any, live_server: Any, personas: dict[str, Any], watched: list[str]
) -> None:
    sign_in(page, personas["access_admin"].email, PASSWORD)
    checked(page, watched)
    page.get_by_role("link", name="Manage API clients").click()
    expect(page.get_by_role("heading", level=2, name="API clients")).to_be_visible()
    expect(page.get_by_text("There are no API clients yet.")).to_be_visible()
    checked(page, watched, "list-empty")

    # Create: choose Barnsley, see the credentials once.
    page.get_by_role("button", name="Create an API client").click()
    expect(page.locator("h1")).to_have_text("Create an API client")
    checked(page, watched, "create")
    page.get_by_role("button", name="Create API client").click()  # nothing chosen yet
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose the local authority the client sends data for"
    )
    checked(page, watched)
    page.get_by_label("Local authority").select_option(label="Barnsley (370)")
    page.get_by_role("button", name="Create API client").click()
    expect(page.locator("h1")).to_have_text("API client created")
    checked(page, watched, "credentials")
    first = credentials_on(page)
    account = ApiClientAccount.objects.select_related("application").get()
    assert first.client_id == account.application.client_id
    assert first.la_code == "370"
    assert first.account.scope == account.scope
    assert first.token_url == api_clients.token_url()
    assert first.token_url.endswith("/api/oauth/token")
    assert first.api_base_url == api_clients.api_base_url()
    assert len(first.client_secret) > 30
    assert len(first.supplier_key) > 30
    assert api_clients.supplier_key_matches(account, first.supplier_key)

    # Shown once: neither the list, nor going back to the page, shows the secret again.
    page.get_by_role("link", name="Back to API clients").click()
    expect(barnsley_row(page)).to_contain_text("Active")
    checked(page, watched, "list")
    assert first.client_secret not in page.content()
    assert first.supplier_key not in page.content()
    revisit(page, page.go_back)
    assert first.client_secret not in page.content()
    assert first.supplier_key not in page.content()
    page.goto("/access/api-clients/")
    assert ApiClientAccount.objects.count() == 1

    # The sender gets a token with them and sends one valid record.
    old = Sender(live_server.url, first)
    assert old.get_token().status_code == 200, "the new client gets a token"
    response = old.post([maximal_record()])
    assert response.status_code == 200, response.text
    old_token = old.token

    # Rotate, after a confirmation page: the old token and secret stop working at once.
    page.goto("/access/api-clients/")
    page.get_by_role("link", name="Replace credentials for Barnsley").click()
    expect(page.locator("h1")).to_contain_text("replace the credentials")
    expect(page.locator("main")).to_contain_text(first.client_id)
    checked(page, watched, "rotate-confirm")
    page.get_by_role("button", name="Replace credentials").click()
    expect(page.locator("h1")).to_have_text("New credentials for the API client")
    checked(page, watched, "new-credentials")
    second = credentials_on(page)
    assert second.client_id == first.client_id, "the sender keeps its client id"
    assert second.client_secret != first.client_secret
    assert second.supplier_key != first.supplier_key

    assert old.post([maximal_record()]).status_code == 401, "the old token is dead"
    assert old.post([maximal_record()], supplier_key=second.supplier_key).status_code == 401
    assert old.get_token().status_code == 401, "the old secret gets no token"
    assert old.token == old_token
    new = Sender(live_server.url, second)
    assert new.get_token().status_code == 200
    response = new.post([maximal_record("Child0035")])
    assert response.status_code == 200, response.text
    assert new.post([maximal_record()], supplier_key=first.supplier_key).status_code == 401

    # Revoke, after a confirmation page: the token got just before stops working at once.
    page.get_by_role("link", name="Back to API clients").click()
    expect(barnsley_row(page)).to_contain_text("New credentials")
    page.get_by_role("link", name="Revoke the client for Barnsley").click()
    expect(page.locator("h1")).to_contain_text("revoke the API client for Barnsley")
    checked(page, watched, "revoke-confirm")
    page.get_by_role("button", name="Revoke API client").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The API client for Barnsley has been revoked"
    )
    expect(barnsley_row(page)).to_contain_text("Revoked")
    expect(barnsley_row(page).get_by_role("link")).to_have_count(0)
    checked(page, watched, "list-revoked")

    assert new.post([maximal_record()]).status_code == 401, "revoked: the token is dead"
    assert new.get_token().status_code == 401, "revoked: no new token"

    # The confirmation pages of a revoked client send the admin back to the list.
    page.goto(f"/access/api-clients/{account.pk}/rotate/")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been revoked")
    checked(page, watched)


def test_reloading_the_credentials_page_makes_no_second_client(
    page: Any, personas: dict[str, Any], watched: list[str]
) -> None:
    sign_in(page, personas["access_admin"].email, PASSWORD)
    page.goto("/access/api-clients/new/")
    page.get_by_label("Local authority").select_option(label="Barnsley (370)")
    page.get_by_role("button", name="Create API client").click()
    secret = credentials_on(page).client_secret

    # Reloading posts the form again (Chromium asks to "Confirm form resubmission" first;
    # Playwright accepts): its one-time token is spent, so nothing is made or shown.
    revisit(page, page.reload)

    assert secret not in page.content()
    assert ApiClientAccount.objects.count() == 1
    if "chrome-error" not in page.url:
        expect(page.locator(".govuk-notification-banner")).to_contain_text("already sent")
