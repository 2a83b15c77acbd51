"""The public dashboard's pages, on the real published files loaded by the real loader.

Checks what a reader sees: the England 2025 headline figures, LA figures equal to the files',
suppressed figures shown as their codes, CSV downloads equal to the tables (and safe to open in a
spreadsheet), 404s, that the restricted-only missing-children measures are on no public page,
and the caching contract (no cookies, ``Cache-Control: public``, a cached
fragment never carries one visitor's navigation to another, bounded queries).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from lxml import html as lxml_html

from dashboards import cache as public_cache
from dashboards.models import PublishedValue
from dashboards.presentation.tables import Cell, Column, Row, RowGroup, Table, csv_text
from dashboards.published import queries as published
from dashboards.published.catalogue import (
    INDICATORS,
    OFSTED_LEADERSHIP_KEYS,
    RESTRICTED_ONLY,
    SPECS,
)
from dashboards.published.loader import DATA_DIR
from dashboards.published.queries import IndicatorMeta
from tests.conftest import make_user

HEADLINES = [
    ("rereferral_12m", "22.6%"),
    ("repeat_cpp", "24.5%"),
    ("cpp_open_2yrs", "2.3%"),
    ("cla_rate", "67"),
]


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Cached fragments must not leak between tests (the local-memory cache outlives them)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pages(loaded: None, db: None) -> Client:
    return Client()


def get(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def parse(response: Any) -> Any:
    """The page as an lxml HTML tree (typed Any: lxml's stubs do not know its HTML methods)."""
    return lxml_html.fromstring(response.content)


def tables(response: Any) -> dict[str, list[list[str]]]:
    """Every table on the page by caption: rows of [row header, cell, ...] as read aloud
    (visually hidden text included, whitespace collapsed)."""
    tree = parse(response)
    found = {}
    for table in tree.iter("table"):
        caption = " ".join(table.find("caption").text_content().split())
        rows = []
        for tr in table.iter("tr"):
            if tr.getparent().tag != "tbody" or tr.find("td") is None:
                continue
            rows.append([" ".join(cell.text_content().split()) for cell in tr])
        found[caption] = rows
    return found


def indicator_tables(response: Any) -> dict[str, list[list[str]]]:
    """The LA summary's tables of indicators: every table but the local-context panel."""
    return {
        caption: rows
        for caption, rows in tables(response).items()
        if not caption.startswith("Local context")
    }


def text(response: Any) -> str:
    """The page's main content as read, whitespace collapsed."""
    main = parse(response).get_element_by_id("main-content")
    return " ".join(main.text_content().split())


def table(response: Any, caption_contains: str) -> list[list[str]]:
    matches = [rows for caption, rows in tables(response).items() if caption_contains in caption]
    assert len(matches) == 1, (caption_contains, list(tables(response)))
    return matches[0]


def row(rows: list[list[str]], header: str) -> list[str]:
    (found,) = [r for r in rows if r[0] == header or r[0].startswith(header + " ")]
    return found


def file_value(key: str, la_code: str, period: str) -> str:
    """The LA's figure as its published file gives it (read with the csv module)."""
    spec = SPECS[key]
    (path,) = DATA_DIR.glob(spec.source.pattern)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line in csv.DictReader(handle):
            if (
                line["geographic_level"] == "Local authority"
                and line["old_la_code"] == la_code
                and line["time_period"] == period
                and all(line[column] == value for column, value in spec.filters.items())
            ):
                return line[spec.value_column]
    raise AssertionError(f"{key} {la_code} {period} not in {path.name}")


def indicator(key: str) -> IndicatorMeta:
    meta = published.get_indicator(key)
    assert meta is not None
    return meta


def la_name(code: str) -> str:
    (name,) = [name for la, name, _ in published.local_authorities() if la == code]
    return name


def shown(figure: str, decimals: int, suffix: str) -> str:
    """A file's number as the pages show it."""
    rounded = Decimal(figure).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}{suffix}"


# --- The "done when": England 2025 ---------------------------------------------------


