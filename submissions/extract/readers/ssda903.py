"""SSDA903 (children looked after) → canonical tables, from the DfE CSV tables or the XML form.

CSV: one file is one 903 table, recognised from its header row (``identify_table``). Header
and UASC rows give ``child`` rows; Episodes give ``cla_episode`` (``{CHILD}/E{n}``, n in file
order per child); Missing gives ``missing_episode``. Every other table (Reviews, OC2, OC3,
AD1, PlacedAdoption, PrevPerm, SWEpisodes, DoLo) has no canonical table: it is checked
structurally (columns, dates, numbers) and contributes only child rows. Every table's child
rows are merged per child within the file (``merge_child_rows``); ``read_files`` merges them
again across files.

XML (``EXPSSDA903``, CLA.xsd): streamed one ``CHILD`` at a time, flattened into the same
tables (``CHILDID`` → CHILD, ``PL`` → PLACE, ``AMISSING`` → Missing, …) and mapped by the same
code, so a child reads the same from either form.

Findings this reader emits (code-list checks are the 903 rules' job, not this reader's):

* ``FILE_FORMAT``, ``FILE_ENCODING``, ``FILE_EMPTY``, ``NO_DATA_ROWS`` (query) — file level;
* ``MISSING_COLUMN``, ``UNKNOWN_COLUMN`` (query), ``DUPLICATE_COLUMN``, ``DUPLICATE_HEADER``,
  ``ROW_LENGTH`` — CSV structure, located ``line N`` as a text editor or Excel numbers lines;
* ``DATE_FORMAT``, ``NUMBER_FORMAT``, ``MISSING_FIELD`` (blank CHILD) — values;
* ``CHILD_ID_TOO_LONG`` (over 10 characters, CLA.xsd's limit) and ``CHILD_ID_CHARACTERS``
  (``base.CHILD_ID_PATTERN``) — every row's CHILD (the XML's CHILDID once per child);
* ``CONFLICTING_CHILD`` (error) and ``DUPLICATE_CHILD`` (query) — a child's second row in the
  Header or UASC table (a second CHILD in the XML), differing from the first or identical to
  it, located at the later row and naming both lines (``_repeated_children``);
* ``XML_DOCTYPE``, ``XML_SYNTAX``, ``UNKNOWN_ELEMENT`` (query), ``NO_CHILDREN`` — XML.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lxml import etree

from submissions.extract.canonical import TABLES, Finding, Format, Severity
from submissions.extract.readers.base import (
    DOCTYPE_MESSAGE,
    SSDA903_ID_MAX,
    ReaderResult,
    XmlStream,
    canonical_frame,
    child_id_findings,
    date_findings,
    element_line,
    encoding_finding,
    findings_for,
    looks_binary,
    looks_utf16,
    plain_child_id,
    quoted_id,
    read_head,
    xml_prolog,
)
from submissions.extract.readers.common import clean_codes, clean_ids, parse_dates, parse_ints

__all__ = [
    "TABLE_COLUMNS",
    "identify_table",
    "merge_child_rows",
    "normalise_column",
    "read",
]

#: The column set of each 903 table, as the DfE validator (lac_validator/config.py) expects.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "oc2": ("CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK",
            "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
            "LS_ADOPTR"),
    "placed_for_adoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED",
                            "REASON_PLACED_CEASED"),
    "previous_permanence": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "social_worker_episodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "dolo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}  # fmt: skip

#: Columns several tables share; the others identify a table (each belongs to one table only).
_SHARED = frozenset({"CHILD", "DOB", "SEX"})
#: Columns liia-tools adds when it pools several LAs' files (la-agg.yml): known, not used.
_POOLED = frozenset({"LA", "YEAR"})

_DATES = frozenset({"DOB", "MC_DOB", "DECOM", "DEC", "REVIEW", "DUC", "DATE_INT", "DATE_MATCH",
                    "DATE_PLACED", "DATE_PLACED_CEASED", "DATE_PERM", "MIS_START", "MIS_END",
                    "SW_DECOM", "SW_DEC", "DOLO_START", "DOLO_END"})  # fmt: skip
_NUMBERS = frozenset({"SDQ_SCORE", "NB_ADOPTR"})
# The 903 guidance lets a previous permanence order's day (or day and month) be unknown:
# "zz/MM/YYYY" or "zz/zz/YYYY". Rule 632 judges those; they are not a format error here.
_PARTIAL_PERM_DATE = r"\s*[zZ]{2}/(?:[zZ]{2}|\d{2})/\d{4}\s*"

_SEX = {"1": "M", "2": "F"}

#: Files above this size are read in chunks so memory stays bounded.
_CHUNK_THRESHOLD = 50 * 1024 * 1024
_CHUNK_ROWS = 200_000

_BAD_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


# --- recognising a table ---------------------------------------------------------------------


def normalise_column(name: str) -> str:
    """A header cell as a 903 column name: trimmed, upper case, inner spaces/hyphens as ``_``
    (``" mis start"`` → ``MIS_START``), so case and stray whitespace do not matter."""
    cleaned = name.replace("\ufeff", "").strip().strip('"').strip()
    return re.sub(r"[\s\-]+", "_", cleaned).upper()


def identify_table(columns: list[str]) -> str | None:
    """Which 903 table a CSV holds, from its header row alone; None when it is not one.

    Each table has columns no other table has (``DECOM`` for Episodes, ``DUC`` for UASC, …).
    The table is the one with the largest share of its own distinguishing columns present,
    at least half of them, and no tie. So a file with a column missing, an extra column, or
    the columns in any order and case is still recognised (``read`` reports the difference).
    """
    present = {normalise_column(c) for c in columns}
    scores: dict[str, float] = {}
    for table, table_columns in TABLE_COLUMNS.items():
        own = set(table_columns) - _SHARED
        scores[table] = len(own & present) / len(own)
    best = max(scores.values())
    winners = [table for table, score in scores.items() if score == best]
    if best < 0.5 or len(winners) != 1:
        return None
    return winners[0]


# --- shared cleaning -------------------------------------------------------------------------


def merge_child_rows(df: pd.DataFrame) -> pd.DataFrame:
    """One row per child from child rows contributed by several tables or files.

    Each column takes the first non-blank value, preferring the most complete row (a 903
    Header row over the bare child id an Episodes row gives; the first of equals), whose
    ``_file``/``_location`` the child keeps. Children stay in order of first appearance;
    rows without an id go. Values a dropped row disagreed on are not silently lost: the 903
    reader reports a child's repeated Header/UASC rows first (``_repeated_children``).
    """
    df = df[df["child_id"].notna()]
    if df.empty:
        return df.reset_index(drop=True)
    data_columns = [c for c in TABLES["child"] if c != "child_id"]
    richness = df[data_columns].notna().sum(axis=1).to_numpy()
    ranked = df.iloc[np.argsort(-richness, kind="stable")]
    merged = ranked.groupby("child_id", sort=False).first()  # first non-null per column
    merged = merged.reindex(pd.unique(df["child_id"])).rename_axis("child_id").reset_index()
    return merged[list(df.columns)].astype(df.dtypes.to_dict())


def _map_table(
    table: str, raw: pd.DataFrame, present: set[str], id_field: str | None
) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """Check and map one 903 table's raw strings (columns named as in ``TABLE_COLUMNS``, plus
    ``_file`` and ``_location``). Columns not in ``present`` were missing from the file (and
    reported already), so they are not checked again. A blank child id is reported as
    ``id_field`` unless that is None (reported once per XML child, not per table)."""
    findings: list[Finding] = []
    raw = raw.assign(child_id=clean_ids(raw["CHILD"]))
    if "CHILD" in present and id_field is not None:
        findings += findings_for(
            raw["child_id"].isna(),
            raw,
            code="MISSING_FIELD",
            severity=Severity.ERROR,
            field=id_field,
            message=f"{id_field} is blank. Every row needs the child's identifier; "
            "this row was not read.",
        )
        findings += child_id_findings(
            raw, field=id_field, limit=SSDA903_ID_MAX, source="the SSDA903 return"
        )
    dates: dict[str, pd.Series] = {}
    for column in TABLE_COLUMNS[table]:
        if column in _DATES and column in present:
            parsed, invalid, two_digit = parse_dates(raw[column])
            if column == "DATE_PERM":
                partial = raw[column].astype("string").str.fullmatch(_PARTIAL_PERM_DATE)
                invalid &= ~partial.fillna(False).astype(bool)
            findings += date_findings(raw[column], invalid, two_digit, raw, column)
            dates[column] = parsed.dt.normalize()
        elif column in _NUMBERS and column in present:
            _, invalid = parse_ints(raw[column])
            findings += findings_for(
                invalid,
                raw,
                code="NUMBER_FORMAT",
                severity=Severity.ERROR,
                field=column,
                values=raw[column],
                message=f"{column} '{{value}}' is not a whole number.",
            )

    keep = raw["child_id"].notna().to_numpy()
    rows = raw.loc[keep]

    def date(column: str) -> pd.Series | None:
        return dates[column].loc[keep] if column in dates else None

    source = {"_file": rows["_file"], "_location": rows["_location"]}
    child = {"child_id": rows["child_id"], "date_of_birth": date("DOB"), **source}
    if table in ("header", "uasc"):
        sex = clean_codes(rows["SEX"])
        child["sex"] = sex.replace(_SEX)  # other codes are kept for the 903 rules to report
    if table == "header":
        child["ethnicity"] = clean_codes(rows["ETHNIC"])
    if table == "uasc":
        # Being in the UASC table is what makes a child UASC in the 903.
        child["uasc"] = pd.Series(True, index=rows.index, dtype="boolean")
    tables = {"child": canonical_frame("child", child)}
    if table in _ONE_ROW_PER_CHILD and id_field is not None:
        # Kept as read until the whole file is in, to find a child's repeated rows.
        tables[f"{_REPEATS}{table}"] = rows[["child_id", "_file", "_location",
                                             *TABLE_COLUMNS[table][1:]]]  # fmt: skip
    if table == "episodes":
        tables["cla_episode"] = canonical_frame("cla_episode", {
            "child_id": rows["child_id"], "start_date": date("DECOM"),
            "start_reason": clean_codes(rows["RNE"]), "legal_status": clean_codes(rows["LS"]),
            "placement_type": clean_codes(rows["PLACE"]), "end_date": date("DEC"),
            "end_reason": clean_codes(rows["REC"]), **source,
        })  # fmt: skip
    elif table == "missing":
        tables["missing_episode"] = canonical_frame("missing_episode", {
            "child_id": rows["child_id"], "type": clean_codes(rows["MISSING"]),
            "start_date": date("MIS_START"), "end_date": date("MIS_END"), **source,
        })  # fmt: skip
    return tables, findings


#: Tables with one row per child: a child's second row is reported (``_repeated_children``).
_ONE_ROW_PER_CHILD = ("header", "uasc")
_REPEATS = "_repeats:"  # prefix of the frames ``_map_table`` keeps for that check


def _repeated_children(rows: pd.DataFrame, table: str, field: str) -> list[Finding]:
    """A child's second (third, …) row in a table that has one row per child (903 Header,
    UASC; in the XML form, a second CHILD with the same CHILDID).

    ``merge_child_rows`` keeps one row per child, so without this a repeated row would vanish
    without a word. A row identical to the child's first row is a ``DUPLICATE_CHILD`` query;
    one that differs in any value (sex, date of birth, ethnicity, UPN, …) is a
    ``CONFLICTING_CHILD`` error at the later row, naming both lines and the values that differ.
    Values are compared as the rules see them: codes trimmed and upper-cased, dates as dates.
    Only children with more than one row are visited in Python.
    """
    repeated = rows["child_id"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    rows = rows.loc[repeated].reset_index(drop=True)
    columns = [c for c in TABLE_COLUMNS[table] if c != "CHILD"]
    keys: dict[str, pd.Series] = {}
    for column in columns:
        key = clean_codes(rows[column])
        if column in _DATES:
            parsed, _, _ = parse_dates(rows[column])
            key = parsed.dt.strftime("%Y-%m-%d").astype("string").fillna(key)
        keys[column] = key
    first = ~rows["child_id"].duplicated(keep="first").to_numpy()
    first_row = pd.Series(np.flatnonzero(first), index=rows.loc[first, "child_id"])
    later = np.flatnonzero(~first)
    reference = first_row.reindex(rows["child_id"].iloc[later]).to_numpy()
    changed = np.zeros((len(later), len(columns)), dtype=bool)
    for i, column in enumerate(columns):
        mine = keys[column].iloc[later].reset_index(drop=True)
        theirs = keys[column].iloc[reference].reset_index(drop=True)
        same = (mine == theirs).fillna(False) | (mine.isna() & theirs.isna())
        changed[:, i] = ~same.to_numpy(dtype=bool)
    what = (
        "CHILD record" if field == "CHILDID" else f"{'Header' if table == 'header' else 'UASC'} row"
    )
    locations = rows["_location"].astype(str)
    # CSV locations are "line N"; XML ones end "(line N)".
    lines = locations if field == "CHILD" else locations.str.extract(r"(line \d+)", expand=False)
    line = lines.fillna(locations).tolist()
    where = locations.tolist()
    raw_ids = rows["child_id"].iloc[later].astype(str).tolist()
    quoted = {v: quoted_id(v) for v in set(raw_ids)}  # once per child, not per row
    ids = [quoted[v] for v in raw_ids]
    files = rows["_file"].iloc[later].astype(str).tolist()
    conflict = changed.any(axis=1)
    findings: list[Finding | None] = [None] * len(later)  # filled in file order
    for n in np.flatnonzero(~conflict).tolist():  # identical rows: no per-column work
        row, ref = int(later[n]), int(reference[n])
        message = (
            f"{line[row].capitalize()} repeats {line[ref]} exactly: child {ids[n]} has the "
            f"same {what} twice. It was read once; delete the repeated {what}."
        )
        findings[n] = Finding(
            "DUPLICATE_CHILD", Severity.QUERY, message, files[n], where[row], ids[n], field
        )
    conflicts = np.flatnonzero(conflict)
    if len(conflicts):
        shown: dict[str, pd.Series] = {}
        for column in columns:
            text = rows[column].astype("string").str.strip()
            shown[column] = text.mask(text == "").fillna("blank")
        for n in conflicts.tolist():
            row, ref = int(later[n]), int(reference[n])
            differing = [c for c, d in zip(columns, changed[n], strict=True) if d]
            details = "; ".join(
                f"{c} {shown[c].iat[ref]} on {line[ref]}, {shown[c].iat[row]} on {line[row]}"
                for c in differing
            )
            message = (
                f"Child {ids[n]} has two {what}s that disagree, {line[ref]} and {line[row]}: "
                f"{details}. A child has only one {what}: correct the values that are wrong "
                f"and delete the other {what}."
            )
            findings[n] = Finding(
                "CONFLICTING_CHILD", Severity.ERROR, message, files[n], where[row], ids[n],
                ", ".join(differing),
            )  # fmt: skip
    return [f for f in findings if f is not None]


def _finish(
    tables: dict[str, list[pd.DataFrame]], id_field: str
) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """Concatenate per-chunk (or per-table) frames, report children repeated in a
    one-row-per-child table, merge child rows and number episodes."""
    findings: list[Finding] = []
    for name in [n for n in tables if n.startswith(_REPEATS)]:
        frames = tables.pop(name)
        table = name.removeprefix(_REPEATS)
        findings += _repeated_children(pd.concat(frames, ignore_index=True), table, id_field)
    result = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    if "child" in result:
        result["child"] = merge_child_rows(result["child"])
    if "cla_episode" in result:
        episodes = result["cla_episode"]
        n = episodes.groupby("child_id", sort=False).cumcount() + 1
        episodes["episode_id"] = (episodes["child_id"] + "/E" + n.astype("string")).astype("string")
    return result, findings


# --- CSV -------------------------------------------------------------------------------------


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the five bytes Windows-1252 leaves undefined as Latin-1, as ``base`` does, so a
    Windows file never fails to decode."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("ssda903_cp1252", _cp1252_fallback)


def _text_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file is valid UTF-8, else Windows-1252
    (Excel's "CSV" on Windows). Checked in 1 MB blocks so a large file is never held whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _file_finding(
    display_name: str,
    code: str,
    message: str,
    severity: Severity,
    *,
    location: str = "",
    field: str = "",
) -> Finding:
    return Finding(code, severity, message, file=display_name, location=location, field=field)


def _csv_frames(
    path: Path,
    encoding: str,
    width: int,
    first_row_width: int,
    display_name: str,
    findings: list[Finding],
) -> Iterator[pd.DataFrame]:
    """The data rows as raw strings (positional columns 0…width-1) plus ``_location``, in one
    frame or, for a large file, in chunks.

    A line with more values than the header is left out and reported (ROW_LENGTH). The
    parser is given more columns than the header and the first data line (``first_row_width``)
    have: pandas otherwise takes its column count from the first data line, silently cutting
    later lines to it, or takes the first column as an index. Lines longer still are skipped
    by the parser (and reported); spare columns that are only empty (trailing commas) are
    fine. ``line N`` is the line a text editor shows: pandas counts records, so the lines of
    earlier skipped records and of line breaks inside quoted values are added back.
    """
    columns = max(width, first_row_width) + 1
    big = path.stat().st_size > _CHUNK_THRESHOLD
    skipped: list[int] = []
    newline_carry = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        options: dict[str, Any] = {
            "encoding": encoding,
            "encoding_errors": "ssda903_cp1252",
            "dtype": str,
            "keep_default_na": False,
            "skip_blank_lines": False,  # blank lines stay counted, so line numbers stay right
            "on_bad_lines": "warn",
            "engine": "c",
            # Positional names (duplicate header names are ours to report), plus the spares.
            "header": None,
            "skiprows": 1,
            "names": list(range(columns)),
            "index_col": False,
        }
        chunks: Iterator[pd.DataFrame] = (
            iter(pd.read_csv(path, chunksize=_CHUNK_ROWS, **options))
            if big
            else iter([pd.read_csv(path, **options)])
        )
        for chunk in chunks:
            new_skips = [
                (int(record), int(saw))
                for warning in caught
                for record, _, saw in _BAD_LINE.findall(str(warning.message))
            ]
            caught.clear()
            skipped.extend(record for record, _ in new_skips)
            kept = chunk.index.to_numpy()
            if skipped:
                marks = np.sort(np.asarray(skipped))
                # kept rows that precede each skipped record
                before = marks - 2 - np.arange(len(marks))
                records = kept + 2 + np.searchsorted(before, kept, side="right")
            else:
                records = kept + 2
            breaks = np.zeros(len(chunk), dtype=np.int64)
            for column in chunk.columns:
                values = chunk[column]
                if values.str.contains("\n", regex=False).any():
                    breaks += values.str.count("\n").fillna(0).to_numpy(dtype=np.int64)
            breaks_before = np.cumsum(breaks) - breaks
            lines = records + newline_carry + breaks_before
            too_long = np.zeros(len(chunk), dtype=bool)
            for spare in range(width, columns):
                too_long |= chunk[spare].fillna("").str.strip().ne("").to_numpy(dtype=bool)
            long_lines: list[tuple[int, int | None]] = [(int(n), None) for n in lines[too_long]]
            for record, saw in new_skips:
                position = int(np.searchsorted(records, record))
                offset = int(breaks_before[position - 1] + breaks[position - 1]) if position else 0
                long_lines.append((record + newline_carry + offset, saw))
            for line, seen in sorted(long_lines, key=lambda item: item[0]):
                count = (
                    f"{seen} values but the header has" if seen else "more values than the header's"
                )
                findings.append(
                    Finding(
                        "ROW_LENGTH",
                        Severity.ERROR,
                        f"This line has {count} {width} columns, so it was not read. Check "
                        "for a stray comma or an unquoted value containing a comma.",
                        file=display_name,
                        location=f"line {line}",
                    )
                )
            newline_carry += int(breaks.sum())
            chunk["_location"] = "line " + pd.Series(lines, index=chunk.index).astype(str)
            yield chunk.loc[~too_long].drop(columns=list(range(width, columns)))


_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _next_chunk(
    chunks: Iterator[pd.DataFrame], display_name: str, findings: list[Finding]
) -> pd.DataFrame | None:
    """The next chunk, or None at the end or when the parser gives up (reported: what was
    read before stays read)."""
    try:
        return next(chunks)
    except StopIteration:
        return None
    except pd.errors.ParserError as exc:
        unclosed = _UNCLOSED_QUOTE.search(str(exc))
        if unclosed:
            line = int(unclosed.group(1)) + 1  # pandas counts records from 0 (the header)
            message = (
                f'A quote (") opens a value on line {line} and is never closed, so the file '
                "could not be read from there on. Close the quote or remove it."
            )
            location = f"line {line}"
        else:
            message = f"This CSV file could not be read to the end: {exc}."
            location = ""
        findings.append(
            _file_finding(display_name, "CSV_SYNTAX", message, Severity.ERROR, location=location)
        )
        return None


def _blank_and_repeated_header(
    chunk: pd.DataFrame, names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of rows that are entirely blank (skipped silently: spreadsheet exports end with
    ``,,,,`` lines) and of rows repeating the header (two exports joined into one file).
    Only rows whose first value qualifies are looked at further, so a clean file costs one
    pass over one column."""

    def normalised(column: int, rows: np.ndarray) -> pd.Series:
        values = chunk[column].iloc[rows].fillna("").str.strip()
        return values.str.replace(r"[\s\-]+", "_", regex=True).str.upper()

    everything = np.arange(len(chunk))
    first = normalised(0, everything)
    blank = (first == "").to_numpy(dtype=bool, copy=True)  # copies: updated below
    repeated = (first == names[0]).to_numpy(dtype=bool, copy=True)
    for column in range(1, len(names)):
        rows = np.flatnonzero(blank | repeated)
        if not len(rows):
            break
        values = normalised(column, rows)
        blank[rows[(values != "").to_numpy(dtype=bool)]] = False
        repeated[rows[(values != names[column]).to_numpy(dtype=bool)]] = False
    return blank, repeated


