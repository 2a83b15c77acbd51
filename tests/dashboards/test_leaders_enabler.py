"""The "Leaders drive conditions for effective practice" enabler, and the loader's later-year
warning.

The spending (RSX, RO3) and Ofsted leadership figures stored by the real loader from the shipped
``.ods`` files are checked against the files' cells read here directly with python-calamine (not
through the loader's readers) and computed as the DfE dashboard computes them
(``R/read_data.R``: ``read_spending_data``, ``read_per_capita_spending``,
``read_spending_data2``, ``read_ofsted_leadership_data``).
"""

from __future__ import annotations

import io
import logging
import random
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from python_calamine import load_workbook

from dashboards.models import LeadershipRating, PublishedIndicator, PublishedValue
from dashboards.published.catalogue import (
    ENABLER_LEADERS,
    ENABLER_MULTI_AGENCY,
    ENABLER_WORKFORCE,
    INDICATORS,
    NATIONAL_CODE,
    OFSTED_GRADES,
)
from dashboards.published.loader import DATA_DIR, PublishedDataError, load_published_data
from portal.models import LocalAuthority, Population

PLACES = Decimal("0.000001")
RSX = "RSX_LA_Data_2024-25_data_by_LA.ods"
RO3 = "RO3_LA_Data_2024-25_data_by_LA.ods"
OFSTED = "LA_Inspection_Outcomes_as_at_31_March_2025.ods"
CHILDRENS_SOCIAL_CARE = "Children Social Care - Total Expenditure (C3 = C1 + C2)"
ALL_SERVICES = "Total Service Expenditure - Total Expenditure (C3 = C1 + C2)"
LOOKED_AFTER = "Children's social care - Children Looked After - Total Expenditure (C3 = C1 + C2)"
ALL_SOCIAL_CARE = "TOTAL CHILDREN SOCIAL CARE - Total Expenditure (C3 = C1 + C2)"
LEADERS = "The impact of leaders on social work practice with children and families"
OFSTED_KEYS = {
    "Outstanding": "ofsted_leadership_outstanding",
    "Good": "ofsted_leadership_good",
    "Requires improvement to be good": "ofsted_leadership_requires",
    "Inadequate": "ofsted_leadership_inadequate",
}


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Pages are cached fragments: none may leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data directory."""
    for path in DATA_DIR.iterdir():
        if path.is_file():
            shutil.copyfile(path, tmp_path / path.name)
    return tmp_path


def sheet_rows(name: str, sheet: str) -> list[list[Any]]:
    return load_workbook(str(DATA_DIR / name)).get_sheet_by_name(sheet).to_python()


@dataclass(frozen=True)
class Outturn:
    """An outturn sheet's first table: per ONS code, the cells of the named columns."""

    by_ons: dict[str, dict[str, Any]]
    england: dict[str, Any]


def outturn(name: str, sheet: str, columns: tuple[str, ...]) -> Outturn:
    rows = sheet_rows(name, sheet)
    header_at = next(i for i, row in enumerate(rows) if row[0] == "E-code")
    header = [str(cell).strip() for cell in rows[header_at]]
    index = {column: header.index(column) for column in ("ONS Code", "Class", *columns)}
    by_ons: dict[str, dict[str, Any]] = {}
    england: dict[str, Any] = {}
    for row in rows[header_at + 1 :]:
        if row[0] in ("", "E-code"):  # the end of the first table
            break
        cells = {column: row[at] for column, at in index.items()}
        if cells["Class"] == "Eng":
            england = cells
        elif cells["Class"] in ("UA", "MD", "LB", "SC"):
            by_ons[cells["ONS Code"]] = cells
    return Outturn(by_ons, england)


def number(cell: Any) -> Decimal | None:
    """A cell as the exact number it shows; None for '[x]'."""
    return None if cell == "[x]" else Decimal(str(cell))


def known(cell: Any) -> Decimal:
    """A cell that must hold a number (England's totals)."""
    found = number(cell)
    assert found is not None
    return found


def total(cells: list[dict[str, Any]], column: str) -> Decimal:
    """The column's numbers added up, leaving out '[x]'."""
    return sum((n for cell in cells if (n := number(cell[column])) is not None), Decimal(0))


def stored(key: str, code: str, period: str) -> PublishedValue:
    return PublishedValue.objects.get(indicator__key=key, geography_code=code, period=period)


def sample_las() -> list[LocalAuthority]:
    """Eight current LAs picked with a fixed seed, and Birmingham (no certified return)."""
    current = list(LocalAuthority.objects.current().order_by("code"))
    picked = random.Random(20260114).sample(current, 8)  # noqa: S311 (a fixed, stable sample)
    return [*picked, LocalAuthority.objects.get(code="330")]