@pytest.mark.parametrize(("key", "expected"), HEADLINES)
def test_england_2025_headline_on_the_indicator_page(
    pages: Client, key: str, expected: str
) -> None:
    response = get(pages, f"/published/{key}/")

    assert row(table(response, "England over time"), "2025")[1] == expected
    assert row(table(response, "England and regions, 2025"), "England")[1] == expected
    unit = " per 10,000 children" if key == "cla_rate" else ""
    assert f"In 2025, England's figure was {expected}{unit}." in text(response)


@pytest.mark.parametrize(("key", "expected"), HEADLINES)
def test_england_2025_headline_on_an_la_page_and_summary(
    pages: Client, key: str, expected: str
) -> None:
    series = table(get(pages, f"/published/{key}/?la=370"), "Barnsley over time")
    summary = get(pages, "/published/la/370/")
    (summary_row,) = [
        r for rows in tables(summary).values() for r in rows if r[0] == indicator(key).title
    ]

    assert row(series, "2025")[3] == expected  # Year, Barnsley, region, England, neighbours
    assert summary_row[5] == expected  # Indicator, Year, Barnsley, Trend, region, England, ...


# --- LA figures are the files' figures --------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "la_code", "period"),
    [
        ("rereferral_12m", "370", "2025"),
        ("rereferral_12m", "202", "2019"),
        ("repeat_cpp", "873", "2024"),
        ("cpp_open_2yrs", "935", "2022"),
        ("cla_rate", "202", "2025"),
        ("cla_rate", "805", "2021"),
    ],
)
def test_la_figures_equal_the_files(pages: Client, key: str, la_code: str, period: str) -> None:
    meta = indicator(key)
    in_file = file_value(key, la_code, period)
    expected = shown(in_file, meta.decimals, "%" if meta.unit == "percent" else "")
    name = la_name(la_code)

    series = table(get(pages, f"/published/{key}/?la={la_code}"), f"{name} over time")
    las = table(get(pages, f"/published/{key}/?la={la_code}&period={period}"), "All local")

    assert row(series, period)[1] == expected
    assert row(las, name)[2] == expected  # Local authority, Region, value


def test_the_summary_shows_the_latest_figure_and_the_trend(pages: Client) -> None:
    summary = get(pages, "/published/la/370/")
    (rereferrals,) = [r for rows in tables(summary).values() for r in rows if "Repeat ref" in r[0]]
    latest = shown(file_value("rereferral_12m", "370", "2025"), 1, "%")
    previous = shown(file_value("rereferral_12m", "370", "2024"), 1, "%")

    assert rereferrals[1:3] == ["2025", latest]
    assert rereferrals[3].endswith(f"from {previous} in 2024")
    assert rereferrals[3].split()[1] in {"Up", "Down", "No"}
    assert 'href="/published/rereferral_12m/?la=370"' in summary.content.decode()


def test_suppressed_figures_show_their_code_and_its_meaning(pages: Client) -> None:
    value = (
        PublishedValue.objects.filter(
            suppression="c", la__valid_to__isnull=True, indicator__national_only=False
        )
        .select_related("indicator", "la")
        .order_by("indicator__sort_order", "period_end_year", "geography_code")
        .first()
    )
    assert value is not None
    assert value.la is not None
    response = get(pages, f"/published/{value.indicator.key}/?la={value.la.code}")

    assert row(table(response, "over time"), value.period)[1] == (
        "c (Suppressed to protect confidentiality)"
    )
    assert "What the symbols mean" in response.content.decode()


# --- Page content -----------------------------------------------------------------------------


def test_the_home_page_lists_indicators_by_outcome_and_enabler(pages: Client) -> None:
    text = get(pages, "/published/").content.decode()

    assert "Outcome 1: Children, young people and families stay together" in text
    assert "Enabler: The workforce is equipped and effective" in text
    assert 'href="/published/rereferral_12m/"' in text
    assert "learning tool, not a performance league table" in text
    assert '<option value="370">Barnsley</option>' in text


