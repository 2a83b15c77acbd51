"""Write canonical tables out in every input format the service reads, as LAs' files look.

Each writer takes an ``Extract`` (canonical tables, ``la_code``, ``as_of``) and a folder and
returns the files it wrote:

- ``write_cin_census``: CIN census XML (2024 schema: ``Message/Header/Children``), one file
  for the whole extract with ``ReferenceDate`` = the extract date.
- ``write_903_csv``: SSDA903 ``header.csv``, ``episodes.csv``, ``missing.csv``, ``uasc.csv``
  (the DfE column sets, dd/mm/yyyy dates), in a ``ssda903`` subfolder.
- ``write_903_xml``: the 903 XML form (``EXPSSDA903/CHILD/HEADER`` + ``EPISODE``, CLA.xsd).
- ``write_annex_a``: Ofsted Annex A workbook, sheets ``List 1`` .. ``List 11`` with the real
  header texts and Ofsted's coded values (``a) WBRI``); lists 3-8 carry the data.
- ``write_api_json``: the DfE CSC API payload, a JSON array of child records.

Details the canonical tables do not hold but real files do (UPN, disability codes,
postcodes, placement provider, workers, review dates ...) are derived from record ids with a
fixed hash, so every format tells the same story and output is identical for the same input.

Everything is built column-wise with pandas string operations and written in chunks, so the
largest LA writes in seconds. That includes the Annex A workbook: its SpreadsheetML parts are
written directly (inline strings, one date style), because openpyxl, even in write-only mode,
costs about 30 microseconds a cell, over a minute for the largest LA; openpyxl reads the result.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from submissions.extract.canonical import Extract
from submissions.extract.readers.api_json import window_start as api_window_start

__all__ = [
    "FORMATS",
    "write_903_csv",
    "write_903_xml",
    "write_annex_a",
    "write_api_json",
    "write_cin_census",
    "write_extract",
]

Writer = Callable[[Extract, Path], list[Path]]

_CHUNK = 5_000  # records per write: bounded memory for the string joins

# -- deterministic per-record details ---------------------------------------------------------


def _u(keys: pd.Series, salt: str) -> npt.NDArray[np.float64]:
    """A uniform number in [0, 1) per key and salt, the same every run: pandas' fixed-key
    SipHash of the key, mixed with the salt by the splitmix64 finaliser."""
    x = pd.util.hash_array(keys.astype(str).to_numpy(dtype=object))
    x = x ^ np.uint64(zlib.crc32(salt.encode()) * 0x9E3779B97F4A7C15 % 2**64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def _choose(keys: pd.Series, salt: str, weights: dict[str, float]) -> pd.Series:
    codes = np.array(list(weights))
    cum = np.cumsum(np.array(list(weights.values()), dtype=float))
    idx = np.searchsorted(cum / cum[-1], _u(keys, salt), side="right")
    return pd.Series(codes[np.minimum(idx, len(codes) - 1)], index=keys.index, dtype="str")


def _digits(keys: pd.Series, salt: str, n: int) -> pd.Series:
    value = (_u(keys, salt) * 10**n).astype(np.int64)
    return pd.Series(value, index=keys.index).astype(str).str.zfill(n)


_LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXY"))
_AREAS = ("B", "E", "M", "N", "S", "W", "BS", "CV", "DE", "LS", "NG", "SE", "SW", "TN", "WV")
_DISABILITIES = {
    "LD": 25.0, "AUT": 25.0, "COMM": 15.0, "BEH": 12.0, "MOB": 6.0, "PC": 4.0, "HAND": 3.0,
    "INC": 3.0, "HEAR": 3.0, "VIS": 2.0, "CON": 1.0, "DDA": 1.0,
}  # fmt: skip
# Made-up names for the API's name fields and Annex A's workers.
_FIRST = (
    "Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Robin", "Charlie",
    "Frankie", "Drew", "Sasha", "Rowan", "Kit", "Ellis", "Remy", "Avery",
)  # fmt: skip
_LAST = (
    "Ashdown", "Birchall", "Coldwell", "Dunmore", "Elmsley", "Farrow", "Greave", "Hollins",
    "Ivey", "Jessop", "Kettle", "Lomax", "Marsden", "Northey", "Oakes", "Pybus", "Quarry",
    "Rudd", "Stainer", "Thwaite",
)  # fmt: skip


def _pick_words(keys: pd.Series, salt: str, words: tuple[str, ...]) -> pd.Series:
    idx = (_u(keys, salt) * len(words)).astype(np.int64)
    return pd.Series(np.array(words)[idx], index=keys.index, dtype="str")


def _postcode(keys: pd.Series, salt: str) -> pd.Series:
    """Made-up postcodes in the usual shape (``LS12 4QX``)."""
    area = _pick_words(keys, salt + "a", _AREAS)
    district = pd.Series((_u(keys, salt + "d") * 28).astype(np.int64) + 1, index=keys.index)
    sector = _digits(keys, salt + "s", 1)
    unit = pd.Series(
        _LETTERS[(_u(keys, salt + "u") * len(_LETTERS)).astype(np.int64)], index=keys.index
    ) + pd.Series(
        _LETTERS[(_u(keys, salt + "v") * len(_LETTERS)).astype(np.int64)], index=keys.index
    )
    return area + district.astype(str) + " " + sector + unit


def _add_years(dates: pd.Series, years: int) -> pd.Series:
    return dates + pd.DateOffset(years=years)


def _age(dob: pd.Series, on: dt.date) -> pd.Series:
    """Whole years of age on a date."""
    when = pd.Timestamp(on)
    had_birthday = (dob.dt.month < when.month) | (
        (dob.dt.month == when.month) & (dob.dt.day <= when.day)
    )
    return (when.year - dob.dt.year - (~had_birthday).astype(int)).astype("Int64")


class _Children:
    """Per-child details shared by the writers (indexed by child_id)."""

    def __init__(self, extract: Extract):
        child = extract.tables["child"].set_index("child_id", drop=False)
        as_of = _as_of(extract)
        key = child["child_id"]
        self.table = child
        self.age = _age(child["date_of_birth"], as_of)
        # UPNs (check letter, LA, establishment, year, serial) for school-age children;
        # under-fives mostly have none (UN1) and newly arrived UASC have none yet (UN2).
        upn = (
            pd.Series(_LETTERS[(_u(key, "upn") * len(_LETTERS)).astype(np.int64)], index=key.index)
            + str(extract.la_code or "000").zfill(3)[:3]
            + _digits(key, "estab", 4)
            + _digits(key, "year", 2)
            + _digits(key, "serial", 3)
        )
        no_upn = ((self.age < 5) & (_u(key, "noupn") < 0.7)).fillna(True).to_numpy()
        uasc = child["uasc"].fillna(False).to_numpy(dtype=bool)
        self.upn = upn.mask(no_upn | uasc)
        self.upn_unknown = pd.Series(
            np.where(uasc, "UN2", np.where(no_upn, "UN1", "")), index=key.index, dtype="str"
        ).replace("", pd.NA)
        first = _choose(key, "disability1", _DISABILITIES)
        second = _choose(key, "disability2", _DISABILITIES)
        two = (_u(key, "disability_n") < 0.3) & (first != second)
        codes = first.where(~two, first + "," + second)
        disabled = child["disability"].fillna(False).to_numpy(dtype=bool)
        self.disabilities = codes.where(disabled, "NONE")
        self.postcode = _postcode(key, "home")
        self.first_name = _pick_words(key, "first", _FIRST)
        self.surname = _pick_words(key, "last", _LAST)
        self.mis_id = "MIS" + _digits(key, "mis", 7)
        self.uasc_end = _add_years(child["date_of_birth"], 18).where(uasc)


def _as_of(extract: Extract) -> dt.date:
    if extract.as_of is None:
        raise ValueError("the extract needs an as_of date to be written out")
    return extract.as_of


# -- value formatting ---------------------------------------------------------------------------


def _iso(dates: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` (NA stays NA)."""
    text = np.datetime_as_string(dates.to_numpy(dtype="datetime64[D]"), unit="D")
    return pd.Series(text, index=dates.index, dtype="str").mask(dates.isna())


def _dmy(dates: pd.Series) -> pd.Series:
    """``dd/mm/yyyy`` (NA stays NA)."""
    iso = _iso(dates)
    return iso.str.slice(8, 10) + "/" + iso.str.slice(5, 7) + "/" + iso.str.slice(0, 4)


def _text(values: pd.Series) -> pd.Series:
    return values.astype("str").mask(values.isna())


def _xml_escape(values: pd.Series) -> pd.Series:
    text = _text(values)
    if not text.str.contains("[&<>]", regex=True).any():  # codes and ids: nothing to do
        return text
    return (
        text.str.replace("&", "&amp;", regex=False)
        .str.replace("<", "&lt;", regex=False)
        .str.replace(">", "&gt;", regex=False)
    )


