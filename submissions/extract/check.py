"""The one check step: read an extract's files, then validate them.

The worker (``submissions.services.run_checks``), the offline checker (``manage.py
check_extract``) and the coming API intake all call ``check_files``, so an LA that checks its
files on its own machine gets exactly the findings the portal will store. Before this module
each caller wrote "read then validate" itself and they drifted apart (see ``check_files``).

Pure: no Django, no database, no settings. The caller decides where the files come from
(decrypted uploads, command-line paths) and what to do with the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from submissions.extract.canonical import Extract, Finding, Severity
from submissions.extract.readers import read_files
from submissions.extract.rules import NotApplicable, not_applicable, resolve_year, run_rules

__all__ = [
    "NO_RECORDS",
    "CheckResult",
    "NotApplicable",
    "check_files",
    "in_check_order",
    "read",
    "validate",
]

NO_RECORDS = (
    "We found no records in these files. Check you exported the right data from your system, "
    "then upload it again."
)


@dataclass(frozen=True)
class CheckResult:
    """What checking an extract found: the extract itself and every finding, in report order
    (the readers' findings, then the rules' in registry order)."""

    extract: Extract
    findings: list[Finding]
    #: The collection year whose rules ran ("2025_26").
    year: str
    #: The rules not run because no format sent carries a field they need, with why.
    not_applicable: list[NotApplicable] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def queries(self) -> int:
        return len(self.findings) - self.errors

    @property
    def formats(self) -> list[str]:
        """The formats read, in the order first met, as stored on the submission."""
        return [str(f) for f in self.extract.formats]

    @property
    def row_counts(self) -> dict[str, int]:
        """Rows per canonical table (every table, empty ones too), as stored on the
        submission."""
        return {name: len(table) for name, table in self.extract.tables.items()}


def in_check_order(files: Sequence[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The files ordered by display name (ties keep the order given).

    The order matters: a child's record that two files both carry is kept from the first file
    read, and a file that reuses another's record ids has its ids suffixed. Sorting here, and
    not in the database, gives the same result whatever order a user listed the files in and
    whatever collation the database sorts names with."""
    return sorted(files, key=lambda file: file[0])


def read(
    files: Sequence[tuple[str, Path]],
    *,
    la_code: str | None = None,
    as_of: date | None = None,
    coverage_start: date | None = None,
) -> Extract:
    """Read the files (display name, path) into one ``Extract``, in check order: the same
    tables ``check_files`` validated, for callers that need only the tables (the indicators)."""
    return read_files(
        in_check_order(files), la_code=la_code, as_of=as_of, coverage_start=coverage_start
    )


def check_files(
    files: Sequence[tuple[str, Path]],
    *,
    la_code: str | None = None,
    as_of: date | None = None,
    coverage_start: date | None = None,
    year: str | None = None,
) -> CheckResult:
    """Read and validate an extract's files (display name the user knows, path on disk).

    ``la_code``, ``as_of`` (C1) and ``coverage_start`` (C0) win over what the files say (see
    ``read_files``). ``year`` picks the rule set ("2024_25"); by default the collection year of
    the extract's as-of date (``resolve_year``). The rules run only when something could be
    read, and a finding a reader already made for a row is not repeated by a rule.

    An extract with no records and no error to say why gets one ``NO_RECORDS`` error, so the
    report never says "nothing could be read" above an empty list (the offline checker used
    to print exactly that; the worker already added the finding).
    """
    extract = read(files, la_code=la_code, as_of=as_of, coverage_start=coverage_start)
    return validate(extract, year=year)


def validate(extract: Extract, *, year: str | None = None) -> CheckResult:
    """The second half of ``check_files``, for a caller that reads first and validates after:
    the worker deletes the plaintext and reports progress in between."""
    year = year or resolve_year(extract.as_of)
    findings = list(extract.findings)
    skipped: list[NotApplicable] = []
    if not extract.unreadable:
        findings += run_rules(extract, year)
        skipped = not_applicable(extract, year)
    if extract.unreadable and not any(f.severity is Severity.ERROR for f in findings):
        findings.append(Finding("NO_RECORDS", Severity.ERROR, NO_RECORDS))
    return CheckResult(extract=extract, findings=findings, year=year, not_applicable=skipped)