def test_the_chooser_leads_to_the_la_summary(pages: Client) -> None:
    response = pages.get("/published/", {"la": "370"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/published/la/370/"


def test_the_chooser_without_a_choice_shows_an_error(pages: Client) -> None:
    response = pages.get("/published/", {"la": ""})
    text = response.content.decode()

    assert response.status_code == 200
    assert "<title>Error: " in text
    assert "There is a problem" in text
    assert 'href="#id_la">Select a local authority</a>' in text


def test_an_indicator_page_has_charts_tables_summaries_and_caveats(pages: Client) -> None:
    response = get(pages, "/published/rereferral_12m/?la=370")
    tree = parse(response)
    canvases = tree.xpath("//canvas")

    assert len(canvases) == 4
    for canvas in canvases:
        assert canvas.get("role") == "img"
        assert canvas.get("aria-label").endswith("The table after the chart gives every figure.")
        assert tree.xpath(f'//script[@type="application/json"][@id="{canvas.get("data-chart")}"]')
    assert tree.xpath('//th[@scope="col"]')
    assert tree.xpath('//th[@scope="row"]')
    assert "In 2025, Barnsley's figure was" in text(response)
    assert "Not a performance measure" in text(response)
    assert "Re-referrals can reflect needs that were not met" in text(response)
    assert "/static/vendor/chart.js/chart.umd.min.js" in response.content.decode()


def test_without_an_la_only_england_and_regions_are_shown(pages: Client) -> None:
    response = get(pages, "/published/rereferral_12m/")
    captions = list(tables(response))

    assert len(captions) == 3  # over time, regions, and every LA beside child poverty
    assert "child poverty" in captions[2]
    assert "All local authorities" not in response.content.decode()


def test_the_neighbours_view_shows_the_la_and_its_ten_neighbours(pages: Client) -> None:
    response = get(pages, "/published/rereferral_12m/?la=370&view=neighbours&period=2024")
    rows = table(response, "Barnsley and its statistical neighbours, 2024")
    neighbours = [la.name for la in published.time_series("rereferral_12m", "370").neighbours]

    assert len(rows) == 11
    assert {r[0].removesuffix(" Selected") for r in rows} == {"Barnsley", *neighbours}
    assert row(rows, "Barnsley")[3] == "Selected"
    checked = parse(response).xpath('//input[@name="view"][@checked]')
    assert [radio.get("value") for radio in checked] == ["neighbours"]


# --- CSV downloads ----------------------------------------------------------------------------


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def plain(text: str) -> str:
    """A table cell as its CSV field: no %, £ or separators; a code without its meaning."""
    return text.split(" (")[0].replace("%", "").replace("£", "").replace(",", "")


@pytest.mark.parametrize(
    ("table_name", "caption", "filename"),
    [
        ("series", "Barnsley over time", "rereferral_12m-series-370.csv"),
        ("regions", "England and regions, 2023", "rereferral_12m-regions-370-2023.csv"),
        ("las", "All local authorities, 2023", "rereferral_12m-las-370-2023.csv"),
    ],
)
def test_every_indicator_table_downloads_as_the_same_csv(
    pages: Client, table_name: str, caption: str, filename: str
) -> None:
    page = table(get(pages, "/published/rereferral_12m/?la=370&period=2023"), caption)
    response = pages.get(
        "/published/rereferral_12m.csv", {"la": "370", "period": "2023", "table": table_name}
    )
    _header, *lines = read_csv(response)

    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert len(lines) == len(page)
    for html_row, csv_row in zip(page, lines, strict=True):
        assert csv_row[0] == html_row[0].removesuffix(" Selected").split(" Barnsley's")[0]
        values = csv_row[2:] if table_name == "las" else csv_row[1:]  # las: name, code, ...
        assert values == [plain(cell) for cell in html_row[1:]][: len(values)]


def test_the_la_summary_downloads_as_csv(pages: Client) -> None:
    page = indicator_tables(get(pages, "/published/la/370/"))
    response = pages.get("/published/la/370.csv")
    header, *lines = read_csv(response)

    assert response.headers["Content-Disposition"] == 'attachment; filename="summary-370.csv"'
    assert header[:4] == ["Outcome or enabler", "Theme", "Indicator", "Unit"]
    assert len(lines) == sum(len(rows) for rows in page.values())
    html_rows = {r[0]: r for rows in page.values() for r in rows}
    for line in lines:
        html_row = html_rows[line[2]]
        assert line[4] == html_row[1]  # year
        assert line[5] == plain(html_row[2])  # Barnsley
        assert line[-3:] == [plain(cell) for cell in html_row[4:]]  # region, England, neighbours


@pytest.mark.parametrize(
    ("field", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("-1.5", "-1.5"),
        ("22.6", "22.6"),
        ("Barnsley", "Barnsley"),
    ],
)
def test_csv_fields_that_a_spreadsheet_would_evaluate_are_neutralised(
    field: str, safe: str
) -> None:
    row = Row(field, (Cell(field, (field,)),), (field,))
    body = Table("t", Column("h", ("h",)), (Column("c", ("c",)),), (RowGroup("", (row,)),))
    lines = list(csv.reader(io.StringIO(csv_text(body).removeprefix("\ufeff"))))

    assert lines[1] == [safe, safe]


# --- Not found --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/published/no-such-indicator/",
        "/published/no-such-indicator.csv?table=series",
        "/published/la/999/",
        "/published/la/999.csv",
        "/published/la/928/",  # Northamptonshire: abolished in 2021, not in the chooser
        "/published/rereferral_12m/?la=999",
        "/published/rereferral_12m/?la=%3Cscript%3E",  # not even shaped like a code
        "/published/rereferral_12m/?period=1999",
        "/published/rereferral_12m/?la=370&view=everything",
        "/published/rereferral_12m.csv?la=370&table=nothing",
        "/published/rereferral_12m.csv?table=las",  # the all-LA table needs an LA
    ],
)
def test_unknown_indicators_las_and_years_are_not_found(pages: Client, url: str) -> None:
    response = pages.get(url)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# --- The missing-children measures are not public -------------------------------------------


