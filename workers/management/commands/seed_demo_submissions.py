from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.demo import refuse_outside_the_demo
from workers.demo import seed_demo_submissions


class Command(BaseCommand):
    help = (
        "Create, check and accept a synthetic submission for each demo LA (local development "
        "only; refused outside the embedded default). Run seed_demo first."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_outside_the_demo()
        for submission in seed_demo_submissions():
            self.stdout.write(
                f"  {submission.local_authority}: extract of {submission.as_of:%d %B %Y}, "
                f"{submission.get_status_display().lower()}, {submission.query_count} queries"
            )