def regions_of(las: list[LocalAuthority]) -> dict[str, list[LocalAuthority]]:
    """Region (and Inner/Outer London) code -> its current LAs."""
    members: dict[str, list[LocalAuthority]] = {}
    for la in LocalAuthority.objects.current().select_related("region", "sub_region"):
        members.setdefault(la.region.code, []).append(la)
        if la.sub_region is not None:
            members.setdefault(la.sub_region.code, []).append(la)
    return members


def share(part: Decimal, total: Decimal) -> Decimal:
    return (part * 100 / total).quantize(PLACES)


# --- spending ---------------------------------------------------------------------------------


def test_spending_shares_equal_the_rsx_and_ro3_cells(loaded: None, db: None) -> None:
    rsx = outturn(RSX, "RSX_LA_Data_202425", (CHILDRENS_SOCIAL_CARE, ALL_SERVICES))
    ro3 = outturn(RO3, "RO3_LA_Data_202425", (LOOKED_AFTER, ALL_SOCIAL_CARE))
    las = sample_las()
    assert len(las) == 9
    for la in las:
        spend = rsx.by_ons[la.ons_code]
        care = ro3.by_ons[la.ons_code]
        first = stored("spend_share_childrens_services", la.code, "2024/25")
        rest = stored("spend_share_not_cla", la.code, "2024/25")
        children, services = number(spend[CHILDRENS_SOCIAL_CARE]), number(spend[ALL_SERVICES])
        looked_after, social_care = number(care[LOOKED_AFTER]), number(care[ALL_SOCIAL_CARE])
        if children is None or services is None:
            assert (first.value, first.suppression) == (None, "x"), la.code
        else:
            assert first.value == share(children, services), la.code
            assert first.numerator == children * 1000  # stored in pounds, not £ thousand
            assert first.suppression == ""
        if looked_after is None or social_care is None:
            assert (rest.value, rest.suppression) == (None, "x"), la.code
        else:
            assert rest.value == share(social_care - looked_after, social_care), la.code
    assert stored("spend_share_childrens_services", "330", "2024/25").suppression == "x"

    # England: the file's England row (which also counts district councils and others).
    england = stored("spend_share_childrens_services", NATIONAL_CODE, "2024/25")
    assert england.value == share(
        known(rsx.england[CHILDRENS_SOCIAL_CARE]), known(rsx.england[ALL_SERVICES])
    )
    # A region adds up its LAs' spending, leaving out those without a figure.
    for code, members in regions_of(las).items():
        cells = [rsx.by_ons[la.ons_code] for la in members]
        region = stored("spend_share_childrens_services", code, "2024/25")
        expected = share(total(cells, CHILDRENS_SOCIAL_CARE), total(cells, ALL_SERVICES))
        assert region.value == expected, code
        assert region.geography_level == "regional"


def test_spend_per_child_divides_by_the_mid_2024_population(loaded: None, db: None) -> None:
    rsx = outturn(RSX, "RSX_LA_Data_202425", (CHILDRENS_SOCIAL_CARE,))
    for la in sample_las():
        value = stored("spend_per_child", la.code, "2024/25")
        spend = number(rsx.by_ons[la.ons_code][CHILDRENS_SOCIAL_CARE])
        children = Population.objects.get(la=la, year=2024).population_0_17
        if spend is None:
            assert (value.value, value.suppression) == (None, "x"), la.code
        else:
            assert value.value == (spend * 1000 / children).quantize(PLACES), la.code
            assert value.denominator == children
    england = stored("spend_per_child", NATIONAL_CODE, "2024/25")
    people = Population.objects.get(geography_level="national", year=2024).population_0_17
    expected = known(rsx.england[CHILDRENS_SOCIAL_CARE]) * 1000 / people
    assert england.value == expected.quantize(PLACES)
    indicator = PublishedIndicator.objects.get(key="spend_per_child")
    assert (indicator.unit, indicator.decimals, indicator.dfe_sort_order) == ("currency", 0, 57)


# --- Ofsted leadership ------------------------------------------------------------------------


def ofsted_rows() -> dict[str, list[Any]]:  # calamine reads the dates as datetimes
    """ONS code -> (rating, inspection date, publication date) of every inspected LA."""
    rows = sheet_rows(OFSTED, "Inspections_as_at_31_March")
    header_at = next(i for i, row in enumerate(rows) if "Local authority area code" in row)
    header = rows[header_at]
    code, rating = header.index("Local authority area code"), header.index(LEADERS)
    inspected, published = header.index("Inspection date"), header.index("Publication date")
    return {
        row[code]: [row[rating], row[inspected].date(), row[published].date()]
        for row in rows[header_at + 1 :]
        if row[code] and row[inspected] != "Not yet inspected"
    }


