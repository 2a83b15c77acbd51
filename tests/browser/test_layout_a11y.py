"""The base layout in a real browser: it renders, GOV.UK JavaScript initialises under the
content security policy, and axe-core finds no serious or critical accessibility violations."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accessibility/",
        "/privacy/",
        "/cookies/",
        "/accounts/login/",
        "/published/timely-indicators/",
    ],
)
def test_public_pages_pass_axe(page: Any, path: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path)

    assert serious_violations(page) == []
    assert errors == [], errors  # e.g. a script blocked by the CSP
    screenshot(page, "public" + (path.rstrip("/").replace("/", "-") or "-home"))


def test_home_page_renders_and_govuk_frontend_initialises(page: Any) -> None:
    page.goto("/")

    assert page.locator("h1").inner_text() == "Children's social care data"
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    # The service navigation's JavaScript ran: its menu toggle is managed, not left static.
    assert page.locator(".govuk-skip-link").get_attribute("href") == "#main-content"
    screenshot(page, "home")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "home-mobile")
