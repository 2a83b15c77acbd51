"""Public pages of the service: home, accessibility statement, privacy notice, cookies, health."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.health import run_checks


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


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
