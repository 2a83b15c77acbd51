"""Public pages of the service: home, accessibility statement, privacy notice, cookies, health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.access import Action, can, local_authorities_for
from portal.health import run_checks
from portal.models import Role


def _what_you_can_do(request: HttpRequest) -> dict[str, Any]:
    """The signed-in home: what this person's roles let them do, and nothing else.

    An LA user gets their LA's dashboard and submissions; a Case Lead their assigned LAs; a
    RISL their region; a national analyst every LA; an access admin access administration.
    Someone with several roles sees each part."""
    user = request.user
    own = list(local_authorities_for(user, Action.VIEW_CHILD_LEVEL).order_by("name"))
    memberships = list(user.memberships.select_related("local_authority", "region"))  # type: ignore[union-attr]
    roles = {Role(m.role) for m in memberships}
    return {
        "own_las": [
            {
                "la": la,
                "can_upload": can(user, Action.UPLOAD, la),
                "can_report": can(user, Action.VIEW_REPORT, la),
            }
            for la in own
        ],
        "case_lead_las": sorted(
            (m.local_authority for m in memberships if m.role == Role.DFE_CASE_LEAD),
            key=lambda la: la.name,
        ),
        "risl_regions": sorted(
            (m.region for m in memberships if m.role == Role.RISL), key=lambda r: r.name
        ),
        "national": Role.NATIONAL_ANALYST in roles,
        "dfe_count": local_authorities_for(user, Action.VIEW_DASHBOARD)
        .filter(valid_to__isnull=True)
        .exclude(pk__in=[la.pk for la in own])
        .count(),
        "manages_access": can(user, Action.MANAGE_ACCESS),
        "reads_audit": can(user, Action.VIEW_AUDIT),
        "has_role": bool(memberships),
    }


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The start page; for someone signed in, what they can do."""
    context = _what_you_can_do(request) if request.user.is_authenticated else {}
    return render(request, "portal/home.html", context)


def _static_page(template: str) -> Callable[[HttpRequest], HttpResponse]:
    @login_not_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, template)

    return view


accessibility = _static_page("portal/pages/accessibility.html")
privacy = _static_page("portal/pages/privacy.html")
cookies = _static_page("portal/pages/cookies.html")


@login_not_required
@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    healthy = all(r.ok for r in results)
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable"}
    if request.user.is_authenticated and request.user.is_staff:
        body["checks"] = {
            r.name: {"ok": r.ok, "detail": r.detail, "ms": round(r.milliseconds, 1)}
            for r in results
        }
    return JsonResponse(body, status=200 if healthy else 503)
