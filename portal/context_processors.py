from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def service(request: HttpRequest) -> dict[str, object]:
    """Values every page template needs: the service name and the phase banner."""
    return {"service_name": settings.SERVICE_NAME, "service_phase": "Alpha"}
