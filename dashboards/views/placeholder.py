"""PLACEHOLDER, branch i12-notes only: a bare indicator page so that ``reverse(
"restricted_dashboards:indicator", ...)`` resolves and the notes include can be looked at.

The lead engineer's real indicator page (``dashboards/views/restricted.py``) replaces it at
integration: delete this module and its line in ``dashboards/urls/restricted.py``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from indicators import notes
from indicators.registry import REGISTRY
from portal.access import Action, OutOfScope, can, requires
from portal.models import LocalAuthority


@requires(Action.VIEW_DASHBOARD, per_object=True)
def indicator(request: HttpRequest, la_code: str, indicator_id: str) -> HttpResponse:
    la = LocalAuthority.objects.filter(code=la_code).first()
    if la is None or not can(request.user, Action.VIEW_DASHBOARD, la):
        raise OutOfScope(la.code if la else "")
    if indicator_id not in REGISTRY:
        raise OutOfScope(la.code)
    return render(
        request,
        "restricted_dashboards/placeholder_indicator.html",
        {
            "la": la,
            "indicator": REGISTRY[indicator_id],
            "notes": notes.notes_for(request.user, la, indicator_id),
            "can_write": can(request.user, Action.WRITE_NOTE, la),
            "period": request.GET.get("period", ""),
        },
    )
