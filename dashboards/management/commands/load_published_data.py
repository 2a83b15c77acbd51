"""``manage.py load_published_data``: load the public dashboard's published figures.

Safe to run at every deployment: it only writes what differs from the shipped files. Needs the
reference geography (``manage.py load_reference_data``) first. Warns (on stderr, and in the
log) when a file holds a later year than an indicator's stored series shows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards.published.catalogue import INDICATORS
from dashboards.published.loader import DATA_DIR, PublishedDataError, load_published_data


class Command(BaseCommand):
    help = (
        "Load the published annual figures of the public dashboard from the files in "
        "dashboards/published_data/. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=DATA_DIR,
            help="Folder holding the published files (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            counts = load_published_data(
                options["directory"],
                warn=lambda message: self.stderr.write(self.style.WARNING(f"Warning: {message}")),
            )
        except PublishedDataError as error:
            raise CommandError(f"Published data not loaded: {error}") from error
        if options["verbosity"] > 1:
            for spec in INDICATORS:
                self.stdout.write(f"{spec.key}: {counts[spec.key]:,} values")
        total = sum(counts[spec.key] for spec in INDICATORS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {total:,} values for {len(INDICATORS)} indicators in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )
        if counts["outside_lifetime"]:
            self.stdout.write(
                f"{counts['outside_lifetime']:,} local authority rows skipped: the authority "
                "did not exist in that period."
            )
        changed = counts["created"] + counts["updated"] + counts["deleted"]
        if changed or counts["indicators_changed"] or counts["ratings_changed"]:
            self.stdout.write(
                f"{counts['created']:,} values created, {counts['updated']:,} updated, "
                f"{counts['deleted']:,} removed; {counts['indicators_changed']} indicators "
                f"and {counts['ratings_changed']} Ofsted leadership ratings created, updated "
                "or removed."
            )
        else:
            self.stdout.write("Nothing changed: the database already matched the files.")
