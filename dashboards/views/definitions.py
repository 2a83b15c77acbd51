"""How the timely indicators are defined: every indicator in the registry, for everyone.

The definitions are what an LA agrees to when it sends its extracts, and what a reviewer needs
to read a figure, so they are public: nothing here depends on anyone's data. The page is
rendered from ``indicators.registry`` (the same text the restricted pages show beside each
figure), so it can never drift from what is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from dashboards.models import Unit
from dashboards.presentation.formatting import UNIT_LABELS
from indicators.registry import NOT_A_PERFORMANCE_MEASURE, REGISTRY, FrameworkArea, Indicator
from submissions.extract.canonical import FORMAT_LABELS


@dataclass(frozen=True)
class Definition:
    indicator: Indicator
    unit: str
    formats: list[str]


@login_not_required
@require_safe
def timely_definitions(request: HttpRequest) -> HttpResponse:
    """Every timely indicator's definition, grouped by National Framework outcome and enabler,
    in the registry's order."""
    groups: dict[FrameworkArea, list[Definition]] = {}
    for indicator in REGISTRY.values():
        groups.setdefault(indicator.framework_area, []).append(
            Definition(
                indicator=indicator,
                unit=UNIT_LABELS[Unit(indicator.unit)].capitalize(),  # the same units, by value
                formats=[FORMAT_LABELS[fmt] for fmt in indicator.source_formats],
            )
        )
    return render(
        request,
        "dashboards/definitions.html",
        {
            "groups": [(area.value, definitions) for area, definitions in groups.items()],
            "count": len(REGISTRY),
            "learning_tool": NOT_A_PERFORMANCE_MEASURE,
        },
    )
