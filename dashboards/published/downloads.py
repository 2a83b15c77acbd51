"""The public dashboard's figures as files people can reuse, in the Explore Education
Statistics (EES) data format.

Two downloads, both built from ``queries.stored_figures`` (so public indicators only: the
restricted-only missing-children measures are in neither):

* ``indicator_csv``: one indicator, every geography and period the store holds;
* ``dashboard_zip``: every public indicator in one CSV, its EES metadata file (``.meta.csv``)
  and a data guidance text, zipped.

The rows are EES tidy data, one row per indicator, period and geography (``COLUMNS``):

* ``time_period``/``time_identifier`` as the EES files the figures come from write them: a
  year ending 31 March or a workforce census year is ``2025``, "Reporting year"; an academic or
  financial year is ``202425``, "Academic year" or "Financial year".
* ``geographic_level`` "National", "Regional" or "Local authority", then the EES geography
  columns. An LA's region is the one its rows carry in the EES files (Inner or Outer London
  for a London borough); ``old_la_code`` is the three-digit DfE code, ``new_la_code`` the
  GSS code.
* ``indicator_group`` (outcome or enabler), ``indicator`` (a stable short name),
  ``indicator_name``, ``unit``, then ``value``: the figure as stored, or where it is withheld
  the GSS symbol the publication used (``c``, ``k``, ``low``, ``u``, ``x``, ``z``). The Local
  Authority Interactive Tool's single mark ``-`` (not published, for any reason) is not a GSS
  symbol; it is written ``x``, as EES writes a figure that is not available.

Every cell goes through ``portal.spreadsheets`` (formula guard, byte order mark), like every CSV
of the service.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import Final

from dashboards.models import PeriodType, SuppressionCode, Unit
from dashboards.published.catalogue import NATIONAL_CODE
from dashboards.published.queries import IndicatorMeta, StoredFigure, stored_figures
from portal.models.reference import GeographyLevel
from portal.spreadsheets import csv_lines

#: The data file's columns, in order.
COLUMNS: Final = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "indicator_group",
    "indicator",
    "indicator_name",
    "unit",
    "value",
)
#: The EES time and geography columns: an EES metadata file does not list them.
OBSERVATIONAL_UNITS: Final = COLUMNS[:10]
META_COLUMNS: Final = (
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
)
#: The metadata file's rows: every column that is not a time or geography column, except
#: ``indicator_group``, which EES reads as the grouping of the ``indicator`` filter.
META_ROWS: Final = (
    (
        "indicator",
        "Filter",
        "Indicator",
        "",
        "",
        "",
        "A short name for the indicator that does not change between releases",
        "indicator_group",
    ),
    ("indicator_name", "Filter", "Indicator name", "", "", "", "The indicator's title", ""),
    ("unit", "Filter", "Unit", "", "", "", "What the value measures", ""),
    ("value", "Indicator", "Value", "", "", "", "", ""),
)
FILE_STEM: Final = "childrens-social-care-published-figures"
ZIP_NAME: Final = f"{FILE_STEM}.zip"

_LEVELS: Final = {
    GeographyLevel.NATIONAL: "National",
    GeographyLevel.REGIONAL: "Regional",
    GeographyLevel.LOCAL_AUTHORITY: "Local authority",
}
_TWO_YEAR_IDENTIFIERS: Final = {
    PeriodType.ACADEMIC_YEAR: "Academic year",
    PeriodType.FINANCIAL_YEAR: "Financial year",
}
#: GSS symbols as EES writes them; anything else a source used is written as not available.
_GSS_SYMBOLS: Final = frozenset({"c", "k", "low", "u", "x", "z"})
_NOT_AVAILABLE: Final = SuppressionCode.NOT_AVAILABLE.value


def time_columns(meta: IndicatorMeta, period: str) -> tuple[str, str]:
    """(time_period, time_identifier): ``("2025", "Reporting year")`` for "2025",
    ``("202425", "Academic year")`` for an academic year "2024/25"."""
    if "/" not in period:
        return period, "Reporting year"
    start, end = period.split("/")
    return start + end, _TWO_YEAR_IDENTIFIERS.get(PeriodType(meta.period_type), "Financial year")


def value_cell(figure: StoredFigure) -> str:
    """The figure as stored, or the GSS symbol for a withheld one."""
    if figure.value is not None:
        return f"{figure.value:f}"
    return figure.suppression if figure.suppression in _GSS_SYMBOLS else _NOT_AVAILABLE


def row(figure: StoredFigure) -> tuple[str, ...]:
    """One data file row (``COLUMNS``)."""
    meta = figure.indicator
    return (
        *time_columns(meta, figure.period),
        _LEVELS[GeographyLevel(figure.geography_level)],
        NATIONAL_CODE,
        "England",
        figure.region_code,
        figure.region_name,
        figure.la_ons_code,
        figure.la_code,
        figure.la_name,
        meta.group,
        meta.key,
        meta.title,
        Unit(meta.unit).label,
        value_cell(figure),
    )


def data_lines(figures: Iterable[StoredFigure]) -> Iterator[str]:
    return csv_lines(COLUMNS, (row(figure) for figure in figures))


def indicator_csv(key: str) -> tuple[str, str]:
    """(file name, CSV text) of one public indicator's every stored figure; ``NotFound`` for
    an unknown or restricted-only key."""
    return f"{key}.csv", "".join(data_lines(stored_figures(key)))


def meta_csv() -> str:
    """The EES metadata file of the data file."""
    return "".join(csv_lines(META_COLUMNS, META_ROWS))


def guidance(indicators: Iterable[IndicatorMeta]) -> str:
    """The data guidance: what the files hold, how to read each column, each indicator."""
    lines = [
        "Children's social care: published figures behind the National Framework",
        "",
        "What this is",
        "The Department for Education's published annual figures for each indicator of the "
        "public dashboard, for England, each region (with Inner and Outer London) and each "
        "local authority, for every year the service holds. They are the figures the "
        "dashboard shows, read from the publications named below. None is a performance "
        "measure: a higher or lower figure is not in itself better or worse.",
        "",
        "Files",
        f"{FILE_STEM}.csv: the figures, one row per indicator, year and area, in the "
        "Explore Education Statistics tidy data format.",
        f"{FILE_STEM}.meta.csv: the Explore Education Statistics metadata of that file.",
        "data-guidance.txt: this text.",
        "",
        "Columns",
        "time_period, time_identifier: the year. A year ending 31 March or the workforce "
        "census year (to 30 September) is written as one year (2025, Reporting year); an "
        "academic or financial year as both its years (202425, Academic year).",
        "geographic_level: National, Regional or Local authority. country_code, country_name: "
        "England. region_code, region_name: the region (for a London borough, Inner or Outer "
        "London, as in the published files). new_la_code: the local authority's GSS code; "
        "old_la_code: its three-digit Department for Education number; la_name: its name.",
        "indicator_group: the National Framework outcome or enabler. indicator: a short name "
        "that stays the same between releases. indicator_name: its title. unit: what the "
        "value measures.",
        "value: the figure, unrounded as the service holds it (the dashboard rounds it to the "
        "decimal places listed below), or a symbol where no figure is published.",
        "",
        "Symbols",
        *(f"{code}: {SuppressionCode(code).label}" for code in ("c", "k", "low", "u", "x", "z")),
        "The Local Authority Interactive Tool marks every figure it does not publish with '-', "
        "whatever the reason; those figures are written x here.",
        "Areas and years with no published row at all are left out of the file.",
        "",
        "Indicators",
    ]
    for meta in indicators:
        first, last = (meta.periods[0], meta.periods[-1]) if meta.periods else ("", "")
        lines += [
            "",
            f"{meta.key}: {meta.title}",
            f"  {meta.group}: {meta.heading}.",
            f"  Unit: {Unit(meta.unit).label}, shown to {meta.decimals} decimal places.",
            f"  Years: {meta.period_type_label}, {first} to {last}.",
            f"  Definition: {meta.definition}",
            f"  Source: {meta.source}" + (f" ({meta.source_url})" if meta.source_url else ""),
            *(f"  Caveat: {caveat}" for caveat in meta.caveats),
        ]
    return "\n".join(lines) + "\n"


def dashboard_zip() -> bytes:
    """Every public indicator's figures, their metadata file and the data guidance, zipped."""
    indicators: dict[str, IndicatorMeta] = {}

    def figures() -> Iterator[StoredFigure]:
        for figure in stored_figures():
            indicators.setdefault(figure.indicator.key, figure.indicator)
            yield figure

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(f"{FILE_STEM}.csv", "w") as data:
            for line in data_lines(figures()):
                data.write(line.encode())
        archive.writestr(f"{FILE_STEM}.meta.csv", meta_csv())
        archive.writestr("data-guidance.txt", guidance(indicators.values()))
    return buffer.getvalue()
