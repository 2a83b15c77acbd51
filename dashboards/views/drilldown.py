"""The drill-down: the LA's own child records behind one figure, for its own users only.

``members`` (``/dashboards/la/<la_code>/<indicator_id>/children/?period=YYYY-MM-DD``) lists
the records behind the numerator and denominator of one indicator for one rolling 12-month
period: child id, the record and its identifying dates (the dates that put the child in or
out), where it is in the LA's own files, and which side of the figure it counts in.
``members_csv`` downloads the same rows. Both are worked out from the stored canonical extract
by the calculator that computed the figure (``indicators.queries.figure_members``), so the
count on the page is the number on the dashboard.

Child-level data: only people who may see the LA's child-level records (``Action.
VIEW_CHILD_LEVEL``: the LA's data leads and viewers) get these pages. Everyone else, the DfE
roles included, gets 404 (``requires(..., conceal=True)``): the page is neither offered nor
admitted to exist. Each view and download is audited (``DASHBOARD_VIEWED``, ``EXPORT``) with
ids only (indicator, period, page), never a child's. Signed-in responses are ``no-store``
(``portal.middleware.NoStoreForSignedInMiddleware``); nothing here is cached.

No period, or an unknown indicator, LA or period that is not a date, is a 404, except that
the page without ``?period`` shows the LA's latest period of the indicator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from indicators import queries
from indicators.calculators import NOT_REPORTED
from indicators.registry import REGISTRY, STATUS_DESCRIPTIONS, Indicator, Status
from portal.access import Action, OutOfScope, can, requires
from portal.audit import record
from portal.models import AuditAction, LocalAuthority
from portal.spreadsheets import csv_lines, csv_text_download

__all__ = ["CSV_HEADER", "PAGE_SIZE", "RECORD_LABELS", "members", "members_csv"]

#: Rows per page of the table (the CSV has them all).
PAGE_SIZE = 100


@dataclass(frozen=True)
class RecordLabel:
    """What a canonical table's record is called, its two dates, and a blank end."""

    name: str
    start: str
    end: str
    no_end: str


#: Canonical table -> how its records and their dates read on the page and in the CSV.
RECORD_LABELS: dict[str, RecordLabel] = {
    "referral": RecordLabel("Referral", "Referral date", "Closure date", "Not closed"),
    "assessment": RecordLabel("Assessment", "Start date", "Authorisation date", "Not authorised"),
    "cin_plan": RecordLabel("Child in need plan", "Start date", "End date", "Not ended"),
    "s47_enquiry": RecordLabel("Section 47 enquiry", "Start date", "End date", "Not ended"),
    "cp_plan": RecordLabel("Child protection plan", "Start date", "End date", "Not ended"),
    "cla_episode": RecordLabel("Episode of care", "Start date", "End date", "Not ended"),
    "missing_episode": RecordLabel(
        "Missing or away episode", "Start date", "End date", "Not returned"
    ),
}

CSV_HEADER = (
    "Child ID",
    "Record",
    "Record ID",
    "Start date is",
    "Start date",
    "End date is",
    "End date",
    "File",
    "Location",
    "In numerator",
    "In denominator",
)


@dataclass(frozen=True)
class MemberRow:
    """One row of the table and of the CSV."""

    child_id: str
    label: RecordLabel
    record_id: str
    start_date: date | None
    end_date: date | None
    file: str
    location: str
    in_numerator: bool
    in_denominator: bool

    def csv_cells(self) -> list[str]:
        return [
            self.child_id,
            self.label.name,
            self.record_id,
            self.label.start,
            self.start_date.isoformat() if self.start_date else "",
            self.label.end,
            self.end_date.isoformat() if self.end_date else "",
            self.file,
            self.location,
            "Yes" if self.in_numerator else "No",
            "Yes" if self.in_denominator else "No",
        ]


def _text(value: Any) -> str:
    return "" if value is None or value is pd.NA or pd.isna(value) else str(value)