def _read_csv(path: Path, display_name: str) -> ReaderResult:
    def result(
        findings: list[Finding], tables: dict[str, pd.DataFrame] | None = None
    ) -> ReaderResult:
        return ReaderResult(format=Format.SSDA903_CSV, tables=tables or {}, findings=findings)

    encoding = _text_encoding(path)
    try:
        with path.open(encoding=encoding, errors="ssda903_cp1252", newline="") as fh:
            rows = csv.reader(fh)
            header = next(rows, None)
            first_row = next(rows, None) or []
            # Only a blank first line needs the next non-blank one (to tell the cases apart).
            blank_first = not header or not any(cell.strip() for cell in header)
            content_later = blank_first and (
                any(c.strip() for c in first_row) or any(any(c.strip() for c in r) for r in rows)
            )
    except csv.Error as exc:  # a NUL byte, or a "header" cell over csv's 128 KB field limit
        message = f"The header row of this file could not be read ({exc})."
        return result(
            [_file_finding(display_name, "FILE_FORMAT", message, Severity.ERROR, location="line 1")]
        )
    if blank_first and content_later:
        message = (
            "The first line of this file is blank. The header row (CHILD,…) must be the first "
            "line: delete the blank lines above it."
        )
        return result(
            [_file_finding(display_name, "FILE_FORMAT", message, Severity.ERROR, location="line 1")]
        )
    if not header or blank_first:
        message = "This file is empty. Upload the 903 table with its header row and data rows."
        return result([_file_finding(display_name, "FILE_EMPTY", message, Severity.ERROR)])

    names = [normalise_column(cell) for cell in header]
    table = identify_table(header)
    if table is None:
        shown = ", ".join(cell.strip() for cell in header[:15] if cell.strip())
        message = (
            "This CSV's header row does not match any SSDA903 table (for example Episodes "
            f"starts CHILD,DECOM,RNE,LS,…). Its columns are: {shown}."
        )
        return result([_file_finding(display_name, "FILE_FORMAT", message, Severity.ERROR)])

    findings: list[Finding] = []
    expected = TABLE_COLUMNS[table]
    first: dict[str, int] = {}  # column name -> position of its first occurrence
    for position, name in enumerate(names):
        if not name:
            continue
        if name in first:
            findings.append(
                _file_finding(
                    display_name,
                    "DUPLICATE_COLUMN",
                    f"The column {name} appears more than once in the header row; only the "
                    "first was read. Remove the duplicate column.",
                    Severity.ERROR,
                    location="line 1",
                    field=name,
                )
            )
            continue
        first[name] = position
    missing = [c for c in expected if c not in first]
    if missing:
        findings.append(
            _file_finding(
                display_name,
                "MISSING_COLUMN",
                f"This looks like the 903 {table} table but it has no {', '.join(missing)} "
                f"column{'s' if len(missing) > 1 else ''}. The table needs: "
                f"{','.join(expected)}.",
                Severity.ERROR,
                location="line 1",
            )
        )
    for name in first:
        if name not in expected and name not in _POOLED:
            findings.append(
                _file_finding(
                    display_name,
                    "UNKNOWN_COLUMN",
                    f"The column {name} is not part of the 903 {table} table and was ignored.",
                    Severity.QUERY,
                    location="line 1",
                    field=name,
                )
            )

    frames: dict[str, list[pd.DataFrame]] = {}
    present = set(first) & set(expected)
    rows_read = 0
    chunks = _csv_frames(path, encoding, len(names), len(first_row), display_name, findings)
    while (chunk := _next_chunk(chunks, display_name, findings)) is not None:
        raw = pd.DataFrame(
            {
                column: chunk[first[column]]
                if column in first
                else pd.Series(pd.NA, index=chunk.index, dtype="string")
                for column in expected
            }
        )
        raw["_location"] = chunk["_location"]
        raw["_file"] = display_name
        blank_row, repeated = _blank_and_repeated_header(chunk, names)
        findings += findings_for(
            pd.Series(repeated, index=raw.index),
            raw,
            code="DUPLICATE_HEADER",
            severity=Severity.ERROR,
            field="",
            message="The header row is repeated here (were two files joined?). Remove this "
            "line; it was not read.",
        )
        raw = raw.loc[~(blank_row | repeated)]
        rows_read += len(raw)
        tables, table_findings = _map_table(table, raw, present, "CHILD")
        findings += table_findings
        for name, frame in tables.items():
            frames.setdefault(name, []).append(frame)

    # Data lines that were there but unreadable are reported already: not "no data rows".
    unreadable = {"CSV_SYNTAX", "ROW_LENGTH", "DUPLICATE_HEADER"}
    if rows_read == 0 and not any(f.code in unreadable for f in findings):
        findings.append(
            _file_finding(
                display_name,
                "NO_DATA_ROWS",
                f"This 903 {table} file has a header row but no data rows. If the LA has "
                "nothing to report in this table that is fine; otherwise check the export.",
                Severity.QUERY,
            )
        )
    tables, repeats = _finish(frames, "CHILD")
    return result(findings + repeats, tables)


