"""``manage.py check_extract FILE...``: validate extract files offline, without the database.

Reads the files (format detection, archives, every supported format) and runs the validation
rules of the extract's collection year with the same check step as the portal's worker
(``submissions.extract.check``), then prints a report: a summary (formats, rows per
table, findings per rule) and the findings grouped by rule, or with ``--json`` one JSON
document for other tools. Nothing is stored; no database is needed (no system or migration
checks, no model queries), so an LA can run it on its own machine before uploading.

It lives in ``workers``, the layer above both ``submissions`` and ``indicators``, because
``--json`` lists the indicator series too (``workers.checker``).

Exit status: 0 no errors (queries allowed), 1 at least one error, 2 the input could not be
read (a path that does not exist, nothing readable in the files) or the arguments are wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.extract.canonical import FORMAT_LABELS, Extract, Finding, Severity
from submissions.extract.check import NotApplicable, check_files
from submissions.extract.rules import YEARS

#: Findings listed per rule in the text report; ``--json`` always has every finding.
TEXT_LIMIT = 20

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{option} must be a date written YYYY-MM-DD, for example 2025-03-31; got {value!r}.",
            returncode=EXIT_UNREADABLE,
        ) from None


def exit_status(extract: Extract, findings: Sequence[Finding]) -> int:
    """2 when nothing could be read, else 1 when any finding is an error, else 0."""
    if extract.unreadable:
        return EXIT_UNREADABLE
    return EXIT_ERRORS if any(f.severity is Severity.ERROR for f in findings) else EXIT_OK


def as_json(
    extract: Extract,
    findings: Sequence[Finding],
    indicators: list[dict[str, Any]],
    not_applicable: Sequence[NotApplicable] = (),
) -> str:
    """The ``--json`` document. ``not_applicable`` lists the rules not run because the
    formats sent do not carry a field they need (``code``, ``message``, ``missing``,
    ``reason``)."""
    return json.dumps(
        {
            "la": extract.la_code,
            "as_of": extract.as_of.isoformat() if extract.as_of else None,
            "formats": [str(f) for f in extract.formats],
            "findings": [f.as_dict() for f in findings],
            "not_applicable": [rule.as_dict() for rule in not_applicable],
            "indicators": indicators,
        },
        ensure_ascii=False,
        indent=1,
    )


def _count(n: int, noun: str) -> str:
    """``1 error``, ``2 errors``, ``1 query``, ``3 queries``."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n:,} {noun if n == 1 else plural}"


