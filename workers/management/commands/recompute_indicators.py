"""``manage.py recompute_indicators [--la CODE ...]``: work out every current figure again.

Run it whenever an indicator definition changes. For each LA (or only those named), the LA's
accepted submission's figures are recomputed from its stored canonical extract (a submission
checked before extracts were stored: from its raw files, while they are kept) and replace the
LA's stored values in one transaction, fenced like the worker's computation
(``indicators.services.claim_recomputation``), so a newer acceptance meanwhile always wins.

A recomputation is nobody's decision, so it is logged, not audited; output and logs hold LA
codes, our submission ids and counts, never a child's data. Exits non-zero if any LA failed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators import services as indicator_services
from indicators.models import IndicatorBreakdown, IndicatorValue
from portal.models import LocalAuthority
from submissions import storage
from submissions.models import Submission

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Recompute the figures of every LA's accepted submission from its stored extract "
        "(after an indicator definition changes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--la",
            action="append",
            metavar="CODE",
            dest="codes",
            help="only this LA (its 3-digit DfE code); repeat for several",
        )

    def handle(self, *args: Any, codes: list[str] | None = None, **options: Any) -> None:
        accepted = Submission.objects.filter(status=Submission.Status.ACCEPTED).select_related(
            "local_authority"
        )
        if codes:
            known = set(
                LocalAuthority.objects.filter(code__in=codes).values_list("code", flat=True)
            )
            if unknown := sorted(set(codes) - known):
                raise CommandError(f"No local authority with code {', '.join(unknown)}.")
            accepted = accepted.filter(local_authority__code__in=codes)
        counts = {"recomputed": 0, "skipped": 0, "failed": 0}
        for submission in accepted.order_by("local_authority__code"):
            outcome = self._recompute(submission)
            counts[outcome] += 1
        if not sum(counts.values()):
            self.stdout.write("No accepted submissions to recompute.")
        summary = ", ".join(f"{count} {what}" for what, count in counts.items())
        self.stdout.write(summary)
        logger.info("recompute_indicators: %s", counts)
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} LA(s) could not be recomputed.")

    def _recompute(self, submission: Submission) -> str:
        la = submission.local_authority
        prefix = f"{la.code} {la.name}: submission {submission.pk}"
        claimed = indicator_services.claim_recomputation(submission)
        if claimed is None:
            self.stdout.write(
                f"{prefix}: skipped (its figures are still being worked out by a worker, which "
                "uses the current definitions)"
            )
            return "skipped"
        try:
            done = indicator_services.recompute_indicators(claimed)
        except storage.FileGone:
            self.stderr.write(
                f"{prefix}: failed (no stored extract, and its raw files were deleted; the "
                "figures stay as they are until the extract is uploaded again)"
            )
            return "failed"
        except indicator_services.IndicatorClaimLost:
            self.stdout.write(f"{prefix}: skipped (a worker took the computation over)")
            return "skipped"
        except Exception as exc:  # the message could quote the data: the type only
            logger.error("Recomputing the figures of submission %s failed with %s",
                         submission.pk, type(exc).__name__)  # fmt: skip
            self.stderr.write(f"{prefix}: failed ({type(exc).__name__}); figures unchanged")
            return "failed"
        if not done:
            self.stdout.write(f"{prefix}: skipped (a newer submission was accepted meanwhile)")
            return "skipped"
        values = IndicatorValue.objects.filter(submission=submission).count()
        breakdowns = IndicatorBreakdown.objects.filter(submission=submission).count()
        self.stdout.write(f"{prefix}: recomputed ({values} values, {breakdowns} breakdowns)")
        return "recomputed"