# --- XML -------------------------------------------------------------------------------------

#: HEADER items and where they go. Repeated groups (AMISSING, AREVIEW, AD_PLACED) and the
#: single groups (PERMANENCE, OC2) become rows of their CSV table; EPISODE is a CHILD child.
_HEADER_ITEMS = frozenset({"CHILDID", "UPN", "SEX", "DOB", "ETHNIC", "UASC", "DUC", "DATE_INT",
                           "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR",
                           "IN_TOUCH", "ACTIV", "ACCOM", "AMISSING", "AREVIEW", "MOTHER",
                           "MC_DOB", "PERMANENCE", "OC2", "AD_PLACED"})  # fmt: skip
_GROUPS = {"AMISSING": "missing", "AREVIEW": "reviews", "AD_PLACED": "placed_for_adoption",
           "PERMANENCE": "previous_permanence", "OC2": "oc2"}  # fmt: skip
_EPISODE_ITEMS = frozenset({"DECOM", "RNE", "LS", "CIN", "PL", "PL_POST", "HOME_POST", "URN",
                            "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE"})  # fmt: skip
_XML_TABLES = ("header", "uasc", "ad1", "oc3", "missing", "reviews", "placed_for_adoption",
               "previous_permanence", "oc2", "episodes")  # fmt: skip


