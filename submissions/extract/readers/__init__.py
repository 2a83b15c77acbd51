"""Read a submission's files, whatever formats they are in, into one canonical ``Extract``.

``read_files`` is the one entry point (the worker and the offline checker call it). For each
file it recognises the format from the content, never the extension:

* XML whose root is ``Message`` (and whose ``Collection``, if stated, is ``CIN``) → CIN census;
  root ``EXPSSDA903`` → SSDA903 XML;
* JSON starting ``[`` or ``{`` that mentions ``la_child_id`` → DfE CSC API payload;
* a zip holding ``xl/workbook.xml`` → Ofsted Annex A workbook; any other zip is an archive
  whose members are read in turn (``archive.zip/member.csv``);
* other text whose header row has a ``CHILD`` column → an SSDA903 CSV table;
* anything else (empty, binary, UTF-16, legacy ``.xls``, other XML or JSON) → one finding
  saying what the file is not and, where we can tell, what it is.

Archives are checked from their directory before anything is unpacked (at most 200 entries,
1 GB unpacked, 100:1 compression for entries over 1 MB, no absolute or ``..`` names, no
archives inside archives, no symbolic links: ``ZIP_SYMLINK``), and members are unpacked one at
a time under generated names into a temporary folder that is removed afterwards. Workbooks
get the same directory checks.

Each format module exposes ``read(path, display_name) -> ReaderResult``; modules are imported
only when a file of their format turns up, so a format whose reader is not installed yet gives
a finding rather than an import error. A reader that fails unexpectedly is logged and reported
as a finding: one bad file never loses the others' findings.
"""

from __future__ import annotations

import importlib
import logging
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

import pandas as pd

from submissions.extract.canonical import (
    FORMAT_LABELS,
    TABLES,
    Extract,
    Finding,
    Format,
    Severity,
    empty_table,
)
from submissions.extract.readers.base import (
    DOCTYPE_MESSAGE,
    ReaderResult,
    encoding_finding,
    looks_binary,
    looks_utf16,
    read_head,
    xml_prolog,
)

__all__ = [
    "ReaderResult",
    "detect_format",
    "read_files",
    "symlink_fix",
    "symlink_message",
    "zip_symlinks",
]

logger = logging.getLogger(__name__)

# Archive limits, checked from the zip's directory before anything is extracted.
MAX_ZIP_ENTRIES = 200
MAX_ZIP_TOTAL = 1024**3  # 1 GB uncompressed
MAX_ZIP_RATIO = 100  # uncompressed : compressed, per entry
# Below this size a high ratio is harmless (a 50 KB CSV of blank rows can reach 100:1).
_RATIO_EXEMPT_BYTES = 1024 * 1024

_PLAIN_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office files (.xls)

EXPECTED = (
    "This file is not a CIN census XML, SSDA903 CSV or XML, Ofsted Annex A workbook or DfE API "
    "JSON file."
)

_MODULES = {
    Format.CIN_XML: "cin_xml",
    Format.SSDA903_CSV: "ssda903",
    Format.SSDA903_XML: "ssda903",
    Format.ANNEX_A: "annex_a",
    Format.DFE_API_JSON: "api_json",
}
# Record-id column of each child-owned table (child_id is shared across files by design).
_RECORD_IDS = {
    "referral": "referral_id",
    "assessment": "assessment_id",
    "cin_plan": "plan_id",
    "s47_enquiry": "s47_id",
    "cp_plan": "plan_id",
    "cla_episode": "episode_id",
}


# --- detection -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detected:
    """What a file is: a format, an archive to open, or a finding saying why it is neither."""

    format: Format | None = None
    archive: bool = False
    problem: Finding | None = None


def _unrecognised(display_name: str, reason: str, code: str = "FILE_FORMAT") -> Detected:
    return Detected(
        problem=Finding(code, Severity.ERROR, f"{EXPECTED} {reason}", file=display_name)
    )


