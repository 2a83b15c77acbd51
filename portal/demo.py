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
    scopes: tuple[str, ...] = ()  # DfE LA codes or region codes
    is_staff: bool = False

    @property
    def scope(self) -> str:
        """The scopes as ``seed_demo`` prints them: ``370``, ``370, 383, 384``."""
        return ", ".join(self.scopes)


#: Yorkshire and the Humber, the demo's region: every one of its 15 LAs has figures.
DEMO_REGION = "E12000003"
#: The region's LAs other than Barnsley (370) and Leeds (383), which have their own leads.
#: One data lead sends all their extracts, as a shared regional data team might.
REGION_LA_CODES = (
    "371", "372", "373", "380", "381", "382", "384", "810", "811", "812", "813", "815", "816",
)  # fmt: skip


REGION_LEAD = "lead@yorkshire.example.org"

DEMO_ACCOUNTS = [
    DemoAccount("lead@barnsley.example.org", "Dana Lead", Role.LA_DATA_LEAD, ("370",)),
    DemoAccount("viewer@barnsley.example.org", "Vic Viewer", Role.LA_VIEWER, ("370",)),
    DemoAccount("lead@leeds.example.org", "Lee Lead", Role.LA_DATA_LEAD, ("383",)),
    DemoAccount(REGION_LEAD, "Yan Yorkshire", Role.LA_DATA_LEAD, REGION_LA_CODES),
    DemoAccount(
        "caselead@education.example.org",
        "Casey Caselead",
        Role.DFE_CASE_LEAD,
        ("370", "383", "384"),
    ),
    DemoAccount("risl@education.example.org", "Rhys Regional", Role.RISL, (DEMO_REGION,)),
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
        scopes: list[dict[str, Any]] = [
            {"local_authority": LocalAuthority.objects.get(code=code)}
            if len(code) == 3
            else {"region": Region.objects.get(code=code)}
            for code in account.scopes
        ] or [{}]
        kept = [Membership.objects.get_or_create(user=user, role=account.role, **scope)[0].pk
                for scope in scopes]  # fmt: skip
        user.memberships.exclude(pk__in=kept).delete()
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
    return DEMO_ACCOUNTS
