"""Authentication backends that load, with the signed-in user, whether they have an
authenticator app, in the same query.

Every signed-in request needs both: Django's ``AuthenticationMiddleware`` loads the user, and
``portal.middleware.RequireMFAMiddleware`` ends a session whose user has no authenticator app.
Asked separately, that is two database round trips on every page; here it is one.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef

#: The attribute ``get_user`` sets on the user it loads (read by ``has_authenticator_app``).
FLAG = "has_authenticator_app"


class _LoadsAuthenticatorFlag:
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        apps = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        user = model._default_manager.annotate(**{FLAG: Exists(apps)}).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):  # type: ignore[attr-defined]
            return None
        return user


class PortalModelBackend(_LoadsAuthenticatorFlag, ModelBackend):
    """Django's ``ModelBackend``, loading the authenticator flag with the user."""


class AllauthBackend(_LoadsAuthenticatorFlag, AuthenticationBackend):
    """allauth's backend, loading the authenticator flag with the user."""


def has_authenticator_app(user: Any) -> bool:
    """Whether ``user`` (signed in) has an authenticator app: read from the flag loaded with
    the user when there is one, else asked of the database (a user object not loaded by
    these backends, e.g. just after ``authenticate``)."""
    flag = getattr(user, FLAG, None)
    if flag is not None:
        return bool(flag)
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
