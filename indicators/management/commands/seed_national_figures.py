"""``manage.py seed_national_figures [--las N]``: synthetic figures for every LA, for the
restricted dashboards at national scale and their benchmark (``indicators.national_seed``).

Every current LA (153 once the reference data is loaded; the first N by code with ``--las``)
gets one accepted submission, labelled synthetic, with every registry indicator and breakdown
for 36 month ends. Running it again replaces them. An LA whose accepted submission is real is
left alone.

The figures are not real, so the command refuses to run where real figures may live (the
production settings) unless told ``--benchmark-database``: the benchmark's own database.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from indicators.national_seed import MONTHS, seed_national_figures


class Command(BaseCommand):
    help = (
        "Seed synthetic timely figures (clearly labelled, not real data) for every current LA: "
        f"every indicator and breakdown for {MONTHS} month ends. Replaces an earlier seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--las", type=int, metavar="N", help="Only the first N current LAs by code."
        )
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="The latest month end (default: the latest 31 March).",
        )
        parser.add_argument("--seed", type=int, default=12, help="Random seed (default: 12).")
        parser.add_argument(
            "--benchmark-database",
            action="store_true",
            help="Allow the production settings: only for a database of its own (the "
            "benchmark's), never one holding real figures.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        embedded = settings.EMBEDDED or connection.vendor == "sqlite"
        if not (embedded or options["benchmark_database"]):
            raise CommandError(
                "These figures are synthetic: refused on the production settings. For the "
                "benchmark's own database, add --benchmark-database."
            )
        if options["las"] is not None and options["las"] < 1:
            raise CommandError("--las must be at least 1.")
        started = time.perf_counter()
        result = seed_national_figures(options["las"], options["as_of"], options["seed"])
        self.stdout.write(
            f"Seeded synthetic figures for {result.local_authorities} "
            f"LA{'' if result.local_authorities == 1 else 's'} to "
            f"{result.as_of:%d %B %Y}: {result.values:,} values and {result.breakdowns:,} "
            f"breakdowns in {time.perf_counter() - started:.1f} s."
        )
        if result.skipped:
            self.stdout.write(
                f"Left alone (their accepted submission is real): {', '.join(result.skipped)}."
            )
