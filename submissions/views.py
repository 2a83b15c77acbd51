"""The submission pages: history, upload, status, validation report, exports, raw files.

Views are thin: parse the request, fetch through ``portal.access`` (so another LA's user gets
404 on every URL of a submission, and a role that can see the LA but not act gets 403), call
``submissions.services``, then redirect or render. Work on the files happens in the worker:
the view enqueues it once the submission row is committed.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from portal.access import Action, can, get_for_user_or_404, local_authorities_for, requires
from portal.audit import AuditAction, record
from portal.models import User
from portal.spreadsheets import csv_download
from submissions import exports, services, storage
from submissions.api import snapshot
from submissions.forms import (
    ExplainQueryForm,
    FindingFilterForm,
    HistoryFilterForm,
    UploadForm,
)
from submissions.models import (
    ApiFeed,
    QueryExplanation,
    Submission,
    SubmissionFile,
    ValidationFinding,
)
from submissions.safety import ALLOWED_EXTENSIONS
from workers.tasks import compute_indicators, process_submission

HISTORY_PAGE_SIZE = 25
#: Findings per page of the report: a submission can have 100,000 of them.
FINDINGS_PAGE_SIZE = 100

Status = Submission.Status
#: The govuk-tag modifier for each status (no modifier is the Design System's blue).
TAG_CLASSES: dict[str, str] = {
    Status.RECEIVED: "govuk-tag--grey",
    Status.CHECKING: "",
    Status.VALIDATING: "",
    Status.READY: "govuk-tag--green",
    Status.HAS_ERRORS: "govuk-tag--red",
    Status.ACCEPTED: "govuk-tag--green",
    Status.SUPERSEDED: "govuk-tag--grey",
    Status.FAILED: "govuk-tag--red",
}

logger = logging.getLogger(__name__)


def _acting_user(request: HttpRequest) -> User:
    # Every view here has fetched through the access helper, so the user is signed in.
    assert isinstance(request.user, User)
    return request.user


def _submission(request: HttpRequest, submission_id: UUID, action: Action) -> Submission:
    return get_for_user_or_404(
        Submission.objects.select_related(
            "local_authority", "created_by", "accepted_by", "superseded_by"
        ),
        request.user,
        action,
        pk=submission_id,
    )


def _paginate(items: Any, number: str | None, size: int) -> dict[str, Any]:
    """Context for the GOV.UK pagination include: the page and its elided page links."""
    page: Page[Any] = Paginator(items, size).get_page(number)
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }


def _status(submission: Submission) -> dict[str, Any]:
    """What the status page shows about progress, and what its script polls for.
    ``summary`` is the sentence the page's live region reads out."""
    message = _status_message(submission)
    working = submission.is_working
    return {
        "status": submission.status,
        "label": submission.get_status_display(),
        "tag_class": TAG_CLASSES[submission.status],
        "progress": submission.progress,
        "message": message,
        "summary": f"{message} ({submission.progress}% done)"
        if working and submission.progress
        else message,
        "final": not working,
    }


def _counted(n: int, singular: str, plural: str) -> str:
    return f"{n:,} {singular if n == 1 else plural}"


def _status_message(submission: Submission) -> str:
    if submission.is_working:
        return submission.progress_message or "Waiting for the files to be checked"
    errors = _counted(submission.error_count, "error", "errors")
    queries = _counted(submission.query_count, "query", "queries")
    return {
        Status.READY: f"Checking finished with no errors and {queries}. "
        "You can accept this submission.",
        Status.HAS_ERRORS: f"Checking finished with {errors} and {queries}. "
        "Fix the errors and upload the extract again.",
        Status.ACCEPTED: "This submission has been accepted.",
        Status.SUPERSEDED: "A newer accepted submission has replaced this one.",
        Status.FAILED: submission.failure_reason or "The files could not be checked.",
    }[Status(submission.status)]


