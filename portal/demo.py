"""Demo accounts for the embedded default (``manage.py seed_demo``). Never used in production."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (printed for local demos; DEBUG only)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    description: str
    is_staff: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("admin@example.org", "service administrator (Django admin, health details)", True),
]


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    """Create or reset the demo accounts with verified email addresses (idempotent)."""
    user_model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, _ = user_model.objects.get_or_create(
            username=account.email, defaults={"email": account.email}
        )
        user.email = account.email
        user.is_staff = user.is_superuser = account.is_staff
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
    return DEMO_ACCOUNTS
