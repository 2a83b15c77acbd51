"""The sign-in pages: invitation-only wording, GOV.UK fields and the second (MFA) step."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def test_it_does_not_offer_sign_up(client: Client) -> None:
    html = client.get(LOGIN).content.decode()

    assert "If you have not created an account yet" not in html
    assert "sign up" not in html.lower()
    assert reverse("account_signup") not in html


def test_it_says_accounts_are_by_invitation(client: Client) -> None:
    html = client.get(LOGIN).content.decode()

    assert (
        "Accounts are by invitation only. If you need access, ask your organisation's "
        "access administrator." in html
    )


def test_headings_and_button_are_in_sentence_case(client: Client) -> None:
    html = client.get(LOGIN).content.decode()

    assert "<title>Sign in \N{EN DASH} Children&#x27;s social care data</title>" in html
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html
    assert ">Sign in</button>" in html
    assert "Sign In" not in html


def test_fields_are_gov_uk_inputs_without_placeholders(client: Client) -> None:
    html = client.get(LOGIN).content.decode()

    email = input_tag(html, "login")
    assert 'type="email"' in email
    assert 'autocomplete="email"' in email
    assert 'class="govuk-input"' in email
    assert '<label class="govuk-label" for="id_login">Email address</label>' in html
    password = input_tag(html, "password")
    assert 'autocomplete="current-password"' in password
    assert "govuk-password-input__input" in password
    assert "placeholder" not in html


def test_forgot_password_is_a_link_below_the_field_not_a_hint(client: Client) -> None:
    html = client.get(LOGIN).content.decode()

    reset_url = reverse("account_reset_password")
    link = f'<a class="govuk-link" href="{reset_url}">Forgot your password?</a>'
    assert link in html
    assert html.index(link) > html.index('name="password"')
    assert 'id="id_password-hint"' not in html
    assert "aria-describedby" not in input_tag(html, "password")


def test_it_explains_a_sign_out_at_the_absolute_limit(client: Client) -> None:
    message = "You were signed out because your session reached its 10-hour limit. Sign in again."

    assert message in client.get(f"{LOGIN}?expired=1").content.decode()
    assert message not in client.get(LOGIN).content.decode()


def test_a_failed_sign_in_keeps_the_email_and_shows_the_error_summary(client: Client) -> None:
    make_user("someone@example.org")

    response = client.post(LOGIN, {"login": "someone@example.org", "password": "wrong-password"})
    html = response.content.decode()

    assert response.status_code == 200
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Error: Sign in" in html
    assert "There is a problem" in html
    assert 'value="someone@example.org"' in input_tag(html, "login")


def test_the_code_step_asks_for_a_numeric_one_time_code(client: Client) -> None:
    make_user("someone@example.org")

    response = client.post(LOGIN, {"login": "someone@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("mfa_authenticate")
    html = client.get(reverse("mfa_authenticate")).content.decode()

    code = input_tag(html, "code")
    assert '<label class="govuk-label" for="id_code">Code</label>' in html
    assert 'autocomplete="one-time-code"' in code
    assert 'inputmode="numeric"' in code
    assert 'spellcheck="false"' in code
    assert "placeholder" not in code
    assert 'aria-describedby="id_code-hint"' in code
    assert "Two-Factor Authentication" not in html


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("mfa_index", "Two-factor authentication"),
        ("usersessions_list", "Your account"),
        ("account_logout", "Sign out"),
    ],
)
def test_signed_in_account_pages_use_sentence_case(
    client: Client, url_name: str, heading: str
) -> None:
    user: Any = make_user("someone@example.org")
    client.force_login(user)

    html = client.get(reverse(url_name)).content.decode()

    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in html


def test_the_sessions_page_offers_to_sign_out_other_sessions(client: Client) -> None:
    user = make_user("someone@example.org")
    client.force_login(user)
    other_device = Client()
    other_device.force_login(user)
    other_device.get(reverse("home"))  # allauth records a session on its first request

    html = client.get(reverse("usersessions_list")).content.decode()

    assert '<table class="govuk-table govuk-table--small-text-until-tablet">' in html
    assert html.count('<tr class="govuk-table__row">') == 3  # header and two sessions
    assert "This browser" in html
    assert ">Sign out of other sessions</button>" in html


def test_with_one_session_there_is_nothing_else_to_sign_out(client: Client) -> None:
    client.force_login(make_user("someone@example.org"))

    html = client.get(reverse("usersessions_list")).content.decode()

    assert "You are not signed in anywhere else." in html
    assert "Sign out of other sessions" not in html