def _texts(element: etree._Element | None) -> dict[str, str | None]:
    """An element's leaf children as {tag: stripped text} (empty elements give ``""``)."""
    if element is None:
        return {}
    return {
        child.tag: (child.text or "").strip()
        for child in element
        if isinstance(child.tag, str) and len(child) == 0
    }


class _XmlRows:
    """Raw rows per 903 table, collected while the XML streams."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[str | None, ...]]] = {t: [] for t in _XML_TABLES}
        self.unknown: dict[str, int] = {}  # unexpected element -> line of its first occurrence
        self.children = 0
        #: Header locations of children whose UASC flag says "not UASC" (0): unlike the CSV
        #: return, where only the UASC table's children are UASC, the XML states it for all.
        self.not_uasc: set[str] = set()

    def add(self, table: str, values: dict[str, str | None], location: str) -> None:
        columns = TABLE_COLUMNS[table]
        self.rows[table].append((*(values.get(c) for c in columns), location))

    def child(self, element: etree._Element) -> None:
        self.children += 1
        header = element.find("HEADER")
        items = _texts(header)
        child_id = items.get("CHILDID") or ""
        # An identifier that is too long or holds odd characters is reported, not repeated in
        # every location: such a child is located by its position instead.
        plain = plain_child_id(child_id, SSDA903_ID_MAX)
        label = f"CHILD[CHILDID={child_id}]" if plain else f"CHILD[{self.children}]"
        line = header.sourceline if header is not None else element.sourceline
        where = f"{label}/HEADER (line {line})"
        base: dict[str, str | None] = {
            "CHILD": child_id,
            "SEX": items.get("SEX"),
            "DOB": items.get("DOB"),
        }
        self.add("header", {**items, **base}, where)
        if items.get("UASC") == "1" or items.get("DUC"):
            self.add("uasc", {**items, **base}, where)
        elif items.get("UASC") == "0":
            self.not_uasc.add(where)
        for table in ("ad1", "oc3"):
            if any(items.get(c) for c in TABLE_COLUMNS[table] if c not in _SHARED):
                self.add(table, {**items, **base}, where)
        counts: dict[str, int] = {}
        for group in header if header is not None else ():
            tag = group.tag
            if not isinstance(tag, str):
                continue
            if tag not in _HEADER_ITEMS:
                self.unknown.setdefault(f"HEADER/{tag}", element_line(group))
            elif tag in _GROUPS:
                counts[tag] = counts.get(tag, 0) + 1
                location = f"{label}/HEADER/{tag}[{counts[tag]}] (line {group.sourceline})"
                self.add(_GROUPS[tag], {**_texts(group), **base}, location)
        for n, episode in enumerate(element.iterfind("EPISODE"), start=1):
            values = _texts(episode)
            for tag in values.keys() - _EPISODE_ITEMS:
                self.unknown.setdefault(f"EPISODE/{tag}", element_line(episode))
            values["PLACE"] = values.get("PL", "")
            location = f"{label}/EPISODE[{n}] (line {episode.sourceline})"
            self.add("episodes", {**values, "CHILD": child_id}, location)


def _xml_refusal(display_name: str, code: str, message: str) -> ReaderResult:
    return ReaderResult(
        format=Format.SSDA903_XML,
        findings=[Finding(code, Severity.ERROR, message, file=display_name)],
    )


def _read_xml(path: Path, display_name: str, head: bytes) -> ReaderResult:
    prolog = xml_prolog(head)
    if prolog is not None and prolog.doctype:
        return _xml_refusal(display_name, "XML_DOCTYPE", DOCTYPE_MESSAGE)
    if prolog is None or prolog.root != "EXPSSDA903":
        return _xml_refusal(
            display_name,
            "FILE_FORMAT",
            "This XML file is not an SSDA903 return: it should start with <EXPSSDA903>.",
        )
    collected = _XmlRows()
    findings: list[Finding] = []
    stream = XmlStream(path, "CHILD", display_name)
    for element in stream:
        collected.child(element)
    if stream.syntax_error is not None:
        findings.append(stream.syntax_error)
    if collected.children == 0 and stream.syntax_error is None:
        findings.append(
            Finding(
                "NO_CHILDREN",
                Severity.ERROR,
                "This SSDA903 file has no CHILD records.",
                file=display_name,
            )
        )
    for element_path, line in collected.unknown.items():
        findings.append(
            Finding(
                "UNKNOWN_ELEMENT",
                Severity.QUERY,
                f"{element_path} is not part of the SSDA903 XML (CLA.xsd) and was ignored "
                "(first seen here; check its spelling).",
                file=display_name,
                location=f"line {line}",
                field=element_path.rsplit("/", 1)[-1],
            )
        )

    frames: dict[str, list[pd.DataFrame]] = {
        "child": [],
        "cla_episode": [],
        "missing_episode": [],
    }
    for table, rows in collected.rows.items():
        if not rows:
            continue
        raw = pd.DataFrame.from_records(rows, columns=[*TABLE_COLUMNS[table], "_location"])
        raw["_file"] = display_name
        id_field = "CHILDID" if table == "header" else None
        tables, table_findings = _map_table(table, raw, set(TABLE_COLUMNS[table]), id_field)
        findings += table_findings
        for name, frame in tables.items():
            frames.setdefault(name, []).append(frame)
    for name, parts in frames.items():
        if not parts:
            parts.append(canonical_frame(name, {}))
    tables, repeats = _finish(frames, "CHILDID")
    child = tables["child"]
    stated = child["_location"].isin(collected.not_uasc).to_numpy() & child["uasc"].isna()
    child.loc[stated, "uasc"] = False  # rule 105 reports a flag that is missing or invalid
    return ReaderResult(format=Format.SSDA903_XML, tables=tables, findings=findings + repeats)


# --- entry point -----------------------------------------------------------------------------


def read(path: Path, display_name: str) -> ReaderResult:
    """Read one SSDA903 file (a CSV table or the XML return) into canonical tables, with
    located findings. Never raises on bad content."""
    head = read_head(path)
    if looks_utf16(head):
        xml = display_name.lower().endswith(".xml")
        return ReaderResult(
            format=Format.SSDA903_XML if xml else Format.SSDA903_CSV,
            findings=[encoding_finding(display_name, xml=xml)],
        )
    if looks_binary(head):
        return ReaderResult(
            format=Format.SSDA903_CSV,
            findings=[
                _file_finding(
                    display_name,
                    "FILE_FORMAT",
                    "This file is not a text file. Check you uploaded the right file.",
                    Severity.ERROR,
                )
            ],
        )
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return _read_xml(path, display_name, head)
    return _read_csv(path, display_name)