def _enqueue(task: Any, submission: Submission) -> None:
    """Queue ``task`` for ``submission`` once the row is committed. ``robust``: if the broker
    is unreachable the page still answers, and the reconciler re-queues the submission."""
    submission_id = str(submission.id)
    transaction.on_commit(lambda: task.delay(submission_id), robust=True)


# --- History and upload ---------------------------------------------------------------------


@require_GET
@requires(Action.VIEW_REPORT)
def history(request: HttpRequest) -> HttpResponse:
    """Submissions of every LA whose reports the user may read, newest first."""
    local_authorities = local_authorities_for(request.user, Action.VIEW_REPORT).order_by("name")
    submissions = (
        Submission.objects.restrict(request.user, Action.VIEW_REPORT)
        .select_related("local_authority", "created_by")
        .annotate(file_count=Count("files"))
        .order_by("-created_at")  # Meta.ordering does not apply to a GROUP BY query
    )
    filters = HistoryFilterForm(request.GET, local_authorities=local_authorities)
    if filters.is_valid() and filters.cleaned_data["la"]:
        submissions = submissions.filter(local_authority=filters.cleaned_data["la"])
    context = _paginate(submissions, request.GET.get("page"), HISTORY_PAGE_SIZE)
    context.update(
        rows=[(s, _status(s)) for s in context["page_obj"]],
        filters=filters if local_authorities.count() > 1 else None,
        can_upload=can(request.user, Action.UPLOAD),
        # LAs whose figures still come from an older submission (or none) say so.
        figures_waiting=services.figures_waiting(local_authorities),
        # LAs that send through the API: their feed page takes snapshots.
        api_fed=local_authorities.filter(
            Q(api_feed__isnull=False) | Q(api_child_records__isnull=False)
        ).distinct(),
    )
    return render(request, "submissions/history.html", context)


