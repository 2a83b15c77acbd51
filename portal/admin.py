"""Django admin: read-only views, so staff can look things up.

Reference geography is owned by ``load_reference_data`` (an edit here would silently disagree
with the shipped files and be overwritten at the next load); users and the audit trail are
owned by the access pages, which audit every change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.models import AuditEvent, LocalAuthority, Population, Region, StatisticalNeighbour, User


class ReadOnlyAdmin(admin.ModelAdmin):
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
