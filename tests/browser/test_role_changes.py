"""In headless Chromium: an access admin changes a Barnsley data lead's role to LA viewer for
Leeds in one step, removes it after a confirmation page that says what the person loses, and
reads both changes in words on the audit trail. Every page passes axe (no serious or critical
violations) and runs no failing script; screenshots go to test-artifacts/role-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from portal.models import AuditAction, AuditEvent, LocalAuthority, Membership
from tests.browser.test_invitation_journey import sign_in
from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]


def checked(page: Any, errors: list[str], name: str) -> None:
    assert serious_violations(page) == [], page.url
    assert errors == [], page.url
    screenshot(page, f"role-{name}")


def test_an_access_admin_changes_then_removes_a_role_and_reads_it_in_the_audit_trail(
    page: Any, personas: dict[str, Any]
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    lead = personas["lead"]
    membership = lead.memberships.get()
    sign_in(page, personas["access_admin"].email, PASSWORD)

    # Change: one form, one step.
    page.goto(f"/access/users/{lead.pk}/")
    page.get_by_role("link", name="Change LA data lead (Barnsley (370))").click()
    expect(page.locator("h1")).to_have_text("Change a role")
    checked(page, errors, "change")
    page.get_by_label("LA viewer").check()
    page.get_by_label("Local authority").select_option(label="Leeds (383)")
    page.get_by_role("button", name="Change role").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "from LA data lead (Barnsley (370)) to LA viewer (Leeds (383))"
    )
    changed = Membership.objects.select_related("local_authority").get(user=lead)
    assert (changed.pk, changed.role, changed.local_authority) == (
        membership.pk,
        "la_viewer",
        LocalAuthority.objects.get(code="383"),
    )
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 1

    # Remove: a confirmation page first, which changes nothing.
    page.get_by_role("link", name="Remove LA viewer (Leeds (383))").click()
    expect(page.locator("h1")).to_have_text("Are you sure you want to remove this role?")
    expect(page.locator("#role-loses")).to_contain_text(
        "will no longer be LA viewer with access to Leeds (383)"
    )
    expect(page.locator("#role-allows")).to_contain_text("see child-level records")
    checked(page, errors, "remove-confirm")
    assert Membership.objects.filter(user=lead).exists()
    page.get_by_role("button", name="Remove role").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("has been removed")
    assert not Membership.objects.filter(user=lead).exists()

    # The audit trail says it in words.
    page.goto("/access/audit/")
    table = page.locator("table")
    expect(table).to_contain_text(f"LA viewer role of {lead.email}")
    expect(table).to_contain_text("Previous role: LA data lead")
    expect(table).to_contain_text("Previous local authority: Barnsley (370)")
    assert "portal.Membership" not in table.inner_text()
    assert "la_viewer" not in table.inner_text()
    checked(page, errors, "audit")