def detect_format(path: Path, display_name: str) -> Detected:
    """Recognise a file by its first bytes (and a zip by its directory)."""
    try:
        size = path.stat().st_size
        head = read_head(path)
    except OSError as exc:
        return _unrecognised(display_name, f"It could not be opened ({exc.strerror}).")
    if size == 0:
        return _unrecognised(display_name, "It is empty (0 bytes).", code="FILE_EMPTY")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _detect_zip(path, display_name)
    if looks_utf16(head):
        decoded = head[2:].decode("utf-16-be" if head[:2] == b"\xfe\xff" else "utf-16-le", "ignore")
        xml = decoded.lstrip().startswith("<")
        return Detected(problem=encoding_finding(display_name, xml=xml))
    if head.startswith(_OLE2):
        return _unrecognised(
            display_name,
            "It is an old-style Excel (.xls) workbook: save it as .xlsx and upload it.",
        )
    if looks_binary(head):
        return _unrecognised(display_name, "It holds binary data, not text.")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return _unrecognised(display_name, "It holds only blank space.", code="FILE_EMPTY")
    if text.startswith(b"<"):
        return _detect_xml(head, display_name)
    if text.startswith((b"[", b"{")):
        if b'"la_child_id"' in head:
            return Detected(format=Format.DFE_API_JSON)
        return _unrecognised(
            display_name, "It is JSON, but not a DfE API payload: no la_child_id was found."
        )
    first_line = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    columns = {c.strip().strip('"').strip().upper() for c in re.split(r"[,\t;]", first_line)}
    if "CHILD" in columns:
        return Detected(format=Format.SSDA903_CSV)
    return _unrecognised(
        display_name,
        "Its first line is not an SSDA903 header row (a CHILD column followed by others such "
        "as DECOM or DOB).",
    )


def _detect_xml(head: bytes, display_name: str) -> Detected:
    prolog = xml_prolog(head)
    if prolog is None:
        return _unrecognised(display_name, "It starts like XML but has no root element.")
    if prolog.doctype:
        return Detected(
            problem=Finding("XML_DOCTYPE", Severity.ERROR, DOCTYPE_MESSAGE, file=display_name)
        )
    if prolog.root == "EXPSSDA903":
        return Detected(format=Format.SSDA903_XML)
    if prolog.root == "Message":
        collection = re.search(rb"<(?:\w+:)?Collection>\s*([^<\s]*)\s*<", head)
        if collection and collection.group(1).upper() != b"CIN":
            name = collection.group(1).decode("utf-8", "replace")
            return _unrecognised(
                display_name, f"It is a '{name}' collection file, not a CIN census."
            )
        return Detected(format=Format.CIN_XML)
    return _unrecognised(
        display_name,
        f"Its XML starts with <{prolog.root}>; a CIN census starts with <Message> and an "
        "SSDA903 XML file with <EXPSSDA903>.",
    )


def _zip_problem(zf: zipfile.ZipFile) -> str | None:
    """Why an archive (or workbook) must not be opened, judged from its directory only."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        return f"It has {len(infos)} entries; the limit is {MAX_ZIP_ENTRIES}."
    if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
        return "Its contents would be larger than 1 GB when unpacked."
    for info in infos:
        if info.file_size > _RATIO_EXEMPT_BYTES and (
            info.compress_size == 0 or info.file_size / info.compress_size > MAX_ZIP_RATIO
        ):
            return f"{info.filename} is compressed more than {MAX_ZIP_RATIO} to 1."
        if _unsafe_name(info.filename):
            return f"{info.filename!r} is not a safe file name inside an archive."
    return None


def zip_symlinks(zf: zipfile.ZipFile) -> list[str]:
    """The entries of a zip that are symbolic links (Unix file mode ``S_IFLNK`` in the entry's
    external attributes), in directory order. Unpacking never follows them (members are
    written under generated names), but a link is never one of the LA's files, and on
    another tool it could point anywhere, so an archive or workbook holding one is refused."""
    return [info.filename for info in zf.infolist() if stat.S_ISLNK(info.external_attr >> 16)]


def symlink_fix(links: list[str], *, workbook: bool) -> tuple[str, str]:
    """``(what is wrong, how to fix it)`` for a zip (or workbook) holding symbolic links,
    naming the first few."""
    shown = ", ".join(links[:3]) + (f" and {len(links) - 3} more" if len(links) > 3 else "")
    noun = "symbolic links" if len(links) > 1 else "a symbolic link"
    problem = f"contains {noun} ({shown})"
    if workbook:
        return f"{problem}, which an Excel workbook never does.", (
            "Save it again from Excel as an Excel Workbook (.xlsx) and upload the new file."
        )
    return f"{problem}.", (
        "Zip the files themselves, not links to them, and upload the new zip file."
    )


def symlink_message(display_name: str, links: list[str], *, workbook: bool) -> str:
    """The finding's message for a zip (or workbook) holding symbolic links."""
    problem, fix = symlink_fix(links, workbook=workbook)
    kind = "spreadsheet" if workbook else "zip file"
    return f"The {kind} {display_name} {problem} {fix}"


