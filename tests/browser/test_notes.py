"""Writing a context note in a real browser: govuk-frontend's character count starts on the
note's textarea and counts down (a line break counts one, as the server counts it), a text
over the limit is shown as such and refused with an error summary, and a saved note's
history page passes axe."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from indicators.models import ContextNote
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot, totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]


def test_a_lead_writes_a_note_with_the_character_count(page: Any, personas: dict[str, Any]) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(personas["lead"].email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()

    create = reverse("restricted_dashboards:note_create", args=["370"])
    page.goto(f"{create}?indicator=repeat_cpp_12m")
    note = page.get_by_label("Note", exact=True)
    note.fill("Line one\nline two")  # 17 characters
    expect(page.locator(".govuk-character-count__status")).to_have_text(
        "You have 1,983 characters remaining"
    )
    assert serious_violations(page) == []
    note.fill("x" * 2005)
    expect(page.locator(".govuk-character-count__status")).to_have_text(
        "You have 5 characters too many"
    )
    screenshot(page, "notes-form-too-long")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The note must be 2,000 characters or fewer"
    )
    assert not ContextNote.objects.exists()

    page.get_by_label("Note", exact=True).fill("A new front door\nstarted in January.")
    page.get_by_role("button", name="Save note").click()
    page.wait_for_url(
        f"**{reverse('restricted_dashboards:indicator', args=['370', 'repeat_cpp_12m'])}"
    )

    saved = ContextNote.objects.get()
    assert saved.revisions.get().text == "A new front door\nstarted in January."
    page.goto(reverse("restricted_dashboards:note_history", args=["370", saved.pk]))
    expect(page.get_by_role("heading", name="Version 1 (current)")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "notes-history")
    assert errors == []