@require_http_methods(["GET", "POST"])
@requires(Action.UPLOAD)
def upload(request: HttpRequest) -> HttpResponse:
    """Choose the LA and files and give the extract date; then go to the status page."""
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            submission = services.create_submission(
                local_authority=data["local_authority"],
                user=_acting_user(request),
                as_of=data["as_of"],
                coverage_start=data["coverage_start"],
                uploads=data["uploads"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("uploads", error)
        else:
            _enqueue(process_submission, submission)
            return redirect("submissions:detail", submission_id=submission.id)
    return render(request, "submissions/upload.html", {"form": form})


# --- Status ---------------------------------------------------------------------------------


@require_GET
@requires(Action.VIEW_REPORT, per_object=True)
def detail(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    """The status page: where checking has got to, the files, the outcome and what to do."""
    submission = _submission(request, submission_id, Action.VIEW_REPORT)
    la = submission.local_authority
    can_accept = services.cannot_accept(submission) is None and can(request.user, Action.DECIDE, la)
    context = {
        "submission": submission,
        "status": _status(submission),
        "files": submission.files.all(),
        "formats": submission.format_labels,
        "supersedes": submission.supersedes.all(),
        "can_download": can(request.user, Action.UPLOAD, la),
        "can_accept": can_accept,
        # The page says which accepted extract this one would replace.
        "current_accepted": can_accept and _current_accepted(submission),
        # Which submission the LA's figures come from, once this one has been accepted.
        "figures": submission.accepted_at and services.figures_source(la),
        "adds_to_snapshots": _adds_to_snapshots(submission),
    }
    return render(request, "submissions/detail.html", context)


def _current_accepted(submission: Submission) -> Submission | None:
    """The LA's accepted submission, which accepting ``submission`` would supersede."""
    return (
        Submission.objects.filter(local_authority_id=submission.local_authority_id)
        .filter(status=Status.ACCEPTED)
        .exclude(pk=submission.pk)
        .select_related("created_by", "accepted_by")
        .first()
    )


def _adds_to_snapshots(submission: Submission) -> bool:
    """Whether this upload's tables go into an API-fed LA's snapshots anyway
    (``submissions.api.snapshot``): then accepting it on its own is rarely what they want."""
    return (
        submission.source == Submission.Source.UPLOAD
        and bool(submission.formats)
        and set(submission.formats) <= snapshot.SUPPLEMENT_FORMATS
        and ApiFeed.objects.filter(local_authority_id=submission.local_authority_id).exists()
    )


@require_GET
@requires(Action.VIEW_REPORT, per_object=True)
def status_json(request: HttpRequest, submission_id: UUID) -> JsonResponse:
    """The status for the page's script to poll. It reads the submission row (which the
    worker keeps up to date), never the Celery result backend."""
    submission = _submission(request, submission_id, Action.VIEW_REPORT)
    return JsonResponse(_status(submission))


@require_http_methods(["GET", "POST"])
@requires(Action.DECIDE, per_object=True)
def accept(request: HttpRequest, submission_id: UUID) -> HttpResponseBase:
    """Ask for confirmation (GET), then accept a checked submission with no errors (POST);
    its indicators are then computed.

    Accepting replaces the LA's figures on every dashboard in one step, so the GET page says
    first what it replaces (or that it is the LA's first accepted extract) and how many
    queries reviewers will see unexplained."""
    submission = _submission(request, submission_id, Action.DECIDE)
    if request.method != "POST":
        if reason := services.cannot_accept(submission):
            messages.error(request, reason)
            return redirect("submissions:detail", submission_id=submission.id)
        context = {
            "submission": submission,
            "formats": submission.format_labels,
            "current_accepted": _current_accepted(submission),
            "quality": services.quality_summary(submission),
            "adds_to_snapshots": _adds_to_snapshots(submission),
        }
        return render(request, "submissions/accept.html", context)
    try:
        services.accept(submission, _acting_user(request), request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _enqueue(compute_indicators, submission)
        messages.success(request, "You have accepted this submission")
    return redirect("submissions:detail", submission_id=submission.id)


# --- Report ---------------------------------------------------------------------------------


@dataclass
class Rule:
    """One rule's line in the report: its counts and explanation and, on a page of findings,
    the findings of it that the page shows."""

    code: str
    severity: str
    message: str
    count: int
    #: How many different messages the rule's findings have: with one, the rule's message
    #: says it all and the findings table leaves the column out.
    messages: int
    #: The one file all its findings are in, if they are: then the findings table leaves the
    #: column out (a long file name on every row made each row several lines high).
    file: str = ""
    explanation: QueryExplanation | None = None
    explain_form: ExplainQueryForm | None = None
    #: How many of its findings match the report's filters.
    matching: int = 0
    findings: Sequence[ValidationFinding] = ()
    #: Where the page's findings of the rule sit among its matching ones ("101 to 200 of").
    first: int = 0
    last: int = 0

    @property
    def is_query(self) -> bool:
        return self.severity == ValidationFinding.Severity.QUERY


#: The order of the rules table and of the findings pages: errors first ("error" sorts before
#: "query"), then by rule. The two must agree for ``_page_groups`` to number the findings.
RULE_ORDER = ("severity", "code")


def _rules(submission: Submission) -> list[Rule]:
    """Every rule with findings in the submission, errors first, each with its total."""
    counts = (
        submission.findings.values("code", "severity")
        .annotate(
            count=Count("id"),
            example=Min("message"),
            messages=Count("message", distinct=True),
            files=Count("file", distinct=True),
            one_file=Min("file"),
        )
        .order_by(*RULE_ORDER)
    )
    explanations = {e.code: e for e in submission.explanations.select_related("explained_by")}
    return [
        Rule(
            code=row["code"],
            severity=row["severity"],
            message=row["example"],
            count=row["count"],
            messages=row["messages"],
            file=row["one_file"] if row["files"] == 1 else "",
            explanation=explanations.get(row["code"]),
        )
        for row in counts
    ]


def _filter_form(params: QueryDict, submission: Submission, rules: list[Rule]) -> FindingFilterForm:
    files = (
        submission.findings.exclude(file="").values_list("file", flat=True).distinct()
    ).order_by("file")
    return FindingFilterForm(params, codes=[r.code for r in rules], files=list(files))


def _explain_form(rule: Rule, invalid: ExplainQueryForm | None) -> ExplainQueryForm:
    """The rule's explain form: the one that just failed, if it is this rule's, or a fresh
    one holding the current note."""
    if invalid is not None and invalid.code == rule.code:
        return invalid
    note = rule.explanation.note if rule.explanation else ""
    return ExplainQueryForm(code=rule.code, initial={"note": note})


def _page_groups(rules: list[Rule], page: Page[ValidationFinding]) -> list[Rule]:
    """The rules with findings on ``page``, each holding them and numbering them among the
    rule's matching findings. The pages run through the rules in ``RULE_ORDER``, so a rule's
    findings start after the matching findings of every rule before it."""
    on_page: dict[str, list[ValidationFinding]] = {}
    for finding in page:
        on_page.setdefault(finding.code, []).append(finding)
    groups, before = [], 0
    for rule in rules:
        if rule.code in on_page:
            rule.findings = on_page[rule.code]
            rule.first = max(page.start_index(), before + 1) - before
            rule.last = rule.first + len(rule.findings) - 1
            groups.append(rule)
        before += rule.matching
    return groups


def _render_report(
    request: HttpRequest, submission: Submission, invalid: ExplainQueryForm | None = None
) -> HttpResponse:
    """The report page: heading and counts, a short error summary, the filters, the rules
    table and one page of findings, so it stays short however many findings there are (the
    downloads have them all). ``invalid`` is an explain form that failed: the page then shows
    that rule's findings, where the form is, with its errors."""
    params: QueryDict = request.GET
    if invalid is not None:
        params = QueryDict(urlencode({"rule": invalid.code}))
    rules = _rules(submission)
    filters = _filter_form(params, submission, rules)
    matching = filters.filter(submission.findings.all())
    totals = dict(matching.values_list("code").annotate(n=Count("id")).order_by())
    may_explain = submission.status in (Status.READY, Status.HAS_ERRORS) and can(
        request.user, Action.DECIDE, submission.local_authority
    )
    for rule in rules:
        rule.matching = totals.get(rule.code, 0)
        if may_explain and rule.is_query:
            rule.explain_form = _explain_form(rule, invalid)
    matched = [rule for rule in rules if rule.matching]
    export_params = params.copy()
    export_params.pop("page", None)
    errors = [rule for rule in rules if not rule.is_query]
    context: dict[str, Any] = {
        "submission": submission,
        "status": _status(submission),
        "rules": rules,
        "matched_rules": matched,
        "error_total": sum(rule.count for rule in errors),
        "error_rules": len(errors),
        "query_total": sum(rule.count for rule in rules if rule.is_query),
        "query_rules": len(rules) - len(errors),
        "children": submission.findings.exclude(child_id="").values("child_id").distinct().count(),
        "filters": filters,
        "filtered": any(filters.cleaned_data.values()),
        "params": params,
        "form": invalid,  # base.html shows the error summary of a form in error
        "export_query": export_params.urlencode(),
    }
    context.update(
        _paginate(matching.order_by(*RULE_ORDER, "id"), params.get("page"), FINDINGS_PAGE_SIZE)
    )
    context["groups"] = _page_groups(matched, context["page_obj"])
    return render(request, "submissions/report.html", context)


@require_GET
@requires(Action.VIEW_REPORT, per_object=True)
def report(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    """The validation report: counts, the rules, filters, a page of findings, downloads."""
    submission = _submission(request, submission_id, Action.VIEW_REPORT)
    return _render_report(request, submission)


@require_http_methods(["GET", "POST"])
@requires(Action.DECIDE, per_object=True)
def explain(request: HttpRequest, submission_id: UUID, code: str) -> HttpResponseBase:
    """Save a note explaining one query rule's findings (POST)."""
    submission = _submission(request, submission_id, Action.DECIDE)
    # GET is routed here only so that an outsider gets the same 404 as on every other URL.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ExplainQueryForm(request.POST, code=code)
    if form.is_valid():
        try:
            services.explain_query(
                submission, code, form.cleaned_data["note"], _acting_user(request), request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Your note on rule {code} has been saved")
            # The rule's findings, where the note is shown.
            query = urlencode({"rule": code})
            return redirect(
                reverse("submissions:report", args=[submission.id]) + f"?{query}#rule-{code}"
            )
    return _render_report(request, submission, invalid=form)


# --- Downloads ------------------------------------------------------------------------------


def _report_export(
    request: HttpRequest, submission_id: UUID, fmt: str
) -> tuple[Submission, QuerySet[ValidationFinding], str]:
    """The submission, its findings filtered as on the page, and a safe file name; audited."""
    submission = _submission(request, submission_id, Action.VIEW_REPORT)
    filters = _filter_form(request.GET, submission, _rules(submission))
    findings = filters.filter(submission.findings.all())
    la = submission.local_authority
    record(
        AuditAction.EXPORT,
        request=request,
        organisation=la.code,
        obj=submission,
        format=fmt,
        filters=filters.audit_details,
    )
    # Generated from our own values only: never the user's file name.
    return submission, findings, f"validation-report-{la.code}-{submission.as_of:%Y-%m-%d}.{fmt}"


def _attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@requires(Action.VIEW_REPORT, per_object=True)
def report_csv(request: HttpRequest, submission_id: UUID) -> HttpResponseBase:
    """Every finding (as filtered on the page) as CSV, streamed row by row."""
    _, findings, filename = _report_export(request, submission_id, "csv")
    return csv_download(filename, exports.csv_lines(findings.iterator(chunk_size=2000)))


@require_GET
@requires(Action.VIEW_REPORT, per_object=True)
def report_xlsx(request: HttpRequest, submission_id: UUID) -> HttpResponseBase:
    """Every finding (as filtered on the page) as an XLSX workbook.

    XLSX is a zip, so it cannot be streamed as it is written; it is built in a temporary file
    (not memory) and sent from there.
    """
    submission, findings, filename = _report_export(request, submission_id, "xlsx")
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    exports.write_xlsx(
        findings.iterator(chunk_size=2000), out, title=f"{submission.local_authority.code} findings"
    )
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
@requires(Action.UPLOAD, per_object=True)
def raw_file(request: HttpRequest, submission_id: UUID, file_id: UUID) -> HttpResponseBase:
    """One uploaded file as the LA sent it, decrypted as it streams. Raw files can hold child
    data, so only users who may upload for the LA may download them, and each download is
    audited. After the retention period the file is gone: 410 with a page saying so."""
    file = get_for_user_or_404(
        SubmissionFile.objects.select_related("submission__local_authority"),
        request.user,
        Action.UPLOAD,
        pk=file_id,
        submission_id=submission_id,
    )
    submission = file.submission
    chunks = storage.open_decrypted(file)
    gone = submission.raw_files_deleted_at is not None
    if not gone:
        try:
            # Decrypt the first chunk now: a deleted or missing blob must become the 410 page,
            # not a download that breaks after its headers have been sent.
            first = next(chunks)
        except storage.FileGone:
            gone = True
        except storage.TamperedFile:
            # The stored blob fails authentication: never serve it. Logged for investigation
            # (ids only); the user sees that the file cannot be downloaded.
            logger.error("Raw file %s of submission %s failed decryption", file.pk, submission.pk)
            gone = True
    if gone:
        return render(
            request,
            "submissions/file_deleted.html",
            {"submission": submission, "file": file},
            status=410,
        )
    la = submission.local_authority
    record(AuditAction.EXPORT, request=request, organisation=la.code, obj=file, format="raw")
    extension = PurePath(file.display_name).suffix.lower()
    # The name is built from our own values; the extension only if it is one we accept.
    filename = f"{la.code}-extract-{submission.as_of:%Y-%m-%d}-{file.id.hex[:8]}" + (
        extension if extension in ALLOWED_EXTENSIONS else ""
    )
    response = StreamingHttpResponse(
        itertools.chain([first], chunks), content_type="application/octet-stream"
    )
    return _attachment(response, filename)
