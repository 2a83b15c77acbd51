"""Password rules: at least 12 characters, not common, not a breached-password pattern."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from portal.passwords import BreachedPatternValidator


@pytest.mark.parametrize(
    "password",
    [
        "Password2026!",  # common word + year + symbol
        "p@ssw0rd12345",  # leetspeak
        "qwertyuiop12",  # keyboard walk + digits
        "aaaaaaaaaaaaaa",  # repeated character
        "abcdefghijklm",  # alphabet run
        "Children2026!!",  # the service's name
        "1qaz2wsx3edc4",  # keyboard columns
    ],
)
def test_it_rejects_breached_patterns(password: str) -> None:
    with pytest.raises(ValidationError):
        BreachedPatternValidator().validate(password)


@pytest.mark.parametrize("password", ["correct-horse-battery-staple", "tin kettle orbit mango"])
def test_it_accepts_unpredictable_passphrases(password: str) -> None:
    BreachedPatternValidator().validate(password)
    validate_password(password)


def test_the_project_needs_at_least_12_characters() -> None:
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Vx9#kq2Lm!z")
