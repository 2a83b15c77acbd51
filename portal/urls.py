from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from oauth2_provider.views import TokenView

from portal import views

# The Django admin signs in through allauth, so MFA and rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("health/", views.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("access/", include("portal.access_admin.urls")),
    path("session/", include("portal.session_urls")),
    path("published/", include("dashboards.urls.public")),
    path("dashboards/", include("dashboards.urls.restricted")),
    path("submissions/", include("submissions.urls")),
    path("admin/", admin.site.urls),
    # The API intake: OAuth2 client-credentials tokens (django-oauth-toolkit, CSRF-exempt)
    # and the DfE CSC API endpoint. Both authenticate the client themselves.
    path("api/oauth/token", login_not_required(TokenView.as_view()), name="api_token"),
    path("api/", include("submissions.api.urls")),
]
