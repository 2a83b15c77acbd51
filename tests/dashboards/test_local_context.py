"""Local context beside every figure, and an all-LA order that ranks nobody.

On the real published files loaded by the real loader: the child poverty and free school meals
figures (LAIT ``ChildPov``, ``PriFSM``, ``SecFSM``) equal the parquet file's, are shown on every
LA summary and indicator page with an LA (LA, region, England, neighbours' median), are listed
as no indicator, and every indicator page has a scatter of every LA against child poverty. The
all-LA chart and table are by region and name unless the reader asks for them by figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from django.core.cache import cache
from django.test import Client

from dashboards.published import queries
from dashboards.published.catalogue import CHILD_POVERTY, CONTEXT_KEYS, LAIT
from dashboards.published.loader import DATA_DIR
from portal.reference import comparison_group
from tests.dashboards.test_public_pages import get, parse, read_csv, row, table, tables, text

pytestmark = pytest.mark.usefixtures("loaded", "db")


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pages() -> Client:
    return Client()


def lait(measure: str, place: str, year: str) -> Decimal | None:
    """The figure the parquet file gives (by LA number, or name for England and regions), to
    the six decimal places the store keeps (the file writes 16.4 as 16.399999999999999)."""
    (path,) = DATA_DIR.glob(LAIT.pattern)
    frame = pd.read_parquet(path, filters=[("Short Desc", "==", measure), ("Years", "==", year)])
    if place.isdigit():
        found = frame.loc[frame["LA Number"] == int(place), "Values"]
    else:
        found = frame.loc[frame["LA and Regions"].str.casefold() == place.casefold(), "Values"]
    (value,) = found.tolist()
    return None if value == "-" else Decimal(value).quantize(Decimal("0.000001"))


def shown(number: Decimal | None) -> str:
    return "-" if number is None else f"{number.quantize(Decimal('0.1'))}%"


# --- the figures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("la_code", "region"), [("370", "Yorkshire and the Humber"), ("202", "London")]
)
def test_local_context_equals_the_file_with_the_region_and_neighbours_median(
    la_code: str, region: str, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(4):
        found = queries.local_context(la_code)
    group = comparison_group(la_code)
    assert group is not None

    # LAIT publishes no Inner or Outer London figure: a borough is compared with London.
    assert found.region.name.casefold() == region.casefold()
    assert [r.indicator.key for r in found.rows] == [CHILD_POVERTY, "fsm_primary", "fsm_secondary"]
    for item, measure in zip(found.rows, ("ChildPov", "PriFSM", "SecFSM"), strict=True):
        assert item.period == "2025"
        assert item.la.value == lait(measure, la_code, "2025")
        assert item.region.value == lait(measure, region, "2025")
        assert item.england.value == lait(measure, "England", "2025")
        numbers = [lait(measure, n.code, "2025") for n in group.neighbours]
        median = statistics.median(n for n in numbers if n is not None)
        assert item.neighbours.value == median


def test_context_measures_are_listed_as_no_indicator(pages: Client) -> None:
    listed = {i.key for g in queries.indicator_groups() for h in g.headings for i in h.indicators}
    summary = {item.indicator.key for item in queries.la_summary("370")}

    assert not CONTEXT_KEYS & (listed | summary)
    assert queries.get_indicator(CHILD_POVERTY) is None
    assert pages.get(f"/published/{CHILD_POVERTY}/").status_code == 404
    assert "low-income" not in text(get(pages, "/published/"))


def test_every_la_beside_child_poverty_of_the_nearest_year() -> None:
    scatter = queries.against_child_poverty("cla_rate", "2025", "370")
    assert scatter is not None
    assert scatter.context_period == "2025"
    assert len(scatter.pairs) == 153
    barnsley = next((p, c) for p, c in scatter.pairs if p.selected)
    assert barnsley[0].geography.code == "370"
    assert barnsley[1].value == lait("ChildPov", "370", "2025")

    # Child poverty is published from 2022: earlier years are set beside the earliest.
    early = queries.against_child_poverty("cla_rate", "2016")
    assert early is not None
    assert early.context_period == "2022"
    assert queries.against_child_poverty("adoption_decision_to_match_months", "2025") is None


# --- the pages --------------------------------------------------------------------------------


def test_an_indicator_page_shows_local_context_for_the_la(pages: Client) -> None:
    response = get(pages, "/published/rereferral_12m/?la=370")
    rows = table(response, "Local context: Barnsley")
    poverty = row(rows, "Children in relative low-income families")

    assert poverty[1:] == [
        "2025",
        shown(lait("ChildPov", "370", "2025")),
        shown(lait("ChildPov", "Yorkshire and the Humber", "2025")),
        shown(lait("ChildPov", "England", "2025")),
        queries.local_context("370").rows[0].neighbours.display,
    ]
    assert len(rows) == 3
    assert "They are not targets" in text(response)
    assert "Local context" not in text(get(pages, "/published/rereferral_12m/"))


def test_the_la_summary_shows_local_context(pages: Client) -> None:
    response = get(pages, "/published/la/202/")
    rows = table(response, "Local context: Camden")

    assert row(rows, "Primary school pupils eligible for free school meals")[1:4] == [
        "2025",
        shown(lait("PriFSM", "202", "2025")),
        shown(lait("PriFSM", "London", "2025")),
    ]
    assert "Camden is compared with London here" in text(response)


@pytest.mark.parametrize("la", ["", "370"])
def test_every_indicator_page_has_a_scatter_against_child_poverty(pages: Client, la: str) -> None:
    response = get(pages, f"/published/cla_rate/?la={la}&period=2024")
    tree = parse(response)
    (canvas,) = tree.xpath('//section[@id="child-poverty"]//canvas')
    rows = table(response, "and child poverty, 2024")

    assert canvas.get("aria-label").startswith("Scatter chart: ")
    assert len(rows) == 153
    camden = row(rows, "Camden")
    assert camden[2] == shown(lait("ChildPov", "202", "2024"))
    summary = " ".join(tree.xpath('string(//section[@id="child-poverty"]//p)').split())
    assert "no trend line" in summary
    assert "expected" in summary
    if la:
        assert "similar levels of child poverty to Barnsley (between " in summary
        assert "had figures between " in summary
        assert row(rows, "Barnsley")[0].endswith("Selected")
    lines = read_csv(
        pages.get("/published/cla_rate.csv", {"la": la, "period": "2024", "table": "context"})
    )
    assert len(lines) == 154
    assert lines[0][-2:] == ["Children in relative low-income families, 2024", "2024"]


# --- not a league table -----------------------------------------------------------------------


def region_order() -> list[str]:
    """The regions as ``regional_comparison`` lists them (the order of the regional chart)."""
    points = queries.regional_comparison("cla_rate", "2025")
    return [p.geography.name for p in points if p.geography.name not in {"England", "London"}]


def test_all_las_are_in_region_then_name_order_by_default() -> None:
    points = queries.all_las("cla_rate", "2025", "370")
    regions = list(dict.fromkeys(point.region_name for point in points))

    assert regions == region_order()
    for region in regions:
        names = [p.geography.name for p in points if p.region_name == region]
        assert names == sorted(names)
    values = [p.value.value for p in points if p.value.value is not None]
    assert values != sorted(values)


def test_the_neighbours_are_the_la_then_the_most_similar_first() -> None:
    points = queries.all_las("cla_rate", "2025", "370", neighbours_only=True)
    group = comparison_group("370")
    assert group is not None

    assert [p.geography.code for p in points] == ["370", *(n.code for n in group.neighbours)]


def test_the_page_orders_by_place_unless_asked_to_order_by_figure(pages: Client) -> None:
    default = get(pages, "/published/cla_rate/?la=370")
    tree = parse(default)
    groups = tree.xpath('//section[@id="local-authorities"]//tbody/tr/th[@scope="rowgroup"]')
    checked = tree.xpath('//input[@name="order"][@checked]')

    assert [th.text_content().strip() for th in groups] == region_order()
    assert [radio.get("value") for radio in checked] == [""]
    assert "by region and name" in " ".join(tables(default))

    by_value = get(pages, "/published/cla_rate/?la=370&order=value")
    rows = table(by_value, "All local authorities, 2025 (rate per 10,000 children), lowest to")
    numbers = [Decimal(r[2].replace(",", "")) for r in rows if r[2][0].isdigit()]
    assert numbers == sorted(numbers)
    assert pages.get("/published/cla_rate/?la=370&order=rank").status_code == 404
    response = pages.get("/published/cla_rate.csv", {"la": "370", "order": "value", "table": "las"})
    disposition = response.headers["Content-Disposition"]
    assert 'filename="cla_rate-las-370-2025-by-value.csv"' in disposition


def test_the_neighbours_table_says_closeness_not_rank(pages: Client) -> None:
    response = get(pages, "/published/cla_rate/?la=370&view=neighbours")
    header = parse(response).xpath('//section[@id="local-authorities"]//thead//th/text()')
    body = text(response)

    assert "Closeness (1 is the most similar)" in header
    assert "rank" not in " ".join(header).lower()
    assert "most similar neighbour first" in " ".join(tables(response))
    assert "Neighbour rank" not in body