def _el(tag: str, values: pd.Series, indent: str = "", *, empty: bool = False) -> pd.Series:
    """``<tag>value</tag>`` per row; rows without a value give nothing (or ``<tag />``)."""
    frag = f"{indent}<{tag}>" + values + f"</{tag}>"
    return frag.fillna(f"{indent}<{tag} />" if empty else "")


def _join_by(fragments: pd.Series, keys: pd.Series, sep: str = "") -> pd.Series:
    """Join fragments per key, in row order; rows must come grouped by key (sorted). A plain
    loop over the groups: pandas' groupby-join builds a Series per group, 30x slower."""
    known = keys.notna().to_numpy()
    values = fragments[known].tolist()
    k = keys[known].to_numpy()
    if len(k) == 0:
        return pd.Series([], dtype="str")
    change = np.flatnonzero(k[1:] != k[:-1]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(k)]))
    joined = [sep.join(values[a:b]) for a, b in zip(starts, ends, strict=True)]
    return pd.Series(joined, index=k[starts], dtype="str")


def _attach(keys: pd.Series, joined: pd.Series) -> pd.Series:
    return keys.map(joined).fillna("").astype("str")


def _write_chunks(path: Path, head: str, records: pd.Series, tail: str, sep: str = "") -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(head)
        values = records.tolist()
        for i in range(0, len(values), _CHUNK):
            if i and sep:
                f.write(sep)
            f.write(sep.join(values[i : i + _CHUNK]))
        f.write(tail)


def _member(values: pd.Series, pool: pd.Series) -> npt.NDArray[np.bool_]:
    """``values.isin(pool)`` through a hash index (arrow-backed ``isin`` goes via Python)."""
    return np.asarray(pd.Index(pool.unique()).get_indexer(values) >= 0)


def _sorted(df: pd.DataFrame, *by: str) -> pd.DataFrame:
    return df.sort_values(list(by), kind="stable", ignore_index=True)


def _from_referral(
    children: pd.Series, dates: pd.Series, referrals: pd.DataFrame, column: str
) -> pd.Series:
    """Per row, ``column`` of the child's latest referral on or before the date (else of the
    child's first referral), aligned to ``dates``."""
    left = pd.DataFrame({"child_id": children.to_numpy(), "on": dates.to_numpy()})
    left = left.astype({"child_id": "string"}).reset_index().sort_values("on", kind="stable")
    right = _sorted(referrals, "referral_date")[["child_id", "referral_date", column]]
    right = right.astype({"child_id": "string"})
    found = pd.merge_asof(
        left, right, left_on="on", right_on="referral_date", by="child_id"
    ).set_index("index")[column]
    first = referrals.sort_values("referral_date").groupby("child_id")[column].first()
    value = found.reindex(range(len(dates))).fillna(pd.Series(children.to_numpy()).map(first))
    return pd.Series(value.to_numpy(), index=dates.index)


# -- CIN census XML -----------------------------------------------------------------------------

_I = "    "  # the DfE samples indent by four spaces


def write_cin_census(extract: Extract, out_dir: Path) -> list[Path]:
    """One CIN census XML (2024 schema) per collection year the extract covers, each as the
    LA returned it: the year's episodes as known on its reference date (31 March, or the
    extract date in the last year). A census covers one year, and the DfE rules say so (a
    closure, assessment or plan end outside the year is an error), so a three-year extract
    is three files, like an LA uploading three years of returns."""
    as_of = _as_of(extract)
    kids = _Children(extract)
    first = _collection_year(extract.coverage_start or as_of)
    paths = []
    for year in range(first, _collection_year(as_of) + 1):
        start, reference = dt.date(year - 1, 4, 1), min(dt.date(year, 3, 31), as_of)
        path = out_dir / f"CIN_Census_{extract.la_code}_{year}.xml"
        tables = _census_year(extract.tables, pd.Timestamp(start), pd.Timestamp(reference))
        _write_cin_file(path, tables, kids, str(extract.la_code), year, start, reference)
        paths.append(path)
    return paths


def _collection_year(day: dt.date) -> int:
    """The year a census collection ends in (1 April 2025 - 31 March 2026 is 2026)."""
    return day.year + 1 if day.month >= 4 else day.year


