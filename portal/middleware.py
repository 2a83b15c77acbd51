"""Request-wide security behaviour: request ids, mandatory MFA, session lifetime and activity,
no caching of signed-in pages."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from portal.audit import AuditAction, record
from portal.auth_backends import has_authenticator_app

Handler = Callable[[HttpRequest], HttpResponse]

SESSION_STARTED_KEY = "portal_session_started"
#: When the idle clock last restarted (the session was last saved), as a Unix time.
SESSION_ACTIVITY_KEY = "portal_session_active"
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


class RequestIdMiddleware:
    """Give every request an id (kept from a trusted proxy's X-Request-ID if it is sane), for
    logs and audit events, and echo it in the response."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        if not _REQUEST_ID.fullmatch(incoming):
            incoming = uuid.uuid4().hex
        request.request_id = incoming  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class SessionLifetimeMiddleware:
    """Absolute session lifetime (ASVS 7.3.2): sign out ``SESSION_ABSOLUTE_SECONDS`` after
    sign-in however active the user is. The idle limit is Django's sliding SESSION_COOKIE_AGE."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, time.time())
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                user = request.user
                logout(request)
                record(AuditAction.SESSION_EXPIRED, request=request, actor=user, reason="absolute")
                return redirect(f"{reverse('account_login')}?expired=1")
        return self.get_response(request)


def activity_interval() -> float:
    """How stale the idle clock may get before a request restarts it: a minute, or a tenth of
    the idle limit when that is shorter (tests shorten the limit to seconds)."""
    return min(float(settings.SESSION_ACTIVITY_SECONDS), settings.SESSION_COOKIE_AGE / 10)


def idle_remaining(request: HttpRequest) -> float:
    """Seconds until this session's idle limit, as the server will enforce it."""
    active = float(request.session.get(SESSION_ACTIVITY_KEY, time.time()))
    return settings.SESSION_COOKIE_AGE - (time.time() - active)


def restart_idle_clock(request: HttpRequest) -> None:
    """Save the session at the end of this request (its expiry becomes now + the idle limit)."""
    request.session[SESSION_ACTIVITY_KEY] = time.time()


class SessionActivityMiddleware:
    """The sliding idle limit and allauth's "last seen" for a signed-in session, written at most
    once a minute instead of on every request.

    Saving the session on every request (``SESSION_SAVE_EVERY_REQUEST``) and allauth's
    ``UserSessionsMiddleware`` (``USERSESSIONS_TRACK_ACTIVITY``) cost three committed writes per
    page; for someone reading dashboards that was most of the time a page took under load. Here
    the clock restarts when it is over ``activity_interval()`` old, so the idle limit holds to
    within a minute (the session timeout warning counts down from ``idle_remaining``, so the
    browser still warns before the server signs out), and the session list's "last seen" is
    as fresh as that.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.session_key:
            last = float(request.session.get(SESSION_ACTIVITY_KEY, 0))
            if time.time() - last >= activity_interval():
                restart_idle_clock(request)
                UserSession.objects.create_from_request(request)
        return self.get_response(request)


class RequireMFAMiddleware:
    """No signed-in session without an authenticator app. Sign-in itself never creates one
    (``portal.adapters``: the app is set up before ``login()``), so a session like this
    is older than that rule, or its authenticator was removed since: it is ended, and signing
    in again proves the email address and sets up a new app. Offering set-up here instead
    would let whoever knew the password enrol their own authenticator. allauth's MFA module
    has no enforcement hook, so this is ours."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(settings.STATIC_URL)
            and not has_authenticator_app(user)
        ):
            logout(request)
            record(
                AuditAction.SESSION_EXPIRED, request=request, actor=user, reason="no_authenticator"
            )
            return redirect(f"{reverse('account_login')}?set_up=1")
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user may hold restricted data: never let a browser or proxy
    keep them (ASVS 14.3.2)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, private"
        return response
