from __future__ import annotations

from django.urls import URLPattern, path

from portal import session_views

app_name = "session"
urlpatterns: list[URLPattern] = [
    path("extend/", session_views.extend, name="extend"),
    path("timed-out/", session_views.timed_out, name="timed_out"),
    path("set-up-authenticator/", session_views.set_up_authenticator, name="set_up_authenticator"),
]
