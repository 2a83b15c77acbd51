"""Password rules beyond Django's: reject the patterns breached-password lists are full of.

Django's ``CommonPasswordValidator`` catches the 20,000 most common passwords exactly. Attackers'
lists go further with predictable variations — "Password2026!", "p@ssw0rd", "qwertyuiop12",
"aaaaaaaaaaaa" — so this validator normalises those variations away and checks again. It works
offline (no third-party breach API), which this service needs.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

__all__ = ["BreachedPatternValidator"]

_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s",
                       "5": "s", "7": "t", "+": "t", "8": "b", "9": "g"})  # fmt: skip
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn",
)
_SERVICE_WORDS = ("children", "socialcare", "csc", "education", "council")


def _is_sequence(text: str) -> bool:
    """Made of one repeated character, or a run along the alphabet, digits or keyboard rows."""
    if len(set(text)) <= 2:
        return True
    return any(text in seq or text in seq[::-1] for seq in _SEQUENCES)


class BreachedPatternValidator:
    """Reject common passwords dressed up with capitals, leetspeak, years or trailing symbols,
    keyboard walks and repeated characters, and passwords built on this service's name."""

    def __init__(self) -> None:
        self._common = CommonPasswordValidator().passwords

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        core = re.sub(r"[\d\W_]+$", "", lowered)  # "summer2026!!" -> "summer"
        core = re.sub(r"^[\d\W_]+", "", core)
        candidates = {core, core.translate(_LEET), lowered.translate(_LEET)}
        if any(c in self._common for c in candidates if c):
            raise ValidationError(
                "This password is a common password with small changes, like the ones in "
                "breached-password lists. Choose something less predictable, such as three or "
                "four random words.",
                code="password_breached_pattern",
            )
        if _is_sequence(re.sub(r"[\W_]", "", lowered)):
            raise ValidationError(
                "This password is a repeated character or a sequence such as 'abcdef' or "
                "'qwerty'. Choose something less predictable.",
                code="password_sequence",
            )
        squashed = re.sub(r"[\W\d_]", "", lowered)
        if any(word in squashed and len(squashed) - len(word) < 6 for word in _SERVICE_WORDS):
            raise ValidationError(
                "This password is too close to the name of this service. Choose something else.",
                code="password_service_name",
            )

    def get_help_text(self) -> str:
        return (
            "Your password cannot be a common password with small changes, a sequence such as "
            "'qwerty', or built on the name of this service."
        )
