"""Template access to the session timeout numbers (see ``portal.session_views``)."""

from __future__ import annotations

from typing import Any

from django import template

from portal.session_views import timeout_settings

register = template.Library()


@register.simple_tag(takes_context=True)
def session_timeout_settings(context: dict[str, Any]) -> dict[str, int | str]:
    """``{% session_timeout_settings as timeout %}``: idle, warning and absolute-limit numbers
    for the signed-in request being rendered."""
    return timeout_settings(context["request"])
