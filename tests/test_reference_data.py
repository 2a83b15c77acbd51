"""Reference data: ``manage.py load_reference_data`` loads the files shipped in the repository."""

from __future__ import annotations

import datetime
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portal.models import LocalAuthority, Population, Region, StatisticalNeighbour
from portal.models.reference import Closeness, GeographyLevel
from portal.reference import (
    CHANGES_FILE,
    NEIGHBOURS_FILE,
    POPULATION_FILE,
    REFERENCE_DATA_DIR,
)

YEARS = range(2012, 2025)

pytestmark = pytest.mark.django_db


def load(directory: Path = REFERENCE_DATA_DIR) -> str:
    out = StringIO()
    call_command("load_reference_data", directory=directory, stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded() -> str:
    return load()


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped files, to break or change."""
    for name in (POPULATION_FILE, NEIGHBOURS_FILE, CHANGES_FILE):
        shutil.copy(REFERENCE_DATA_DIR / name, tmp_path / name)
    return tmp_path


def table_counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "las": LocalAuthority.objects.count(),
        "successions": LocalAuthority.successors.through.objects.count(),
        "neighbours": StatisticalNeighbour.objects.count(),
        "population": Population.objects.count(),
    }


def test_command_reports_what_it_loaded(loaded: str) -> None:
    assert (
        "Loaded 11 regions, 153 current local authorities (+5 predecessors), 1,530 statistical "
        "neighbour links, 2,111 population figures (2012–2024)." in loaded  # noqa: RUF001
    )


def test_there_are_153_current_local_authorities_with_dfe_and_gss_codes(loaded: str) -> None:
    current = LocalAuthority.objects.current()
    assert current.count() == 153
    for la in current:
        assert len(la.code) == 3
        assert la.code.isdigit()
        assert la.ons_code[:3] in {"E06", "E08", "E09", "E10"}


def test_known_local_authority(loaded: str) -> None:
    la = LocalAuthority.objects.get(code="301")
    assert la.name == "Barking and Dagenham"
    assert la.ons_code == "E09000002"
    assert la.region.name == "London"
    assert la.sub_region is not None
    assert la.sub_region.name == "Outer London"
    assert la.valid_from is None
    assert la.valid_to is None
    first = la.statistical_neighbours.get(model_year=2025, rank=1)
    assert first.neighbour.code == "308"
    assert first.closeness == Closeness.CLOSE  # published as "Close " with a trailing space


def test_nine_regions_plus_inner_and_outer_london(loaded: str) -> None:
    regions = Region.objects.filter(parent__isnull=True)
    assert sorted(regions.values_list("code", flat=True)) == [f"E1200000{n}" for n in range(1, 10)]
    london = Region.objects.get(code="E12000007")
    assert sorted(london.sub_regions.values_list("code", "name")) == [
        ("E13000001", "Inner London"),
        ("E13000002", "Outer London"),
    ]
    boroughs = LocalAuthority.objects.filter(region=london)
    assert boroughs.count() == 33
    assert boroughs.filter(sub_region__name="Inner London").count() == 14
    assert boroughs.filter(sub_region__name="Outer London").count() == 19
    assert not LocalAuthority.objects.exclude(region=london).filter(sub_region__isnull=False)


def test_every_current_la_has_ten_ranked_current_neighbours(loaded: str) -> None:
    current = set(LocalAuthority.objects.current())
    for la in current:
        links = list(la.statistical_neighbours.filter(model_year=2025).order_by("rank"))
        assert [link.rank for link in links] == list(range(1, 11)), la
        neighbours = {link.neighbour for link in links}
        assert len(neighbours) == 10, la
        assert neighbours <= current, la
        assert la not in neighbours
    assert StatisticalNeighbour.objects.count() == 1530


def test_population_covers_each_current_la_for_the_years_it_existed(loaded: str) -> None:
    # The published file does not back-cast LAs created by a reorganisation: their figures start
    # in the year they were created (2019, 2021 or 2023); every other LA has all 13 years.
    for la in LocalAuthority.objects.current():
        first_year = la.valid_from.year if la.valid_from else YEARS[0]
        years = set(la.populations.values_list("year", flat=True))
        assert years == set(range(first_year, YEARS[-1] + 1)), la
    created_later = LocalAuthority.objects.current().filter(valid_from__isnull=False)
    assert sorted(created_later.values_list("code", flat=True)) == [
        "838",
        "839",
        "940",
        "941",
        "942",
        "943",
    ]


def test_population_for_england_and_regions(loaded: str) -> None:
    england = Population.objects.filter(geography_level=GeographyLevel.NATIONAL)
    assert sorted(england.values_list("year", flat=True)) == list(YEARS)
    assert england.get(year=2024).population_0_17 == 12_183_016
    for region in Region.objects.all():
        assert sorted(region.populations.values_list("year", flat=True)) == list(YEARS), region
    inner_outer = Population.objects.filter(region__parent__code="E12000007", year=2024)
    london = Population.objects.get(region__code="E12000007", year=2024)
    assert sum(p.population_0_17 for p in inner_outer) == london.population_0_17


def test_predecessors_are_linked_to_their_successors(loaded: str) -> None:
    expected = {
        "835": (datetime.date(2019, 3, 31), {"838", "839"}),  # Dorset county
        "836": (datetime.date(2019, 3, 31), {"839"}),  # Poole
        "837": (datetime.date(2019, 3, 31), {"839"}),  # Bournemouth
        "928": (datetime.date(2021, 3, 31), {"940", "941"}),  # Northamptonshire
        "909": (datetime.date(2023, 3, 31), {"942", "943"}),  # Cumbria
    }
    predecessors = LocalAuthority.objects.filter(valid_to__isnull=False)
    assert {la.code for la in predecessors} == set(expected)
    for la in predecessors:
        valid_to, successors = expected[la.code]
        assert la.valid_to == valid_to
        assert {s.code for s in la.successors.all()} == successors
        for successor in la.successors.all():
            assert successor.valid_from == valid_to + datetime.timedelta(days=1)
            assert successor.valid_to is None

    northamptonshire = LocalAuthority.objects.get(code="928")
    assert northamptonshire.ons_code == "E10000021"
    assert {la.name for la in northamptonshire.successors.all()} == {
        "North Northamptonshire",
        "West Northamptonshire",
    }
    assert sorted(northamptonshire.populations.values_list("year", flat=True)) == list(
        range(2012, 2021)
    )
    bcp = LocalAuthority.objects.get(code="839")
    assert {la.code for la in bcp.predecessors.all()} == {"835", "836", "837"}


def test_predecessors_have_no_neighbours_and_are_no_ones_neighbour(loaded: str) -> None:
    predecessors = LocalAuthority.objects.filter(valid_to__isnull=False)
    assert not StatisticalNeighbour.objects.filter(la__in=predecessors)
    assert not StatisticalNeighbour.objects.filter(neighbour__in=predecessors)


def test_running_twice_changes_nothing(loaded: str) -> None:
    before = table_counts()
    again = load()
    assert table_counts() == before
    assert again.splitlines()[0] == loaded.splitlines()[0]
    assert "Nothing changed" in again


def test_a_changed_neighbour_order_is_applied(reference_copy: Path) -> None:
    load(reference_copy)
    path = reference_copy / NEIGHBOURS_FILE
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    barking = next(i for i, line in enumerate(lines) if line.startswith("301,"))
    assert lines[barking].startswith("301,Barking and Dagenham,3,London,308,Close ,821,Close ,")
    lines[barking] = lines[barking].replace("308,Close ,821,Close ,", "821,Close ,308,Not close,")
    path.write_text("".join(lines), encoding="utf-8")

    output = load(reference_copy)

    assert "20 rows created, updated or removed." in output  # Barking's 10 links, replaced
    links = StatisticalNeighbour.objects.filter(la__code="301").order_by("rank")
    assert [(link.neighbour.code, link.closeness) for link in links[:2]] == [
        ("821", Closeness.CLOSE),
        ("308", Closeness.NOT_CLOSE),
    ]
    assert StatisticalNeighbour.objects.count() == 1530


@pytest.mark.parametrize("missing", [POPULATION_FILE, NEIGHBOURS_FILE, CHANGES_FILE])
def test_a_missing_file_is_named(reference_copy: Path, missing: str) -> None:
    (reference_copy / missing).unlink()
    with pytest.raises(CommandError, match=f"{missing}: file not found"):
        load(reference_copy)
    assert not LocalAuthority.objects.exists()


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (NEIGHBOURS_FILE, "SN_10P", "SN_10_closeness", "missing column\\(s\\) SN_10P"),
        (NEIGHBOURS_FILE, "Somewhat close", "Quite close", "unknown closeness 'Quite close'"),
        (NEIGHBOURS_FILE, "301,Barking", "999,Barking", "unexpected 999"),
        (POPULATION_FILE, ",66465", ",sixty", "expected a whole number in population_estimate"),
        (POPULATION_FILE, "Children aged 0 to 17", "Children aged 0 to 4", "expected age_group"),
        (CHANGES_FILE, "2021-04-01", "2021-04-01,extra", "line 6: more fields than the header"),
        (CHANGES_FILE, "2021-04-01", "1 April 2021", "expected a YYYY-MM-DD date"),
        (CHANGES_FILE, "928,940", "928,999", "LA code\\(s\\) 999 are not in"),
    ],
)
def test_a_malformed_file_is_named(
    reference_copy: Path, name: str, old: str, new: str, message: str
) -> None:
    path = reference_copy / name
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CommandError, match=f"{name}.*{message}"):
        load(reference_copy)
    assert not LocalAuthority.objects.exists()


def test_a_failed_reload_leaves_the_loaded_data_alone(reference_copy: Path) -> None:
    load(reference_copy)
    before = table_counts()
    (reference_copy / NEIGHBOURS_FILE).write_text("old_la_code\n301\n", encoding="utf-8")
    with pytest.raises(CommandError, match=NEIGHBOURS_FILE):
        load(reference_copy)
    assert table_counts() == before
