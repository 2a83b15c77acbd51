"""URLs of the access pages, mounted at ``/access/``."""

from __future__ import annotations

from django.urls import path

from portal.access_admin import views

app_name = "access_admin"
urlpatterns = [
    path("", views.users, name="users"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path(
        "users/<int:pk>/roles/<int:membership_pk>/remove/",
        views.remove_membership,
        name="remove_membership",
    ),
    path("users/<int:pk>/deactivate/", views.deactivate, name="deactivate"),
    path("users/<int:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("review/", views.access_review, name="access_review"),
    path("invite/", views.invite, name="invite"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<uuid:invitation_id>/resend/", views.resend, name="resend"),
    path("invitations/<uuid:invitation_id>/revoke/", views.revoke, name="revoke"),
    path("invitations/accept/<str:token>/", views.accept, name="accept"),
    path("audit/", views.audit, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