def _census_year(
    t: dict[str, pd.DataFrame], start: pd.Timestamp, reference: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """The records a census for ``[start, reference]`` holds, as known on ``reference``:
    episodes open in the year, and their assessments, plans and enquiries that were open in
    it; what happened after the reference date is not known yet."""

    def known(dates: pd.Series) -> pd.Series:
        return dates.where(dates <= reference)

    def in_year(df: pd.DataFrame, begin: str, end: str) -> pd.DataFrame:
        kept = df[
            df["referral_id"].isin(referral["referral_id"])
            & (df[begin] <= reference)
            & ~(df[end] < start)
        ].copy()
        kept[end] = known(kept[end])
        return kept

    r = t["referral"]
    referral = r[(r["referral_date"] <= reference) & ~(r["closure_date"] < start)].copy()
    referral["closure_reason"] = referral["closure_reason"].where(
        referral["closure_date"] <= reference
    )
    referral["closure_date"] = known(referral["closure_date"])
    assessment = in_year(t["assessment"], "start_date", "authorisation_date")
    assessment["factors"] = assessment["factors"].where(assessment["authorisation_date"].notna())
    s47 = t["s47_enquiry"]
    # An enquiry belongs to the year it started in, or the year its conference was held in.
    s47 = in_year(s47[(s47["start_date"] >= start) | (s47["icpc_date"] >= start)], "start_date",
                  "icpc_date")  # fmt: skip
    return {
        "child": t["child"],
        "referral": referral,
        "assessment": assessment,
        "cin_plan": in_year(t["cin_plan"], "start_date", "end_date"),
        "s47_enquiry": s47,
        "cp_plan": in_year(t["cp_plan"], "start_date", "end_date"),
    }


def _write_cin_file(
    path: Path,
    t: dict[str, pd.DataFrame],
    kids: _Children,
    la_code: str,
    year: int,
    start: dt.date,
    as_of: dt.date,
) -> None:
    referral = _sorted(t["referral"], "child_id", "referral_date")
    ind = [_I * k for k in range(7)]

    # Assessments; factors are known once the assessment is authorised.
    a = _sorted(t["assessment"], "referral_id", "start_date")
    factors = _text(a["factors"]).where(a["authorisation_date"].notna())
    factor_xml = (
        f"\n{ind[5]}<FactorsIdentifiedAtAssessment>\n{ind[6]}<AssessmentFactors>"
        + factors.str.replace(",", f"</AssessmentFactors>\n{ind[6]}<AssessmentFactors>")
        + f"</AssessmentFactors>\n{ind[5]}</FactorsIdentifiedAtAssessment>"
    ).fillna("")
    a_xml = (
        f"\n{ind[4]}<Assessments>\n"
        + _el("AssessmentActualStartDate", _iso(a["start_date"]), ind[5])
        + ("\n" + _el("AssessmentAuthorisationDate", _iso(a["authorisation_date"]), ind[5])).where(
            a["authorisation_date"].notna(), ""
        )
        + factor_xml
        + f"\n{ind[4]}</Assessments>"
    )

    p = _sorted(t["cin_plan"], "referral_id", "start_date")
    p_xml = (
        f"\n{ind[4]}<CINPlanDates>\n"
        + _el("CINPlanStartDate", _iso(p["start_date"]), ind[5])
        + ("\n" + _el("CINPlanEndDate", _iso(p["end_date"]), ind[5])).fillna("")
        + f"\n{ind[4]}</CINPlanDates>"
    )

    s = _sorted(t["s47_enquiry"], "referral_id", "start_date")
    target = pd.Series(
        np.busday_offset(s["start_date"].to_numpy(dtype="datetime64[D]"), 15, roll="forward"),
        index=s.index,
    )
    required = s["icpc_required"].fillna(False).astype(bool)
    s_xml = (
        f"\n{ind[4]}<Section47>\n"
        + _el("S47ActualStartDate", _iso(s["start_date"]), ind[5])
        + ("\n" + _el("InitialCPCtarget", _iso(target), ind[5])).where(required, "")
        + ("\n" + _el("DateOfInitialCPC", _iso(s["icpc_date"]), ind[5])).fillna("")
        + "\n"
        + _el(
            "ICPCnotRequired", pd.Series(np.where(required, "false", "true"), index=s.index), ind[5]
        )
        + f"\n{ind[4]}</Section47>"
    )
    first_icpc = s.groupby("referral_id")["icpc_date"].min()

    c = _sorted(t["cp_plan"], "referral_id", "start_date")
    reviews = _cpp_reviews(c, as_of)
    reviews = reviews[reviews["date"] >= pd.Timestamp(start)]  # the year's review conferences
    review_xml = _join_by(
        "\n" + _el("CPPreviewDate", _iso(reviews["date"]), ind[6]), reviews["plan_id"]
    )
    review_xml = _attach(c["plan_id"], review_xml)
    review_xml = (f"\n{ind[5]}<Reviews>" + review_xml + f"\n{ind[5]}</Reviews>").where(
        review_xml != "", ""
    )
    c_xml = (
        f"\n{ind[4]}<ChildProtectionPlans>\n"
        + _el("CPPstartDate", _iso(c["start_date"]), ind[5])
        + ("\n" + _el("CPPendDate", _iso(c["end_date"]), ind[5])).fillna("")
        + "\n"
        + _el("InitialCategoryOfAbuse", _text(c["initial_category"]), ind[5])
        + "\n"
        + _el("LatestCategoryOfAbuse", _text(c["latest_category"]), ind[5])
        + "\n"
        + _el("NumberOfPreviousCPP", _text(c["number_of_previous_cpp"].fillna(0)), ind[5])
        + review_xml
        + f"\n{ind[4]}</ChildProtectionPlans>"
    )

    rid = referral["referral_id"]
    optional = [
        _el("PrimaryNeedCode", _text(referral["primary_need"]), ind[4]),
        _el("CINclosureDate", _iso(referral["closure_date"]), ind[4]),
        _el("ReasonForClosure", _text(referral["closure_reason"]), ind[4]),
        _el("DateOfInitialCPC", _iso(rid.map(first_icpc)), ind[4]),
    ]
    r_xml = (
        f"\n{ind[3]}<CINdetails>\n"
        + _el("CINreferralDate", _iso(referral["referral_date"]), ind[4])
        + "\n"
        + _el("ReferralSource", _text(referral["source"]), ind[4])
        + _lines(optional)
        + _attach(rid, _join_by(a_xml, a["referral_id"]))
        + _attach(rid, _join_by(p_xml, p["referral_id"]))
        + _attach(rid, _join_by(s_xml, s["referral_id"]))
        + "\n"
        + _el("ReferralNFA", _flag(referral["referral_nfa"]), ind[4])
        + _attach(rid, _join_by(c_xml, c["referral_id"]))
        + f"\n{ind[3]}</CINdetails>"
    )

    child = kids.table.loc[referral["child_id"].unique()]  # sorted: referrals are
    cid = child["child_id"]
    sex = child["sex"].map({"M": "1", "F": "2"}).fillna("0").astype("str")
    disability_xml = (
        f"{ind[5]}<Disability>"
        + kids.disabilities[cid].str.replace(",", f"</Disability>\n{ind[5]}<Disability>")
        + "</Disability>"
    )
    c_xml_child = (
        f"{ind[2]}<Child>\n{ind[3]}<ChildIdentifiers>\n"
        + _el("LAchildID", _xml_escape(cid), ind[4])
        + _lines(
            [
                _el("UPN", kids.upn[cid], ind[4]),
                _el("UPNunknown", kids.upn_unknown[cid], ind[4]),
                _el("PersonBirthDate", _iso(child["date_of_birth"]), ind[4]),
            ]
        )
        + "\n"
        + _el("GenderCurrent", sex, ind[4])
        + f"\n{ind[3]}</ChildIdentifiers>\n{ind[3]}<ChildCharacteristics>\n"
        + _el("Ethnicity", _text(child["ethnicity"]).fillna("NOBT"), ind[4])
        + f"\n{ind[4]}<Disabilities>\n"
        + disability_xml
        + f"\n{ind[4]}</Disabilities>\n{ind[3]}</ChildCharacteristics>"
        + _attach(cid, _join_by(r_xml, referral["child_id"]))
        + f"\n{ind[2]}</Child>\n"
    )

    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Message>\n'
        f"{ind[1]}<Header>\n{ind[2]}<CollectionDetails>\n"
        f"{ind[3]}<Collection>CIN</Collection>\n{ind[3]}<Year>{year}</Year>\n"
        f"{ind[3]}<ReferenceDate>{as_of.isoformat()}</ReferenceDate>\n"
        f"{ind[2]}</CollectionDetails>\n{ind[2]}<Source>\n{ind[3]}<SourceLevel>L</SourceLevel>\n"
        f"{ind[3]}<LEA>{la_code}</LEA>\n"
        f"{ind[3]}<SoftwareCode>Local Authority</SoftwareCode>\n"
        f"{ind[3]}<Release>ver 3.1.21</Release>\n{ind[3]}<SerialNo>001</SerialNo>\n"
        f"{ind[3]}<DateTime>{as_of.isoformat()}T09:00:00</DateTime>\n"
        f"{ind[2]}</Source>\n{ind[1]}</Header>\n{ind[1]}<Children>\n"
    )
    _write_chunks(
        path, head, c_xml_child.reset_index(drop=True), f"{ind[1]}</Children>\n</Message>\n"
    )


def _lines(fragments: list[pd.Series]) -> pd.Series:
    """Optional elements, each on its own line when present."""
    out = pd.Series("", index=fragments[0].index, dtype="str")
    for frag in fragments:
        out = out + np.where(frag != "", "\n", "") + frag
    return out