def restricted_only_markers() -> list[str]:
    """What would give a restricted-only measure away on a page: its key, title, definition
    and caveat (the missing-children caveat names "away from placement")."""
    markers = []
    for key in sorted(RESTRICTED_ONLY):
        spec = SPECS[key]
        markers += [key, spec.title, spec.definition, *spec.caveats]
    return markers


def public_urls() -> list[str]:
    """Every kind of public page and download: the home page; every public indicator for
    England and for an LA (whose page holds every table: over time, regions, all LAs) and a
    CSV of it; the summary and its CSV of a sample of LAs (every LA's summary has the same
    rows: one per public indicator)."""
    every_la = [code for code, _, _ in published.local_authorities()]
    codes = ["370", *random.Random(12).sample(every_la, 12)]  # noqa: S311 - a fixed sample
    urls = ["/published/"]
    for spec in INDICATORS:
        if spec.public:
            # The Ofsted leadership counts have no all-LA table (an LA's figure is 1 or 0).
            table = (
                "series"
                if spec.national_only
                else "regions"
                if spec.key in OFSTED_LEADERSHIP_KEYS
                else "las"
            )
            urls += [
                f"/published/{spec.key}/",
                f"/published/{spec.key}/?la=370",
                f"/published/{spec.key}.csv?la=370&table={table}",
            ]
    for code in codes:
        urls += [f"/published/la/{code}/", f"/published/la/{code}.csv"]
    return urls


def test_no_public_page_or_download_shows_a_missing_children_measure(pages: Client) -> None:
    assert len(RESTRICTED_ONLY) == 4
    markers = restricted_only_markers()
    urls = public_urls()
    assert len(urls) == 1 + 3 * (len(INDICATORS) - 4) + 2 * 13
    for url in urls:
        body = " ".join(get(pages, url).content.decode("utf-8-sig").split())
        found = [marker for marker in markers if " ".join(marker.split()) in body]
        assert not found, (url, found)
    # The summary lists every public indicator and nothing else.
    summary = get(pages, "/published/la/370/")
    titles = {r[0] for rows in indicator_tables(summary).values() for r in rows}
    assert titles == {spec.title for spec in INDICATORS if spec.public}


