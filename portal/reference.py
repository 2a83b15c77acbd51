"""Load the reference geography from the files shipped in ``portal/reference_data/``.

Three files (see ``reference_data/PROVENANCE.md``):

* the DfE republication of ONS mid-year estimates of children aged 0 to 17, 2012 to 2024: the
  source of regions, local authorities (codes, names, regions) and population figures;
* the DfE 2025 statistical neighbour model: ten ranked neighbours for each current LA;
* a hand-maintained list of reorganisations: which abolished LA was replaced by which, and when.

The ``read_*`` functions parse and check one file each and touch no database;
``load_reference_data`` checks the files against each other and then makes the database match
them in one transaction. It only writes rows that differ, so running it again changes nothing.

``comparison_group`` is the one look-up of what an LA's figures are compared with (its region
and its ten statistical neighbours), so the public and restricted dashboards cannot disagree.
"""

from __future__ import annotations

import csv
import datetime
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction

from portal.models import LocalAuthority, Population, Region, StatisticalNeighbour
from portal.models.reference import NEIGHBOURS_PER_LA, Closeness, GeographyLevel

REFERENCE_DATA_DIR = Path(__file__).resolve().parent / "reference_data"
POPULATION_FILE = "ons_mid-year_population_estimates_2012_to_2024.csv"
NEIGHBOURS_FILE = "sn_model_2025_wide.csv"
CHANGES_FILE = "local_authority_changes.csv"
NEIGHBOUR_MODEL_YEAR = 2025

POPULATION_AGE_GROUP = "Children aged 0 to 17 years"
# Inner and Outer London are ONS statistical sub-regions of London (E12000007); the population
# file gives them as regions in their own right and files London boroughs under them.
SUB_REGION_PARENTS = {"E13000001": "E12000007", "E13000002": "E12000007"}
# EES files put one of these codes where a figure is withheld or not available.
SUPPRESSION_CODES = frozenset({"c", "k", "low", "u", "x", "z"})
GEOGRAPHIC_LEVELS = {
    "National": GeographyLevel.NATIONAL,
    "Regional": GeographyLevel.REGIONAL,
    "Local authority": GeographyLevel.LOCAL_AUTHORITY,
}
CLOSENESS_BY_LABEL = {choice.value.casefold(): choice for choice in Closeness}


class ReferenceDataError(Exception):
    """A reference data file is missing, or its content is not what the loader expects."""


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    parent_code: str | None


@dataclass(frozen=True)
class LocalAuthorityRow:
    code: str
    ons_code: str
    name: str
    # As in the population file: Inner/Outer London for London boroughs, else the region.
    region_code: str


@dataclass(frozen=True)
class PopulationRow:
    level: GeographyLevel
    region_code: str | None
    la_code: str | None
    year: int
    population: int


@dataclass(frozen=True)
class NeighbourRow:
    la_code: str
    rank: int
    neighbour_code: str
    closeness: Closeness


@dataclass(frozen=True)
class Change:
    predecessor_code: str
    successor_code: str
    successor_from: datetime.date


@dataclass(frozen=True)
class PopulationFile:
    regions: list[RegionRow]
    local_authorities: list[LocalAuthorityRow]
    figures: list[PopulationRow]


def _read_rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV file after checking it has ``columns``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in columns if column not in (reader.fieldnames or [])]
            if missing:
                raise ReferenceDataError(
                    f"{path.name}: missing column(s) {', '.join(missing)}; "
                    f"expected a header row with {', '.join(columns)}."
                )
            for row in reader:
                if None in row:  # DictReader's key for fields beyond the header
                    raise ReferenceDataError(
                        f"{path.name}, line {reader.line_num}: more fields than the header has."
                    )
                yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}
    except FileNotFoundError as error:
        raise ReferenceDataError(f"{path.name}: file not found in {path.parent}.") from error
    except (UnicodeDecodeError, csv.Error) as error:
        raise ReferenceDataError(
            f"{path.name}: not a readable UTF-8 CSV file ({error})."
        ) from error


