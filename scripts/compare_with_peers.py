"""Compare our validation rules with the DfE validators on the validators' own sample files.

    python scripts/compare_with_peers.py /tmp/peers/bin/python [--samples DIR] [--markdown]
        [--cin FILE ...] [--cla DIR --cla-from YYYY-MM-DD --cla-as-of YYYY-MM-DD]

The peers (``csc-validator-be-cin`` and ``csc-validator-be-903``, MIT) need pandas < 2, so they
run in their own throw-away virtualenv, never in the project's: the first argument is that
venv's python (``python3 -m venv /tmp/peers && /tmp/peers/bin/pip install
csc-validator-be-cin csc-validator-be-903 pytest``). This script runs our readers and rules in
this interpreter, runs the peers through a small driver in theirs, and for every DfE rule code
that both implement compares the set of (child id, code) pairs each one flags. Row numbers
are not compared: the peers count 0-based DataFrame rows, we report file lines.

``--cin`` and ``--cla`` add more returns, e.g. a synthetic LA from ``manage.py
generate_extracts --formats cin,903`` (the peers' samples are small and exercise few rules).

Output: per code, pairs flagged by both, only by us, only by the peers, and agreement
(both / union); ``--markdown`` prints the table for ``docs/peer-agreement.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from submissions.extract.readers import read_files  # noqa: E402
from submissions.extract.rules import RULES, resolve_year, run_rules  # noqa: E402

DEFAULT_SAMPLES = Path("/work/shared/data/samples")

# The 903 samples are 2017/18 data (DECOM up to 31 March 2018) with pre-2024 codes (SEX 1/2):
# both sides check them as the 2017/18 collection with the oldest rule set we have.
CLA_PERIOD = (date(2017, 4, 1), date(2018, 3, 31))
CLA_YEAR = "2023_24"
# 903 CSV tables passed to both. Left out: DoLo.csv (a 2026/27 table the 2023/24 rules do
# not know) and placed_for_adoption_errors.csv (a second, deliberately broken copy of a table).
CLA_TABLES = ("header", "episodes", "missing", "uasc", "reviews", "oc2", "oc3", "ad1",
              "placed_for_adoption", "previous_permanence", "sw_episodes")  # fmt: skip

# Runs inside the peers' venv. Writes {"pairs": [[code, child], ...], "failed": [...]} to
# argv[1]; the peers print to stdout and log every rule, hence a file and logging disabled.
DRIVER = r"""
import importlib, json, logging, sys, warnings
logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")
out, kind, year, collection_year, *paths = sys.argv[1:]
if kind == "cin":
    import xml.etree.ElementTree as ET
    from cin_validator import cin_validator
    data = cin_validator.process_data(cin_validator.convert_data(ET.parse(paths[0]).getroot()))
    registry = importlib.import_module(f"cin_validator.rules.cin{year}").registry
    v = cin_validator.CinValidator(data, registry, selected_rules=None)
    issues = v.full_issue_df
    failed = []
else:
    from lac_validator import lac_validator
    from lac_validator.report import Report
    from lac_validator.utils import process_uploaded_files
    registry = importlib.import_module(f"lac_validator.rules.lac{year}").registry
    v = lac_validator.LacValidator(
        metadata={"collectionYear": collection_year, "localAuthority": "E09000027"},
        files=process_uploaded_files({"This year": paths}), registry=registry,
        selected_rules=None,
    )
    report = Report(v.ds_results, registry)
    issues = lac_validator.create_issue_df(report.report, report.error_report)
    failed = [str(getattr(f, "code", f)) for f in v.fails]
issues = issues[issues["child_id"].notna()]
pairs = sorted({(str(c), str(k)) for c, k in zip(issues["rule_code"], issues["child_id"])})
with open(out, "w") as fh:
    json.dump({"pairs": pairs, "codes": sorted(registry), "failed": failed}, fh)