def _groups(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Findings grouped by code, errors first, then in order of first appearance."""
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    return sorted(by_code.values(), key=lambda g: g[0].severity is not Severity.ERROR)


def as_text(
    extract: Extract,
    findings: Sequence[Finding],
    files: Sequence[str],
    year: str,
    not_applicable: Sequence[NotApplicable] = (),
) -> str:
    """The human-readable report."""
    lines = [
        f"Checked {_count(len(files), 'file')}: {', '.join(files)}",
        f"Local authority: {extract.la_code or 'not stated'}",
        f"Extract date (as of): {extract.as_of or 'not stated (today is used)'}",
        f"Complete from: {extract.coverage_start or 'not stated'}",
        f"Rules: collection year {year.replace('_', '-')}",
        "Formats: " + (", ".join(FORMAT_LABELS[f] for f in extract.formats) or "none recognised"),
    ]
    rows = [f"{name} {len(df):,}" for name, df in extract.tables.items() if len(df)]
    lines.append("Rows: " + (", ".join(rows) or "none"))

    errors = sum(f.severity is Severity.ERROR for f in findings)
    queries = len(findings) - errors
    groups = _groups(findings)
    lines.append("")
    if extract.unreadable:
        lines.append("RESULT: nothing could be read from these files. See the findings below.")
    elif errors:
        lines.append(
            f"RESULT: {_count(errors, 'error')} and {_count(queries, 'query')}. Fix the errors "
            "before submitting; explain or fix the queries."
        )
    elif queries:
        lines.append(f"RESULT: no errors; {_count(queries, 'query')} to explain or fix.")
    else:
        lines.append("RESULT: no errors or queries found.")
    if not_applicable:
        lines += ["", f"NOT APPLIED: {_count(len(not_applicable), 'rule')} need a field the "
                  "formats sent do not carry"]  # fmt: skip
        lines += [f"  {rule.code}  {rule.reason}" for rule in not_applicable]
    if not groups:
        return "\n".join(lines)

    lines += ["", "SUMMARY (severity, rule, count, message)"]
    width = max(len(g[0].code) for g in groups)
    for group in groups:
        first = group[0]
        lines.append(
            f"  {first.severity:<5}  {first.code:<{width}}  {len(group):>7,}  {first.message}"
        )

    for group in groups:
        first = group[0]
        lines += ["", f"{first.code} ({first.severity}, {len(group):,}): {first.message}"]
        shown = group[:TEXT_LIMIT]
        cells = [
            (
                f.file or "-",
                f.location or "-",
                f"child {f.child_id}" if f.child_id else "",
                f"field {f.field}" if f.field else "",
            )
            for f in shown
        ]
        widths = [max(len(c[i]) for c in cells) for i in range(4)]
        for finding, row in zip(shown, cells, strict=True):
            text = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            # Reader findings carry the value in their message; show it when it differs.
            extra = f"  {finding.message}" if finding.message != first.message else ""
            lines.append(f"  {text}{extra}")
        if len(group) > TEXT_LIMIT:
            lines.append(f"  …and {len(group) - TEXT_LIMIT:,} more (use --json for all)")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Validate CIN census, SSDA903, Annex A or DfE API files offline and print the "
        "findings. Exit status 0: no errors; 1: errors found; 2: the input could not be read."
    )
    # Runs without a database: no system checks (they may query it) and no migration check.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="files or zip archives")
        parser.add_argument("--la", help="the local authority's code, e.g. 201")
        parser.add_argument(
            "--as-of", dest="as_of", metavar="YYYY-MM-DD",
            help="the date the extract was taken (default: the files' reference date)",
        )  # fmt: skip
        parser.add_argument(
            "--from", dest="coverage_start", metavar="YYYY-MM-DD",
            help="the date from which the extract is complete (default: from the format)",
        )  # fmt: skip
        parser.add_argument(
            "--year", metavar="YYYY_YY",
            help=f"rule set to use, one of {', '.join(YEARS)} (default: the as-of date's)",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _parse_date(options["as_of"], "--as-of")
        coverage_start = _parse_date(options["coverage_start"], "--from")
        if options["year"] is not None and options["year"] not in YEARS:
            raise CommandError(
                f"--year must be one of {', '.join(YEARS)}; got {options['year']!r}.",
                returncode=EXIT_UNREADABLE,
            )
        paths = [Path(name) for name in options["files"]]
        absent = [str(p) for p in paths if not p.is_file()]
        if absent:
            raise CommandError(f"No such file: {', '.join(absent)}", returncode=EXIT_UNREADABLE)

        # The portal's own check step, so the findings are the ones an upload would get.
        result = check_files(
            [(p.name, p) for p in paths],
            la_code=options["la"],
            as_of=as_of,
            coverage_start=coverage_start,
            year=options["year"],
        )
        extract, findings, year = result.extract, result.findings, result.year

        if options["json"]:
            # Imported here: the text report needs no calculators (or pandas start-up for them).
            from workers.checker import indicator_rows

            indicators = [] if extract.unreadable else indicator_rows(extract)
            self.stdout.write(as_json(extract, findings, indicators, result.not_applicable))
        else:
            names = [p.name for p in paths]
            self.stdout.write(as_text(extract, findings, names, year, result.not_applicable))
        status = exit_status(extract, findings)
        if status != EXIT_OK:
            raise SystemExit(status)
