"""The in-service page of every timely indicator's definition, read from the registry, open to
everyone and linked from every page's footer."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from indicators.registry import REGISTRY, FrameworkArea

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:timely_definitions")


def page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_it_is_public_and_linked_from_every_page_footer(client: Client) -> None:
    assert URL == "/published/timely-indicators/"
    assert f'href="{URL}"' in client.get(reverse("accessibility")).content.decode()
    assert f'href="{URL}"' in client.get(reverse("home")).content.decode()


def test_every_indicator_in_the_registry_is_defined_with_its_words(client: Client) -> None:
    text = page(client)

    assert f"The {len(REGISTRY)} indicators" in text
    for indicator in REGISTRY.values():
        assert f'id="{indicator.id}"' in text, indicator.id
        assert indicator.title in text
        assert indicator.definition in text
        assert indicator.numerator in text
        for caveat in indicator.caveats:
            assert caveat in text, (indicator.id, caveat)
        if indicator.published is not None:
            assert indicator.published.description in text


def test_indicators_are_grouped_under_their_framework_area_in_registry_order(
    client: Client,
) -> None:
    text = page(client)
    areas = {indicator.framework_area for indicator in REGISTRY.values()}
    for area in areas:
        assert text.count(area.value) >= 2, area  # in the contents and as a heading
    first, *_ = REGISTRY.values()
    positions = [
        text.index(f'id="{i.id}"')
        for i in REGISTRY.values()
        if i.framework_area == first.framework_area
    ]
    assert positions == sorted(positions)
    assert isinstance(first.framework_area, FrameworkArea)


def test_it_names_the_extracts_that_can_supply_each_indicator(client: Client) -> None:
    text = page(client)

    assert "CIN census XML" in text
    assert "SSDA903 CSV" in text