def _unsafe_name(name: str) -> bool:
    """Absolute paths, drive letters, ``..`` and NULs: names that could escape a folder."""
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[/\\]", name)


def _detect_zip(path: Path, display_name: str) -> Detected:
    try:
        with zipfile.ZipFile(path) as zf:
            problem = _zip_problem(zf)
            workbook = "xl/workbook.xml" in zf.namelist()
            links = zip_symlinks(zf)
    except (zipfile.BadZipFile, OSError, ValueError):
        return _unrecognised(display_name, "It looks like a zip file but is damaged.")
    if links and not problem:
        message = symlink_message(display_name, links, workbook=workbook)
        return Detected(problem=Finding("ZIP_SYMLINK", Severity.ERROR, message, file=display_name))
    if problem:
        kind = "workbook" if workbook else "archive"
        message = f"This {kind} was not opened. {problem}"
        return Detected(problem=Finding("ZIP_REFUSED", Severity.ERROR, message, file=display_name))
    return Detected(format=Format.ANNEX_A) if workbook else Detected(archive=True)


# --- archives --------------------------------------------------------------------------------


def _is_junk(name: str) -> bool:
    """Folders and the files macOS and Windows add to archives, skipped without a finding."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return (
        name.endswith(("/", "\\"))
        or name.startswith("__MACOSX/")
        or base.startswith("._")
        or base in (".DS_Store", "Thumbs.db", "desktop.ini")
    )


def _extract_members(
    path: Path, display_name: str, workdir: Path
) -> Iterator[tuple[str, Path] | Finding]:
    """Extract an (already checked) archive's members one by one into ``workdir``. Yields
    ``(display name, path)`` per member, or a finding for a member that cannot be extracted."""
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if not _is_junk(i.filename)]
        if not members:
            yield Finding(
                "ZIP_EMPTY", Severity.ERROR, "This archive holds no files.", file=display_name
            )
        written = 0
        for n, info in enumerate(members):
            member_name = f"{display_name}/{info.filename}"
            if info.flag_bits & 0x1:
                yield Finding(
                    "ZIP_REFUSED",
                    Severity.ERROR,
                    "This file is password-protected. Upload it without a password.",
                    file=member_name,
                )
                continue
            # A generated name (never the member's own, which could hold a path), keeping a
            # plain extension because some libraries (openpyxl) insist on one.
            suffix = PurePosixPath(info.filename.replace("\\", "/")).suffix
            if not _PLAIN_SUFFIX.fullmatch(suffix):
                suffix = ""
            target = workdir / f"member-{n}{suffix}"
            try:
                with zf.open(info) as src, target.open("wb") as dst:
                    # zipfile already stops at the declared size; count anyway so a lying
                    # directory can never make us write more than the checked total.
                    while chunk := src.read(1024 * 1024):
                        written += len(chunk)
                        if written > MAX_ZIP_TOTAL or dst.tell() + len(chunk) > info.file_size:
                            raise zipfile.BadZipFile("member larger than declared")
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
                target.unlink(missing_ok=True)
                yield Finding(
                    "ZIP_REFUSED",
                    Severity.ERROR,
                    "This file inside the archive is damaged and could not be read.",
                    file=member_name,
                )
                continue
            yield member_name, target


# --- reading ---------------------------------------------------------------------------------


def _read_one(path: Path, display_name: str, fmt: Format) -> ReaderResult | Finding:
    """Dispatch to the format's reader module, importing it on first use."""
    module_name = f"{__name__}.{_MODULES[fmt]}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return Finding(
            "FORMAT_UNAVAILABLE",
            Severity.ERROR,
            f"Reading {FORMAT_LABELS[fmt]} files is not available yet.",
            file=display_name,
        )
    try:
        result: ReaderResult = module.read(path, display_name)
    except Exception:  # a reader bug must not hide the other files' results
        logger.exception("Reader %s failed on %s", module_name, display_name)
        return Finding(
            "READER_FAILED",
            Severity.ERROR,
            f"This {FORMAT_LABELS[fmt]} file could not be read because of a problem in this "
            "service, not in your file. The problem has been logged; please tell "
            "the service team.",
            file=display_name,
        )
    return result


