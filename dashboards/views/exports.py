"""Downloads of the restricted dashboards: an LA's dashboard, one indicator of an LA, and the
portfolio, each as CSV (Explore Education Statistics tidy format) or XLSX (a cover sheet, then
one sheet per table). What a file holds is built by ``dashboards.exports`` from
``indicators.queries``, so it is scoped to the viewer and disclosure-controlled for DfE roles
exactly as the pages are.

Every view declares ``Action.VIEW_DASHBOARD``: a page of one LA is ``per_object`` and answers
404 (``OutOfScope``) for an LA outside the viewer's scope, as for one that does not exist.
Every download is audited (``AuditAction.EXPORT``: what was exported and in which format, no
figures and nothing about a child). Unknown formats, indicators, regions and periods are 404s.
"""

from __future__ import annotations

import tempfile
from datetime import date

from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from dashboards import exports
from dashboards.views.restricted import KEY_INDICATORS, dashboard_la
from indicators.registry import REGISTRY
from portal.access import Action, requires
from portal.audit import AuditAction, record
from portal.models import Region
from portal.spreadsheets import csv_download

__all__ = ["FORMATS", "indicator_export", "la_export", "portfolio_export"]

FORMATS = frozenset({"csv", "xlsx"})


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _indicator(indicator_id: str) -> str:
    if indicator_id not in REGISTRY:
        raise Http404
    return indicator_id


def _period(value: str) -> date | None:
    """``?period=YYYY-MM-DD`` (None when absent); 404 for anything else (and, from
    ``exports.indicator_export``, for a date that is not one of the series' period ends)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


def _send(export: exports.Export, fmt: str) -> HttpResponseBase:
    filename = f"{export.filename}.{fmt}"
    if fmt == "csv":
        return csv_download(filename, exports.csv_lines(export))
    # XLSX is a zip: built in a temporary file (not memory), then sent from there.
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    exports.write_xlsx(export, out)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=filename, content_type=exports.XLSX_CONTENT_TYPE
    )


@require_GET
@requires(Action.VIEW_DASHBOARD, per_object=True)
def la_export(request: HttpRequest, la_code: str, fmt: str) -> HttpResponseBase:
    """The LA dashboard: every indicator's series, and its breakdowns for the latest period."""
    la = dashboard_la(request, la_code)
    fmt = _format(fmt)
    export = exports.la_export(request.user, la)
    record(AuditAction.EXPORT, request=request, organisation=la.code, kind="la", format=fmt)
    return _send(export, fmt)


@require_GET
@requires(Action.VIEW_DASHBOARD, per_object=True)
def indicator_export(
    request: HttpRequest, la_code: str, indicator_id: str, fmt: str
) -> HttpResponseBase:
    """One indicator of an LA: its series, and its breakdowns for ``?period=`` (the period
    end; default the latest)."""
    la = dashboard_la(request, la_code)
    fmt = _format(fmt)
    indicator_id = _indicator(indicator_id)
    period = _period(request.GET.get("period", ""))
    try:
        export = exports.indicator_export(request.user, la, indicator_id, period)
    except exports.UnknownPeriod:
        raise Http404("No such period.") from None
    record(
        AuditAction.EXPORT,
        request=request,
        organisation=la.code,
        kind="indicator",
        format=fmt,
        indicator=indicator_id,
        period=period.isoformat() if period else "",
    )
    return _send(export, fmt)


@require_GET
@requires(Action.VIEW_DASHBOARD)
def portfolio_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The portfolio of the LAs in the viewer's scope, as the page shows it: the key
    indicators (``?indicator=``, repeatable, for others), of ``?region=`` only when given (an
    ``E12`` region or ``E13`` London sub-region code)."""
    fmt = _format(fmt)
    indicator_ids = [_indicator(i) for i in request.GET.getlist("indicator") if i]
    indicator_ids = list(dict.fromkeys(indicator_ids)) or list(KEY_INDICATORS)
    region_code = request.GET.get("region", "")
    region = Region.objects.filter(code=region_code).first() if region_code else None
    if region_code and region is None:
        raise Http404
    export = exports.portfolio_export(request.user, indicator_ids, region)
    record(
        AuditAction.EXPORT,
        request=request,
        kind="portfolio",
        format=fmt,
        indicators=indicator_ids,
        region=region.code if region else "",
    )
    return _send(export, fmt)
