"""Loads the published files shipped in ``dashboards/published_data/`` into the database.

``load_published_data`` (run by ``manage.py load_published_data``) reads every source file the
catalogue names with vectorised pandas and makes the tables match them in one transaction,
writing only rows that differ (a re-run changes nothing). It needs the reference geography
(``manage.py load_reference_data``) first.

Choices that follow the DfE dashboard (``dfe-analytical-services/CSC_outcomes_and_enablers``,
``R/read_data.R``):

* Rates per 10,000 children that the DfE computes (children in need, assessment factors,
  UASC looked after) divide by the ONS mid-year estimate of children aged 0 to 17 for the year
  before the period end (``time_period + 1``: mid-2024 for the year to 31 March 2025), from
  ``portal.Population``.
* A London borough's rows carry Inner or Outer London, the region it is compared with; the
  Fingertips file, which has no Inner or Outer London figure, gets them summed from the
  boroughs.
* A local authority's rows are loaded only for periods it existed in: on 31 March of the
  period's end year (30 September for the workforce census year). The files carry placeholder
  ``z``/``x`` rows for reorganised authorities outside their lifetime, and Fingertips back-casts
  new authorities onto earlier years; the DfE drops both.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dashboards.models import PublishedIndicator, PublishedValue, SuppressionCode
from dashboards.published.catalogue import (
    INDICATORS,
    LAIT,
    NATIONAL_CODE,
    SUPPRESSION_CODES,
    Compute,
    IndicatorSpec,
    Source,
    SourceFormat,
    reference_date,
)
from portal.models import LocalAuthority, Population, Region
from portal.models.reference import GeographyLevel

DATA_DIR = Path(__file__).resolve().parents[1] / "published_data"

_STORE_PLACES = Decimal("0.000001")  # PublishedValue's six decimal places
_TEN_THOUSAND = Decimal(10000)
_EES_LEVELS = {
    "National": GeographyLevel.NATIONAL.value,
    "Regional": GeographyLevel.REGIONAL.value,
    "Local authority": GeographyLevel.LOCAL_AUTHORITY.value,
}
# LAIT gives England and the regions pseudo LA numbers (970 England, 980-990 regions) and
# names Inner/Outer London its own way.
_LAIT_ENGLAND = 970
_LAIT_FIRST_REGION = 980
_LAIT_REGION_ALIASES = {"london (inner)": "inner london", "london (outer)": "outer london"}


class PublishedDataError(Exception):
    """A published data file is missing, or holds something the loader cannot read."""


@dataclass(frozen=True)
class _Geography:
    """The reference geography, keyed the way the files name places."""

    la_ids: dict[str, int]
    la_by_ons_code: dict[str, str]
    la_valid_from: dict[str, datetime.date | None]
    la_valid_to: dict[str, datetime.date | None]
    la_sub_region: dict[str, str]
    region_ids: dict[str, int]
    region_by_name: dict[str, str]
    population: pd.DataFrame  # geography_code, year, population

    @classmethod
    def from_database(cls) -> _Geography:
        las = list(
            LocalAuthority.objects.values_list(
                "id", "code", "ons_code", "valid_from", "valid_to", "sub_region__code"
            )
        )
        regions = list(Region.objects.values_list("id", "code", "name"))
        if not las or not regions:
            raise PublishedDataError(
                "No reference geography in the database: run 'manage.py load_reference_data' first."
            )
        rows = Population.objects.values_list(
            "geography_level", "region__code", "la__code", "year", "population_0_17"
        )
        population = pd.DataFrame(
            [
                (la_code or region_code or NATIONAL_CODE, year, people)
                for _, region_code, la_code, year, people in rows
            ],
            columns=["geography_code", "year", "population"],
        )
        return cls(
            la_ids={code: pk for pk, code, *_ in las},
            la_by_ons_code={ons: code for _, code, ons, *_ in las},
            la_valid_from={code: start for _, code, _, start, _, _ in las},
            la_valid_to={code: end for _, code, _, _, end, _ in las},
            la_sub_region={code: sub for _, code, _, _, _, sub in las if sub},
            region_ids={code: pk for pk, code, _ in regions},
            region_by_name={name.casefold(): code for _, code, name in regions},
            population=population,
        )


def _find_file(directory: Path, source: Source) -> Path:
    matches = sorted(directory.glob(source.pattern))
    if not matches:
        raise PublishedDataError(f"No file matching {source.pattern} in {directory}.")
    if len(matches) > 1:
        names = ", ".join(path.name for path in matches)
        raise PublishedDataError(
            f"Several files match {source.pattern} in {directory} ({names}): keep only the "
            "latest release."
        )
    return matches[0]


def _read_csv(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    """Read a CSV file as text, checking it has ``columns``; ``_where`` names each row's line."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise PublishedDataError(f"{path.name}: not a readable UTF-8 CSV file ({error}).") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise PublishedDataError(f"{path.name}: missing column(s) {', '.join(missing)}.")
    # Line 1 is the header; quoted fields in these files never span lines.
    frame["_where"] = "line " + (frame.index + 2).astype(str)
    return frame


