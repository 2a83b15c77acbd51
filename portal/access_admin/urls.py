"""URLs of the access pages, mounted at ``/access/``."""

from __future__ import annotations

from django.urls import path

from portal.access_admin import api_client_views, views

app_name = "access_admin"
urlpatterns = [
    path("", views.users, name="users"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path(
        "users/<int:pk>/roles/<int:membership_pk>/remove/",
        views.remove_membership,
        name="remove_membership",
    ),
    path(
        "users/<int:pk>/roles/<int:membership_pk>/change/",
        views.change_membership,
        name="change_membership",
    ),
    path("users/<int:pk>/deactivate/", views.deactivate, name="deactivate"),
    path("users/<int:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("review/", views.access_review, name="access_review"),
    path("invite/", views.invite, name="invite"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<uuid:invitation_id>/resend/", views.resend, name="resend"),
    path("invitations/<uuid:invitation_id>/revoke/", views.revoke, name="revoke"),
    path("invitations/accept/<str:token>/", views.accept, name="accept"),
    path("api-clients/", api_client_views.api_clients_list, name="api_clients"),
    path("api-clients/new/", api_client_views.api_client_create, name="api_client_create"),
    path(
        "api-clients/<int:pk>/rotate/",
        api_client_views.api_client_rotate,
        name="api_client_rotate",
    ),
    path(
        "api-clients/<int:pk>/revoke/",
        api_client_views.api_client_revoke,
        name="api_client_revoke",
    ),
    path("audit/", views.audit, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