def test_ofsted_counts_and_ratings_equal_the_inspection_outcomes(loaded: None, db: None) -> None:
    ratings = ofsted_rows()
    assert len(ratings) == 153
    las = sample_las()
    for la in las:
        rating, inspected, published = ratings[la.ons_code]
        for grade, key in OFSTED_KEYS.items():
            assert stored(key, la.code, "2025").value == (1 if grade == rating else 0), la.code
        kept = LeadershipRating.objects.get(la=la)
        assert (kept.rating, kept.inspection_date, kept.publication_date, kept.period) == (
            rating,
            inspected,
            published,
            "2025",
        )
    england = Counter(rating for rating, _, _ in ratings.values())
    assert set(england) == set(OFSTED_GRADES)
    for grade, key in OFSTED_KEYS.items():
        assert stored(key, NATIONAL_CODE, "2025").value == england[grade]
    for code, members in regions_of(las).items():
        counts = Counter(ratings[la.ons_code][0] for la in members if la.ons_code in ratings)
        for grade, key in OFSTED_KEYS.items():
            assert stored(key, code, "2025").value == counts[grade], (code, grade)
    indicator = PublishedIndicator.objects.get(key="ofsted_leadership_good")
    assert (indicator.sn_aggregation, indicator.group, indicator.dfe_sort_order) == (
        "sum",
        ENABLER_LEADERS,
        60,
    )


def test_the_seven_leadership_rows_are_the_dfe_rows_56_to_62() -> None:
    rows = {spec.dfe_sort_order or 0: spec for spec in INDICATORS if spec.group == ENABLER_LEADERS}
    assert sorted(rows) == list(range(56, 63))
    assert rows[59].key == "ofsted_leadership_outstanding"


# --- ceased SGO/CAO: the 2025 figures the shipped LAIT file holds -----------------------------


def test_ceased_sgo_and_cao_load_2025_from_lait(loaded: None, db: None) -> None:
    lait = pd.read_parquet(
        DATA_DIR / "bds_long_0.parquet",
        filters=[("Short Desc", "in", ["LAC_ceased_SGO%", "LAC_ceased_CAO%"])],
    )
    barnsley = lait.loc[(lait["LA Number"] == 370) & (lait["Years"] == "2025")]
    for key, measure in (("ceased_sgo", "LAC_ceased_SGO%"), ("ceased_cao", "LAC_ceased_CAO%")):
        (published,) = barnsley.loc[barnsley["Short Desc"] == measure, "Values"]
        assert stored(key, "370", "2025").value == Decimal(str(published))
        assert PublishedIndicator.objects.get(key=key).periods[-1] == "2025"


# --- the later-year warning -------------------------------------------------------------------


def test_the_shipped_files_raise_no_later_year_warning(loaded: None, db: None) -> None:
    out, errors = io.StringIO(), io.StringIO()
    call_command("load_published_data", stdout=out, stderr=errors)
    assert "Warning" not in errors.getvalue()
    assert "Nothing changed" in out.getvalue()  # the ratings too are only written when changed


def test_a_file_with_a_later_year_than_its_series_warns(
    loaded: None, db: None, data_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 2026 rows of la_cla_placement_stability.csv that the 3-or-more-placements series filters
    # away (only the "Total children" rows): the series still stops at 2025.
    path = data_copy / "la_cla_placement_stability.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    later = [
        line.replace("2025,", "2026,", 1)
        for line in lines
        if line.startswith("2025,") and "Total children" in line and ",National," in line
    ]
    assert later
    path.write_text("\n".join([*lines, *later]) + "\n", encoding="utf-8")
    errors = io.StringIO()
    with caplog.at_level(logging.WARNING, logger="dashboards.published.loader"):
        call_command(
            "load_published_data", directory=data_copy, stdout=io.StringIO(), stderr=errors
        )
    expected = "la_cla_placement_stability.csv holds figures for 2026, but "
    expected += "placement_stability_3plus stops at 2025"
    assert expected in errors.getvalue()
    assert any(expected in record.getMessage() for record in caplog.records)
    assert PublishedIndicator.objects.get(key="placement_stability_3plus").periods[-1] == "2025"


# --- bad .ods files ---------------------------------------------------------------------------


