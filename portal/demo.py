"""Demo accounts for the embedded default (``manage.py seed_demo``). Never used in production.

Each demo account already has an authenticator app set up with a known secret, so a person
trying the service can add it to their own app or print the current code with
``manage.py demo_totp EMAIL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, hotp_value
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from portal.models import LocalAuthority, Membership, Region, Role, User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (printed for local demos; DEBUG only)
# Base32, 32 characters: the same secret for every demo account keeps the demo simple.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105


def refuse_outside_the_demo() -> None:
    """Stop a demo command anywhere but development, the demo, or the embedded SQLite
    database. Production cannot run on SQLite (``portal.E001``), so the demo's commands work
    as ``serve`` prints them, with no settings, and never put demo accounts into a real
    deployment's database."""
    if not (settings.EMBEDDED or connection.vendor == "sqlite"):
        raise CommandError(
            "Demo accounts and data are for the embedded default only (SQLite, or DEBUG=true)."
        )


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role
    scope: str = ""  # DfE LA code or region code
    is_staff: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("lead@barnsley.example.org", "Dana Lead", Role.LA_DATA_LEAD, "370"),
    DemoAccount("viewer@barnsley.example.org", "Vic Viewer", Role.LA_VIEWER, "370"),
    DemoAccount("lead@leeds.example.org", "Lee Lead", Role.LA_DATA_LEAD, "383"),
    DemoAccount("caselead@education.example.org", "Casey Caselead", Role.DFE_CASE_LEAD, "370"),
    DemoAccount("risl@education.example.org", "Rhys Regional", Role.RISL, "E12000003"),
    DemoAccount("analyst@education.example.org", "Ana Analyst", Role.NATIONAL_ANALYST),
    DemoAccount("admin@education.example.org", "Adam Admin", Role.ACCESS_ADMIN, is_staff=True),
]


def demo_totp_code() -> str:
    return format(hotp_value(DEMO_TOTP_SECRET, int(timezone.now().timestamp()) // 30), "06d")


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    """Create or reset the demo accounts with verified email addresses, their role and scope,
    and an authenticator app (idempotent). Needs the reference data loaded."""
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(email=account.email)
        user.full_name = account.full_name
        user.is_staff = user.is_superuser = account.is_staff
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        scope: dict[str, Any] = {}
        if len(account.scope) == 3:
            scope["local_authority"] = LocalAuthority.objects.get(code=account.scope)
        elif account.scope:
            scope["region"] = Region.objects.get(code=account.scope)
        user.memberships.exclude(role=account.role, **scope).delete()
        Membership.objects.get_or_create(user=user, role=account.role, **scope)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
    return DEMO_ACCOUNTS
