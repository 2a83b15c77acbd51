from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.demo import demo_totp_code, refuse_outside_the_demo


class Command(BaseCommand):
    help = "Print the current one-time code of the demo accounts (embedded default only)."
    # Printed by ``serve`` to be run as it is, with no settings: the production profile's
    # checks (which refuse SQLite) do not apply to reading the demo's own database.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_outside_the_demo()
        self.stdout.write(demo_totp_code())
