"""django-allauth adapter: accounts are created by invitation only, never by self sign-up."""

from __future__ import annotations

import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from portal.middleware import SESSION_STARTED_KEY

#: How long after signing in a user may set up their first authenticator without being asked
#: for their password again.
FIRST_AUTHENTICATOR_GRACE_SECONDS = 10 * 60


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Skip the "confirm it's you" step for setting up a *first* authenticator just after
        signing in: the password was typed moments ago, and until an authenticator exists the
        user can do nothing else (RequireMFAMiddleware). Every later change to authenticators
        still asks for the password again."""
        request = self.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY, 0)
            recent = time.time() - started < FIRST_AUTHENTICATOR_GRACE_SECONDS
            if recent and not Authenticator.objects.filter(user=request.user).exists():
                return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))