@dataclass
class _FileResult:
    display_name: str
    result: ReaderResult


def _read_all(
    files: Sequence[tuple[str, Path]], stack: ExitStack
) -> tuple[list[_FileResult], list[Finding]]:
    """Detect and read every file (unpacking archives), keeping findings in file order."""
    results: list[_FileResult] = []
    findings: list[Finding] = []
    tmp: Path | None = None

    def handle(display_name: str, path: Path, *, in_archive: bool) -> None:
        nonlocal tmp
        detected = detect_format(path, display_name)
        if detected.problem is not None:
            findings.append(detected.problem)
        elif detected.archive and in_archive:
            findings.append(
                Finding(
                    "ZIP_REFUSED",
                    Severity.ERROR,
                    "Archives inside archives are not accepted. Unpack it and upload its files.",
                    file=display_name,
                )
            )
        elif detected.archive:
            if tmp is None:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="readers-")))
            folder = Path(tempfile.mkdtemp(dir=tmp))
            for item in _extract_members(path, display_name, folder):
                if isinstance(item, Finding):
                    findings.append(item)
                else:
                    handle(*item, in_archive=True)
                    item[1].unlink(missing_ok=True)  # disk holds one member at a time
            shutil.rmtree(folder, ignore_errors=True)
        elif detected.format is not None:
            outcome = _read_one(path, display_name, detected.format)
            if isinstance(outcome, Finding):
                findings.append(outcome)
            else:
                results.append(_FileResult(display_name, outcome))
                findings.extend(outcome.findings)

    for display_name, path in files:
        handle(display_name, Path(path), in_archive=False)
    return results, findings


_REFERRAL_CHILDREN = ("assessment", "cin_plan", "s47_enquiry", "cp_plan")


def _drop_census_overlaps(results: list[ReaderResult]) -> None:
    """Several CIN censuses sent together (one per collection year) repeat every episode that
    was open across a census date. Keep each episode from the latest census that has it: that
    census knew more (its closure, its later plans), and counting both would duplicate it.
    An episode is the same when child and referral date match.

    A census reports only the assessments and plans of its own year, so an earlier census can
    hold an episode's items the later one no longer lists (a plan that ended before the later
    census year began). Those move to the kept episode, so merging censuses loses nothing; an
    item is the same when child and start date match."""
    censuses = sorted(
        (r for r in results if r.format is Format.CIN_XML and "referral" in r.tables),
        key=lambda r: r.reference_date or date.min,
        reverse=True,
    )
    kept: dict[tuple[str, object], tuple[ReaderResult, str]] = {}
    for result in censuses:
        referrals = result.tables["referral"]
        keys = list(zip(referrals["child_id"], referrals["referral_date"], strict=True))
        repeated = pd.Series([k in kept for k in keys], index=referrals.index, dtype=bool)
        for key, referral_id in zip(keys, referrals["referral_id"], strict=True):
            kept.setdefault(key, (result, referral_id))
        if not repeated.any():
            continue
        moved_to = {
            referral_id: kept[key]
            for key, referral_id, again in zip(
                keys, referrals["referral_id"], repeated, strict=True
            )
            if again and not pd.isna(referral_id)
        }
        result.tables["referral"] = referrals[~repeated]
        for name in _REFERRAL_CHILDREN:
            table = result.tables.get(name)
            if table is None or not len(table):
                continue
            leaving = table["referral_id"].isin(set(moved_to))
            _move_items(name, table[leaving], moved_to, result)
            result.tables[name] = table[~leaving]


