"""The restricted dashboards' URLs (namespace ``restricted_dashboards``, at ``dashboards/``).

Every view here must be decorated with ``portal.access.requires`` and a dashboard action
(``Action.VIEW_DASHBOARD``; ``VIEW_CHILD_LEVEL`` or ``WRITE_NOTE`` for the pages only LA users
reach), ``per_object=True`` for a page of one LA, fetched with the access helpers that 404
outsiders, and must never use ``dashboards.cache`` for anything that depends on the viewer's
scope. ``tests/permissions/test_dashboard_namespaces.py`` fails for a view that forgets.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from dashboards.views import drilldown, exports, notes, restricted

app_name = "restricted_dashboards"

urlpatterns: list[URLPattern] = [
    path("", restricted.portfolio, name="portfolio"),
    path("la/<str:la_code>/", restricted.la, name="la"),
    # Context notes (dashboards.views.notes), before the indicator pages so "notes" is never
    # read as an indicator id.
    path("la/<str:la_code>/notes/new/", notes.note_create, name="note_create"),
    path("la/<str:la_code>/notes/<uuid:note_id>/", notes.note_history, name="note_history"),
    path("la/<str:la_code>/notes/<uuid:note_id>/edit/", notes.note_edit, name="note_edit"),
    path("la/<str:la_code>/<slug:indicator_id>/", restricted.indicator, name="indicator"),
    # Downloads (dashboards.views.exports): CSV or XLSX, any other format is a 404.
    path("portfolio/export.<str:fmt>", exports.portfolio_export, name="portfolio_export"),
    path("la/<str:la_code>/export.<str:fmt>", exports.la_export, name="la_export"),
    path(
        "la/<str:la_code>/<slug:indicator_id>/export.<str:fmt>",
        exports.indicator_export,
        name="indicator_export",
    ),
    # The drill-down to child records (dashboards.views.drilldown): VIEW_CHILD_LEVEL, 404 for
    # everyone else (conceal).
    path("la/<str:la_code>/<slug:indicator_id>/children/", drilldown.members, name="members"),
    path(
        "la/<str:la_code>/<slug:indicator_id>/children/csv/",
        drilldown.members_csv,
        name="members_csv",
    ),
]
