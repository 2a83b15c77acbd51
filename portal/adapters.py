"""django-allauth adapter and login stage: accounts are created by invitation only, never by
self sign-up, and nobody gets a signed-in session without an authenticator app.

An account without an authenticator (invitation just accepted, set-up abandoned, or the
authenticator removed) would otherwise be signed in by its password alone and could then
enrol any authenticator: whoever learnt the password would own the account. So allauth's
own sign-in stages do the work, in order, before ``login()`` is ever called:

1. allauth's login-by-code stage emails a one-time code to the account's address, required
   here for every account without an authenticator (unless this sign-in started from the
   invitation link, which came by email and so proves the same);
2. ``SetUpAuthenticatorStage`` then has the person set up their authenticator app, on
   ``portal.session_views.set_up_authenticator``.

Only when both are done does allauth sign them in. ``RequireMFAMiddleware`` ends any other
session that has no authenticator.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import Login
from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.models import Authenticator
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse

from portal.audit import AuditAction, record

#: Set in a pending login's state when the invitation link started it: the link was emailed
#: to the account's address, so following it proves control of that address.
EMAIL_PROVED_BY_INVITATION = "portal_email_proved_by_invitation"


def has_authenticator(user: Any) -> bool:
    """Whether ``user`` has an authenticator app (recovery codes alone do not count)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def email_proved_in_this_sign_in(request: HttpRequest, login: Login) -> bool:
    """The invitation link, or an emailed code entered during this sign-in."""
    if login.state.get(EMAIL_PROVED_BY_INVITATION):
        return True
    records = get_authentication_records(request, login.user)
    return any(r.get("method") == "code" for r in records)


class SetUpAuthenticatorStage(LoginStage):
    """The last sign-in stage for an account without an authenticator app: set one up, then
    be signed in. Refuses (back to the sign-in page) a sign-in that has not proved control
    of the account's email address, whatever the stages before it did."""

    key = "portal_set_up_authenticator"
    urlname = "session:set_up_authenticator"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        user = self.login.user
        if user is None or has_authenticator(user):
            return None, True
        if not email_proved_in_this_sign_in(self.request, self.login):
            return headed_redirect_response("account_login"), False
        return headed_redirect_response(self.urlname), True


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        return [*super().get_login_stages(), "portal.adapters.SetUpAuthenticatorStage"]

    def is_login_by_code_required(self, login: Login) -> bool:
        """An emailed code is required in a sign-in of an account without an authenticator
        app (see the module docstring). Accounts with one use it instead."""
        if login.state.get(EMAIL_PROVED_BY_INVITATION):
            return False
        if login.user is not None and not has_authenticator(login.user):
            return True
        return bool(super().is_login_by_code_required(login))

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        """A deactivated account's right password gets the same answer as a wrong one.
        allauth would otherwise send it to an "account inactive" page, which tells whoever
        typed it that the password is right. Django has already recorded the failure
        (``user_login_failed``); allauth's failed-sign-in limit counts it too."""
        user = super().authenticate(request, **credentials)
        if user is not None and not user.is_active:
            self.pre_authenticate(request, **credentials)  # count it as a failed attempt
            self.authentication_failed(request, **credentials)
            return None
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        super().send_mail(template_prefix, email, context)
        if template_prefix == "account/email/login_code":
            request = context.get("request") or self.request
            record(AuditAction.SIGN_IN_CODE_SENT, request=request, email=email)
