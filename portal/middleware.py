"""Request-wide security behaviour: request ids, mandatory MFA, session lifetime, no caching
of signed-in pages."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from portal.audit import AuditAction, record

Handler = Callable[[HttpRequest], HttpResponse]

SESSION_STARTED_KEY = "portal_session_started"
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
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
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