def _cpp_reviews(plans: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Review conferences: the first three months after the plan starts, then every six
    months while it lasts (Working Together), up to the end or the extract date."""
    last = plans["end_date"].fillna(pd.Timestamp(as_of))
    days = (last - plans["start_date"]).dt.days.to_numpy()
    count = np.where(days >= 90, (days - 90) // 182 + 1, 0)
    rows = np.repeat(np.arange(len(plans)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    date = plans["start_date"].to_numpy()[rows] + pd.to_timedelta(90 + 182 * k, unit="D")
    return pd.DataFrame({"plan_id": plans["plan_id"].to_numpy()[rows], "date": date})


# -- SSDA903 --------------------------------------------------------------------------------

_HEADER_COLUMNS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
_EPISODE_COLUMNS = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC",
                    "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]  # fmt: skip
_MISSING_COLUMNS = ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]
_UASC_COLUMNS = ["CHILD", "SEX", "DOB", "DUC"]
_PROVIDERS = {
    "P1": {"PR0": 1.0},
    "K2": {"PR4": 75.0, "PR1": 20.0, "PR5": 5.0},
    "H5": {"PR4": 80.0, "PR1": 15.0, "PR5": 5.0},
    "K3": {"PR4": 80.0, "PR1": 15.0, "PR5": 5.0},
    "K1": {"PR1": 40.0, "PR2": 40.0, "PR4": 20.0},
    "A5": {"PR1": 70.0, "PR5": 30.0},
    "A6": {"PR1": 70.0, "PR5": 30.0},
    "R5": {"PR3": 100.0},
    "S1": {"PR4": 60.0, "PR5": 40.0},
    "P2": {"PR4": 70.0, "PR1": 30.0},
}
_FOSTER_PROVIDERS = {"PR1": 60.0, "PR4": 35.0, "PR5": 5.0}
_URN_PLACEMENTS = ("K1", "K2", "K3", "H5", "R1", "S1")  # Ofsted-registered settings have a URN
_PLACE_CHANGE = {"CARPL": 20.0, "CLOSE": 5.0, "ALLEG": 3.0, "STAND": 10.0, "APPRR": 10.0,
                 "CREQB": 10.0, "CREQO": 5.0, "CHILD": 12.0, "LAREQ": 15.0, "PLACE": 5.0,
                 "CUSTOD": 2.0, "OTHER": 3.0}  # fmt: skip


def _episodes_903(extract: Extract, kids: _Children) -> pd.DataFrame:
    """CLA episodes (sorted by child, start) in 903 columns, with those the canonical table
    does not hold derived; ``episode_id``, ``start_date`` and ``end_date`` ride along."""
    t = extract.tables
    ep = _sorted(t["cla_episode"], "child_id", "start_date")
    key = ep["episode_id"]
    place = _text(ep["placement_type"])
    provider = _choose(key, "provider", _FOSTER_PROVIDERS)
    for code, weights in _PROVIDERS.items():
        provider = provider.where(place != code, _choose(key, "provider", weights))
    # A placement change ends the episode: say why on the episode that ended.
    next_rne = ep.groupby("child_id")["start_reason"].shift(-1)
    moved = next_rne.isin(["P", "T"]) & ep["end_date"].notna()
    # Category of need: the primary need of the referral open when the episode started
    # (903 allows N1-N8 only).
    need = _from_referral(ep["child_id"], ep["start_date"], t["referral"], "primary_need")
    need = _text(need).where(need.isin([f"N{k}" for k in range(1, 9)]), "N1")
    return pd.DataFrame(
        {
            "episode_id": ep["episode_id"],
            "start_date": ep["start_date"],
            "end_date": ep["end_date"],
            "CHILD": ep["child_id"],
            "DECOM": _dmy(ep["start_date"]),
            "RNE": _text(ep["start_reason"]),
            "LS": _text(ep["legal_status"]),
            "CIN": need,
            "PLACE": place,
            "PLACE_PROVIDER": provider,
            "DEC": _dmy(ep["end_date"]),
            "REC": _text(ep["end_reason"]),
            "REASON_PLACE_CHANGE": _choose(key, "change", _PLACE_CHANGE).where(moved),
            "HOME_POST": kids.postcode[ep["child_id"]].to_numpy(),
            "PL_POST": _postcode(key, "placement").where(place != "P1", pd.NA),
            "URN": ("SC" + _digits(key, "urn", 6)).where(place.isin(_URN_PLACEMENTS), "XXXXXXX"),
        }
    )


def _header_903(kids: _Children, children: pd.Series) -> pd.DataFrame:
    child = kids.table.loc[children]
    girl_12 = ((child["sex"] == "F") & (kids.age[children] >= 12)).fillna(False)
    return pd.DataFrame(
        {
            "CHILD": child["child_id"],
            "SEX": child["sex"].map({"M": "1", "F": "2"}),
            "DOB": _dmy(child["date_of_birth"]),
            "ETHNIC": _text(child["ethnicity"]),
            "UPN": kids.upn[children].fillna(kids.upn_unknown[children]),
            # MOTHER is asked of girls 12 and over (none of these is a mother).
            "MOTHER": pd.Series("0", index=child.index, dtype="str").where(girl_12),
            "MC_DOB": pd.Series(pd.NA, index=child.index, dtype="str"),
        }
    ).reset_index(drop=True)


def write_903_csv(extract: Extract, out_dir: Path) -> list[Path]:
    """SSDA903 CSVs for the looked-after children: header, episodes, missing, uasc."""
    kids = _Children(extract)
    t = extract.tables
    episodes = _episodes_903(extract, kids)
    children = pd.Series(sorted(episodes["CHILD"].unique()), dtype="str")
    header = _header_903(kids, children)
    mis = _sorted(t["missing_episode"], "child_id", "start_date")
    missing = pd.DataFrame(
        {
            "CHILD": mis["child_id"],
            "DOB": _dmy(kids.table.loc[mis["child_id"], "date_of_birth"]).to_numpy(),
            "MISSING": _text(mis["type"]),
            "MIS_START": _dmy(mis["start_date"]),
            "MIS_END": _dmy(mis["end_date"]),
        }
    )
    uasc = header[kids.table.loc[children, "uasc"].fillna(False).to_numpy(dtype=bool)]
    uasc = uasc.assign(DUC=_dmy(kids.uasc_end[uasc["CHILD"]]).to_numpy())[_UASC_COLUMNS]
    folder = out_dir / "ssda903"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df, columns in (
        ("header.csv", header, _HEADER_COLUMNS),
        ("episodes.csv", episodes, _EPISODE_COLUMNS),
        ("missing.csv", missing, _MISSING_COLUMNS),
        ("uasc.csv", uasc, _UASC_COLUMNS),
    ):
        path = folder / name
        df[columns].to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def write_903_xml(extract: Extract, out_dir: Path) -> list[Path]:
    """The 903 XML form (CLA.xsd): one ``CHILD`` per looked-after child, one line each."""
    kids = _Children(extract)
    episodes = _episodes_903(extract, kids)
    children = pd.Series(sorted(episodes["CHILD"].unique()), dtype="str")
    header = _header_903(kids, children)
    mis = _sorted(extract.tables["missing_episode"], "child_id", "start_date")

    ep_xml = (
        "<EPISODE>"
        + _el("DECOM", episodes["DECOM"])
        + _el("RNE", episodes["RNE"])
        + _el("LS", episodes["LS"])
        + _el("CIN", episodes["CIN"])
        + _el("PL", episodes["PLACE"])
        + _el("PL_POST", episodes["PL_POST"], empty=True)
        + _el("HOME_POST", episodes["HOME_POST"], empty=True)
        + _el("URN", episodes["URN"], empty=True)
        + _el("PLACE_PROVIDER", episodes["PLACE_PROVIDER"], empty=True)
        + _el("DEC", episodes["DEC"], empty=True)
        + _el("REC", episodes["REC"], empty=True)
        + _el("REASON_PLACE_CHANGE", episodes["REASON_PLACE_CHANGE"], empty=True)
        + "</EPISODE>"
    )
    mis_xml = (
        "<AMISSING>"
        + _el("MISSING", _text(mis["type"]))
        + _el("MIS_START", _dmy(mis["start_date"]))
        + _el("MIS_END", _dmy(mis["end_date"]), empty=True)
        + "</AMISSING>"
    )
    uasc = kids.table.loc[children, "uasc"].fillna(False).to_numpy(dtype=bool)
    cid = header["CHILD"]
    duc = _dmy(kids.uasc_end[cid]).reset_index(drop=True)
    child_xml = (
        "<CHILD><HEADER>"
        + _el("CHILDID", _xml_escape(cid))
        + _el("UPN", header["UPN"], empty=True)
        + _el("SEX", header["SEX"])
        + _el("DOB", header["DOB"])
        + _el("ETHNIC", header["ETHNIC"])
        + _el("UASC", pd.Series(np.where(uasc, "1", "0"), index=cid.index, dtype="str"))
        + _el("DUC", duc)
        + _attach(cid, _join_by(mis_xml, mis["child_id"]))
        + _el("MOTHER", header["MOTHER"], empty=True)
        + _el("MC_DOB", header["MC_DOB"], empty=True)
        + "</HEADER>"
        + _attach(cid, _join_by(ep_xml, episodes["CHILD"]))
        + "</CHILD>\n"
    )
    path = out_dir / f"SSDA903_{extract.la_code}.xml"
    head = "<?xml version='1.0' encoding='us-ascii'?>\n<EXPSSDA903>\n"
    _write_chunks(path, head, child_xml, "</EXPSSDA903>\n")
    return [path]


# -- Ofsted Annex A ---------------------------------------------------------------------------

_CHILD_COLUMNS = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
# The longest header texts, named because the code fills them.
_EPO = ("Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)")  # fmt: skip
_UASC_12M = "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)"
_SECOND_PERIOD = ("Is this a second or subsequent period of being a Looked After Child within "
                  "the last 12 months (Y/N)")  # fmt: skip
_MISSING_12M = ("Number of Episodes the Child has been 'Missing' from their Placement in the "
                "last 12 months")  # fmt: skip
_ABSENT_12M = ("Number of Episodes the Child has been 'Absent' from their Placement in the "
               "last 12 months")  # fmt: skip
_RI_OFFERED = "Was the child offered a Return Interview after their last missing episode (Y/N)?"
_RI_ACCEPTED = "Did the child accept a Return Interview after their last missing episode (Y/N)?"
_NEEDS_SUPPORT = "Was the child assessed as requiring LA children's social care support?"
_ICPC_RESULT = "Did the Initial Child Protection Conference Result in a Child Protection Plan"
# Header texts as in liia-tools' annex-a-merge.yml (which matches Ofsted's template).
_ANNEX_A_HEADERS: dict[str, list[str]] = {
    "List 1": [*_CHILD_COLUMNS, "Date of Contact", "Contact Source"],
    "List 2": [*_CHILD_COLUMNS, "Assessment start date", "Assessment completion date",
               "Organisation completing assessment"],
    "List 3": [*_CHILD_COLUMNS, "Date of referral", "Referral Source", "Referral NFA?",
               "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker"],
    "List 4": [*_CHILD_COLUMNS, "Does the Child have a Disability",
               "Continuous Assessment Start Date", "Child Seen During Continuous Assessment",
               "Continuous Assessment Date of Authorisation", _NEEDS_SUPPORT,
               "Allocated Team", "Allocated Worker"],
    "List 5": [*_CHILD_COLUMNS, "Does the Child have a Disability",
               "Strategy discussion initiating Section 47 Enquiry Start Date",
               "Was an Initial Child Protection Conference deemed unnecessary?",
               "Date of Initial Child Protection Conference", _ICPC_RESULT,
               "Number of Section 47 Enquiries in the last 12 months",
               "Number of ICPCs in the last 12 months", "Allocated Team", "Allocated Worker"],
    "List 6": [*_CHILD_COLUMNS, "Does the Child have a Disability", "CIN Start Date",
               "Primary Need Code", "Date Child Was Last Seen", "CIN Closure Date",
               "Reason for Closure", "Case Status", "Allocated Team", "Allocated Worker"],
    "List 7": [*_CHILD_COLUMNS, "Does the Child have a Disability",
               "Child Protection Plan Start Date", "Initial Category of Abuse",
               "Latest Category of Abuse", "Date of the Last Statutory Visit",
               "Was the Child Seen Alone?", "Date of latest review conference",
               "Child Protection Plan End Date", _EPO,
               "Number of Previous Child Protection Plans", "Allocated Team", "Allocated Worker"],
    "List 8": [*_CHILD_COLUMNS, _UASC_12M, "Does the Child have a Disability",
               "Date Started to be Looked After", "Child's Category of Need", _SECOND_PERIOD,
               "Start date of current legal status", "Child's Legal Status",
               "Date of Latest Statutory Review", "Date of Last Social Work Visit",
               "What is the permanence plan for this child?",
               "Date of Last IRO Visit / Contact to the Child", "Date of Last Health Assessment",
               "Date of Last Dental Check", "Number of Placements in the Last 12 months",
               "Date Ceased to be Looked After", "Reason Ceased to be Looked After",
               "Start Date of Most Recent Placement", "Placement Type", "Placement Provider",
               "Placement postcode", "URN of Placement", "Placement Location", "LA of Placement",
               _MISSING_12M, _ABSENT_12M, _RI_OFFERED, _RI_ACCEPTED, "Allocated Team",
               "Allocated Worker"],
    "List 9": [*_CHILD_COLUMNS, "Does the Child have a Disability", "Allocated Team",
               "Allocated Worker", "Eligibility Category", "LA in Touch", "Type of Accommodation",
               "Suitability of Accommodation", "Activity Status"],
    "List 10": ["Child Unique ID", "Family identifier", "Gender", "Ethnicity", "Date of Birth",
                "Age of Child (Years)", "Does the Child have a Disability",
                "Date the Child Entered Care",
                "Date of Decision that Child Should be Placed for Adoption",
                "Date of Placement Order", "Date of Matching Child and Prospective Adopters",
                "Date Placed for Adoption", "Date of Adoption Order",
                "Date of Decision that Child Should No Longer be Placed for Adoption",
                "Reason Why Child No Longer Placed for Adoption",
                "Date the child was placed for fostering in FFA or concurrent planning placement"],
    "List 11": ["Individual adopter identifier", "Family identifier", "Gender", "Ethnicity",
                "Disability", "Is the (prospective) adopter fostering for adoption?",
                "Date enquiry received", "Date Stage 1 started", "Date Stage 1 ended",
                "Date Stage 2 started", "Date Stage 2 ended", "Date application submitted",
                "Date application approved", "Date adopter matched with child(ren)",
                "Date child/children placed with adopter(s)", "No. of children placed",
                "Date of Adoption Order", "Date of leaving adoption process",
                "Reason for leaving adoption process"],
}  # fmt: skip

# Ofsted's coded values (liia-tools annex-a data-map.yml).
_GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded"}
_ETHNICITY = {code: f"{letter}) {code}" for letter, code in zip(
    "abcdefghijklmnopqrs",
    ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
     "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU"], strict=True,
)} | {"NOBT": "s) NOBT"}  # fmt: skip
_SOURCE = {
    "1A": "a) 1A: Individual", "1B": "b) 1B: Individual", "1C": "c) 1C: Individual",
    "1D": "d) 1D: Individual", "2A": "e) 2A: Schools", "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services", "3B": "h) 3B: Health services",
    "3C": "i) 3C: Health services", "3D": "j) 3D: Health services",
    "3E": "k) 3E: Health services", "3F": "l) 3F: Health services", "4": "m) 4: Housing",
    "5A": "n) 5A: LA services", "5B": "o) 5B: LA services", "5C": "p) 5C: LA services",
    "6": "q) 6: Police", "7": "r) 7: Other legal agency", "8": "s) 8: Other",
    "9": "t) 9: Anonymous", "10": "u) 10: Unknown",
}  # fmt: skip
_NEED = {
    "N1": "N1 - Abuse or neglect", "N2": "N2 - Child's disability",
    "N3": "N3 - Parental disability or illness", "N4": "N4 - Family in acute stress",
    "N5": "N5 - Family dysfunction", "N6": "N6 - Socially unacceptable behaviour",
    "N7": "N7 - Low income", "N8": "N8 - Absent parenting",
    "N9": "N9 - Cases other than children in need", "N0": "N0 - Not stated",
}  # fmt: skip
_CLOSURE = {
    "RC1": "RC1 - Adopted", "RC2": "RC2 - Died", "RC3": "RC3 - Child arrangements order",
    "RC4": "RC4 - Special guardianship order",
    "RC5": "RC5 - Transferred to services of another local authority",
    "RC6": "RC6 - Transferred to adult social care services",
    "RC7": "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8": "RC8 - Case closed after assessment, no further action",
    "RC9": "RC9 - Case closed after assessment, referred to early help",
}  # fmt: skip
_CATEGORY = {"NEG": "a) Neglect", "PHY": "b) Physical abuse", "SAB": "c) Sexual abuse",
             "EMO": "d) Emotional abuse", "MUL": "e) Multiple/not recommended"}  # fmt: skip
_LEGAL_STATUS = {
    "C1": "C1: ICO", "C2": "C2: FCO", "D1": "D1: Freeing order", "E1": "E1: Placement order",
    "V2": "V2: Single period under S20", "L1": "L1: Police protection LA accommodation",
    "L2": "L2: EPO", "L3": "L3: Child assessment order LA accommodation",
    "J1": "J1: Remanded to LA or youth detention", "J2": "J2: LA accommodation under PACE",
    "J3": "J3: Youth rehabilitation order",
}  # fmt: skip
_PLACEMENT = {
    "U1": "a) U1: Foster placement - relatives - long term",
    "U2": "b) U2: Foster placement - relative - FFA",
    "U3": "c) U3: Foster placement - relative - not FFA",
    "U4": "d) U4: Foster placement - long term", "U5": "e) U5: Foster placement - FFA",
    "U6": "f) U6: Foster placement - not FFA",
    "A3": "g) A3: Placed for adoption - consent - current foster",
    "A4": "h) A4: Placed for adoption - consent - not foster",
    "A5": "i) A5: Placed for adoption - order - foster",
    "A6": "j) A6: Placed for adoption - order - not foster",
    "P1": "k) P1: Placed with parents", "P2": "l) P2: Independent living",
    "P3": "m) P3: Residential employment", "H5": "n) H5: Residential accommodation",
    "K3": "zk) K3: Supported accommodation",  # 2024/25 code, not in data-map.yml
    "K1": "o) K1: Secure Children's Homes", "K2": "p) K2: Children's Homes",
    "R1": "q) R1: Residential Care Home", "R2": "r) R2: NHS/Health Trust",
    "R3": "s) R3: Family Centre or Mother and Baby Unit",
    "R5": "t) R5: Young Offender Institution", "S1": "u) S1: Residential school",
    "Z1": "v) Z1: Other placements", "T0": "w) T0: Temporary placement",
    "T1": "x) T1: Temporary placement - hospital", "T2": "y) T2: Temporary placement - holiday",
    "T3": "z) T3: Temporary placement - carer holiday",
    "T4": "zz) T4: Temporary placement - seven days or less",
}  # fmt: skip
_PROVIDER = {
    "PR0": "a) PR0: Parents/Parental responsibility", "PR1": "b) PR1: Own provision",
    "PR2": "c) PR2: Other LA provision", "PR3": "d) PR3: Other public provision",
    "PR4": "e) PR4: Private provision", "PR5": "f) PR5: Voluntary/third sector",
}  # fmt: skip
_CEASED = {
    "E11": "a) E11: Adopted - application unopposed", "E12": "b) E12: Adopted - consent dispensed",
    "E2": "c) E2: Died", "E3": "d) E3: Care taken by another LA",
    "E4A": "e) E4A: Returned home to live with parents or relatives - part of planning",
    "E4B": "f) E4B: Returned home to live with parents or relatives - not part of planning",
    "E13": "g) E13: Parents, relatives or other with no parental responsibility",
    "E41": "h) E41: Residence order granted",
    "E45": "i) E45: Special Guardianship Orders - former carer relative/friend",
    "E46": "j) E46: Special Guardianship Orders - former carer other",
    "E47": "k) E47: Special Guardianship Orders - relative/friend",
    "E48": "l) E48: Special Guardianship Orders - other",
    "E5": "m) E5: Moved into independent living - supported",
    "E6": "n) E6: Moved into independent living - no support",
    "E7": "o) E7: Transferred to residential care funded by adult social services",
    "E9": "p) E9: Sentenced to custody", "E14": "q) E14: Accommodation on remand ended",
    "E15": "r) E15: Age assessment determined child was 18 or over",
    "E16": "s) E16: Child moved abroad", "E8": "t) E8: Care ceased for any other reason",
    "E17": "v) E17: Aged 18+ and remained with current carers",
}  # fmt: skip
_YES, _NO = "a) Yes", "b) No"
_SHORT_BREAKS = ("V3", "V4")
_OTHER_LAS = ("209", "316", "330", "380", "873", "886")  # placements out of area
_WORKERS = tuple(f"{first} {last}" for first in _FIRST[:9] for last in _LAST[:8])


def _yes_no(flags: pd.Series) -> pd.Series:
    """``a) Yes`` / ``b) No`` (blank stays blank)."""
    answer = np.where(flags.fillna(False).astype(bool).to_numpy(), _YES, _NO)
    return pd.Series(answer, index=flags.index, dtype="str").where(flags.notna())


def _team(keys: pd.Series, name: str, teams: int) -> pd.Series:
    number = pd.Series((_u(keys, "team") * teams).astype(np.int64) + 1, index=keys.index)
    return name + " " + number.astype(str)


def _worker(keys: pd.Series) -> pd.Series:
    return _pick_words(keys, "worker", _WORKERS)


def _recent(keys: pd.Series, start: pd.Series, end: pd.Series, salt: str) -> pd.Series:
    """A date in the four weeks before ``end`` but not before ``start`` (the last visit,
    review or check), derived from the record id."""
    days = (end - start).dt.days.clip(lower=0).fillna(0).to_numpy()
    back = np.floor(_u(keys, salt) * (np.minimum(days, 27) + 1))
    return start + pd.to_timedelta(days - back, unit="D")


def _count_before(df: pd.DataFrame, date_col: str, counted: pd.Series | None = None) -> pd.Series:
    """Per row, how many of the same child's rows (those ``counted``) are dated in the 12
    months before it."""
    other = df if counted is None else df[counted]
    pairs = (
        df[["child_id", date_col]]
        .reset_index()
        .merge(other[["child_id", date_col]], on="child_id", suffixes=("", "_other"))
    )
    before = pairs[f"{date_col}_other"] < pairs[date_col]
    within = pairs[f"{date_col}_other"] >= pairs[date_col] - pd.DateOffset(months=12)
    counts = (before & within).groupby(pairs["index"]).sum()
    return counts.reindex(df.index, fill_value=0).astype(int)


def _with_child(df: pd.DataFrame, kids: _Children, *, disability: bool = True) -> pd.DataFrame:
    """The columns every list starts with (and the disability flag most lists have)."""
    cid = df["child_id"]
    child = kids.table.loc[cid]
    out = pd.DataFrame(
        {
            "Child Unique ID": cid.to_numpy(),
            "Gender": child["sex"].map(_GENDER).to_numpy(),
            "Ethnicity": child["ethnicity"].map(_ETHNICITY).to_numpy(),
            "Date of Birth": child["date_of_birth"].to_numpy(),
            "Age of Child (Years)": kids.age[cid].to_numpy(),
        },
        index=df.index,
    )
    if disability:
        out["Does the Child have a Disability"] = _yes_no(child["disability"]).to_numpy()
    return out


def _annex_a_lists(extract: Extract) -> dict[str, pd.DataFrame]:
    """Lists 3-8, one DataFrame each with the list's header texts as columns."""
    t = extract.tables
    as_of = pd.Timestamp(_as_of(extract))
    kids = _Children(extract)

    r = _sorted(t["referral"], "child_id", "referral_date")
    rid = r["referral_id"]
    l3 = _with_child(r, kids, disability=False)
    l3["Date of referral"] = r["referral_date"]
    l3["Referral Source"] = r["source"].map(_SOURCE)
    l3["Referral NFA?"] = _yes_no(r["referral_nfa"])
    l3["Number of Referrals in Last 12 Months"] = _count_before(r, "referral_date")
    l3["Allocated Team"] = _team(rid, "Front Door Team", 3)
    l3["Allocated Worker"] = _worker(rid)

    a = _sorted(t["assessment"], "child_id", "start_date")
    l4 = _with_child(a, kids)
    l4["Continuous Assessment Start Date"] = a["start_date"]
    l4["Child Seen During Continuous Assessment"] = np.where(
        _u(a["assessment_id"], "seen") < 0.95, _YES, _NO
    )
    l4["Continuous Assessment Date of Authorisation"] = a["authorisation_date"]
    # Annex A asks whether the child needs support: an NFA outcome is "No".
    l4[_NEEDS_SUPPORT] = _yes_no(~a["outcome_nfa"]).where(a["authorisation_date"].notna())
    l4["Allocated Team"] = _team(a["assessment_id"], "Assessment Team", 4)
    l4["Allocated Worker"] = _worker(a["referral_id"])

    s = _sorted(t["s47_enquiry"], "child_id", "start_date")
    plans = t["cp_plan"][["referral_id", "start_date"]].drop_duplicates()
    to_plan = s[["referral_id", "icpc_date"]].merge(
        plans.rename(columns={"start_date": "icpc_date"}).assign(plan=True),
        on=["referral_id", "icpc_date"],
        how="left",
    )["plan"]
    l5 = _with_child(s, kids)
    l5["Strategy discussion initiating Section 47 Enquiry Start Date"] = s["start_date"]
    l5["Was an Initial Child Protection Conference deemed unnecessary?"] = _yes_no(
        ~s["icpc_required"]
    )
    l5["Date of Initial Child Protection Conference"] = s["icpc_date"]
    l5[_ICPC_RESULT] = _yes_no(to_plan.notna()).where(s["icpc_date"].notna())
    l5["Number of Section 47 Enquiries in the last 12 months"] = _count_before(s, "start_date")
    l5["Number of ICPCs in the last 12 months"] = _count_before(
        s, "start_date", s["icpc_date"].notna()
    )
    l5["Allocated Team"] = _team(s["s47_id"], "Child Protection Team", 3)
    l5["Allocated Worker"] = _worker(s["referral_id"])

    l6 = _with_child(r, kids)
    l6["CIN Start Date"] = r["referral_date"]
    l6["Primary Need Code"] = r["primary_need"].map(_NEED)
    l6["Date Child Was Last Seen"] = _recent(
        rid, r["referral_date"], r["closure_date"].fillna(as_of), "seen"
    )
    l6["CIN Closure Date"] = r["closure_date"]
    l6["Reason for Closure"] = r["closure_reason"].map(_CLOSURE)
    l6["Case Status"] = _case_status(t, r, as_of)
    l6["Allocated Team"] = _team(rid, "Children in Need Team", 4).where(
        r["primary_need"] != "N2", "Disabled Children's Team"
    )
    l6["Allocated Worker"] = _worker(rid)

    c = _sorted(t["cp_plan"], "child_id", "start_date")
    pid = c["plan_id"]
    last_review = _cpp_reviews(c, as_of.date()).groupby("plan_id")["date"].max()
    l7 = _with_child(c, kids)
    l7["Child Protection Plan Start Date"] = c["start_date"]
    l7["Initial Category of Abuse"] = c["initial_category"].map(_CATEGORY)
    l7["Latest Category of Abuse"] = c["latest_category"].map(_CATEGORY)
    l7["Date of the Last Statutory Visit"] = _recent(
        pid, c["start_date"], c["end_date"].fillna(as_of), "visit"
    )
    l7["Was the Child Seen Alone?"] = np.where(_u(pid, "alone") < 0.8, _YES, _NO)
    l7["Date of latest review conference"] = pid.map(last_review)
    l7["Child Protection Plan End Date"] = c["end_date"]
    l7[_EPO] = np.where(_u(pid, "epo") < 0.03, _YES, _NO)
    l7["Number of Previous Child Protection Plans"] = c["number_of_previous_cpp"]
    l7["Allocated Team"] = _team(pid, "Child Protection Team", 3)
    l7["Allocated Worker"] = _worker(c["referral_id"])

    return {
        "List 3": l3,
        "List 4": l4,
        "List 5": l5,
        "List 6": l6,
        "List 7": l7,
        "List 8": _list_8(extract, kids, as_of),
    }


