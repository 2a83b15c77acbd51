"""Session timeout (WCAG 2.2.1 Timing adjustable): the numbers the warning dialog needs, the
endpoint behind its "Stay signed in" button and the page people land on when time runs out.

The dialog itself is ``portal/includes/session_timeout.html`` and its timer is
``portal/static/portal/js/session-timeout.js``.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.audit import AuditAction, record
from portal.middleware import SESSION_STARTED_KEY

# How long before sign-out the warning opens. Two minutes is the GOV.UK / HMRC timeout
# pattern's default: long enough to read the dialog and act with a screen reader.
WARNING_SECONDS = 120

# Sec-Fetch-Site values for requests started by another site.
_OTHER_SITES = frozenset({"cross-site", "same-site"})


def describe_duration(seconds: int) -> str:
    """Plain-English duration for page text: "10 hours", "30 minutes", "1 minute 30 seconds".
    session-timeout.js words its countdown the same way."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value} {unit}{'' if value == 1 else 's'}"
        for value, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
        if value
    ]
    return " ".join(parts) or "0 seconds"


def describe_limit(seconds: int) -> str:
    """The limit as a compound adjective, as in "its 10-hour limit"."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    return f"{max(seconds, 0) // 60}-minute"


def timeout_settings(request: HttpRequest) -> dict[str, int | str]:
    """What the warning dialog renders into its data-* attributes and text, for a signed-in
    request. The absolute limit counts from sign-in (set by ``portal.signals``, or by
    ``SessionLifetimeMiddleware`` for older sessions), so it is sent as seconds remaining:
    the browser's clock may differ from ours."""
    started = float(request.session.get(SESSION_STARTED_KEY, time.time()))
    absolute_remaining = settings.SESSION_ABSOLUTE_SECONDS - (time.time() - started)
    return {
        "idle_seconds": settings.SESSION_COOKIE_AGE,
        "warning_seconds": WARNING_SECONDS,
        # Rounded up, so the browser's deadline never falls before ours.
        "absolute_remaining_seconds": max(math.ceil(absolute_remaining), 0),
        "warning_duration": describe_duration(WARNING_SECONDS),
        "absolute_duration": describe_duration(settings.SESSION_ABSOLUTE_SECONDS),
        "absolute_limit": describe_limit(settings.SESSION_ABSOLUTE_SECONDS),
    }


# Anonymous callers must get a status the script can act on, not LoginRequiredMiddleware's
# redirect to the sign-in page.
@login_not_required
@require_POST
def extend(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": restart the idle clock. The absolute limit is not changed: that was
    enforced by ``SessionLifetimeMiddleware`` before this view ran."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not_signed_in"}, status=401)
    # Saving the session moves its expiry to now + SESSION_COOKIE_AGE. SESSION_SAVE_EVERY_REQUEST
    # saves it anyway; marking it modified keeps this endpoint correct without that setting.
    request.session.modified = True
    return HttpResponse(status=204)


@login_not_required
@require_GET
@never_cache
def timed_out(request: HttpRequest) -> HttpResponse:
    """Where the warning's timer sends the browser when time runs out. By then the server has
    usually expired the session already (the browser starts counting after we do); signing
    out here covers clock drift. A session past its absolute limit never reaches this view:
    ``SessionLifetimeMiddleware`` sends it to the sign-in page with the 10-hour message."""
    if request.user.is_authenticated:
        if request.headers.get("Sec-Fetch-Site") in _OTHER_SITES:
            # A GET that signs out would let any other site sign our users out; our own
            # timer always navigates from the same origin.
            return redirect("home")
        user = request.user
        logout(request)
        record(AuditAction.SESSION_EXPIRED, request=request, actor=user, reason="idle")
    return render(
        request,
        "portal/session/timed_out.html",
        {"idle_duration": describe_duration(settings.SESSION_COOKIE_AGE)},
    )
