"""The public dashboard's URLs (namespace ``dashboards``, at ``published/``).

Every view here is public (``login_not_required``) and served through the public cache, but
the definitions of the timely indicators, which are read from the registry.
"""

from __future__ import annotations

from django.urls import path

from dashboards.views import definitions
from dashboards.views import public as views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    # Before "<slug:key>/" so "la", "data" and "timely-indicators" are never read as
    # indicator keys.
    path("timely-indicators/", definitions.timely_definitions, name="timely_definitions"),
    path("la/<str:la_code>/", views.la_summary, name="la_summary"),
    path("la/<str:la_code>.csv", views.la_summary_csv, name="la_summary_csv"),
    path("data/all.zip", views.dashboard_data, name="dashboard_data"),
    path("data/<slug:key>.csv", views.indicator_data, name="indicator_data"),
    path("<slug:key>/", views.indicator, name="indicator"),
    path("<slug:key>.csv", views.indicator_csv, name="indicator_csv"),
]
