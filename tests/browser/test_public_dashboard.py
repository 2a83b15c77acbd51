"""The public dashboard in a real browser: axe-core finds no serious or critical violations on
the home, indicator and LA summary pages, nothing is blocked by the content security policy,
the charts are drawn, the controls work with and without JavaScript, and screenshots are saved
for people to look at (test-artifacts/public-*.png)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.browser.test_layout_a11y import serious_violations
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# True when every chart canvas holds a drawn Chart.js chart with something painted on it.
CHARTS_DRAWN = """() => {
  const canvases = [...document.querySelectorAll('canvas[data-chart]')]
  return canvases.length > 0 && canvases.every((canvas) => {
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

    assert page.locator("canvas[role=img]").count() == 3
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

    assert buttons.count() == 3
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
    assert watched == []
