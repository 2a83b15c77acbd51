"""Django admin: read-only views, so staff can look things up.

Reference geography is owned by ``load_reference_data`` (an edit here would silently disagree
with the shipped files and be overwritten at the next load); users and the audit trail are
owned by the access pages, which audit every change.

allauth registers editable admins for email addresses, authenticators and user sessions.
With them a superuser could change someone's email address and reset their password, or
delete their authenticator and enrol their own, and take over the account with nothing
audited. They are replaced by read-only ones that never show a secret (an authenticator's
seed, a session key). The admin's own password-change page sends people to allauth's, which
asks for the current password and is audited.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from portal.models import AuditEvent, LocalAuthority, Population, Region, StatisticalNeighbour, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch, whoever you are: these return False for superusers too (Django
    grants superusers every permission only through these methods' defaults). No actions
    either, so nothing like allauth's "mark as verified" runs from a list."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "ons_code", "region", "sub_region", "valid_from", "valid_to"]
    list_filter = ["region", "sub_region", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["code", "ons_code", "name"]
    list_select_related = ["region", "sub_region"]


@admin.register(StatisticalNeighbour)
class StatisticalNeighbourAdmin(ReadOnlyAdmin):
    list_display = ["la", "rank", "neighbour", "closeness", "model_year"]
    list_filter = ["model_year", "closeness"]
    search_fields = ["la__code", "la__name", "neighbour__code", "neighbour__name"]
    list_select_related = ["la", "neighbour"]


@admin.register(Population)
class PopulationAdmin(ReadOnlyAdmin):
    list_display = ["geography_level", "la", "region", "year", "population_0_17"]
    list_filter = ["geography_level", "year"]
    search_fields = ["la__code", "la__name", "region__name"]
    list_select_related = ["la", "region"]


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """Users are managed on the access pages (which audit every change); the Django admin only
    shows them, so there is no second, unaudited way to grant access."""

    list_display = ["email", "full_name", "is_active", "last_login", "deactivated_at"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff"]
    exclude = ["password"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor_email", "action", "outcome", "organisation", "object_id"]
    list_filter = ["action", "outcome"]
    search_fields = ["actor_email", "organisation", "object_id", "request_id"]


# --- allauth's models ----------------------------------------------------------------------

# portal's admin module is discovered before allauth's (portal comes first in INSTALLED_APPS),
# so allauth's are imported here, once, to be replaced rather than to replace ours later.
import allauth.account.admin  # noqa: E402
import allauth.mfa.admin  # noqa: E402
import allauth.usersessions.admin  # noqa: E402, F401

for _model in (EmailAddress, EmailConfirmation, Authenticator, UserSession):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdmin):
    list_display = ["email", "user", "primary", "verified"]
    list_filter = ["primary", "verified"]
    search_fields = ["email", "user__email"]
    list_select_related = ["user"]


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    """Which authenticators a user has. ``data`` holds the TOTP seed and the recovery-code
    seed: whoever reads it can make the user's codes, so it is never shown."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "type", "created_at", "last_used_at"]


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    """Who is signed in from where. The session key would let a reader use the session."""

    list_display = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    search_fields = ["user__email", "ip"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "last_seen_at", "ip", "user_agent"]


def _password_change(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's password change, which records nothing: use allauth's page instead."""
    return HttpResponseRedirect(reverse("account_change_password"))


# Read when the admin's URLs are built, which is after this module is imported.
admin.site.password_change = _password_change  # type: ignore[method-assign,assignment]