def _move_items(
    name: str,
    items: pd.DataFrame,
    moved_to: dict[str, tuple[ReaderResult, str]],
    source: ReaderResult,
) -> None:
    """Add an earlier census's ``items`` of repeated episodes to the census that kept each
    episode, unless it lists the same item (child and start date) already. Their ids get the
    earlier census's reference date, so they stay unique within the census they join."""
    suffix = f"~{source.reference_date or 'earlier'}"
    record_id = _RECORD_IDS[name]
    for keeper, rows in _by_keeper(items, moved_to):
        target = keeper.tables.get(name)
        known: set[tuple[object, object]] = set()
        if target is not None and len(target):
            known = set(zip(target["child_id"], target["start_date"], strict=True))
        new = rows[[k not in known for k in zip(rows["child_id"], rows["start_date"], strict=True)]]
        if new.empty:
            continue
        new = new.assign(
            referral_id=new["referral_id"].map(lambda rid: moved_to[rid][1]),
            **{record_id: new[record_id] + suffix},
        )
        keeper.tables[name] = (
            new
            if target is None or not len(target)
            else pd.concat([target, new], ignore_index=True)
        )


def _by_keeper(
    items: pd.DataFrame, moved_to: dict[str, tuple[ReaderResult, str]]
) -> list[tuple[ReaderResult, pd.DataFrame]]:
    keepers: dict[int, tuple[ReaderResult, list[str]]] = {}
    for referral_id, (keeper, _) in moved_to.items():
        keepers.setdefault(id(keeper), (keeper, []))[1].append(referral_id)
    return [
        (keeper, items[items["referral_id"].isin(ids)])
        for keeper, ids in keepers.values()
        if items["referral_id"].isin(ids).any()
    ]


_SSDA903 = frozenset({Format.SSDA903_CSV, Format.SSDA903_XML})


def _prefer_903_placements(results: list[ReaderResult]) -> None:
    """The DfE API payload sent with SSDA903 tables (an API-fed LA adds the looked-after
    return the payload lacks): for the children the 903 has episodes for, its episodes are the
    ones kept. They carry the legal status and come with the missing episodes; the payload's
    placements of the same children would be the same periods twice."""
    in_903: set[object] = set()
    for result in results:
        episodes = result.tables.get("cla_episode")
        if result.format in _SSDA903 and episodes is not None:
            in_903.update(episodes["child_id"].dropna())
    if not in_903:
        return
    for result in results:
        episodes = result.tables.get("cla_episode")
        if result.format is Format.DFE_API_JSON and episodes is not None and len(episodes):
            result.tables["cla_episode"] = episodes[~episodes["child_id"].isin(in_903)]


def _unique_ids(results: list[ReaderResult]) -> None:
    """Make record ids unique across files: when a file reuses ids another file already used
    (two CIN censuses both derive ``C1/R1``), suffix all of that file's record ids, and its
    references to them, with ``~N`` (its position among the files read)."""
    seen: dict[str, set[str]] = {t: set() for t in _RECORD_IDS}
    for n, result in enumerate(results, start=1):
        if any(_ids(result, t) & seen[t] for t in _RECORD_IDS):
            for name, table in result.tables.items():
                for column in {"referral_id", _RECORD_IDS.get(name)} & set(table.columns):
                    table[column] = table[column] + f"~{n}"  # <NA> stays <NA>
        for t in _RECORD_IDS:
            seen[t] |= _ids(result, t)


def _ids(result: ReaderResult, table: str) -> set[str]:
    frame = result.tables.get(table)
    return set() if frame is None else set(frame[_RECORD_IDS[table]].dropna())


def _concat(results: list[ReaderResult]) -> dict[str, pd.DataFrame]:
    """One frame per canonical table, in contract columns and dtypes, whatever each reader
    returned (a table no file provides is empty); a child found in several files is one row."""
    tables: dict[str, pd.DataFrame] = {}
    child_file: list[int] = []  # which result each child row came from
    for name in TABLES:
        template = empty_table(name)
        frames = []
        for n, r in enumerate(results):
            if name in r.tables and len(r.tables[name]):
                frames.append(
                    r.tables[name]
                    .reindex(columns=template.columns)
                    .astype(template.dtypes.to_dict())
                )
                if name == "child":
                    child_file += [n] * len(r.tables[name])
        tables[name] = pd.concat(frames, ignore_index=True) if frames else template
    tables["child"] = _merge_children(tables["child"], pd.Series(child_file, dtype="int64"))
    return tables


