from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("health/", views.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