def _case_status(t: dict[str, pd.DataFrame], r: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Annex A case status of each referral at the extract date."""

    def open_plans(table: pd.DataFrame) -> pd.Series:
        return table.loc[table["end_date"].isna(), "referral_id"]

    ep = t["cla_episode"]
    in_care = ep.loc[ep["end_date"].isna() & ~ep["legal_status"].isin(_SHORT_BREAKS), "child_id"]
    status = np.select(
        [
            r["closure_date"].notna().to_numpy(),
            _member(r["child_id"], in_care),
            _member(r["referral_id"], open_plans(t["cp_plan"])),
            _member(r["referral_id"], open_plans(t["cin_plan"])),
        ],
        ["e) Closed episode", "a) Looked after child", "b) Child Protection plan",
         "c) Child in need plan"],
        "d) Open assessment",
    )  # fmt: skip
    return pd.Series(status, index=r.index)


def _list_8(extract: Extract, kids: _Children, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per period of care, described by its latest episode (children on short
    breaks are not listed)."""
    t = extract.tables
    ep = _episodes_903(extract, kids)
    ep = ep[~ep["LS"].isin(_SHORT_BREAKS)].reset_index(drop=True)
    # A period of care runs on while the next episode starts the day the last one ended.
    same_child = ep["CHILD"].eq(ep["CHILD"].shift()).fillna(False).to_numpy(dtype=bool)
    runs_on = ep["start_date"].eq(ep["end_date"].shift()).to_numpy(dtype=bool)
    ep["poc"] = np.cumsum(~(same_child & runs_on))
    new_status = ep["LS"].ne(ep.groupby("poc")["LS"].shift()).fillna(True)
    ep["ls_run"] = np.cumsum(new_status.to_numpy(dtype=bool))
    last = ep.groupby("poc").tail(1).set_index("poc")
    poc = pd.DataFrame(
        {
            "child_id": last["CHILD"],
            "start": ep.groupby("poc")["start_date"].min(),
            "end": last["end_date"],
            "ls_start": last["ls_run"].map(ep.groupby("ls_run")["start_date"].min()),
        }
    )
    until = poc["end"].fillna(as_of)
    placements = ep[ep["RNE"].isin(["S", "P", "T"])]
    placement_start = placements.groupby("poc")["start_date"].max()
    # Placements and missing episodes are counted over the 12 months up to the end of care.
    since = (until - pd.DateOffset(months=12)).rename("since")
    placed = placements.join(since, on="poc")
    placements_12m = (placed["start_date"] > placed["since"]).groupby(placed["poc"]).sum()
    previous_end = poc.groupby("child_id")["end"].shift()
    second = (poc["start"] - previous_end).dt.days.le(365)
    mis = t["missing_episode"].merge(
        pd.DataFrame({"child_id": poc["child_id"], "until": until, "since": since})
        .rename_axis("poc")
        .reset_index(),
        on="child_id",
    )
    mis = mis[(mis["start_date"] <= mis["until"]) & (mis["start_date"] > mis["since"])]
    counts = mis.groupby(["poc", "type"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=poc.index, columns=["M", "A"], fill_value=0)
    need = _from_referral(poc["child_id"], poc["start"], t["referral"], "primary_need")
    child = kids.table.loc[poc["child_id"]]
    key = last["episode_id"]
    plan = np.select(
        [last["LS"].eq("E1"), kids.age[poc["child_id"]].to_numpy() >= 16, last["LS"].eq("V2")],
        ["b) Adoption", "d) Supported living in the community", "a) Return to family"],
        "f) Long-term fostering",
    )
    in_area = _u(key, "location") < 0.7
    went_missing = counts["M"] > 0
    columns: dict[str, pd.Series | npt.NDArray[Any]] = {
        _UASC_12M: _yes_no(child["uasc"]),
        "Does the Child have a Disability": _yes_no(child["disability"]),
        "Date Started to be Looked After": poc["start"],
        "Child's Category of Need": need.map(_NEED).fillna(_NEED["N1"]),
        _SECOND_PERIOD: np.where(second, _YES, _NO),
        "Start date of current legal status": poc["ls_start"],
        "Child's Legal Status": last["LS"].map(_LEGAL_STATUS),
        "Date of Latest Statutory Review": _recent(key, poc["start"], until, "review"),
        "Date of Last Social Work Visit": _recent(key, poc["start"], until, "visit"),
        "What is the permanence plan for this child?": plan,
        "Date of Last IRO Visit / Contact to the Child": _recent(key, poc["start"], until, "iro"),
        "Date of Last Health Assessment": _recent(key, poc["start"], until, "health"),
        "Date of Last Dental Check": _recent(key, poc["start"], until, "dental"),
        "Number of Placements in the Last 12 months": placements_12m.reindex(
            poc.index, fill_value=0
        ),
        "Date Ceased to be Looked After": poc["end"],
        "Reason Ceased to be Looked After": last["REC"].map(_CEASED).where(poc["end"].notna()),
        "Start Date of Most Recent Placement": placement_start.reindex(poc.index),
        "Placement Type": last["PLACE"].map(_PLACEMENT),
        "Placement Provider": last["PLACE_PROVIDER"].map(_PROVIDER),
        "Placement postcode": last["PL_POST"],
        "URN of Placement": last["URN"],
        "Placement Location": np.where(in_area, "a) In", "b) Out"),
        "LA of Placement": np.where(
            in_area, str(extract.la_code), _pick_words(key, "other_la", _OTHER_LAS)
        ),
        _MISSING_12M: counts["M"],
        _ABSENT_12M: counts["A"],
        _RI_OFFERED: _yes_no(went_missing).where(went_missing),
        _RI_ACCEPTED: _yes_no(pd.Series(_u(key, "accepted") < 0.6, index=key.index)).where(
            went_missing
        ),
        "Allocated Team": _team(key, "Children in Care Team", 3),
        "Allocated Worker": _worker(key),
    }
    out = _with_child(poc.reset_index(drop=True), kids, disability=False)
    for column, values in columns.items():
        out[column] = values.to_numpy() if isinstance(values, pd.Series) else values
    return out


def _column_letter(k: int) -> str:
    letters = ""
    k += 1
    while k:
        k, rem = divmod(k - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_rows(df: pd.DataFrame, first_row: int) -> pd.Series:
    """SpreadsheetML ``<row>`` elements, one per DataFrame row: text as inline strings,
    numbers as numbers, dates as serial days with the date style; blanks are left out."""
    rows = pd.Series(np.arange(first_row, first_row + len(df)), index=df.index).astype(str)
    xml = '<row r="' + rows + '">'
    for k, col in enumerate(df.columns):
        values = df[col]
        ref = f'<c r="{_column_letter(k)}' + rows
        if pd.api.types.is_datetime64_any_dtype(values):
            serial = (values - _EXCEL_EPOCH).dt.days.astype("Int64").astype("str")
            cell = ref + '" s="1"><v>' + serial + "</v></c>"
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            cell = ref + '"><v>' + values.astype("Int64").astype("str") + "</v></c>"
        else:
            cell = ref + '" t="inlineStr"><is><t>' + _xml_escape(values) + "</t></is></c>"
        xml = xml + cell.fillna("")
    return xml + "</row>"


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """A minimal xlsx package: workbook, styles (one date format) and one worksheet per
    entry. Fixed zip timestamps keep the file byte-for-byte reproducible."""
    names = list(sheets)
    numbers = range(1, len(names) + 1)
    parts = {
        "[Content_Types].xml": _XLSX_CONTENT_TYPES.format(
            sheets="".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_CONTENT}"/>'
                for i in numbers
            )
        ),
        "_rels/.rels": _XLSX_ROOT_RELS,
        "xl/workbook.xml": _XLSX_WORKBOOK.format(
            sheets="".join(
                f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                for i, name in enumerate(names, 1)
            )
        ),
        "xl/_rels/workbook.xml.rels": _XLSX_WORKBOOK_RELS.format(
            sheets="".join(
                f'<Relationship Id="rId{i}" Type="{_SHEET_REL}" Target="worksheets/sheet{i}.xml"/>'
                for i in numbers
            ),
            styles=len(names) + 1,
        ),
        "xl/styles.xml": _XLSX_STYLES,
    }
    # Fast compression: the sheets are large and repetitive, level 1 is nearly as small.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in parts.items():
            zf.writestr(zipfile.ZipInfo(name, _ZIP_TIME), text)
        for i, df in enumerate(sheets.values(), 1):
            info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml", _ZIP_TIME)
            header = pd.DataFrame([df.columns], columns=df.columns).astype("str")
            rows = pd.concat([_sheet_rows(header, 1), _sheet_rows(df, 2)]).tolist()
            # Readers in read-only mode size the sheet from <dimension>, as Excel writes it.
            extent = f"A1:{_column_letter(len(df.columns) - 1)}{len(df) + 1}"
            head = _XLSX_SHEET_HEAD.format(extent=extent)
            text = head + "".join(rows) + "</sheetData></worksheet>"
            zf.writestr(info, text.encode(), zipfile.ZIP_DEFLATED, compresslevel=1)


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SPREADSHEET_ML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_SHEET_CONTENT = f"{_CONTENT}.worksheet+xml"
_SHEET_REL = f"{_OFFICE_RELS}/worksheet"
_XLSX_CONTENT_TYPES = (
    f'{_XML_HEAD}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CONTENT}.styles+xml"/>'
    "{sheets}</Types>"
)
_XLSX_ROOT_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_XLSX_WORKBOOK = (
    f'{_XML_HEAD}<workbook xmlns="{_SPREADSHEET_ML}" xmlns:r="{_OFFICE_RELS}">'
    "<sheets>{sheets}</sheets></workbook>"
)
_XLSX_WORKBOOK_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'{{sheets}}<Relationship Id="rId{{styles}}" Type="{_OFFICE_RELS}/styles" '
    'Target="styles.xml"/></Relationships>'
)
_XLSX_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_SPREADSHEET_ML}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)  # fmt: skip
_XLSX_SHEET_HEAD = (
    f'{_XML_HEAD}<worksheet xmlns="{_SPREADSHEET_ML}"><dimension ref="{{extent}}"/><sheetData>'
)