def _merge_children(child: pd.DataFrame, file_no: pd.Series) -> pd.DataFrame:
    """Merge the rows of a child who appears in more than one file (the 903 Header and Episodes
    files, a CIN census and a 903 return…) into one, keeping each column's first non-blank
    value from the most complete row and that row's location. Rows from a single file are left
    as they are, so a child listed twice within one file stays visible to the rules."""
    spread = file_no.groupby(child["child_id"]).transform("nunique").fillna(0) > 1
    if not spread.any():
        return child
    # The 903 reader's merge is the canonical one; it is imported only when needed.
    from submissions.extract.readers.ssda903 import merge_child_rows

    several = child[spread.to_numpy()]
    merged = merge_child_rows(several)
    first_row = several.index.to_series().groupby(several["child_id"]).min()
    merged.index = pd.Index(first_row.reindex(merged["child_id"]).to_numpy())
    kept = child[~spread.to_numpy()]
    return pd.concat([kept, merged]).sort_index().reset_index(drop=True)


def _la_code(la_code: str | None, results: list[_FileResult]) -> tuple[str | None, list[Finding]]:
    """The argument wins; otherwise the files' LA code. Any disagreement is an error: data
    from one LA must never be stored under another."""
    stated = {r.result.la_code for r in results if r.result.la_code}
    if la_code is not None:
        wrong = [r for r in results if r.result.la_code and r.result.la_code != la_code]
        return la_code, [
            Finding(
                "LA_MISMATCH",
                Severity.ERROR,
                f"This file says it comes from local authority {r.result.la_code}, but it "
                f"was submitted for {la_code}. Check you uploaded the right file.",
                file=r.display_name,
                field="LA",
            )
            for r in wrong
        ]
    if len(stated) > 1:
        by_code: dict[str, list[str]] = {}
        for r in results:
            if r.result.la_code:
                by_code.setdefault(r.result.la_code, []).append(r.display_name)
        listed = "; ".join(f"{code}: {', '.join(names)}" for code, names in sorted(by_code.items()))
        message = (
            f"These files come from different local authorities ({listed}). Upload one "
            "authority's files at a time."
        )
        return None, [Finding("LA_MISMATCH", Severity.ERROR, message, field="LA")]
    return (stated.pop() if stated else None), []


def read_files(
    files: Sequence[tuple[str, Path]],
    *,
    la_code: str | None = None,
    as_of: date | None = None,
    coverage_start: date | None = None,
) -> Extract:
    """Read every file (display name the user knows, path on disk) into one ``Extract``.

    ``as_of`` (C1) and ``coverage_start`` (C0), when given, win over what the files say;
    otherwise ``as_of`` is the latest reference date in the files and ``coverage_start`` the
    earliest window start the formats define (CIN census: 1 April before its ReferenceDate;
    DfE API: its 24-month window before ``as_of``), else None. ``la_code`` likewise wins over
    the files' own (CIN ``Source/LEA``). ``unreadable`` is True when no file yielded a row.
    """
    with ExitStack() as stack:
        read, findings = _read_all(files, stack)
    if not files:
        findings.append(Finding("NO_FILES", Severity.ERROR, "No files were uploaded."))
    results = [r.result for r in read]
    _drop_census_overlaps(results)
    _prefer_903_placements(results)
    _unique_ids(results)
    code, la_findings = _la_code(la_code, read)

    references = [r.reference_date for r in results if r.reference_date]
    extract_as_of = as_of or (max(references) if references else None)
    if coverage_start is None:
        windows = [r.coverage_start for r in results if r.coverage_start]
        if extract_as_of and any(r.format is Format.DFE_API_JSON for r in results):
            # The payload does not carry its run date; its window hangs off the extract date.
            from submissions.extract.readers.api_json import window_start

            windows.append(window_start(extract_as_of))
        coverage_start = min(windows) if windows else None

    return Extract(
        tables=_concat(results),
        findings=findings + la_findings,
        formats=list(dict.fromkeys(r.format for r in results)),
        la_code=code,
        as_of=extract_as_of,
        coverage_start=coverage_start,
        unreadable=not any(r.has_rows for r in results),
    )
