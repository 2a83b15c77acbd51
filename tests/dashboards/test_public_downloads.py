"""The public dashboard's reusable downloads (Explore Education Statistics format), on the real
published files loaded by the real loader.

Each indicator's CSV holds every stored figure (value or published symbol) of every geography
and period, in the EES columns; the whole-dashboard zip holds every public indicator, a metadata
file naming every column and the data guidance; no restricted-only measure is in either; both
are linked from the pages and served with ``Cache-Control: public``.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from dashboards.models import PublishedIndicator, PublishedValue
from dashboards.published import downloads
from dashboards.published.catalogue import CONTEXT_KEYS, RESTRICTED_ONLY, SPECS
from dashboards.published.queries import IndicatorMeta, StoredFigure, get_indicator
from portal.models.reference import GeographyLevel

LEVELS = {"National": "national", "Regional": "regional", "Local authority": "local_authority"}


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pages(loaded: None, db: None) -> Client:
    return Client()


def rows(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    reader = csv.DictReader(io.StringIO(text[1:], newline=""))
    found = list(reader)
    return list(reader.fieldnames or []), found


def download(pages: Client, url: str) -> Any:
    response = pages.get(url)
    assert response.status_code == 200, url
    assert "public" in response["Cache-Control"]
    return response


def geography(line: dict[str, str]) -> str:
    """The stored geography code of a data row."""
    if line["geographic_level"] == "Local authority":
        return line["old_la_code"]
    return line["region_code"] or line["country_code"]


def number_or_symbol(cell: str) -> Decimal | str:
    try:
        return Decimal(cell)
    except InvalidOperation:
        return cell


def stored(key: str) -> dict[tuple[str, str], Decimal | str]:
    """(geography code, EES time_period) -> value as the CSV must write it, from the store."""
    found: dict[tuple[str, str], Decimal | str] = {}
    for code, period, number, suppression in PublishedValue.objects.filter(
        indicator__key=key
    ).values_list("geography_code", "period", "value", "suppression"):
        time_period = period.replace("/", "")
        if number is not None:
            found[(code, time_period)] = number
        else:
            found[(code, time_period)] = suppression if suppression != "-" else "x"
    return found


def sample_keys() -> list[str]:
    """A fixed sample of public indicators, with an England-only one and one whose source
    marks withheld figures with LAIT's '-'."""
    keys = sorted(
        PublishedIndicator.objects.exclude(key__in=RESTRICTED_ONLY | CONTEXT_KEYS).values_list(
            "key", flat=True
        )
    )
    dashed = (
        PublishedValue.objects.filter(suppression="-")
        .exclude(indicator__key__in=RESTRICTED_ONLY | CONTEXT_KEYS)
        .values_list("indicator__key", flat=True)
        .first()
    )
    national = (
        PublishedIndicator.objects.filter(national_only=True)
        .exclude(key__in=RESTRICTED_ONLY)
        .values_list("key", flat=True)
        .first()
    )
    chosen = random.Random(14).sample(keys, 6)  # noqa: S311 - a fixed sample
    return sorted({*chosen, *(key for key in (dashed, national) if key)})


def test_each_indicator_csv_holds_every_stored_figure(pages: Client) -> None:
    for key in sample_keys():
        meta = get_indicator(key)
        assert meta is not None
        response = download(pages, f"/published/data/{key}.csv")
        header, lines = rows(response.content)

        assert response["Content-Disposition"] == f'attachment; filename="{key}.csv"'
        assert tuple(header) == downloads.COLUMNS
        expected = stored(key)
        written = {}
        for line in lines:
            written[(geography(line), line["time_period"])] = number_or_symbol(line["value"])
            assert line["indicator"] == key
            assert line["indicator_name"] == meta.title
            assert line["indicator_group"] == meta.group
            assert line["country_code"] == "E92000001"
        assert written == expected, key
        assert len(lines) == len(expected)  # one row per stored figure, none twice


