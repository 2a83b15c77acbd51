"""The restricted dashboards' URLs (namespace ``restricted_dashboards``, at ``dashboards/``).

Every view here must be decorated with ``portal.access.requires(Action.VIEW_DASHBOARD, ...)``
(``per_object=True`` for a page of one LA, fetched with the access helpers that 404
outsiders), and must never use ``dashboards.cache``: what it shows depends on the viewer's
scope. ``tests/permissions/test_dashboard_namespaces.py`` fails for a view that forgets.
"""

from __future__ import annotations

from django.urls import URLPattern

app_name = "restricted_dashboards"

urlpatterns: list[URLPattern] = []