@pytest.mark.parametrize("key", sorted(RESTRICTED_ONLY))
@pytest.mark.parametrize(
    "suffix",
    [
        "/",
        "/?la=370",
        "/?la=370&view=neighbours&period=2024",
        ".csv?table=series",
        ".csv?la=370&table=series",
        ".csv?la=370&table=regions",
        ".csv?la=370&table=las",
    ],
)
def test_a_missing_children_measures_public_urls_are_not_found(
    pages: Client, key: str, suffix: str
) -> None:
    for _ in range(2):  # and nothing about it was cached by the first refusal
        response = pages.get(f"/published/{key}{suffix}")

        assert response.status_code == 404
        assert SPECS[key].title not in response.content.decode()


def test_the_missing_children_measures_are_still_loaded_for_the_restricted_dashboards(
    pages: Client,
) -> None:
    for key in RESTRICTED_ONLY:
        assert PublishedValue.objects.filter(indicator__key=key, geography_code="370").exists()
        series = published.time_series(key, "370", include_restricted=True)
        assert series.rows


# --- Caching ----------------------------------------------------------------------------------

PAGES = [
    "/published/",
    "/published/rereferral_12m/",
    "/published/rereferral_12m/?la=370&view=neighbours",
    "/published/la/370/",
    "/published/la/370.csv",
    "/published/rereferral_12m.csv?la=370&table=series",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_pages_are_public_cacheable_and_set_no_cookies(pages: Client, url: str) -> None:
    for _ in range(2):  # the first answer renders, the second comes from the cache
        response = get(pages, url)

        assert response.cookies == {}
        assert "public" in response.headers["Cache-Control"]
        assert "max-age=300" in response.headers["Cache-Control"]


def test_a_cached_page_never_carries_one_visitors_navigation_to_another(pages: Client) -> None:
    url = "/published/rereferral_12m/?la=370"
    anonymous = get(pages, url).content.decode()
    signed_in = Client()
    signed_in.force_login(make_user("reader@example.org"))
    theirs = get(signed_in, url)

    assert "Sign out" in theirs.content.decode()
    assert "no-store" in theirs.headers["Cache-Control"]
    assert "Sign out" not in get(pages, url).content.decode()
    assert "Sign in" in anonymous


def test_a_reload_that_adds_figures_shows_within_a_minute(pages: Client) -> None:
    url = "/published/rereferral_12m/?la=370"
    assert "2030" not in get(pages, url).content.decode()
    meta = indicator("rereferral_12m")
    england = PublishedValue.objects.get(
        indicator__key=meta.key, geography_code="E92000001", period="2025"
    )
    england.pk = None
    england.period, england.period_end_year = "2030", 2030
    england.save()
    england.indicator.periods = [*meta.periods, "2030"]
    england.indicator.save()

    # The data version is kept VERSION_SECONDS in the cache, then read again. Expire it
    # directly: Redis counts its TTL in real time, so travelling in time would not expire it.
    from django.core.cache import cache

    cache.delete(public_cache.VERSION_KEY)
    assert "2030" in get(pages, url).content.decode()


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/published/", 6),
        ("/published/rereferral_12m/?la=370", 24),
        ("/published/rereferral_12m/?la=370&view=neighbours", 25),
        ("/published/la/370/", 14),  # + the list of source files and their dates
        ("/published/la/370.csv", 10),
    ],
)
def test_queries_are_bounded_and_a_cached_page_needs_none(
    pages: Client, url: str, most: int, django_assert_max_num_queries: Any,
    django_assert_num_queries: Any,
) -> None:  # fmt: skip
    with django_assert_max_num_queries(most):
        get(pages, url)
    with django_assert_num_queries(0):
        get(pages, url)


def test_the_england_page_needs_two_queries_a_year(
    pages: Client, django_assert_max_num_queries: Any
) -> None:
    years = len(indicator("rereferral_12m").periods)

    with django_assert_max_num_queries(2 * years + 13):
        get(pages, "/published/rereferral_12m/")
