"""The GOV.UK base layout: service name without GOV.UK branding, phase banner, skip link,
footer pages, and the security headers every page carries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

PUBLIC_PAGES = ["home", "accessibility", "privacy", "cookies"]
APOSTROPHE = "\N{RIGHT SINGLE QUOTATION MARK}"  # as GOV.UK content writes it


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_it_serves_public_pages_with_the_layout(client: Client, name: str) -> None:
    from django.urls import reverse

    response = client.get(reverse(name))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Children&#x27;s social care data" in html
    assert 'class="govuk-skip-link"' in html
    assert 'href="#main-content"' in html
    assert 'id="main-content"' in html
    assert "govuk-phase-banner" in html
    for footer_link in ("/accessibility/", "/privacy/", "/cookies/"):
        assert f'href="{footer_link}"' in html
    # Not a GOV.UK domain: no crown logo, no GOV.UK logotype, no GDS Transport font.
    header = html[html.index("<header") : html.index("</header>")]
    assert "<svg" not in header
    assert "GOV.UK" not in header
    assert "govuk-logo" not in html
    assert "govuk-header__logotype" not in html
    assert "GDS Transport" not in html


def _banner_link(html: str) -> str:
    banner = html[html.index('class="govuk-phase-banner"') :]
    banner = banner[: banner.index("</div>")]
    found = re.search(r'<a class="govuk-link" href="([^"]*)">give your feedback</a>', banner)
    assert found, banner
    return found.group(1)


@pytest.mark.django_db
def test_the_phase_banner_links_to_the_configured_feedback_address(
    client: Client, settings: Any
) -> None:
    settings.FEEDBACK_URL = "mailto:feedback@example.org?subject=Feedback"

    link = _banner_link(client.get("/published/").content.decode())

    assert link == "mailto:feedback@example.org?subject=Feedback"


@pytest.mark.django_db
def test_without_a_feedback_address_the_banner_links_to_the_contact_section(
    client: Client, settings: Any
) -> None:
    settings.FEEDBACK_URL = ""

    link = _banner_link(client.get("/").content.decode())
    statement = client.get(link.split("#")[0]).content.decode()

    assert link == "/accessibility/#feedback"
    assert 'id="feedback">Feedback and contact information</h2>' in statement


@pytest.mark.django_db
def test_every_inline_script_carries_the_csp_nonce(client: Client) -> None:
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)

    assert nonce, policy
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    assert scripts
    for attrs in scripts:
        assert f'nonce="{nonce.group(1)}"' in attrs or "src=" in attrs
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


@pytest.mark.django_db
def test_it_sends_security_headers(client: Client) -> None:
    response = client.get("/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_unknown_pages_get_the_gov_uk_not_found_page(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_pages_that_are_not_public_need_sign_in(client: Client) -> None:
    response = client.get("/accounts/email/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_accessibility_statement_has_the_sections_the_regulations_require(
    client: Client, settings: Any
) -> None:
    """The sections of GOV.UK's model statement, and a contact the public can use without an
    account (CONTACT_EMAIL, required in production: portal.E007)."""
    settings.CONTACT_EMAIL = "team@service.example"
    statement = client.get(reverse("accessibility")).content.decode()

    for section in (
        "How accessible this service is",
        "Feedback and contact information",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        f"Technical information about this service{APOSTROPHE}s accessibility",
        "Compliance status",
        "Non-accessible content",
        "Non-compliance with the accessibility regulations",
        "Disproportionate burden",
        f"Content that{APOSTROPHE}s not within the scope of the accessibility regulations",
        f"What we{APOSTROPHE}re doing to improve accessibility",
        "Preparation of this accessibility statement",
    ):
        assert f">{section}</h" in statement, section
    assert 'href="mailto:team@service.example"' in statement


@pytest.mark.django_db
def test_the_privacy_notice_says_where_to_write(client: Client, settings: Any) -> None:
    settings.CONTACT_EMAIL = "team@service.example"
    notice = client.get(reverse("privacy")).content.decode()

    assert ">Contact us</h2>" in notice
    assert 'href="mailto:team@service.example"' in notice