def rewrite_ods(path: Path, old: str, new: str) -> None:
    """Replace text in the spreadsheet's content.xml, keeping the ODF zip layout."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in entries:
            if info.filename == "content.xml":
                text = data.decode("utf-8")
                assert old in text
                data = text.replace(old, new).encode("utf-8")
            target.writestr(info, data)


def test_a_file_that_is_not_a_spreadsheet_is_named(data_copy: Path, db: None) -> None:
    (data_copy / RSX).write_bytes(b"not a spreadsheet")
    call_command("load_reference_data", verbosity=0)
    with pytest.raises(PublishedDataError, match=f"{RSX}: not a readable spreadsheet"):
        load_published_data(data_copy)


def test_a_renamed_sheet_is_named(data_copy: Path, db: None) -> None:
    rewrite_ods(data_copy / RO3, 'table:name="RO3_LA_Data_202425"', 'table:name="Data"')
    call_command("load_reference_data", verbosity=0)
    with pytest.raises(PublishedDataError, match=rf"{RO3}: no sheet named like"):
        load_published_data(data_copy)


def test_an_unknown_leadership_judgement_is_named_by_sheet_and_row(
    data_copy: Path, db: None
) -> None:
    rewrite_ods(data_copy / OFSTED, ">Inadequate<", ">Very poor<")
    call_command("load_reference_data", verbosity=0)
    with pytest.raises(
        PublishedDataError,
        match=rf"{OFSTED}, sheet Inspections_as_at_31_March, row \d+: leadership judgement "
        "'Very poor' is not one of",
    ):
        load_published_data(data_copy)


# --- pages ------------------------------------------------------------------------------------


def text_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_index_shows_the_leaders_and_multi_agency_enablers(loaded: None, db: None) -> None:
    page = text_of(Client(), reverse("dashboards:index"))
    multi_agency = page.index(ENABLER_MULTI_AGENCY)
    leaders = page.index(ENABLER_LEADERS)
    workforce = page.index(ENABLER_WORKFORCE)
    assert multi_agency < leaders < workforce  # the DfE dashboard's order
    assert "Indicators for this enabler are in development" in page[multi_agency:leaders]
    for spec in INDICATORS:
        if spec.group == ENABLER_LEADERS:
            link = reverse("dashboards:indicator", args=[spec.key])
            assert f'href="{link}"' in page[leaders:workforce]
    assert "social workers from ethnic minority backgrounds" in page[workforce:]
    assert "not among the files" in page[workforce:]


def test_an_las_pages_give_its_leadership_rating_in_words(loaded: None, db: None) -> None:
    rating = LeadershipRating.objects.select_related("la").get(la__code="370")
    client = Client()
    sentence = f"in {rating.la.name}: <strong>{rating.rating}</strong>"
    summary = text_of(client, reverse("dashboards:la_summary", args=["370"]))
    assert sentence in summary
    assert summary.index(ENABLER_LEADERS) < summary.index(sentence)
    assert f"{rating.inspection_date:%-d %B %Y}" in summary
    good = reverse("dashboards:indicator", args=["ofsted_leadership_good"])
    indicator = text_of(client, f"{good}?la=370")
    assert sentence in indicator
    other = text_of(client, reverse("dashboards:indicator", args=["spend_per_child"]) + "?la=370")
    assert sentence not in other


def test_a_series_of_one_year_has_its_table_but_no_empty_chart_over_time(
    loaded: None, db: None
) -> None:
    client = Client()
    spend = client.get(reverse("dashboards:indicator", args=["spend_per_child"]), {"la": "370"})
    page = spend.content.decode()
    section = page[page.index('id="over-time"') : page.index('id="regions"')]

    assert "Figures for 2024/25" in section
    assert "no chart over time" in section
    assert "<canvas" not in section
    assert 'id="over-time-data"' not in page
    assert "<table" in section  # the figures are still there
    assert '<canvas role="img"' in page[page.index('id="regions"') :]  # other charts are drawn
    referrals = client.get(reverse("dashboards:indicator", args=["rereferral_12m"]))
    assert 'id="over-time-data"' in referrals.content.decode()


def test_a_leadership_count_is_not_charted_as_every_las_one_or_zero(loaded: None, db: None) -> None:
    client = Client()
    good = client.get(
        reverse("dashboards:indicator", args=["ofsted_leadership_good"]), {"la": "370"}
    )
    spend = client.get(reverse("dashboards:indicator", args=["spend_per_child"]), {"la": "370"})
    for section in ('id="over-time"', 'id="regions"'):
        assert section in good.content.decode()
    for section in ('id="local-authorities"', 'id="child-poverty"'):
        assert section not in good.content.decode()
        assert section in spend.content.decode()
