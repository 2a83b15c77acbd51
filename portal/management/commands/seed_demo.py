from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.demo import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    refuse_outside_the_demo,
    seed_demo_accounts,
)


class Command(BaseCommand):
    help = "Create the demo accounts (refused outside the embedded default)."

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_outside_the_demo()
        accounts = seed_demo_accounts()
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account in accounts:
            scope = f" {account.scope}" if account.scope else ""
            self.stdout.write(f"  {account.email:<34} {account.role.label}{scope}")
        self.stdout.write(
            "Each has an authenticator app set up: add the key "
            f"{DEMO_TOTP_SECRET} to your app, or print the current code with\n"
            "  .venv/bin/python manage.py demo_totp"
        )
