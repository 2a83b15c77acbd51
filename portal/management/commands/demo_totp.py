from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the current one-time code of the demo accounts (local development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for local development: set DEBUG=true.")
        self.stdout.write(demo_totp_code())