def _first_bad(
    frame: pd.DataFrame, mask: pd.Series, path: Path, message: Callable[[pd.Series], str]
) -> None:
    """Raise for the first row where ``mask`` holds, naming the file and the row."""
    if mask.any():
        row = frame.loc[mask].iloc[0]
        raise PublishedDataError(f"{path.name}, {row['_where']}: {message(row)}")


def _period_columns(frame: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    """Add ``period`` and ``period_end_year`` from a ``YYYY``, ``YYYYYY`` or ``YYYY/YY`` column."""
    text = frame[column].str.strip()
    year = text.str.fullmatch(r"\d{4}")
    academic = text.str.fullmatch(r"\d{6}")
    slashed = text.str.fullmatch(r"\d{4}/\d{2}")
    _first_bad(
        frame,
        ~(year | academic | slashed),
        path,
        lambda row: (
            f"unexpected {column} {row[column]!r}; expected a year such as 2025, 202425 or 2024/25."
        ),
    )
    start = text.str[:4].astype(int)
    return frame.assign(
        period=np.where(academic, text.str[:4] + "/" + text.str[4:], text),
        period_end_year=np.where(year, start, start + 1),
    )


def _read_ees(path: Path) -> pd.DataFrame:
    frame = _read_csv(path, ("time_period", "geographic_level"))
    # England-only files (adoption timings) have no region or LA columns.
    for column in ("region_code", "old_la_code"):
        if column not in frame.columns:
            frame[column] = ""
    level = frame["geographic_level"].map(_EES_LEVELS)
    _first_bad(
        frame,
        level.isna(),
        path,
        lambda row: (
            f"unexpected geographic_level {row['geographic_level']!r}; expected "
            "National, Regional or Local authority."
        ),
    )
    code = np.select(
        [level == GeographyLevel.NATIONAL, level == GeographyLevel.REGIONAL],
        [NATIONAL_CODE, frame["region_code"].str.strip()],
        frame["old_la_code"].str.strip(),
    )
    return _period_columns(frame.assign(level=level, geography_code=code), "time_period", path)


def _read_fingertips(path: Path, geography: _Geography) -> pd.DataFrame:
    columns = ("Area Code", "Area Type", "Sex", "Category", "Time period", "Value", "Count")
    frame = _read_csv(path, (*columns, "Denominator"))
    # One row per area and year for all persons; the file also breaks figures down by sex and
    # deprivation decile.
    frame = frame.loc[(frame["Sex"] == "Persons") & (frame["Category"] == "")].copy()
    area_type = frame["Area Type"]
    is_la = area_type.str.startswith("Counties & UAs")
    level = pd.Series(GeographyLevel.LOCAL_AUTHORITY.value, index=frame.index)
    level[area_type == "England"] = GeographyLevel.NATIONAL.value
    level[area_type == "Regions (statistical)"] = GeographyLevel.REGIONAL.value
    _first_bad(
        frame,
        ~(is_la | area_type.isin(["England", "Regions (statistical)"])),
        path,
        lambda row: f"unexpected Area Type {row['Area Type']!r}.",
    )
    code = frame["Area Code"].where(~is_la, frame["Area Code"].map(geography.la_by_ons_code))
    _first_bad(
        frame,
        code.isna(),
        path,
        lambda row: f"area code {row['Area Code']} is not a known local authority.",
    )
    # Fingertips leaves a cell empty where it has no figure (City of London and the Isles of
    # Scilly are counted with Hackney and Cornwall): 'x', not available.
    numbers = frame[["Value", "Count", "Denominator"]].replace("", SuppressionCode.NOT_AVAILABLE)
    frame = frame.assign(level=level, geography_code=code, **numbers)
    frame = _period_columns(frame, "Time period", path)
    return pd.concat([frame, _london_sub_regions(frame, geography)], ignore_index=True)


def _london_sub_regions(frame: pd.DataFrame, geography: _Geography) -> pd.DataFrame:
    """Inner and Outer London rows summed from their boroughs, as the DfE dashboard does."""
    boroughs = frame.assign(sub_region=frame["geography_code"].map(geography.la_sub_region))
    boroughs = boroughs.dropna(subset=["sub_region"])
    counts = pd.to_numeric(boroughs["Count"], errors="coerce")
    people = pd.to_numeric(boroughs["Denominator"], errors="coerce")
    known = counts.notna() & people.notna()
    sums = (
        boroughs.assign(Count=counts, Denominator=people)
        .loc[known]
        .groupby(["sub_region", "period", "period_end_year"], as_index=False)[
            ["Count", "Denominator"]
        ]
        .sum()
    )
    rate = sums["Count"] / sums["Denominator"] * 10000
    return pd.DataFrame(
        {
            "level": GeographyLevel.REGIONAL.value,
            "geography_code": sums["sub_region"],
            "period": sums["period"],
            "period_end_year": sums["period_end_year"],
            "Value": rate.map("{:.6f}".format),
            "Count": sums["Count"].map("{:.0f}".format),
            "Denominator": sums["Denominator"].map("{:.0f}".format),
            "_where": "computed from the boroughs' rows",
        }
    )


def _read_lait(path: Path, measures: Sequence[str], geography: _Geography) -> pd.DataFrame:
    columns = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
    try:
        frame = pd.read_parquet(path, columns=columns, filters=[("Short Desc", "in", measures)])
    except (OSError, ValueError, KeyError) as error:
        raise PublishedDataError(
            f"{path.name}: not a readable LAIT parquet file ({error})."
        ) from None
    frame = frame.astype({"Values": str, "Years": str}).reset_index(drop=True)
    frame["_where"] = (
        "measure " + frame["Short Desc"] + ", " + frame["LA and Regions"] + ", " + frame["Years"]
    )
    number = frame["LA Number"]
    _first_bad(
        frame, number.isna(), path, lambda row: f"no LA Number for {row['LA and Regions']!r}."
    )
    number = number.astype(int)
    region = (
        frame["LA and Regions"]
        .str.casefold()
        .replace(_LAIT_REGION_ALIASES)
        .map(geography.region_by_name)
    )
    is_region = number >= _LAIT_FIRST_REGION
    _first_bad(
        frame,
        is_region & region.isna(),
        path,
        lambda row: f"{row['LA and Regions']!r} is not a known region.",
    )
    level = np.select(
        [number == _LAIT_ENGLAND, is_region],
        [GeographyLevel.NATIONAL.value, GeographyLevel.REGIONAL.value],
        GeographyLevel.LOCAL_AUTHORITY.value,
    )
    code = np.select(
        [number == _LAIT_ENGLAND, is_region], [NATIONAL_CODE, region], number.map("{:03d}".format)
    )
    frame = frame.assign(level=level, geography_code=code)
    return _period_columns(frame, "Years", path)


def _resolve_geography(
    frame: pd.DataFrame, path: Path, period_type: str, geography: _Geography
) -> tuple[pd.DataFrame, int]:
    """Split joint returns, check every place is known and drop LA rows outside LA lifetimes.

    Returns the frame with ``la_id``, ``region_id`` and ``joint_with``, and how many LA rows
    fell outside their authority's lifetime.
    """
    is_la = frame["level"] == GeographyLevel.LOCAL_AUTHORITY
    joint = is_la & frame["geography_code"].str.contains(" / ", regex=False)
    frame = frame.assign(
        joint_codes=frame["geography_code"].where(joint, ""),
        geography_code=frame["geography_code"].str.split(" / "),
    ).explode("geography_code", ignore_index=True)
    joint = frame["joint_codes"] != ""
    frame["joint_with"] = ""
    frame.loc[joint, "joint_with"] = [
        " / ".join(code for code in codes.split(" / ") if code != own)
        for own, codes in zip(
            frame.loc[joint, "geography_code"], frame.loc[joint, "joint_codes"], strict=True
        )
    ]
    is_la = frame["level"] == GeographyLevel.LOCAL_AUTHORITY
    is_region = frame["level"] == GeographyLevel.REGIONAL
    la_id = frame["geography_code"].map(geography.la_ids).where(is_la)
    region_id = frame["geography_code"].map(geography.region_ids).where(is_region)
    _first_bad(
        frame,
        is_la & la_id.isna(),
        path,
        lambda row: f"{row['geography_code']!r} is not a known DfE LA code.",
    )
    _first_bad(
        frame,
        is_region & region_id.isna(),
        path,
        lambda row: f"{row['geography_code']!r} is not a known region code.",
    )

    # A date column per row, compared as datetime64 so the check stays vectorised.
    ref = pd.to_datetime(
        [reference_date(period_type, year) for year in frame["period_end_year"].unique()]
    )
    ref_by_year = dict(zip(frame["period_end_year"].unique(), ref, strict=True))
    on = frame["period_end_year"].map(ref_by_year)
    start = pd.to_datetime(frame["geography_code"].map(geography.la_valid_from))
    end = pd.to_datetime(frame["geography_code"].map(geography.la_valid_to))
    outside = is_la & ((start.notna() & (start > on)) | (end.notna() & (end < on)))
    frame = frame.assign(la_id=la_id, region_id=region_id).loc[~outside]
    return frame.drop(columns="joint_codes"), int(outside.sum())


def _parse_numbers(
    frame: pd.DataFrame, column: str, path: Path
) -> tuple[list[Decimal | None], pd.Series]:
    """Split a published column into exact numbers and suppression codes.

    Thousands separators and a trailing % are dropped. A cell that is neither a number nor a
    known code is an error naming the file and line.
    """
    if column not in frame.columns:
        raise PublishedDataError(f"{path.name}: missing column {column}.")
    text = frame[column].str.strip()
    is_code = text.isin(SUPPRESSION_CODES)
    cleaned = text.str.replace(",", "", regex=False).str.removesuffix("%")
    numeric = pd.to_numeric(cleaned.where(~is_code), errors="coerce")
    bad = ~is_code & ~np.isfinite(numeric.astype(float))
    codes = ", ".join(sorted(SUPPRESSION_CODES))
    _first_bad(
        frame,
        bad,
        path,
        lambda row: (
            f"{column} holds {row[column]!r}, which is neither a number nor a "
            f"suppression code ({codes})."
        ),
    )
    numbers = [
        None if code else Decimal(value).quantize(_STORE_PLACES)
        for value, code in zip(cleaned, is_code, strict=True)
    ]
    return numbers, text.where(is_code, "")


def _years_months(
    frame: pd.DataFrame, column: str, path: Path
) -> tuple[list[Decimal | None], pd.Series]:
    """Read a "YY:MM" duration column as months (the DfE dashboard's 12 x YY + MM)."""
    text = frame[column].str.strip()
    is_code = text.isin(SUPPRESSION_CODES)
    parts = text.str.extract(r"^(\d+):(\d{2})$")
    _first_bad(
        frame,
        ~is_code & parts[0].isna(),
        path,
        lambda row: f"{column} holds {row[column]!r}; expected years and months such as 01:02.",
    )
    months = [
        None if code else Decimal(int(years) * 12 + int(rest))
        for years, rest, code in zip(parts[0], parts[1], is_code, strict=True)
    ]
    return months, text.where(is_code, "")


def _matching(frame: pd.DataFrame, filters: Mapping[str, str], path: Path) -> pd.Series:
    missing = [column for column in filters if column not in frame.columns]
    if missing:
        raise PublishedDataError(f"{path.name}: missing column(s) {', '.join(missing)}.")
    mask = pd.Series(True, index=frame.index)
    for column, value in filters.items():
        mask &= frame[column] == value
    return mask


def _spec_values(
    spec: IndicatorSpec, frame: pd.DataFrame, path: Path, geography: _Geography
) -> pd.DataFrame:
    """The indicator's rows: one per geography and period, ready to store."""
    rows = frame.loc[_matching(frame, spec.filters, path)]
    if rows.empty:
        wanted = ", ".join(f"{name} = {value!r}" for name, value in spec.filters.items())
        raise PublishedDataError(f"{path.name}: no rows where {wanted or 'any'} ({spec.key}).")
    numerators: list[Decimal | None] = [None] * len(rows)
    denominators: list[Decimal | None] = [None] * len(rows)
    if spec.compute == Compute.YEARS_MONTHS:
        values, codes = _years_months(rows, spec.value_column, path)
    else:
        values, codes = _parse_numbers(rows, spec.value_column, path)
    if spec.compute == Compute.RATE_PER_10K:
        numerators = values
        people = rows.assign(year=rows["period_end_year"] - 1).merge(
            geography.population, on=["geography_code", "year"], how="left"
        )["population"]
        denominators = [None if pd.isna(n) else Decimal(int(n)) for n in people]
        values = [
            None
            if count is None or pop is None
            else (count * _TEN_THOUSAND / pop).quantize(_STORE_PLACES)
            for count, pop in zip(numerators, denominators, strict=True)
        ]
        # A published count without a population to divide by cannot become a rate.
        has_rate = np.array(
            [
                count is None or pop is not None
                for count, pop in zip(numerators, denominators, strict=True)
            ],
            dtype=bool,
        )
        codes = codes.where(has_rate, SuppressionCode.NOT_AVAILABLE.value)
    elif spec.numerator_column:
        numerators = _parse_numbers(rows, spec.numerator_column, path)[0]
        if spec.denominator_filters is not None:
            totals = frame.loc[_matching(frame, spec.denominator_filters, path)]
            total_numbers = pd.Series(
                _parse_numbers(totals, spec.numerator_column, path)[0],
                index=pd.MultiIndex.from_frame(totals[["geography_code", "period"]]),
                dtype=object,
            )
            total_numbers = total_numbers[~total_numbers.index.duplicated()]
            keys = pd.MultiIndex.from_frame(rows[["geography_code", "period"]])
            denominators = [None if pd.isna(d) else d for d in total_numbers.reindex(keys).tolist()]
        elif spec.denominator_column:
            denominators = _parse_numbers(rows, spec.denominator_column, path)[0]
    out = pd.DataFrame(
        {
            "level": rows["level"].to_numpy(),
            "geography_code": rows["geography_code"].to_numpy(),
            "la_id": rows["la_id"].to_numpy(),
            "region_id": rows["region_id"].to_numpy(),
            "period": rows["period"].to_numpy(),
            "period_end_year": rows["period_end_year"].to_numpy(),
            "value": pd.Series(values, dtype=object).to_numpy(),
            "suppression": codes.to_numpy(),
            "numerator": pd.Series(numerators, dtype=object).to_numpy(),
            "denominator": pd.Series(denominators, dtype=object).to_numpy(),
            "joint_with": rows["joint_with"].to_numpy(),
            "_where": rows["_where"].to_numpy(),
        }
    )
    return _drop_repeats(out, spec, path)


def _drop_repeats(out: pd.DataFrame, spec: IndicatorSpec, path: Path) -> pd.DataFrame:
    """Keep one of identical repeated rows; two different figures for one place are an error."""
    key = ["geography_code", "period"]
    stored = [*key, "value", "suppression", "numerator", "denominator", "joint_with"]
    out = out.drop_duplicates(subset=stored)
    clash = out.duplicated(subset=key, keep=False)
    if clash.any():
        first = out.loc[clash].iloc[0]
        rows = out.loc[clash & (out["geography_code"] == first["geography_code"])]
        rows = rows.loc[rows["period"] == first["period"]]
        raise PublishedDataError(
            f"{path.name}: different {spec.key} figures for {first['geography_code']} in "
            f"{first['period']} at {' and '.join(rows['_where'])}."
        )
    return out


_VALUE_FIELDS = (
    "geography_level",
    "la_id",
    "region_id",
    "period_end_year",
    "value",
    "suppression",
    "numerator",
    "denominator",
    "joint_with",
)


def _as_records(out: pd.DataFrame) -> dict[tuple[str, str], tuple[object, ...]]:
    """(geography code, period) -> the stored fields in ``_VALUE_FIELDS`` order."""
    la_ids = [None if pd.isna(pk) else int(pk) for pk in out["la_id"].tolist()]
    region_ids = [None if pd.isna(pk) else int(pk) for pk in out["region_id"].tolist()]
    columns = [
        out["level"].astype(str).tolist(),
        la_ids,
        region_ids,
        out["period_end_year"].astype(int).tolist(),
        *(out[name].tolist() for name in ("value", "suppression", "numerator", "denominator")),
        out["joint_with"].tolist(),
    ]
    keys = zip(out["geography_code"].tolist(), out["period"].tolist(), strict=True)
    return dict(zip(keys, zip(*columns, strict=True), strict=True))


def _store_indicators(
    specs: Sequence[IndicatorSpec],
    files: Mapping[str, str],
    periods: Mapping[str, list[str]],
) -> tuple[dict[str, int], int]:
    """Upsert one PublishedIndicator per spec and delete indicators no longer declared."""
    changed = 0
    stored = {indicator.key: indicator for indicator in PublishedIndicator.objects.all()}
    for order, spec in enumerate(specs, start=1):
        wanted = {
            "title": spec.title,
            "group": spec.group,
            "heading": spec.heading,
            "unit": spec.unit.value,
            "decimals": spec.decimals,
            "definition": spec.definition,
            "source": f"{spec.source.publication}; file {files[spec.key]}",
            "source_url": spec.source.url,
            "source_released": spec.source.released,
            "caveats": list(spec.caveats),
            "guidance": list(spec.guidance),
            "sort_order": order,
            "dfe_sort_order": spec.dfe_sort_order,
            "period_type": spec.source.period_type.value,
            "sn_aggregation": spec.sn_aggregation.value,
            "national_only": spec.national_only,
            "periods": periods[spec.key],
        }
        indicator = stored.get(spec.key)
        if indicator is None:
            stored[spec.key] = PublishedIndicator.objects.create(key=spec.key, **wanted)
            changed += 1
        elif any(getattr(indicator, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(indicator, name, value)
            indicator.save()
            changed += 1
    stale = PublishedIndicator.objects.exclude(key__in=[spec.key for spec in specs])
    changed += stale.delete()[1].get(PublishedIndicator._meta.label, 0)
    return {key: indicator.pk for key, indicator in stored.items()}, changed


def _store_values(
    wanted: Mapping[int, Mapping[tuple[str, str], tuple[object, ...]]],
) -> tuple[int, int, int, set[int]]:
    """Make PublishedValue hold exactly ``wanted`` (indicator id -> rows); only writes changes.

    Returns the numbers of rows created, updated and deleted, and the ids of the indicators
    whose figures changed.
    """
    existing: dict[tuple[int, str, str], tuple[int, tuple[object, ...]]] = {
        (row[1], row[2], row[3]): (row[0], tuple(row[4:]))
        for row in PublishedValue.objects.values_list(
            "id", "indicator_id", "geography_code", "period", *_VALUE_FIELDS
        )
    }
    to_create: list[tuple[Any, ...]] = []
    to_update: list[PublishedValue] = []
    seen: set[tuple[int, str, str]] = set()
    for indicator_id, rows in wanted.items():
        for (code, period), fields in rows.items():
            key = (indicator_id, code, period)
            seen.add(key)
            current = existing.get(key)
            if current is None:
                to_create.append((*key, *fields))
            elif current[1] != fields:
                to_update.append(
                    PublishedValue(
                        pk=current[0],
                        indicator_id=indicator_id,
                        geography_code=code,
                        period=period,
                        **dict(zip(_VALUE_FIELDS, fields, strict=True)),
                    )
                )
    stale_keys = [key for key in existing if key not in seen]
    stale = [existing[key][0] for key in stale_keys]
    for start in range(0, len(stale), 500):
        PublishedValue.objects.filter(pk__in=stale[start : start + 500]).delete()
    _insert(to_create)
    PublishedValue.objects.bulk_update(to_update, list(_VALUE_FIELDS), batch_size=500)
    changed = {row[0] for row in to_create} | {value.indicator_id for value in to_update}
    changed |= {key[0] for key in stale_keys}
    return len(to_create), len(to_update), len(stale), changed


def _insert(rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert value rows with one executemany.

    A first load creates some 80,000 rows; building a model instance for each made
    ``bulk_create`` take most of the load time. The columns are plain (no defaults or signals
    to honour) and the database adapters convert Decimal themselves.
    """
    if not rows:
        return
    meta = PublishedValue._meta
    names = ["indicator_id", "geography_code", "period", *_VALUE_FIELDS]
    column_of = {field.attname: field.column for field in meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(column_of[name]) for name in names)
    placeholders = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 (table and column names from the model, values bound)
            f"VALUES ({placeholders})",
            rows,
        )


def load_published_data(directory: Path = DATA_DIR) -> dict[str, int]:
    """Read every source file in ``directory`` and make the published-data tables match them.

    Safe to run again: only rows that differ are written, in one transaction. Returns the
    number of stored values per indicator key, plus ``created``, ``updated``, ``deleted`` (value
    rows), ``indicators_changed`` and ``outside_lifetime`` (LA rows skipped because the
    authority did not exist in that period). Raises ``PublishedDataError`` naming the file and
    line of anything it cannot read.
    """
    geography = _Geography.from_database()
    frames: dict[Source, tuple[Path, pd.DataFrame]] = {}
    outside = 0
    lait_measures = sorted(
        {spec.filters["Short Desc"] for spec in INDICATORS if spec.source == LAIT}
    )
    for source in dict.fromkeys(spec.source for spec in INDICATORS):
        path = _find_file(directory, source)
        if source.format == SourceFormat.EES:
            frame = _read_ees(path)
        elif source.format == SourceFormat.FINGERTIPS:
            frame = _read_fingertips(path, geography)
        else:
            frame = _read_lait(path, lait_measures, geography)
        frame, skipped = _resolve_geography(frame, path, source.period_type, geography)
        frames[source] = (path, frame)
        outside += skipped

    records: dict[str, dict[tuple[str, str], tuple[object, ...]]] = {}
    periods: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    for spec in INDICATORS:
        path, frame = frames[spec.source]
        out = _spec_values(spec, frame, path, geography)
        records[spec.key] = _as_records(out)
        labels = out[["period_end_year", "period"]].drop_duplicates().sort_values("period_end_year")
        periods[spec.key] = labels["period"].tolist()
        files[spec.key] = path.name

    with transaction.atomic():
        ids, indicators_changed = _store_indicators(INDICATORS, files, periods)
        created, updated, deleted, changed = _store_values(
            {ids[key]: rows for key, rows in records.items()}
        )
        # "Last updated" for the service's copy: when a load last changed the figures (and, for
        # indicators loaded before this was recorded, the first load that records it).
        PublishedIndicator.objects.filter(Q(pk__in=changed) | Q(figures_updated_at=None)).update(
            figures_updated_at=timezone.now()
        )
    return {
        **{key: len(rows) for key, rows in records.items()},
        "created": created,
        "updated": updated,
        "deleted": deleted,
        "indicators_changed": indicators_changed,
        "outside_lifetime": outside,
    }