def _integer(path: Path, line: int, column: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ReferenceDataError(
            f"{path.name}, line {line}: expected a whole number in {column}, got {value!r}."
        ) from None


def read_population(path: Path) -> PopulationFile:
    """Read regions, local authorities and 0-17 population figures from the population file.

    An LA's code, name and region are taken from its latest year, because three LAs changed GSS
    code when they became unitary. Withheld figures (EES suppression codes) are left out.
    """
    columns = (
        "time_period",
        "geographic_level",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
        "age_group",
        "population_estimate",
    )
    region_names: dict[str, str] = {}
    latest_la: dict[str, tuple[int, LocalAuthorityRow]] = {}
    seen: set[tuple[GeographyLevel, str, int]] = set()
    figures: list[PopulationRow] = []
    for line, row in _read_rows(path, columns):
        level = GEOGRAPHIC_LEVELS.get(row["geographic_level"])
        if level is None:
            raise ReferenceDataError(
                f"{path.name}, line {line}: unexpected geographic_level "
                f"{row['geographic_level']!r}; expected one of {', '.join(GEOGRAPHIC_LEVELS)}."
            )
        if row["age_group"] != POPULATION_AGE_GROUP:
            raise ReferenceDataError(
                f"{path.name}, line {line}: expected age_group {POPULATION_AGE_GROUP!r}, "
                f"got {row['age_group']!r}."
            )
        year = _integer(path, line, "time_period", row["time_period"])
        region_code = la_code = None
        if level == GeographyLevel.REGIONAL:
            region_code = row["region_code"]
            if not region_code:
                raise ReferenceDataError(
                    f"{path.name}, line {line}: regional row without region_code."
                )
            region_names[region_code] = row["region_name"]
        elif level == GeographyLevel.LOCAL_AUTHORITY:
            la_code = row["old_la_code"]
            if len(la_code) != 3 or not la_code.isdigit() or not row["new_la_code"]:
                raise ReferenceDataError(
                    f"{path.name}, line {line}: expected a three-digit old_la_code and a "
                    f"new_la_code, got {la_code!r} and {row['new_la_code']!r}."
                )
            la = LocalAuthorityRow(la_code, row["new_la_code"], row["la_name"], row["region_code"])
            if la_code not in latest_la or year > latest_la[la_code][0]:
                latest_la[la_code] = (year, la)
        geography = region_code or la_code or "England"
        if (level, geography, year) in seen:
            raise ReferenceDataError(
                f"{path.name}, line {line}: a second {level.label} figure for {geography} "
                f"in {year}."
            )
        seen.add((level, geography, year))
        value = row["population_estimate"]
        if value not in SUPPRESSION_CODES:
            population = _integer(path, line, "population_estimate", value)
            figures.append(PopulationRow(level, region_code, la_code, year, population))

    if not latest_la:
        raise ReferenceDataError(f"{path.name}: no local authority rows.")
    las = [la for _, la in latest_la.values()]
    unknown = sorted({la.region_code for la in las} - region_names.keys())
    if unknown:
        raise ReferenceDataError(
            f"{path.name}: local authorities are in region(s) {', '.join(unknown)}, "
            "which have no regional rows."
        )
    missing_parents = sorted(set(SUB_REGION_PARENTS.values()) - region_names.keys())
    if missing_parents:
        raise ReferenceDataError(
            f"{path.name}: expected regional rows for {', '.join(missing_parents)}."
        )
    regions = [
        RegionRow(code, name, SUB_REGION_PARENTS.get(code)) for code, name in region_names.items()
    ]
    return PopulationFile(regions, las, figures)


def read_neighbours(path: Path) -> list[NeighbourRow]:
    """Read the ten ranked statistical neighbours of each LA from the wide SN model file."""
    columns = ["old_la_code"]
    for rank in range(1, NEIGHBOURS_PER_LA + 1):
        columns += [f"SN_{rank}", f"SN_{rank}P"]
    neighbours: list[NeighbourRow] = []
    seen: set[str] = set()
    for line, row in _read_rows(path, columns):
        la_code = row["old_la_code"]
        if la_code in seen:
            raise ReferenceDataError(f"{path.name}, line {line}: LA {la_code} appears twice.")
        seen.add(la_code)
        codes = [row[f"SN_{rank}"] for rank in range(1, NEIGHBOURS_PER_LA + 1)]
        if la_code in codes or len(set(codes)) != NEIGHBOURS_PER_LA or "" in codes:
            raise ReferenceDataError(
                f"{path.name}, line {line}: expected {NEIGHBOURS_PER_LA} different neighbours "
                f"other than LA {la_code} itself, got {', '.join(codes)}."
            )
        for rank, neighbour_code in enumerate(codes, start=1):
            # The published labels vary in case and some carry a trailing space ("Close ").
            label = row[f"SN_{rank}P"]
            closeness = CLOSENESS_BY_LABEL.get(label.casefold())
            if closeness is None:
                raise ReferenceDataError(
                    f"{path.name}, line {line}: unknown closeness {label!r} in SN_{rank}P; "
                    f"expected one of {', '.join(Closeness.values)}."
                )
            neighbours.append(NeighbourRow(la_code, rank, neighbour_code, closeness))
    return neighbours


def read_changes(path: Path) -> list[Change]:
    """Read which abolished LA was succeeded by which, and the date the successor took over."""
    changes = []
    for line, row in _read_rows(path, ("predecessor_code", "successor_code", "successor_from")):
        try:
            successor_from = datetime.date.fromisoformat(row["successor_from"])
        except ValueError:
            raise ReferenceDataError(
                f"{path.name}, line {line}: expected a YYYY-MM-DD date in successor_from, "
                f"got {row['successor_from']!r}."
            ) from None
        changes.append(Change(row["predecessor_code"], row["successor_code"], successor_from))
    return changes


@dataclass(frozen=True)
class ReferenceData:
    """The content of all reference files, checked against each other."""

    population: PopulationFile
    neighbours: list[NeighbourRow]
    changes: list[Change]

    @property
    def predecessor_codes(self) -> set[str]:
        return {change.predecessor_code for change in self.changes}


def read_reference_data(directory: Path = REFERENCE_DATA_DIR) -> ReferenceData:
    """Read every reference file in ``directory`` and check that they agree with each other."""
    population = read_population(directory / POPULATION_FILE)
    neighbours = read_neighbours(directory / NEIGHBOURS_FILE)
    changes = read_changes(directory / CHANGES_FILE)
    data = ReferenceData(population, neighbours, changes)

    la_codes = {la.code for la in population.local_authorities}
    unknown = sorted(
        {code for change in changes for code in (change.predecessor_code, change.successor_code)}
        - la_codes
    )
    if unknown:
        raise ReferenceDataError(
            f"{CHANGES_FILE}: LA code(s) {', '.join(unknown)} are not in {POPULATION_FILE}."
        )
    dates_by_predecessor: dict[str, set[datetime.date]] = defaultdict(set)
    for change in changes:
        dates_by_predecessor[change.predecessor_code].add(change.successor_from)
    split = sorted(code for code, dates in dates_by_predecessor.items() if len(dates) > 1)
    if split:
        raise ReferenceDataError(
            f"{CHANGES_FILE}: LA(s) {', '.join(split)} are given more than one successor_from date."
        )

    # The neighbour model covers exactly the LAs that exist now, so both files must agree on them.
    current = la_codes - data.predecessor_codes
    with_neighbours = {row.la_code for row in neighbours}
    if with_neighbours != current:
        raise ReferenceDataError(
            f"{NEIGHBOURS_FILE}: expected a row for each of the {len(current)} current LAs in "
            f"{POPULATION_FILE}; missing {', '.join(sorted(current - with_neighbours)) or 'none'}, "
            f"unexpected {', '.join(sorted(with_neighbours - current)) or 'none'}."
        )
    not_current = sorted({row.neighbour_code for row in neighbours} - current)
    if not_current:
        raise ReferenceDataError(
            f"{NEIGHBOURS_FILE}: neighbour code(s) {', '.join(not_current)} are not current LAs."
        )
    return data


_M = TypeVar("_M", bound=models.Model)
_Key = tuple[object, ...]


def _upsert(
    model: type[_M],
    key_fields: Sequence[str],
    wanted: Mapping[_Key, Mapping[str, object]],
) -> int:
    """Make rows of ``model`` identified by ``key_fields`` hold the ``wanted`` values.

    Compares with what is stored and writes only new or different rows, which keeps re-runs free
    of writes and works on every backend (conditional unique constraints rule out ON CONFLICT).
    Returns the number of rows created or updated. Rows not in ``wanted`` are left alone: other
    tables refer to LAs and regions, and a file dropping one should not cascade into them.
    """
    stored = {
        tuple(getattr(obj, field) for field in key_fields): obj
        for obj in model._default_manager.all()
    }
    to_create: list[_M] = []
    to_update: list[_M] = []
    value_fields: set[str] = set()
    for key, values in wanted.items():
        obj = stored.get(key)
        if obj is None:
            to_create.append(model(**dict(zip(key_fields, key, strict=True)), **values))
            continue
        changed = [field for field, value in values.items() if getattr(obj, field) != value]
        for field in changed:
            setattr(obj, field, values[field])
        if changed:
            to_update.append(obj)
            value_fields.update(changed)
    model._default_manager.bulk_create(to_create)
    if to_update:
        model._default_manager.bulk_update(to_update, sorted(value_fields))
    return len(to_create) + len(to_update)


def _store_regions(regions: Sequence[RegionRow]) -> tuple[dict[str, int], int]:
    # Parents first, so the sub-regions can refer to them.
    top_level: dict[_Key, dict[str, object]] = {
        (r.code,): {"name": r.name, "parent_id": None} for r in regions if not r.parent_code
    }
    changed = _upsert(Region, ("code",), top_level)
    ids = dict(Region.objects.values_list("code", "id"))
    sub_regions: dict[_Key, dict[str, object]] = {
        (r.code,): {"name": r.name, "parent_id": ids[r.parent_code]}
        for r in regions
        if r.parent_code
    }
    changed += _upsert(Region, ("code",), sub_regions)
    return dict(Region.objects.values_list("code", "id")), changed


def _store_local_authorities(
    data: ReferenceData, region_ids: Mapping[str, int]
) -> tuple[dict[str, int], int]:
    valid_from = {change.successor_code: change.successor_from for change in data.changes}
    valid_to = {
        change.predecessor_code: change.successor_from - datetime.timedelta(days=1)
        for change in data.changes
    }
    wanted: dict[_Key, dict[str, object]] = {}
    for la in data.population.local_authorities:
        parent = SUB_REGION_PARENTS.get(la.region_code)
        wanted[(la.code,)] = {
            "ons_code": la.ons_code,
            "name": la.name,
            "region_id": region_ids[parent or la.region_code],
            "sub_region_id": region_ids[la.region_code] if parent else None,
            "valid_from": valid_from.get(la.code),
            "valid_to": valid_to.get(la.code),
        }
    changed = _upsert(LocalAuthority, ("code",), wanted)
    la_ids = dict(LocalAuthority.objects.values_list("code", "id"))

    through = LocalAuthority.successors.through
    wanted_links = {
        (la_ids[change.predecessor_code], la_ids[change.successor_code]) for change in data.changes
    }
    stored_links = {
        (from_id, to_id): pk
        for pk, from_id, to_id in through.objects.values_list(
            "pk", "from_localauthority_id", "to_localauthority_id"
        )
    }
    stale = [pk for link, pk in stored_links.items() if link not in wanted_links]
    through.objects.filter(pk__in=stale).delete()
    new_links = [
        through(from_localauthority_id=from_id, to_localauthority_id=to_id)
        for from_id, to_id in sorted(wanted_links - stored_links.keys())
    ]
    through.objects.bulk_create(new_links)
    return la_ids, changed + len(stale) + len(new_links)


def _store_neighbours(neighbours: Sequence[NeighbourRow], la_ids: Mapping[str, int]) -> int:
    """Replace an LA's neighbour list wholesale when any of it differs.

    Updating rank by rank could swap two neighbours through a state that breaks the unique
    constraints, so a changed list is deleted and created again.
    """
    wanted: dict[int, set[tuple[int, int, str]]] = defaultdict(set)
    for row in neighbours:
        wanted[la_ids[row.la_code]].add((row.rank, la_ids[row.neighbour_code], row.closeness))
    stored: dict[int, set[tuple[int, int, str]]] = defaultdict(set)
    links = StatisticalNeighbour.objects.filter(model_year=NEIGHBOUR_MODEL_YEAR)
    for la_id, rank, neighbour_id, closeness in links.values_list(
        "la_id", "rank", "neighbour_id", "closeness"
    ):
        stored[la_id].add((rank, neighbour_id, closeness))
    outdated = [la_id for la_id in stored.keys() | wanted.keys() if stored[la_id] != wanted[la_id]]
    deleted, _ = links.filter(la_id__in=outdated).delete()
    created = StatisticalNeighbour.objects.bulk_create(
        StatisticalNeighbour(
            la_id=la_id,
            neighbour_id=neighbour_id,
            model_year=NEIGHBOUR_MODEL_YEAR,
            rank=rank,
            closeness=closeness,
        )
        for la_id in outdated
        for rank, neighbour_id, closeness in sorted(wanted[la_id])
    )
    return deleted + len(created)


def _store_population(
    figures: Sequence[PopulationRow], region_ids: Mapping[str, int], la_ids: Mapping[str, int]
) -> int:
    wanted: dict[_Key, dict[str, object]] = {}
    for row in figures:
        region_id = region_ids[row.region_code] if row.region_code else None
        la_id = la_ids[row.la_code] if row.la_code else None
        key = (row.level.value, region_id, la_id, row.year)
        wanted[key] = {"population_0_17": row.population}
    return _upsert(Population, ("geography_level", "region_id", "la_id", "year"), wanted)


def load_reference_data(directory: Path = REFERENCE_DATA_DIR) -> dict[str, int]:
    """Read the reference files in ``directory`` and make the database match them.

    Safe to run again: rows already matching the files are not written. Returns how many of each
    kind of record the files hold, and ``changed``: how many rows were created, updated or
    deleted (0 on a re-run with the same files).
    """
    data = read_reference_data(directory)
    with transaction.atomic():
        region_ids, changed = _store_regions(data.population.regions)
        la_ids, la_changes = _store_local_authorities(data, region_ids)
        changed += la_changes
        changed += _store_neighbours(data.neighbours, la_ids)
        changed += _store_population(data.population.figures, region_ids, la_ids)
    years = [row.year for row in data.population.figures]
    las = data.population.local_authorities
    return {
        "regions": len(data.population.regions),
        "current_local_authorities": len(las) - len(data.predecessor_codes),
        "predecessor_local_authorities": len(data.predecessor_codes),
        "statistical_neighbours": len(data.neighbours),
        "population_figures": len(data.population.figures),
        "population_first_year": min(years),
        "population_last_year": max(years),
        "changed": changed,
    }


# ---------------------------------------------------------------------------------------------
# What an LA is compared with
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A region or local authority as the dashboards name it: its code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class ComparisonGroup:
    """An LA, the region its figures are compared with, and its statistical neighbours.

    ``region`` is Inner or Outer London for a London borough (the region its rows carry in
    every published file, and what the DfE dashboard compares with), else one of the nine.
    ``neighbours`` are the ten of the latest neighbour model loaded, closest (rank 1) first;
    none for an abolished LA, which the model does not cover. ``valid_from``/``valid_to`` say
    when the LA existed, so callers can leave out comparisons for periods before it did.
    """

    la: Place
    region: Place
    neighbours: tuple[Place, ...]
    valid_from: datetime.date | None
    valid_to: datetime.date | None


_LA_FIELDS = (
    "code",
    "name",
    "valid_from",
    "valid_to",
    "region__code",
    "region__name",
    "sub_region__code",
    "sub_region__name",
)


def comparison_group(la_code: str) -> ComparisonGroup | None:
    """The LA ``la_code`` with its comparison region and neighbours; None for no such LA.

    One query for a current LA (the LA's fields come with its neighbour rows); an abolished
    LA has no neighbours and is read with a second query.
    """
    links = list(
        StatisticalNeighbour.objects.filter(la__code=la_code)
        .order_by("-model_year", "rank")
        .values_list(
            *(f"la__{name}" for name in _LA_FIELDS),
            "neighbour__code",
            "neighbour__name",
            "model_year",
        )
    )
    heads: list[tuple[Any, ...]]
    if links:
        heads = [links[0][: len(_LA_FIELDS)]]
        latest = [link for link in links if link[-1] == links[0][-1]]
    else:
        heads = list(LocalAuthority.objects.filter(code=la_code).values_list(*_LA_FIELDS))
        latest = []
    if not heads:
        return None
    code, name, valid_from, valid_to, region_code, region_name, sub_code, sub_name = heads[0]
    return ComparisonGroup(
        la=Place(code, name),
        region=Place(sub_code or region_code, sub_name or region_name),
        neighbours=tuple(Place(link[-3], link[-2]) for link in latest),
        valid_from=valid_from,
        valid_to=valid_to,
    )
