from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from portal.demo import refuse_outside_the_demo, seed_demo_accounts
from workers.demo import seed_demo_data


class Command(BaseCommand):
    help = (
        "Create the demo accounts, then check and accept a synthetic submission for every LA "
        "of Yorkshire and the Humber (one through the API intake), with Barnsley's open "
        "submissions and context notes (local development only; refused outside the "
        "embedded default)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_outside_the_demo()
        seed_demo_accounts()  # idempotent: the data needs its data leads
        # The pipeline emails each outcome to the LA's data leads; for seeded submissions the
        # console would print 18 emails above the accounts list, so they are kept in memory.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            seeded = seed_demo_data()
        for submission in seeded:
            self.stdout.write(
                f"  {submission.local_authority}: {submission.get_source_display()} "
                f"extract of {submission.as_of:%d %B %Y}, "
                f"{submission.get_status_display().lower()}, {submission.error_count} errors, "
                f"{submission.query_count} queries"
            )
