"""``manage.py load_published_data``: load the public dashboard's published figures, then warm
the public cache (``dashboards.warming``).

Safe to run at every deployment: it only writes what differs from the shipped files. Needs the
reference geography (``manage.py load_reference_data``) first. Warns (on stderr, and in the
log) when a file holds a later year than an indicator's stored series shows. With a shared
cache (Redis) it then builds the pages without an LA, the LA summaries and the whole-dashboard
download, and queues ``workers.warm_indicator_pages`` for the indicator pages of every LA
(``--la-pages`` builds those here instead, as the load benchmark does). ``--warm``/``--no-warm``
overrides the choice the cache makes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from kombu.exceptions import OperationalError as BrokerError

from dashboards import warming
from dashboards.published.catalogue import INDICATORS
from dashboards.published.loader import DATA_DIR, PublishedDataError, load_published_data
from workers.tasks import warm_indicator_pages


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
        parser.add_argument(
            "--warm",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Warm the public cache after loading (default: when the cache is shared).",
        )
        parser.add_argument(
            "--la-pages",
            action="store_true",
            help="Also build every indicator page of every LA now, instead of queuing them.",
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
        warm = options["warm"]
        if warm if warm is not None else warming.cache_is_shared():
            self.warm(la_pages=options["la_pages"])

    def warm(self, la_pages: bool) -> None:
        # Warmed even when nothing changed: a deployment may have emptied the cache.
        warmed = warming.warm_public_cache(la_pages=la_pages)
        self.stdout.write(
            f"Public cache warmed: {warmed.fragments:,} pages and downloads "
            f"in {warmed.seconds:.1f} s."
        )
        if la_pages:
            return
        keys = warming.indicator_keys()
        try:
            for key in keys:
                warm_indicator_pages.delay(key)
        except BrokerError:
            self.stderr.write(
                "The indicator pages of each LA were not queued for warming (broker "
                "unreachable): they are built on their first visit."
            )
        else:
            self.stdout.write(f"Queued the indicator pages of every LA ({len(keys)} tasks).")
