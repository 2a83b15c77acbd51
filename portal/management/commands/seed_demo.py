from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_PASSWORD, seed_demo_accounts


class Command(BaseCommand):
    help = "Create the demo accounts (local development only; refused when DEBUG is off)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for local development: set DEBUG=true.")
        accounts = seed_demo_accounts()
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account in accounts:
            self.stdout.write(f"  {account.email:<32} {account.description}")
