"""The dashboards' two URL namespaces keep their access rules as pages are added.

Everything under ``dashboards`` (the published figures) needs no sign-in; everything under
``restricted_dashboards`` (the timely figures) declares a dashboard action (seeing the
dashboard, its child-level drill-down, or writing its context notes), so
``portal.access.requires`` guards it and the permission matrix covers it. A view put in the
wrong namespace, or added without its declaration, fails here.
"""

from __future__ import annotations

from typing import Any

from django.urls import get_resolver

from portal.access import Action
from tests.permissions.test_matrix import walk


def views_in(namespace: str) -> list[tuple[str, str, Any]]:
    """(route, name, view) of every URL in ``namespace``; fails if it is not mounted."""
    resolver = get_resolver()
    assert namespace in resolver.namespace_dict, f"namespace {namespace!r} is not mounted"
    _, included = resolver.namespace_dict[namespace]
    return list(walk(included.url_patterns, namespace=f"{namespace}:"))


def test_namespaces_are_mounted_where_expected() -> None:
    resolver = get_resolver()

    assert resolver.namespace_dict["dashboards"][0] == "published/"
    assert resolver.namespace_dict["restricted_dashboards"][0] == "dashboards/"


def test_every_public_dashboard_view_needs_no_sign_in() -> None:
    found = views_in("dashboards")
    signed_in = [name for _, name, view in found if getattr(view, "login_required", True)]

    assert found, "the public namespace has no views"
    assert signed_in == []


#: The actions a restricted dashboard page may need.
DASHBOARD_ACTIONS = {Action.VIEW_DASHBOARD, Action.VIEW_CHILD_LEVEL, Action.WRITE_NOTE}


def test_every_restricted_dashboard_view_declares_a_dashboard_action() -> None:
    wrong = [
        f"{name}: {getattr(view, 'required_action', None)!r}"
        for _, name, view in views_in("restricted_dashboards")
        if getattr(view, "required_action", None) not in DASHBOARD_ACTIONS
        or getattr(view, "login_required", True) is False
    ]

    assert wrong == []


def test_child_level_views_are_concealed_from_those_who_may_not_see_them() -> None:
    child_level = [
        (name, view)
        for _, name, view in views_in("restricted_dashboards")
        if getattr(view, "required_action", None) == Action.VIEW_CHILD_LEVEL
    ]

    assert child_level, "the drill-down is not mounted"
    assert [name for name, view in child_level if not (view.per_object and view.conceal)] == []
