"""The API intake's URLs, mounted at ``/api/`` by ``portal.urls`` (by dotted string: the
portal imports no app)."""

from __future__ import annotations

from submissions.api.endpoint import urls

urlpatterns, _ninja_app_name, _namespace = urls()
app_name = "api"
