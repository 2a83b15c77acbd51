"""Submission pages. Every submission URL takes the submission's UUID (``submission_id``), so
ids cannot be guessed or counted; a file URL also takes the file's UUID (``file_id``)."""

from __future__ import annotations

from django.urls import path

from submissions import feed_views, views

app_name = "submissions"

urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.upload, name="upload"),
    path("api-feed/<str:la_code>/", feed_views.api_feed, name="api_feed"),
    path("<uuid:submission_id>/", views.detail, name="detail"),
    path("<uuid:submission_id>/status.json", views.status_json, name="status_json"),
    path("<uuid:submission_id>/accept/", views.accept, name="accept"),
    path("<uuid:submission_id>/report/", views.report, name="report"),
    path("<uuid:submission_id>/report.csv", views.report_csv, name="report_csv"),
    path("<uuid:submission_id>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("<uuid:submission_id>/queries/<str:code>/explain/", views.explain, name="explain"),
    path("<uuid:submission_id>/files/<uuid:file_id>/", views.raw_file, name="raw_file"),
]