"""


@dataclass
class Dataset:
    """One return checked by both sides."""

    name: str
    kind: str  # "cin" or "903"
    files: list[Path]
    as_of: date | None = None  # None: from the file (CIN ReferenceDate)
    coverage_start: date | None = None
    year: str | None = None  # None: the as-of date's collection year


@dataclass
class Tally:
    both: int = 0
    ours: int = 0
    peers: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        union = self.both + self.ours + self.peers
        return self.both / union if union else 1.0


def datasets(samples: Path) -> list[Dataset]:
    cin = samples / "csc-validator-be-cin"
    cla = samples / "csc-validator-be-903"
    # CIN_la_issues_2887Q.xml is byte-identical to CIN_Census_2021.xml.
    names = ["CIN_Census_2021.xml", "CIN_Census_2024.xml", "CIN_Census_2026.xml",
             "CIN2rows.xml", "CIN_header_issues_100.xml", "fake_CIN_data.xml"]  # fmt: skip
    found = [Dataset(n, "cin", [cin / n]) for n in names if (cin / n).exists()]
    start, end = CLA_PERIOD
    found.append(
        Dataset(
            "903 CSV tables", "903", [cla / f"{t}.csv" for t in CLA_TABLES], end, start, CLA_YEAR
        )
    )
    found.append(Dataset("fake_903.xml", "903", [cla / "fake_903.xml"], end, start, CLA_YEAR))
    return found


def ours(dataset: Dataset) -> tuple[str, set[tuple[str, str]]]:
    """Our rule year and (code, child) pairs."""
    extract = read_files(
        [(p.name, p) for p in dataset.files],
        as_of=dataset.as_of,
        coverage_start=dataset.coverage_start,
    )
    year = dataset.year or resolve_year(extract.as_of)
    findings = run_rules(extract, year)
    return year, {(f.code, f.child_id) for f in findings if f.child_id}


def peers(python: str, dataset: Dataset, year: str) -> dict[str, list]:
    assert dataset.as_of is None or dataset.as_of.month == 3
    collection_year = str(dataset.as_of.year) if dataset.as_of else ""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peer.json"
        subprocess.run(
            [python, "-c", DRIVER, str(out), dataset.kind, year, collection_year,
             *map(str, dataset.files)],
            check=True, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        result: dict[str, list] = json.loads(out.read_text())
    return result


def compare(python: str, returns: list[Dataset]) -> tuple[dict[str, Tally], list[str]]:
    tallies: dict[str, Tally] = {}
    notes: list[str] = []
    for dataset in returns:
        year, mine = ours(dataset)
        theirs_raw = peers(python, dataset, year)
        theirs = {(c, k) for c, k in theirs_raw["pairs"]}
        shared_codes = set(RULES.rules_for(year)) & set(theirs_raw["codes"])
        if theirs_raw["failed"]:
            notes.append(f"{dataset.name}: peer rules that crashed: {theirs_raw['failed']}")
        counts: Counter[str] = Counter()
        for code in sorted(shared_codes):
            tally = tallies.setdefault(code, Tally())
            a = {k for c, k in mine if c == code}
            b = {k for c, k in theirs if c == code}
            tally.both += len(a & b)
            tally.ours += len(a - b)
            tally.peers += len(b - a)
            for child in sorted(a ^ b)[:2]:
                side = "ours" if child in a else "peers"
                tally.examples.append(f"{dataset.name}:{child}:{side}")
            counts["pairs"] += len(a | b)
        notes.append(
            f"{dataset.name}: {dataset.kind}, rules {year}, {counts['pairs']} pairs compared"
        )
    return tallies, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("peers_python", help="python of the virtualenv holding the peers")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--cin", type=Path, action="append", default=[], help="a CIN census XML")
    parser.add_argument("--cla", type=Path, help="a folder of 903 CSV tables")
    parser.add_argument("--cla-from", type=date.fromisoformat, default=date(2024, 4, 1))
    parser.add_argument("--cla-as-of", type=date.fromisoformat, default=date(2025, 3, 31))
    args = parser.parse_args()

    returns = datasets(args.samples) + [Dataset(p.name, "cin", [p]) for p in args.cin]
    if args.cla:
        # Pre-2024 sex codes (1/2) as in the samples: the oldest rule set on both sides.
        tables = sorted(args.cla.glob("*.csv"))
        returns.append(
            Dataset(str(args.cla), "903", tables, args.cla_as_of, args.cla_from, CLA_YEAR)
        )
    tallies, notes = compare(args.peers_python, returns)
    for note in notes:
        print(note)
    flagged = {c: t for c, t in tallies.items() if t.both + t.ours + t.peers}
    quiet = sorted(c for c in tallies if c not in flagged)
    both = sum(t.both for t in flagged.values())
    union = sum(t.both + t.ours + t.peers for t in flagged.values())
    exact = sum(t.ours == 0 and t.peers == 0 for t in flagged.values())
    print(
        f"\n{len(tallies)} shared DfE codes; {len(flagged)} flagged something on either side, "
        f"{exact} of them identically; overall agreement {both}/{union} pairs "
        f"({both / union:.1%}); neither side flagged: {', '.join(quiet)}\n"
    )
    rows = sorted(flagged.items(), key=lambda item: (item[1].agreement, item[0]))
    if args.markdown:
        print("| code | both | only ours | only peers | agreement |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for code, t in rows:
            print(f"| {code} | {t.both} | {t.ours} | {t.peers} | {t.agreement:.0%} |")
    else:
        print(f"{'code':<8}{'both':>7}{'ours':>7}{'peers':>7}{'agree':>8}  examples")
        for code, t in rows:
            examples = ", ".join(t.examples[:3]) if t.agreement < 1 else ""
            print(f"{code:<8}{t.both:>7}{t.ours:>7}{t.peers:>7}{t.agreement:>8.0%}  {examples}")


if __name__ == "__main__":
    main()
