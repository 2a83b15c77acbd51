"""Emails about submissions. Plain text, never any child data: the outcome, counts and a link
to the status page, where the signed-in user reads the details. The outcome of a check goes to
the uploader; figures that could not be worked out, to the LA's data leads (who accepted it)."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.models import Membership, Role
from submissions.models import Submission

__all__ = ["send_indicators_failed", "send_validation_finished", "status_url"]

logger = logging.getLogger(__name__)


def status_url(submission: Submission) -> str:
    """The absolute link to a submission's status page (workers have no request to build it
    from, so the base comes from ``SERVICE_BASE_URL``)."""
    base = settings.SERVICE_BASE_URL.rstrip("/") + "/"
    try:
        path = reverse("submissions:detail", args=[submission.pk])
    except NoReverseMatch:
        # The submission pages are not installed (yet): the service's home page still helps.
        logger.warning("No submissions:detail URL; linking to the service's home page instead")
        return base
    return urljoin(base, path)


def _count(count: int, singular: str, plural: str) -> str:
    return f"{count:,} {singular if count == 1 else plural}"


def _outcome(submission: Submission) -> tuple[str, str]:
    """(subject ending, paragraph) for the submission's current status."""
    Status = Submission.Status
    queries = _count(submission.query_count, "query", "queries")
    errors = _count(submission.error_count, "error", "errors")
    if submission.status == Status.READY:
        if submission.query_count:
            return (
                "ready to accept",
                f"Checking found no errors and {queries}. Read the report, explain the queries "
                "if you want to, and accept the submission.",
            )
        return (
            "ready to accept",
            "Checking found no errors or queries. Read the report and accept the submission.",
        )
    if submission.status == Status.HAS_ERRORS:
        also = f" and {queries}" if submission.query_count else ""
        return (
            f"{errors} to fix",
            f"Checking found {errors}{also}. Errors must be fixed before the data can be "
            "accepted: read the report, correct the records in your system and upload the "
            "extract again.",
        )
    return (
        "could not be checked",
        submission.failure_reason
        or "We could not check this submission. Upload it again, or contact support.",
    )


def send_validation_finished(submission: Submission) -> bool:
    """Tell the uploader that checking their submission finished, and how. Returns whether an
    email was sent. A mail server failure is logged, never raised: the submission's outcome is
    already saved and shown on its status page."""
    user = submission.created_by
    if user is None or not user.email:
        return False
    subject_end, paragraph = _outcome(submission)
    la = submission.local_authority
    body = "\n\n".join(
        [
            f"Your extract for {la.name}, taken on {submission.as_of:%d %B %Y} and uploaded "
            f"on {timezone.localtime(submission.created_at):%d %B %Y at %H:%M}, has been checked.",
            paragraph,
            f"See the submission and its report:\n{status_url(submission)}",
            "You need to sign in to see it. If you did not upload this extract, tell your "
            "organisation's access administrator.",
            settings.SERVICE_NAME,
        ]
    )
    try:
        send_mail(
            subject=f"[{settings.SERVICE_NAME}] {la.name} extract: {subject_end}",
            message=body + "\n",
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception:
        logger.exception("Could not email the outcome of submission %s", submission.pk)
        return False
    logger.info("Emailed the outcome of submission %s", submission.pk)
    return True


def _data_lead_emails(submission: Submission) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                role=Role.LA_DATA_LEAD,
                local_authority_id=submission.local_authority_id,
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def send_indicators_failed(submission: Submission) -> bool:
    """Tell the LA's data leads that the figures of their accepted submission could not be
    worked out and the service has stopped trying. Returns whether an email was sent; a mail
    failure is logged, never raised (the failure is shown on the status page too)."""
    recipients = _data_lead_emails(submission)
    if not recipients:
        logger.warning("Submission %s: no data lead to tell that its figures failed",
                       submission.pk)  # fmt: skip
        return False
    la = submission.local_authority
    body = "\n\n".join(
        [
            f"The figures of the accepted extract for {la.name}, taken on "
            f"{submission.as_of:%d %B %Y}, could not be worked out.",
            submission.indicators_failure_reason
            or "This is a fault in the service, not your data: contact support.",
            f"See the submission:\n{status_url(submission)}",
            "You need to sign in to see it.",
            settings.SERVICE_NAME,
        ]
    )
    try:
        send_mail(
            subject=f"[{settings.SERVICE_NAME}] {la.name} extract: figures could not be worked out",
            message=body + "\n",
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("Could not email the failed figures of submission %s", submission.pk)
        return False
    logger.info("Emailed %s data lead(s) that submission %s's figures failed",
                len(recipients), submission.pk)  # fmt: skip
    return True