def write_annex_a(extract: Extract, out_dir: Path) -> list[Path]:
    """The Ofsted Annex A workbook (List 1 .. List 11; lists 3-8 hold the extract)."""
    lists = _annex_a_lists(extract)
    sheets = {
        name: lists[name][header] if name in lists else pd.DataFrame(columns=header)
        for name, header in _ANNEX_A_HEADERS.items()
    }
    path = out_dir / f"Annex_A_{extract.la_code}.xlsx"
    _write_xlsx(path, sheets)
    return [path]


# -- DfE CSC API JSON -------------------------------------------------------------------------


def _json_str(values: pd.Series) -> pd.Series:
    escaped = (
        _text(values).str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"', regex=False)
    )
    return '"' + escaped + '"'


def _field(key: str, values: pd.Series) -> pd.Series:
    """``,"key":value`` where the value is present (the payload leaves empty fields out)."""
    return ("," + f'"{key}":' + values).fillna("")


def _object(*fields: pd.Series) -> pd.Series:
    """``{...}`` from ``_field`` fragments (at least one present per row)."""
    body = fields[0]
    for f in fields[1:]:
        body = body + f
    return "{" + body.str.slice(1) + ',"purge":false}'


def _flag(values: pd.Series) -> pd.Series:
    flags = values.fillna(False).astype(bool).to_numpy()
    return pd.Series(np.where(flags, "true", "false"), index=values.index, dtype="str")


