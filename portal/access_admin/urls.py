from __future__ import annotations

from django.urls import URLPattern

app_name = "access_admin"
urlpatterns: list[URLPattern] = []
