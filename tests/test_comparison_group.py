"""``portal.reference.comparison_group``: what an LA's figures are compared with.

The one look-up both dashboards use for "the LA, its region and its 10 statistical
neighbours", so they cannot disagree on it.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from portal.models import StatisticalNeighbour
from portal.reference import comparison_group

pytestmark = pytest.mark.usefixtures("reference_data")


def test_a_current_la_has_its_region_and_ten_neighbours_closest_first(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(1):
        group = comparison_group("370")

    assert group is not None
    assert (group.la.code, group.la.name) == ("370", "Barnsley")
    assert (group.region.code, group.region.name) == ("E12000003", "Yorkshire and The Humber")
    ranked = StatisticalNeighbour.objects.filter(la__code="370").order_by("rank")
    assert [place.code for place in group.neighbours] == [
        link.neighbour.code for link in ranked.select_related("neighbour")
    ]
    assert len(group.neighbours) == 10
    assert group.valid_to is None


def test_a_london_borough_is_compared_with_inner_or_outer_london() -> None:
    group = comparison_group("202")  # Camden

    assert group is not None
    assert group.region.name == "Inner London"
    assert group.region.code.startswith("E13")


def test_an_abolished_la_has_no_neighbours_and_says_when_it_ended(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(2):
        group = comparison_group("928")  # Northamptonshire

    assert group is not None
    assert group.neighbours == ()
    assert group.valid_to == datetime.date(2021, 3, 31)


def test_an_unknown_la_has_no_group() -> None:
    assert comparison_group("999") is None