def _array(key: str, items: pd.Series, parents: pd.Series, owners: pd.Series) -> pd.Series:
    """``,"key":[...]`` per parent: the items whose owner is that parent, in row order."""
    return f',"{key}":[' + _attach(parents, _join_by(items, owners, ",")) + "]"


def _in_api_window(table: pd.DataFrame, start: dt.date, *columns: str) -> pd.DataFrame:
    """The rows the D2I sender keeps: none of ``columns`` (end dates) before the window."""
    keep = pd.Series(True, index=table.index)
    for column in columns:
        keep &= ~(table[column] < pd.Timestamp(start)).fillna(False).astype(bool)
    return table[keep]


def write_api_json(extract: Extract, out_dir: Path) -> list[Path]:
    """The DfE CSC API payload: a JSON array with one record per child (dates ISO, empty
    fields left out, ``purge`` false throughout, as the D2I sender builds it). Like the
    sender, it sends only the episodes, plans and assessments that overlap the payload's
    window (``readers.api_json.window_start``): history that ended before it stays out."""
    t = extract.tables
    kids = _Children(extract)
    window = api_window_start(_as_of(extract))
    r = _sorted(_in_api_window(t["referral"], window, "closure_date"), "child_id", "referral_date")
    # Sub-items of a referral left out go with it: their parent id is no longer in ``r``.
    t = {
        **t,
        "assessment": _in_api_window(t["assessment"], window, "authorisation_date"),
        "cin_plan": _in_api_window(t["cin_plan"], window, "end_date"),
        "s47_enquiry": _in_api_window(t["s47_enquiry"], window, "end_date", "icpc_date"),
        "cp_plan": _in_api_window(t["cp_plan"], window, "end_date"),
    }

    a = _sorted(t["assessment"], "referral_id", "start_date")
    factors = _text(a["factors"]).where(a["authorisation_date"].notna())
    a_json = _object(
        _field("child_and_family_assessment_id", _json_str(a["assessment_id"])),
        _field("start_date", _json_str(_iso(a["start_date"]))),
        _field("authorisation_date", _json_str(_iso(a["authorisation_date"]))),
        _field("factors", '["' + factors.str.replace(",", '","', regex=False) + '"]'),
    )
    p = _sorted(t["cin_plan"], "referral_id", "start_date")
    p_json = _object(
        _field("child_in_need_plan_id", _json_str(p["plan_id"])),
        _field("start_date", _json_str(_iso(p["start_date"]))),
        _field("end_date", _json_str(_iso(p["end_date"]))),
    )
    s = _sorted(t["s47_enquiry"], "referral_id", "start_date")
    s_json = _object(
        _field("section_47_assessment_id", _json_str(s["s47_id"])),
        _field("start_date", _json_str(_iso(s["start_date"]))),
        _field("icpc_required_flag", _flag(s["icpc_required"])),
        _field("icpc_date", _json_str(_iso(s["icpc_date"]))),
        _field("end_date", _json_str(_iso(s["end_date"]))),
    )
    c = _sorted(t["cp_plan"], "referral_id", "start_date")
    c_json = _object(
        _field("child_protection_plan_id", _json_str(c["plan_id"])),
        _field("start_date", _json_str(_iso(c["start_date"]))),
        _field("end_date", _json_str(_iso(c["end_date"]))),
    )
    # Placements sit under the referral (social care episode) open when they started.
    ep = _in_api_window(_episodes_903(extract, kids), window, "end_date")
    ep["referral_id"] = _from_referral(ep["CHILD"], ep["start_date"], r, "referral_id")
    ep = _sorted(ep, "referral_id", "start_date")
    e_json = _object(
        _field("child_looked_after_placement_id", _json_str(ep["episode_id"])),
        _field("start_date", _json_str(_iso(ep["start_date"]))),
        _field("start_reason", _json_str(ep["RNE"])),
        _field("placement_type", _json_str(ep["PLACE"])),
        _field("postcode", _json_str(ep["PL_POST"])),
        _field("end_date", _json_str(_iso(ep["end_date"]))),
        _field("end_reason", _json_str(ep["REC"])),
        _field("change_reason", _json_str(ep["REASON_PLACE_CHANGE"])),
    )

    rid = r["referral_id"]
    r_json = _object(
        _field("social_care_episode_id", _json_str(rid)),
        _field("referral_date", _json_str(_iso(r["referral_date"]))),
        _field("referral_source", _json_str(r["source"])),
        _field("referral_no_further_action_flag", _flag(r["referral_nfa"])),
        _array("child_and_family_assessments", a_json, rid, a["referral_id"]),
        _array("child_in_need_plans", p_json, rid, p["referral_id"]),
        _array("section_47_assessments", s_json, rid, s["referral_id"]),
        _array("child_protection_plans", c_json, rid, c["referral_id"]),
        _array("child_looked_after_placements", e_json, rid, ep["referral_id"]),
        _field("closure_date", _json_str(_iso(r["closure_date"]))),
        _field("closure_reason", _json_str(r["closure_reason"])),
    )

    child = kids.table  # indexed by child_id, like every per-child Series below
    cid = child["child_id"]
    details = _object(
        _field("unique_pupil_number", _json_str(kids.upn)),
        _field("unique_pupil_number_unknown_reason", _json_str(kids.upn_unknown)),
        _field("first_name", _json_str(kids.first_name)),
        _field("surname", _json_str(kids.surname)),
        _field("date_of_birth", _json_str(_iso(child["date_of_birth"]))),
        _field("sex", _json_str(child["sex"])),
        _field("ethnicity", _json_str(child["ethnicity"])),
        _field(
            "disabilities", '["' + kids.disabilities.str.replace(",", '","', regex=False) + '"]'
        ),
        _field("postcode", _json_str(kids.postcode)),
        _field("uasc_flag", _flag(child["uasc"])),
        _field("uasc_end_date", _json_str(_iso(kids.uasc_end))),
    )
    record = _object(
        _field("la_child_id", _json_str(cid)),
        _field("mis_child_id", _json_str(kids.mis_id)),
        _field("child_details", details),
        _array("social_care_episodes", r_json, cid, r["child_id"]),
    )
    path = out_dir / f"dfe_csc_api_{extract.la_code}.json"
    _write_chunks(path, "[\n", record, "\n]\n", sep=",\n")
    return [path]


# -- all formats ------------------------------------------------------------------------------

FORMATS: dict[str, Writer] = {
    "cin": write_cin_census,
    "903": write_903_csv,
    "903xml": write_903_xml,
    "annexa": write_annex_a,
    "api": write_api_json,
}


def write_extract(
    extract: Extract, out_dir: Path, formats: Iterable[str] = tuple(FORMATS)
) -> dict[str, list[Path]]:
    """Write the extract in each of ``formats`` (keys of ``FORMATS``) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: FORMATS[name](extract, out_dir) for name in formats}
