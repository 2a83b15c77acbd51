from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.health import run_checks


class Command(BaseCommand):
    help = "Check the database, cache and Celery broker; exit 1 if any is unavailable."

    def handle(self, *args: Any, **options: Any) -> None:
        results = run_checks()
        for r in results:
            state = "ok" if r.ok else "FAILED"
            self.stdout.write(f"{r.name:<9} {state:<6} {r.milliseconds:7.1f} ms  {r.detail}")
        if not all(r.ok for r in results):
            raise CommandError("one or more dependencies are unavailable")
