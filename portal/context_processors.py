from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def service(request: HttpRequest) -> dict[str, object]:
    """Values every page template needs: the service name, the phase banner (and where its
    feedback link goes) and which navigation links this user may follow."""
    from portal.access import Action, can, can_manage_access

    user = getattr(request, "user", None)
    return {
        "can_view_submissions": can(user, Action.VIEW_REPORT) if user is not None else False,
        "can_view_timely": can(user, Action.VIEW_DASHBOARD) if user is not None else False,
        "service_name": settings.SERVICE_NAME,
        "contact_email": settings.CONTACT_EMAIL,
        "service_phase": "Alpha",
        "feedback_url": settings.FEEDBACK_URL or reverse("accessibility") + "#feedback",
        "can_manage_access": can_manage_access(request.user) if hasattr(request, "user") else False,
    }