def _day(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _rows(result: queries.FigureMembers) -> list[MemberRow]:
    if result.members is None:
        return []
    return [
        MemberRow(
            child_id=_text(row["child_id"]),
            label=RECORD_LABELS[str(row["table"])],
            record_id=_text(row["record_id"]),
            start_date=_day(row["start_date"]),
            end_date=_day(row["end_date"]),
            file=_text(row["file"]),
            location=_text(row["location"]),
            in_numerator=bool(row["in_numerator"]),
            in_denominator=bool(row["in_denominator"]),
        )
        for row in result.members.rows.to_dict("records")
    ]


@dataclass(frozen=True)
class _Figure:
    la: LocalAuthority
    indicator: Indicator
    period_end: date | None


def _figure(request: HttpRequest, la_code: str, indicator_id: str) -> _Figure:
    """The LA (404 unless the user may see its child-level records), the indicator and the
    period asked for (``?period``; the LA's latest period of the indicator when absent, None
    when it has none)."""
    la = LocalAuthority.objects.filter(code=la_code).first()
    if la is None:
        raise OutOfScope()
    if not can(request.user, Action.VIEW_CHILD_LEVEL, la):
        raise OutOfScope(la.code)
    indicator = REGISTRY.get(indicator_id)
    if indicator is None:
        raise OutOfScope(la.code)
    text = request.GET.get("period")
    if text is None:
        series = queries.series_for_la(request.user, la, indicator_id)
        latest = series[0].points[-1].period_end if series and series[0].points else None
        return _Figure(la, indicator, latest)
    try:
        return _Figure(la, indicator, date.fromisoformat(text))
    except ValueError:
        raise OutOfScope(la.code) from None


def _members(figure: _Figure, request: HttpRequest) -> queries.FigureMembers | None:
    if figure.period_end is None:
        return None
    return queries.figure_members(request.user, figure.la, figure.indicator.id, figure.period_end)


def _audit(request: HttpRequest, action: AuditAction, figure: _Figure, **details: Any) -> None:
    """One event per view or download: which figure, never which children."""
    record(
        action,
        request=request,
        organisation=figure.la.code,
        view="members",
        indicator=figure.indicator.id,
        period_end=figure.period_end.isoformat() if figure.period_end else "",
        **details,
    )


def _dashboard_url(figure: _Figure) -> str:
    """The figure's own page on the LA's dashboard."""
    url = reverse("restricted_dashboards:indicator", args=[figure.la.code, figure.indicator.id])
    if figure.period_end is None:
        return url
    return f"{url}?{urlencode({'period': figure.period_end.isoformat()})}"


def _explanation(result: queries.FigureMembers | None) -> str:
    """Why no records are listed ("" when they are)."""
    if result is None or result.value is None:
        return "There is no figure for this indicator and period."
    if result.extract_gone:
        return (
            "The records behind this figure can no longer be listed: the extract it was "
            "worked out from was deleted at the end of its retention period "
            f"({settings.CANONICAL_RETENTION_DAYS} days after a newer submission replaced "
            "it). The figure itself is kept until the newer submission's figures are ready."
        )
    assert result.members is not None
    status = result.members.status
    if status == NOT_REPORTED:
        return "The extract this figure comes from does not report this period."
    if status != Status.OK:
        return STATUS_DESCRIPTIONS[Status(status)]
    return ""


def _date_headers(rows: Iterable[MemberRow]) -> tuple[str, str]:
    """The table's two date columns: what the rows' dates are ("Referral date", "Closure
    date"), or "Start date" and "End date" should rows of differently named dates mix."""
    labels = {(row.label.start, row.label.end) for row in rows}
    return labels.pop() if len(labels) == 1 else ("Start date", "End date")


def _count(number: int, children: bool) -> str:
    """ "1 child", "2,366 records"."""
    noun = ("child", "children") if children else ("record", "records")
    return f"{number:,} {noun[number != 1]}"


@require_safe
@requires(Action.VIEW_CHILD_LEVEL, per_object=True, conceal=True)
def members(request: HttpRequest, la_code: str, indicator_id: str) -> HttpResponse:
    """The child records behind one figure, as a paginated GOV.UK table."""
    figure = _figure(request, la_code, indicator_id)
    result = _members(figure, request)
    rows = _rows(result) if result is not None else []
    page: Page[MemberRow] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit(request, AuditAction.DASHBOARD_VIEWED, figure, page=page.number)
    members_ = result.members if result is not None else None
    csv_url = None
    if members_ is not None and members_.status == Status.OK and figure.period_end is not None:
        csv_url = reverse(
            "restricted_dashboards:members_csv", args=[figure.la.code, figure.indicator.id]
        )
        csv_url += "?" + urlencode({"period": figure.period_end.isoformat()})
    context = {
        "la": figure.la,
        "indicator": figure.indicator,
        "period_end": figure.period_end,
        "period_start": members_.period_start if members_ is not None else None,
        "result": result,
        "members": members_,
        "explanation": _explanation(result),
        "numerator_text": _count(members_.numerator, members_.numerator_children)
        if members_ is not None
        else "",
        "denominator_text": _count(members_.denominator or 0, members_.denominator_children)
        if members_ is not None
        else "",
        "page_obj": page,
        "date_headers": _date_headers(page.object_list),
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "csv_url": csv_url,
        "dashboard_url": _dashboard_url(figure),
    }
    return render(request, "restricted_dashboards/members.html", context)


@require_safe
@requires(Action.VIEW_CHILD_LEVEL, per_object=True, conceal=True)
def members_csv(request: HttpRequest, la_code: str, indicator_id: str) -> HttpResponseBase:
    """The same rows as ``members``, every one, as CSV (formula-injection safe)."""
    figure = _figure(request, la_code, indicator_id)
    result = _members(figure, request)
    if result is None or result.members is None or figure.period_end is None:
        raise OutOfScope(figure.la.code)
    _audit(request, AuditAction.EXPORT, figure, format="csv")
    rows = (row.csv_cells() for row in _rows(result))
    # Named from our own values only: the LA code, a registry id and a parsed date.
    filename = f"children-{figure.la.code}-{figure.indicator.id}-{figure.period_end}.csv"
    return csv_text_download(filename, "".join(csv_lines(CSV_HEADER, rows)))
