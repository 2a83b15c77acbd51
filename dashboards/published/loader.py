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
import logging
import re
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
from python_calamine import CalamineError

from dashboards.models import (
    LeadershipRating,
    PublishedIndicator,
    PublishedValue,
    SuppressionCode,
)
from dashboards.published.catalogue import (
    LOADED,
    NATIONAL_CODE,
    OFSTED_GRADES,
    OFSTED_INSPECTIONS,
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
logger = logging.getLogger(__name__)

_STORE_PLACES = Decimal("0.000001")  # PublishedValue's six decimal places
_HUNDRED = Decimal(100)
# What a count is divided by the population and multiplied by.
_PER_POPULATION = {Compute.RATE_PER_10K: Decimal(10000), Compute.PER_CHILD: Decimal(1)}
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
    la_region: dict[str, str]
    region_ids: dict[str, int]
    region_by_name: dict[str, str]
    population: pd.DataFrame  # geography_code, year, population

    @classmethod
    def from_database(cls) -> _Geography:
        las = list(
            LocalAuthority.objects.values_list(
                "id",
                "code",
                "ons_code",
                "valid_from",
                "valid_to",
                "sub_region__code",
                "region__code",
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
            la_valid_from={code: start for _, code, _, start, *_ in las},
            la_valid_to={code: end for _, code, _, _, end, *_ in las},
            la_sub_region={code: sub for _, code, *_, sub, _ in las if sub},
            la_region={code: region for _, code, *_, region in las},
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


def _read_sheet(path: Path, name: str) -> tuple[str, pd.DataFrame]:
    """The first sheet whose name matches the regex ``name``, every cell as read (no header).

    calamine gives numbers as numbers, dates as timestamps and empty cells as NaN.
    """
    try:
        workbook = pd.ExcelFile(path, engine="calamine")
        sheet = next((s for s in map(str, workbook.sheet_names) if re.fullmatch(name, s)), None)
        if sheet is None:
            raise PublishedDataError(
                f"{path.name}: no sheet named like {name!r} (it has "
                f"{', '.join(map(str, workbook.sheet_names))})."
            )
        return sheet, pd.read_excel(workbook, sheet_name=sheet, header=None)
    except (CalamineError, OSError, ValueError) as error:
        raise PublishedDataError(f"{path.name}: not a readable spreadsheet ({error}).") from None


def _table(
    path: Path, sheet: str, cells: pd.DataFrame, header_cell: str, columns: Iterable[str]
) -> pd.DataFrame:
    """The table under the first row holding the cell ``header_cell``, down to the first row
    where that column is blank or repeats it; checks it has ``columns``. ``_where`` names each
    row."""
    found = cells == header_cell
    rows = cells.index[found.any(axis=1)]
    if rows.empty:
        raise PublishedDataError(f"{path.name}, sheet {sheet}: no {header_cell!r} column.")
    header = rows[0]
    key = found.loc[header].idxmax()
    body = cells.loc[header + 1 :]
    ends = body.index[body[key].isna() | (body[key] == header_cell)]
    body = body.loc[: ends[0] - 1] if not ends.empty else body
    table = body.set_axis([str(name).strip() for name in cells.loc[header]], axis=1)
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise PublishedDataError(
            f"{path.name}, sheet {sheet}: missing column(s) {', '.join(missing)}."
        )
    # Spreadsheet rows count from 1.
    where = pd.Series([f"sheet {sheet}, row {index + 1}" for index in table.index], table.index)
    return pd.concat([table, where.rename("_where")], axis=1)


def _regional_sums(
    las: pd.DataFrame, columns: Sequence[str], geography: _Geography
) -> pd.DataFrame:
    """Region and Inner/Outer London rows adding up their LAs' numbers, column by column.

    As the DfE dashboard computes its spending and Ofsted regions: an LA without a number (a
    code) adds nothing; a region with no number at all gets ``x``. Sums are exact (Decimal).
    """
    rows = []
    for areas in (geography.la_region, geography.la_sub_region):
        for code, group in las.groupby(las["geography_code"].map(areas)):
            sums = {}
            for column in columns:
                known = pd.to_numeric(group[column], errors="coerce").notna()
                numbers = [Decimal(text) for text in group.loc[known, column]]
                sums[column] = (
                    f"{sum(numbers, Decimal(0)):f}"
                    if numbers
                    else SuppressionCode.NOT_AVAILABLE.value
                )
            rows.append({"geography_code": code, **sums})
    return pd.DataFrame(rows, columns=["geography_code", *columns]).assign(
        level=GeographyLevel.REGIONAL.value, _where="computed from the local authorities' rows"
    )


# The revenue outturn classes of the authorities that provide children's services: unitary
# authorities, metropolitan districts, London boroughs and shire counties.
_OUTTURN_LA_CLASSES = frozenset({"UA", "MD", "LB", "SC"})
_OUTTURN_ENGLAND_CLASS = "Eng"
_THOUSAND = Decimal(1000)


def _read_revenue_outturn(
    path: Path, columns: Sequence[str], geography: _Geography
) -> pd.DataFrame:
    """An MHCLG revenue outturn "data by LA" sheet (RSX, RO3) as the long frame, in pounds.

    The sheet (``RSX_LA_Data_202425``: the financial year 2024-25) has one row per authority
    under a header row starting ``E-code``, then a table of class totals. Rows of the classes
    with children's services are LAs, matched by ONS code; the ``Eng`` row is England; regions
    add up their LAs (``_regional_sums``). The file reports £ thousand; ``[x]`` (no certified
    return) becomes the code ``x``.
    """
    sheet, cells = _read_sheet(path, r"[A-Z0-9]+_LA_Data_\d{6}")
    table = _table(path, sheet, cells, "E-code", ("ONS Code", "Local authority", "Class", *columns))
    table = table.loc[table["Class"].isin(_OUTTURN_LA_CLASSES | {_OUTTURN_ENGLAND_CLASS})]
    is_england = table["Class"] == _OUTTURN_ENGLAND_CLASS
    if is_england.sum() != 1:
        raise PublishedDataError(f"{path.name}, sheet {sheet}: expected one England row.")
    code = table["ONS Code"].map(geography.la_by_ons_code)
    _first_bad(
        table,
        ~is_england & code.isna(),
        path,
        lambda row: (
            f"ONS code {row['ONS Code']!r} ({row['Local authority']}) is not a known local "
            "authority."
        ),
    )
    table = pd.DataFrame(
        {
            "level": np.where(
                is_england, GeographyLevel.NATIONAL.value, GeographyLevel.LOCAL_AUTHORITY.value
            ),
            "geography_code": code.where(~is_england, NATIONAL_CODE),
            **{column: [_outturn_pounds(cell) for cell in table[column]] for column in columns},
            "_where": table["_where"],
        }
    )
    las = table.loc[~is_england.to_numpy()]
    frame = pd.concat([table, _regional_sums(las, columns, geography)], ignore_index=True)
    return _period_columns(frame.assign(year=sheet[-6:]), "year", path)


def _outturn_pounds(cell: Any) -> str:
    """A revenue outturn cell (£ thousand) as pounds; a bracketed code as the code."""
    if isinstance(cell, str):
        code = re.fullmatch(r"\[(\w+)\]", cell.strip())
        return code.group(1) if code else cell
    if pd.isna(cell):
        return ""
    return f"{(Decimal(str(cell)) * _THOUSAND).normalize():f}"


_OFSTED_CODE = "Local authority area code"
_OFSTED_LEADERS = "The impact of leaders on social work practice with children and families"
_OFSTED_COLUMNS = (_OFSTED_CODE, "Local authority name", "Inspection date", "Publication date")


def _read_ofsted(path: Path, geography: _Geography) -> pd.DataFrame:
    """Ofsted's LA inspection outcomes "as at 31 March" sheet as the long frame.

    As the DfE dashboard reads it: LAs not yet inspected are left out; each inspected LA's
    leadership judgement becomes a 1 in the column of its grade and 0 in the others
    (``OFSTED_GRADES``), and regions and England count their LAs. The period is the year of
    the sheet's "as at" date. LA rows also carry ``rating``, ``inspection_date`` and
    ``publication_date`` for the LA pages.
    """
    sheet, cells = _read_sheet(path, r"Inspections_as_at_.*")
    title = re.search(r"as at \d{1,2} \w+ (\d{4})", str(cells.iat[0, 0]))
    if title is None:
        raise PublishedDataError(
            f"{path.name}, sheet {sheet}: the first cell does not say 'as at' which date."
        )
    table = _table(path, sheet, cells, _OFSTED_CODE, (*_OFSTED_COLUMNS, _OFSTED_LEADERS))
    table = table.loc[table["Inspection date"].astype(str).str.strip() != "Not yet inspected"]
    rating = table[_OFSTED_LEADERS].astype(str).str.strip()
    _first_bad(
        table,
        ~rating.isin(OFSTED_GRADES),
        path,
        lambda row: (
            f"leadership judgement {row[_OFSTED_LEADERS]!r} is not one of "
            f"{', '.join(OFSTED_GRADES)}."
        ),
    )
    dates = {
        column: pd.to_datetime(table[column], errors="coerce", dayfirst=True)
        for column in ("Inspection date", "Publication date")
    }
    _first_bad(
        table,
        dates["Inspection date"].isna(),
        path,
        lambda row: f"inspection date {row['Inspection date']!r} is not a date.",
    )
    code = table[_OFSTED_CODE].astype(str).str.strip().map(geography.la_by_ons_code)
    _first_bad(
        table,
        code.isna(),
        path,
        lambda row: f"area code {row[_OFSTED_CODE]!r} is not a known local authority.",
    )
    las = pd.DataFrame(
        {
            "level": GeographyLevel.LOCAL_AUTHORITY.value,
            "geography_code": code,
            **{grade: np.where(rating == grade, "1", "0") for grade in OFSTED_GRADES},
            "rating": rating,
            "inspection_date": dates["Inspection date"].dt.date,
            "publication_date": dates["Publication date"].dt.date,
            "_where": table["_where"],
        }
    )
    england = (
        las[list(OFSTED_GRADES)]
        .astype(int)
        .sum()
        .astype(str)
        .to_frame()
        .T.assign(
            level=GeographyLevel.NATIONAL.value,
            geography_code=NATIONAL_CODE,
            _where="computed from the local authorities' rows",
        )
    )
    frame = pd.concat(
        [las, _regional_sums(las, OFSTED_GRADES, geography), england], ignore_index=True
    )
    return _period_columns(frame.assign(year=title.group(1)), "year", path)


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
    if spec.compute in _PER_POPULATION:
        numerators = values
        people = rows.assign(year=rows["period_end_year"] - 1).merge(
            geography.population, on=["geography_code", "year"], how="left"
        )["population"]
        denominators = [None if pd.isna(n) else Decimal(int(n)) for n in people]
        values = _ratios(numerators, denominators, _PER_POPULATION[spec.compute])
        # A published count without a population to divide by cannot become a rate.
        codes = _unavailable_without_ratio(codes, numerators, values)
    elif spec.compute in (Compute.SHARE, Compute.SHARE_OF_REST):
        if spec.denominator_column is None:
            raise PublishedDataError(f"{spec.key}: a share needs a denominator_column.")
        parts = values
        denominators, total_codes = _parse_numbers(rows, spec.denominator_column, path)
        numerators = (
            parts
            if spec.compute == Compute.SHARE
            else [
                None if part is None or total is None else total - part
                for part, total in zip(parts, denominators, strict=True)
            ]
        )
        values = _ratios(numerators, denominators, _HUNDRED)
        # A withheld total withholds the share; so does a total of 0.
        codes = codes.where(codes != "", total_codes)
        codes = _unavailable_without_ratio(codes, numerators, values)
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


def _ratios(
    numerators: Sequence[Decimal | None], denominators: Sequence[Decimal | None], scale: Decimal
) -> list[Decimal | None]:
    """numerator / denominator x ``scale`` to the stored places; None without both (or for 0)."""
    return [
        None
        if top is None or bottom is None or bottom == 0
        else (top * scale / bottom).quantize(_STORE_PLACES)
        for top, bottom in zip(numerators, denominators, strict=True)
    ]


def _unavailable_without_ratio(
    codes: pd.Series, numerators: Sequence[Decimal | None], values: Sequence[Decimal | None]
) -> pd.Series:
    """``x`` (not available) where a published number could not become a ratio."""
    lost = np.array(
        [top is not None and value is None for top, value in zip(numerators, values, strict=True)],
        dtype=bool,
    )
    return codes.where(~lost, SuppressionCode.NOT_AVAILABLE.value)


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


def _read_source(source: Source, path: Path, geography: _Geography) -> pd.DataFrame:
    """The source file as the long frame every reader gives (one row per place and period)."""
    specs = [spec for spec in LOADED if spec.source == source]
    if source.format == SourceFormat.EES:
        return _read_ees(path)
    if source.format == SourceFormat.FINGERTIPS:
        return _read_fingertips(path, geography)
    if source.format == SourceFormat.LAIT:
        measures = sorted({spec.filters["Short Desc"] for spec in specs})
        return _read_lait(path, measures, geography)
    if source.format == SourceFormat.REVENUE_OUTTURN:
        columns = [
            column
            for spec in specs
            for column in (spec.value_column, spec.denominator_column)
            if column is not None
        ]
        return _read_revenue_outturn(path, list(dict.fromkeys(columns)), geography)
    return _read_ofsted(path, geography)


def _later_year_warning(
    spec: IndicatorSpec, path: Path, file_latest: tuple[int, str], out: pd.DataFrame
) -> str | None:
    """A warning when the file holds a later year than the indicator's stored series shows.

    Its rows for that year were all filtered away: the filters no longer match a new
    release's labels, or the year's rows are only for LAs that did not exist then.
    """
    year, label = file_latest
    stored = int(out["period_end_year"].max())
    if stored >= year:
        return None
    latest = out.loc[out["period_end_year"] == stored, "period"].iloc[0]
    wanted = ", ".join(f"{name} = {value!r}" for name, value in spec.filters.items())
    return (
        f"{path.name} holds figures for {label}, but {spec.key} stops at {latest}: its {label} "
        f"rows were all filtered away{f' (filters: {wanted})' if wanted else ''}. Check the "
        "indicator's declaration in dashboards/published/catalogue.py against the file."
    )


@dataclass(frozen=True)
class _Rating:
    """An LA's latest Ofsted leadership judgement, as stored in ``LeadershipRating``."""

    rating: str
    inspection_date: datetime.date
    publication_date: datetime.date | None
    period: str


def _ratings(frame: pd.DataFrame) -> dict[int, _Rating]:
    """The LA rows of the Ofsted frame: LA id -> its leadership judgement."""
    las = frame.loc[frame["level"] == GeographyLevel.LOCAL_AUTHORITY]
    return {
        int(la_id): _Rating(rating, inspected, None if pd.isna(published) else published, period)
        for la_id, rating, inspected, published, period in zip(
            las["la_id"],
            las["rating"],
            las["inspection_date"],
            las["publication_date"],
            las["period"],
            strict=True,
        )
    }


def _store_ratings(wanted: Mapping[int, _Rating]) -> int:
    """Make ``LeadershipRating`` hold exactly ``wanted``; returns how many rows changed."""
    fields = ("rating", "inspection_date", "publication_date", "period")
    existing = {rating.la_id: rating for rating in LeadershipRating.objects.all()}
    stale = [
        pk for la_id, pk in ((r.la_id, r.pk) for r in existing.values()) if la_id not in wanted
    ]
    LeadershipRating.objects.filter(pk__in=stale).delete()
    changed = len(stale)
    for la_id, rating in wanted.items():
        values = {name: getattr(rating, name) for name in fields}
        current = existing.get(la_id)
        if current is None:
            LeadershipRating.objects.create(la_id=la_id, **values)
        elif any(getattr(current, name) != value for name, value in values.items()):
            LeadershipRating.objects.filter(pk=current.pk).update(**values)
        else:
            continue
        changed += 1
    return changed


def load_published_data(
    directory: Path = DATA_DIR, warn: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Read every source file in ``directory`` and make the published-data tables match them.

    Safe to run again: only rows that differ are written, in one transaction. Returns the
    number of stored values per indicator key, plus ``created``, ``updated``, ``deleted`` (value
    rows), ``indicators_changed``, ``ratings_changed`` (Ofsted leadership ratings) and
    ``outside_lifetime`` (LA rows skipped because the authority did not exist in that period).
    Raises ``PublishedDataError`` naming the file and line of anything it cannot read.

    When a file holds a later year than an indicator's stored series shows (``2025`` rows in
    the file, the series stopping at ``2024``), says so: logged as a warning and passed to
    ``warn`` (the command prints it).
    """
    geography = _Geography.from_database()
    frames: dict[Source, tuple[Path, pd.DataFrame, tuple[int, str]]] = {}
    outside = 0
    for source in dict.fromkeys(spec.source for spec in LOADED):
        path = _find_file(directory, source)
        frame = _read_source(source, path, geography)
        year = int(frame["period_end_year"].max())
        file_latest = (year, str(frame.loc[frame["period_end_year"] == year, "period"].iloc[0]))
        frame, skipped = _resolve_geography(frame, path, source.period_type, geography)
        frames[source] = (path, frame, file_latest)
        outside += skipped

    records: dict[str, dict[tuple[str, str], tuple[object, ...]]] = {}
    periods: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    for spec in LOADED:
        path, frame, file_latest = frames[spec.source]
        out = _spec_values(spec, frame, path, geography)
        records[spec.key] = _as_records(out)
        labels = out[["period_end_year", "period"]].drop_duplicates().sort_values("period_end_year")
        periods[spec.key] = labels["period"].tolist()
        files[spec.key] = path.name
        message = _later_year_warning(spec, path, file_latest, out)
        if message:
            logger.warning(message)
            if warn is not None:
                warn(message)
    ratings = _ratings(frames[OFSTED_INSPECTIONS][1])

    with transaction.atomic():
        ids, indicators_changed = _store_indicators(LOADED, files, periods)
        created, updated, deleted, changed = _store_values(
            {ids[key]: rows for key, rows in records.items()}
        )
        ratings_changed = _store_ratings(ratings)
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
        "ratings_changed": ratings_changed,
        "outside_lifetime": outside,
    }
