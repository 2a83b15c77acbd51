"""``manage.py load_reference_data``: load the reference geography shipped with the code.

Safe to run at every deployment: it only writes what differs from the shipped files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.reference import REFERENCE_DATA_DIR, ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = (
        "Load regions, local authorities, statistical neighbours and child population from the "
        "files in portal/reference_data/. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=REFERENCE_DATA_DIR,
            help="Folder holding the reference files (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_reference_data(options["directory"])
        except ReferenceDataError as error:
            raise CommandError(f"Reference data not loaded: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {counts['regions']:,} regions, "
                f"{counts['current_local_authorities']:,} current local authorities "
                f"(+{counts['predecessor_local_authorities']:,} predecessors), "
                f"{counts['statistical_neighbours']:,} statistical neighbour links, "
                f"{counts['population_figures']:,} population figures "
                f"({counts['population_first_year']}–{counts['population_last_year']})."  # noqa: RUF001 (en dash for a range)
            )
        )
        if counts["changed"]:
            self.stdout.write(f"{counts['changed']:,} rows created, updated or removed.")
        else:
            self.stdout.write("Nothing changed: the database already matched the files.")
