"""``manage.py snapshot_api --la CODE [--as-of DATE] [--json]``: take an API-fed LA's snapshot
in the foreground, as the nightly run would, and print the outcome.

The snapshot becomes a submission (``submissions.api.snapshot``) and is checked here, in this
process, by the worker's own steps: the report is saved, a snapshot with no errors is accepted
when the LA's feed says so, and then its indicators are computed and stored. ``--json`` prints
the document ``check_extract --json`` prints (findings and every indicator series) of what was
checked. Exit status as ``check_extract``'s: 0 no errors, 1 errors, 2 nothing could be read.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators import services as indicator_services
from portal.models import LocalAuthority
from submissions import services
from submissions.api import snapshot
from workers.management.commands.check_extract import (
    EXIT_OK,
    _parse_date,
    as_json,
    exit_status,
)


class Command(BaseCommand):
    help = (
        "Take an API-fed LA's snapshot now, check it, accept it if its feed accepts snapshots "
        "automatically, compute its indicators, and print the outcome."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--la", required=True, help="the local authority's code, e.g. 370")
        parser.add_argument(
            "--as-of", dest="as_of", metavar="YYYY-MM-DD",
            help="the snapshot's extract date (default: today)",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **options: Any) -> None:
        la = LocalAuthority.objects.filter(code=options["la"]).first()
        if la is None:
            raise CommandError(f"No local authority with code {options['la']!r}.")
        as_of = _parse_date(options["as_of"], "--as-of")
        try:
            submission = snapshot.take_snapshot(la, as_of=as_of)
        except snapshot.NothingToSnapshot as error:
            raise CommandError(error.message) from None

        claimed = services.claim(submission)
        if claimed is None:  # a worker took it first: it goes on there
            raise CommandError(f"Submission {submission.pk} is being checked by a worker.")
        submission, result = services.checked(claimed)
        accepted = False
        if submission.status == submission.Status.READY and snapshot.feed_for(la).auto_accept:
            submission = services.accept_automatically(submission)
            accepted = True
            computing = indicator_services.claim_indicators(submission)
            if computing is not None:
                indicator_services.store_indicators(computing)

        if options["json"]:
            from workers.checker import indicator_rows

            extract = result.extract
            indicators = [] if extract.unreadable else indicator_rows(extract)
            self.stdout.write(as_json(extract, result.findings, indicators, result.not_applicable))
        else:
            counts = submission.row_counts or {}
            self.stdout.write(
                f"Snapshot of {la.name} ({la.code}) as of {submission.as_of:%d %B %Y}: "
                f"{counts.get('child', 0):,} children, {submission.error_count:,} errors, "
                f"{submission.query_count:,} queries.\n"
                f"Submission {submission.pk}: {submission.get_status_display()}"
                + (" (accepted automatically; indicators stored)" if accepted else "")
                + ".\n"
            )
        status = exit_status(result.extract, result.findings)
        if status != EXIT_OK:
            raise SystemExit(status)
