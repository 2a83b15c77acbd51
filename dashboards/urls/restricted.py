"""The restricted dashboards' URLs (namespace ``restricted_dashboards``, at ``dashboards/``).

Every view here must be decorated with ``portal.access.requires`` and a dashboard action
(``per_object=True`` for a page of one LA, fetched with the access helpers that 404
outsiders), and must never use ``dashboards.cache`` for what depends on the viewer's scope.
``tests/permissions/test_dashboard_namespaces.py`` fails for a view that forgets.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from dashboards.views import restricted

app_name = "restricted_dashboards"

urlpatterns: list[URLPattern] = [
    path("", restricted.portfolio, name="portfolio"),
    path("la/<str:la_code>/", restricted.la, name="la"),
    path("la/<str:la_code>/<slug:indicator_id>/", restricted.indicator, name="indicator"),
]
