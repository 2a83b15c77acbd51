"""Starting and ending sessions.

Session timeout (WCAG 2.2.1 Timing adjustable): the numbers the warning dialog needs, the
endpoint behind its "Stay signed in" button and the page people land on when time runs out.
The dialog itself is ``portal/includes/session_timeout.html`` and its timer is
``portal/static/portal/js/session-timeout.js``.

Setting up a first authenticator app, as the last step of signing in
(``portal.adapters.SetUpAuthenticatorStage``), before any session exists.
"""

from __future__ import annotations

import base64
import math
import time

from allauth.account.internal.decorators import login_stage_required
from allauth.mfa import signals as mfa_signals
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import TOTP, clear_totp_secret
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.adapters import SetUpAuthenticatorStage
from portal.audit import AuditAction, record
from portal.middleware import SESSION_STARTED_KEY, idle_remaining, restart_idle_clock

# How long before sign-out the warning opens. Two minutes is the GOV.UK / HMRC timeout
# pattern's default: long enough to read the dialog and act with a screen reader.
WARNING_SECONDS = 120


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
        # Rounded down, so the browser warns before we sign out.
        "idle_remaining_seconds": max(math.floor(idle_remaining(request)), 0),
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
    # Saving the session moves its expiry to now + SESSION_COOKIE_AGE.
    restart_idle_clock(request)
    return HttpResponse(status=204)


@login_not_required
@require_http_methods(["GET", "POST"])
@never_cache
def timed_out(request: HttpRequest) -> HttpResponse:
    """Where the warning's timer sends the browser when time runs out: it POSTs here (with the
    page's CSRF token) and is shown the page. By then the server has usually expired the
    session already (the browser starts counting after we do); signing out on the POST
    covers clock drift. A GET never signs anyone out, so no link or image on another site
    can. A session past its absolute limit never reaches this view:
    ``SessionLifetimeMiddleware`` sends it to the sign-in page with the 10-hour message."""
    if request.method == "POST":
        if request.user.is_authenticated:
            user = request.user
            logout(request)
            record(AuditAction.SESSION_EXPIRED, request=request, actor=user, reason="idle")
        return redirect("session:timed_out")
    if request.user.is_authenticated:
        # Still signed in (another tab kept the session alive): nothing timed out.
        return redirect("home")
    return render(
        request,
        "portal/session/timed_out.html",
        {"idle_duration": describe_duration(settings.SESSION_COOKIE_AGE)},
    )


@login_stage_required(stage=SetUpAuthenticatorStage.key, redirect_urlname="account_login")
@require_http_methods(["GET", "POST"])
def set_up_authenticator(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app during sign-in, for an account that has none. Reached
    only from a pending sign-in that has proved control of the account's email address
    (``login_stage_required`` sends anyone else to the sign-in page). Nobody is signed in
    yet: allauth signs them in once the app's first code is right, and they then see their
    recovery codes (made with the app, as allauth's own set-up page would)."""
    stage = request._login_stage  # type: ignore[attr-defined]
    user = stage.login.user
    form = ActivateTOTPForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            totp = TOTP.activate(user, form.secret).instance
            recovery_codes = RecoveryCodes.activate(user).instance
        clear_totp_secret(request)
        for authenticator in (totp, recovery_codes):
            mfa_signals.authenticator_added.send(
                sender=Authenticator, request=request, user=user, authenticator=authenticator
            )
        # The first code was just checked: that counts as confirming it is them, so the
        # recovery codes can be shown without asking for the password again.
        post_authentication(request, totp, reauthenticated=True)
        stage.login.redirect_url = reverse("mfa_view_recovery_codes")
        response: HttpResponse = stage.exit()
        return response
    adapter = get_mfa_adapter()
    totp_url = adapter.build_totp_url(user, form.secret)
    totp_svg = adapter.build_totp_svg(totp_url)
    context = {
        "form": form,
        "totp_url": totp_url,
        "totp_svg_data_uri": "data:image/svg+xml;base64,"
        + base64.b64encode(totp_svg.encode()).decode(),
        "action_url": reverse("session:set_up_authenticator"),
    }
    return render(request, "mfa/totp/activate_form.html", context)
