"""The public dashboard in a real browser: axe-core finds no serious or critical violations on
the home, indicator and LA summary pages, nothing is blocked by the content security policy,
the charts are drawn, the controls work with and without JavaScript, and screenshots are saved
for people to look at (test-artifacts/public-*.png)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# True when every chart canvas holds a drawn Chart.js chart with something painted on it.
# Chart.js may not have loaded yet when the canvases exist: false until it has (an error
# thrown here would end the wait instead of polling again).
CHARTS_DRAWN = """() => {
  const canvases = [...document.querySelectorAll('canvas[data-chart]')]
  return window.Chart !== undefined && canvases.length > 0 && canvases.every((canvas) => {
    const blank = document.createElement('canvas')
    blank.width = canvas.width
    blank.height = canvas.height
    return window.Chart.getChart(canvas) !== undefined && canvas.toDataURL() !== blank.toDataURL()
  })
}"""


@pytest.fixture
def published(reference_data: None) -> None:
    """The shipped published files, loaded by the real loader (committed: the live server's
    thread reads them), and an empty cache so no earlier test's pages are served."""
    call_command("load_published_data", verbosity=0, stdout=io.StringIO())
    cache.clear()


@pytest.fixture
def watched(page: Any) -> list[str]:
    """Console errors and uncaught exceptions (a script or style blocked by the CSP shows here).
    Charts are drawn without animation, as for a visitor who prefers reduced motion."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(reduced_motion="reduce")
    return errors


def test_the_home_page_passes_axe_and_leads_to_an_la_summary(
    page: Any, published: None, watched: list[str]
) -> None:
    page.goto("/published/")

    assert page.locator("h1").inner_text() == "Published figures"
    assert serious_violations(page) == []
    screenshot(page, "public-home")
    page.select_option("#id_la", "370")
    page.get_by_role("button", name="Show summary").click()
    assert page.url.endswith("/published/la/370/")
    assert watched == []


def test_an_indicator_page_draws_its_charts_and_toggles_to_neighbours(
    page: Any, published: None, watched: list[str]
) -> None:
    page.goto("/published/rereferral_12m/?la=370")
    page.wait_for_function(CHARTS_DRAWN)

    assert page.locator("canvas[role=img]").count() == 4  # with the scatter
    assert serious_violations(page) == []
    screenshot(page, "public-indicator")

    page.get_by_label("Barnsley and its 10 statistical neighbours").check()
    page.get_by_role("button", name="Update the chart").click()
    page.wait_for_url("**view=neighbours**")
    page.wait_for_function(CHARTS_DRAWN)

    assert page.url.endswith("#local-authorities")
    bars = page.evaluate(
        "Chart.getChart(document.querySelector('#local-authorities canvas')).data.labels.length"
    )
    assert bars == 11
    assert page.locator("#local-authorities tbody tr").count() == 11
    assert serious_violations(page) == []
    screenshot(page, "public-indicator-neighbours")
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_function(CHARTS_DRAWN)
    screenshot(page, "public-indicator-mobile")
    assert watched == []


def test_the_la_summary_passes_axe(page: Any, published: None, watched: list[str]) -> None:
    page.goto("/published/la/370/")

    assert page.locator("h1").inner_text() == "Barnsley"
    assert page.locator("table").count() >= 5
    assert serious_violations(page) == []
    screenshot(page, "public-la-summary")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "public-la-summary-mobile")
    assert watched == []


def test_without_javascript_the_tables_and_the_toggle_still_work(
    browser: Any, live_server: Any, published: None
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/published/rereferral_12m/?la=370")

    assert page.locator("#over-time table tbody tr").count() >= 10
    page.get_by_label("Barnsley and its 10 statistical neighbours").check()
    page.get_by_role("button", name="Update the chart").click()
    assert "view=neighbours" in page.url
    assert page.locator("#local-authorities tbody tr").count() == 11
    context.close()


def test_each_chart_downloads_as_a_png_on_white(
    page: Any, published: None, watched: list[str]
) -> None:
    page.goto("/published/rereferral_12m/?la=370")
    page.wait_for_function(CHARTS_DRAWN)
    buttons = page.get_by_role("button", name="Download chart as image (PNG)")

    assert buttons.count() == 4  # over time, regions, all LAs, beside child poverty
    # Each button says which chart it saves (visually hidden: the heading is just above).
    assert "Over time" in page.locator("#over-time button").first.text_content()
    with page.expect_download() as download:
        page.locator("#over-time").get_by_role("button", name="Download chart as image").click()
    assert download.value.suggested_filename == "rereferral_12m-370-over-time.png"
    corner = page.evaluate(
        """async (url) => {
          const image = new Image()
          image.src = url
          await image.decode()
          const canvas = document.createElement('canvas')
          canvas.width = image.width
          canvas.height = image.height
          const context = canvas.getContext('2d')
          context.drawImage(image, 0, 0)
          return [...context.getImageData(0, 0, 1, 1).data]
        }""",
        page.evaluate(
            "Chart.getChart(document.querySelector('#over-time canvas')).toBase64Image()"
        ),
    )
    assert corner == [255, 255, 255, 255]  # white, not transparent
    assert serious_violations(page) == []


# "Ranked 12th", "rank 3", "12th highest": what a league table would say.
RANK_NUMBERS = re.compile(r"\brank(ed)?\s+\d|\b\d+(st|nd|rd|th)\b", re.IGNORECASE)
# Each row group of the all-LA table (a region) as [region, [LA names]], in page order.
LA_TABLE_GROUPS = """() => [...document.querySelectorAll('#local-authorities table tbody')].map(
  (body) => [
    body.querySelector('th[scope=rowgroup]')?.innerText.trim() ?? '',
    [...body.querySelectorAll('th[scope=row]')].map((th) => th.childNodes[0].textContent.trim())
  ])"""
# The widest name on the all-LA chart's axis, and the room the axis has for names.
BAR_NAMES_FIT = """() => {
  const chart = Chart.getChart(document.querySelector('#local-authorities canvas'))
  const axis = chart.scales.y
  const context = chart.ctx
  context.save()
  // In bold (the widest a name is drawn), at the size the axis draws names (smaller on a phone).
  context.font = `bold ${axis.options.ticks.font.size}px ${Chart.defaults.font.family}`
  const widest = Math.max(...axis.ticks.map((tick) => context.measureText(tick.label).width))
  context.restore()
  return [widest, axis.width, chart.data.labels.length, axis.ticks.length]
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_an_indicator_page_shows_local_context_a_scatter_and_ranks_nobody(
    page: Any, published: None, watched: list[str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/published/rereferral_12m/?la=370")
    page.wait_for_function(CHARTS_DRAWN)

    # The local-context panel: child poverty and free school meals, LA and comparators.
    panel = page.locator("#local-context")
    assert panel.locator("h2").inner_text() == "Local context"
    rows = panel.locator("tbody tr")
    assert rows.count() == 3
    assert (
        rows.nth(0)
        .locator("th")
        .inner_text()
        .startswith("Children in relative low-income families")
    )
    assert panel.locator("thead th").all_inner_texts()[2:] == [
        "Barnsley", "Yorkshire and The Humber", "England", "Statistical neighbours (median)"
    ]  # fmt: skip

    # The scatter chart: every LA against child poverty, Barnsley a point of its own, and its
    # table behind a details element.
    scatter = page.evaluate(
        "(() => { const c = Chart.getChart(document.querySelector('#child-poverty canvas'));"
        " return [c.config.type, c.data.datasets.map((d) => [d.label, d.data.length])] })()"
    )
    assert scatter[0] == "scatter"
    (chosen, one), (others, many) = scatter[1]
    assert (others, chosen, one) == ("Other local authorities", "Barnsley", 1)
    assert many > 140
    assert (
        "similar levels of child poverty to Barnsley" in page.locator("#child-poverty").inner_text()
    )
    page.locator("#child-poverty summary").click()
    assert page.locator("#child-poverty tbody tr").count() == 153

    # Not a league table: the all-LA table is alphabetical within each region, regions in
    # their usual order (as in the regional table), and says so.
    page.locator("#local-authorities summary").click()
    groups = page.evaluate(LA_TABLE_GROUPS)
    regions = [region for region, _ in groups]
    usual = [
        name.strip()
        for name in page.locator("#regions tbody th[scope=row]").all_inner_texts()
        if name.strip() not in {"England", "London"}
    ]
    assert regions == [name.split("\n")[0] for name in usual]
    for region, names in groups:
        assert names == sorted(names), region
    assert "by region and name" in page.locator("#local-authorities caption").text_content()
    assert not RANK_NUMBERS.search(page.locator("main").inner_text())
    widest, room, bars, ticks = page.evaluate(BAR_NAMES_FIT)
    assert bars == ticks == 153  # every name drawn, none skipped
    assert widest <= room  # long names are shortened, not clipped
    assert serious_violations(page) == []
    screenshot(page, f"public-indicator-context-{width}")

    # Sorting by value is there for those who ask for it.
    page.get_by_label("By figure, lowest to highest").check()
    page.get_by_role("button", name="Update the chart").click()
    page.wait_for_url("**order=value**")
    page.wait_for_function(CHARTS_DRAWN)
    values = page.evaluate(
        "Chart.getChart(document.querySelector('#local-authorities canvas')).data.datasets[0].data"
    )
    numbers = [value for value in values if value is not None]
    assert numbers == sorted(numbers)
    assert "lowest to highest" in page.locator("#local-authorities caption").text_content()

    # On a phone wide tables say that they scroll, and the page itself never scrolls sideways.
    hint = panel.locator(".app-table-scroll__hint")
    assert hint.is_visible() == (width < 600)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_violations(page) == []
    screenshot(page, f"public-indicator-by-value-{width}")
    assert watched == []