def test_time_and_geography_columns_follow_the_ees_files(pages: Client) -> None:
    _, cin = rows(download(pages, "/published/data/cla_rate.csv").content)
    academic = next(key for key, spec in SPECS.items() if spec.source.pattern == "ks2_la.csv")
    _, ks2 = rows(download(pages, f"/published/data/{academic}.csv").content)

    camden = next(line for line in cin if line["old_la_code"] == "202")
    assert (camden["time_identifier"], camden["new_la_code"], camden["la_name"]) == (
        "Reporting year",
        "E09000007",
        "Camden",
    )
    assert camden["region_name"] == "Inner London"  # as in the EES files
    assert {line["time_period"] for line in cin} >= {"2025"}
    assert {line["geographic_level"] for line in cin} == set(LEVELS)
    assert {line["time_identifier"] for line in ks2} == {"Academic year"}
    assert "202425" in {line["time_period"] for line in ks2}
    england = next(line for line in cin if line["geographic_level"] == "National")
    assert england["region_code"] == england["old_la_code"] == england["la_name"] == ""


def test_the_whole_dashboard_zip_holds_every_public_indicator_its_meta_and_guidance(
    pages: Client,
) -> None:
    response = download(pages, "/published/data/all.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    stem = downloads.FILE_STEM

    assert response["Content-Type"] == "application/zip"
    assert sorted(archive.namelist()) == sorted(
        [f"{stem}.csv", f"{stem}.meta.csv", "data-guidance.txt"]
    )
    header, lines = rows(archive.read(f"{stem}.csv"))
    # Every public indicator; not the measures of local context, shown beside them.
    hidden = RESTRICTED_ONLY | CONTEXT_KEYS
    public = set(PublishedIndicator.objects.exclude(key__in=hidden).values_list("key", flat=True))
    assert {line["indicator"] for line in lines} == public
    assert len(lines) == PublishedValue.objects.exclude(indicator__key__in=hidden).count()

    meta_header, meta = rows(archive.read(f"{stem}.meta.csv"))
    assert tuple(meta_header) == downloads.META_COLUMNS
    listed = {line["col_name"] for line in meta}
    grouping = {line["filter_grouping_column"] for line in meta} - {""}
    # Every column is a time or geography column, listed in the metadata, or a filter's group.
    assert set(header) == set(downloads.OBSERVATIONAL_UNITS) | listed | grouping
    assert not listed & (set(downloads.OBSERVATIONAL_UNITS) | grouping)
    assert {line["col_type"] for line in meta} == {"Filter", "Indicator"}
    assert all(line["label"] for line in meta)

    guidance = archive.read("data-guidance.txt").decode()
    for key in public:
        assert f"\n{key}: " in guidance


def test_no_download_holds_a_restricted_only_measure(pages: Client) -> None:
    assert len(RESTRICTED_ONLY) == 4
    archive = zipfile.ZipFile(io.BytesIO(download(pages, "/published/data/all.zip").content))
    everything = " ".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    for key in RESTRICTED_ONLY:
        spec = SPECS[key]
        assert PublishedValue.objects.filter(indicator__key=key).exists()  # loaded, yet hidden
        assert pages.get(f"/published/data/{key}.csv").status_code == 404
        for marker in (key, spec.title, spec.definition):
            assert marker not in everything, marker


def test_unknown_indicator_is_a_404_and_fills_no_cache(pages: Client) -> None:
    assert pages.get("/published/data/no_such_indicator.csv").status_code == 404
    assert cache.get("dashboards:indicator-data:no_such_indicator") is None


def test_pages_link_to_the_downloads(pages: Client) -> None:
    index = pages.get("/published/").content.decode()
    page = pages.get("/published/cla_rate/?la=370").content.decode()

    assert 'href="/published/data/all.zip"' in index
    assert 'href="/published/data/all.zip"' in page
    assert 'href="/published/data/cla_rate.csv"' in page


def test_cells_a_spreadsheet_would_run_are_guarded() -> None:
    meta = IndicatorMeta(
        key="k", title="=HYPERLINK(\"x\")", group="g", heading="h", unit="count", decimals=0,
        definition="", source="", source_url="", source_released=None, caveats=(),
        guidance=(), period_type="financial_year", period_type_label="",
        sn_aggregation="median", national_only=False, dfe_sort_order=None, periods=("2025",),
        figures_updated_at=None,
    )  # fmt: skip
    figure = StoredFigure(
        meta, "2025", GeographyLevel.LOCAL_AUTHORITY, "E12000001", "North East", "999",
        "E06000099", "@SUM(A1)", Decimal("-3.5"), "",
    )  # fmt: skip
    _, (line,) = rows("".join(downloads.data_lines([figure])).encode())

    assert line["indicator_name"] == '\'=HYPERLINK("x")'
    assert line["la_name"] == "'@SUM(A1)"
    assert line["value"] == "-3.5"  # a number stays a number
