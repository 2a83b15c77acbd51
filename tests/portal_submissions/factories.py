"""Submissions, files and findings built straight with the ORM, so the page tests never wait
for (or depend on) the pipeline."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from portal.models import LocalAuthority
from submissions.models import QueryExplanation, Submission, SubmissionFile, ValidationFinding

AS_OF = datetime.date(2024, 3, 31)


def make_submission(
    la_code: str = "370", status: str = Submission.Status.READY, **fields: Any
) -> Submission:
    """A submission of ``la_code``'s extract of 31 March 2024, in ``status``."""
    fields.setdefault("as_of", AS_OF)
    if status == Submission.Status.ACCEPTED:
        fields.setdefault("accepted_at", timezone.now())
    return Submission.objects.create(
        local_authority=LocalAuthority.objects.get(code=la_code), status=status, **fields
    )


def make_file(
    submission: Submission, display_name: str = "CIN_Census_2024.xml", **fields: Any
) -> SubmissionFile:
    """A file record (no stored bytes: tests that download patch the storage)."""
    fields.setdefault("size", 2048)
    fields.setdefault("sha256", "0" * 64)
    fields.setdefault("wrapped_key", b"not a real key")
    return SubmissionFile.objects.create(submission=submission, display_name=display_name, **fields)


def add_findings(
    submission: Submission,
    code: str,
    severity: str = ValidationFinding.Severity.ERROR,
    count: int = 1,
    **fields: Any,
) -> list[ValidationFinding]:
    """``count`` findings of rule ``code``, each on its own line with its own child (unless
    ``fields`` says otherwise), and the submission's error or query count raised to match."""
    fields.setdefault("file", "CIN_Census_2024.xml")
    fields.setdefault("field", "PersonBirthDate")
    fields.setdefault("message", f"Rule {code} is not met.")
    findings = ValidationFinding.objects.bulk_create(
        ValidationFinding(
            submission=submission,
            code=code,
            severity=severity,
            **{"location": f"line {n + 10}", "child_id": f"LA370C{n:06d}", **fields},
        )
        for n in range(count)
    )
    counter = "error_count" if severity == ValidationFinding.Severity.ERROR else "query_count"
    setattr(submission, counter, getattr(submission, counter) + count)
    submission.save(update_fields=[counter])
    return findings


def explain(submission: Submission, code: str, note: str = "Known local practice.") -> Any:
    return QueryExplanation.objects.create(submission=submission, code=code, note=note)
