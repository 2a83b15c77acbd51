"""Speed and memory benchmarks (``make bench``). Not timed tests: they print figures.

Each case runs in its own process so its peak memory (max RSS, including pandas' and pyarrow's
buffers and the interpreter) is measured alone:

* ``903x10``  — read + validate the DfE 903 validator's sample ten times over (≈259,000 CSV
  rows, 26,750 children). The DfE validator takes 167 s and 6.1 GB. Target: ≤ 8 s, ≤ 1 GB.
* ``cin4000`` — read + validate a CIN census XML of 4,000 children with every module. The
  DfE CIN validator takes 75 s. Target: ≤ 3 s.
* ``indicators`` — every indicator, every month end, for a 3-year extract of the largest LA
  (≈60,000 children). Target: ≤ 5 s, ≤ 1 GB.

Four load benchmarks run only when named, because they need PostgreSQL and Redis on
127.0.0.1 (``make bench-load`` runs them): ``public_load`` (the public dashboard, target p95
≤ 150 ms), ``restricted_load`` (the restricted dashboards at national scale, as a national
analyst: LA dashboard and portfolio p95 ≤ 200 ms, zero errors) and ``api_intake_load`` (the
API intake: ≥ 1,000 records/s, 60,000 children in < 90 s, their snapshot in < 2 minutes) and
``mixed_load`` (50 users at once across public and restricted pages, an upload being checked
and API batches arriving: p95 ≤ 300 ms, zero errors). Each prints its own figures.

    .venv/bin/python -m benchmarks.run [CASE ...]
    .venv/bin/python -m benchmarks.run public_load restricted_load api_intake_load mixed_load
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_903 = Path(__file__).parent / "data" / "ssda903_sample"
TARGETS = {"903x10": (8.0, 1024), "cin4000": (3.0, 1024), "indicators": (5.0, 1024)}
#: Load benchmarks (gunicorn, PostgreSQL, Redis): run only when named; each is its own module.
LOAD_CASES = {
    "public_load": "benchmarks.public_load",
    "restricted_load": "benchmarks.restricted_load",
    "api_intake_load": "benchmarks.api_intake_load",
    "mixed_load": "benchmarks.mixed_load",
}


def _903x10(work: Path) -> list[tuple[str, Path]]:
    """The sample's tables, each repeated ten times with child ids made unique per copy."""
    files = []
    for source in sorted(SAMPLE_903.glob("*.csv.gz")):
        with gzip.open(source, "rt", encoding="utf-8") as handle:
            table = pd.read_csv(handle, dtype=str, keep_default_na=False)
        copies = [table.assign(CHILD=table["CHILD"] + f"{n:02d}") for n in range(10)]
        path = work / source.name.removesuffix(".gz")
        pd.concat(copies).to_csv(path, index=False)
        files.append((path.name, path))
    return files


def _cin4000(work: Path) -> list[tuple[str, Path]]:
    from submissions.synthetic.model import generate
    from submissions.synthetic.writers import write_extract

    extract = generate("370", date(2025, 4, 1), date(2026, 3, 31), children=4_000, seed=3)
    paths = write_extract(extract, work, ["cin"])["cin"]
    return [(p.name, p) for p in paths]


def _read_and_validate(prepare: Callable[[Path], list[tuple[str, Path]]]) -> dict[str, object]:
    # The worker's check step, in its two halves so the reading is timed on its own.
    from submissions.extract import check

    with tempfile.TemporaryDirectory() as tmp:
        files = prepare(Path(tmp))
        lines = sum(sum(1 for _ in path.open("rb")) for _, path in files)
        began = time.perf_counter()
        extract = check.read(files)
        read = time.perf_counter() - began
        result = check.validate(extract)
        seconds = time.perf_counter() - began
    rows = sum(len(t) for t in extract.tables.values())
    return {"seconds": seconds, "read_seconds": read, "input_lines": lines,
            "canonical_rows": rows, "findings": len(result.findings),
            "rows_per_second": round(lines / seconds)}  # fmt: skip


def _indicators() -> dict[str, object]:
    from benchmarks.compute import run

    return dict(run(60_000, 3))


def one(case: str) -> dict[str, object]:
    """Run one case in this process (the parent measures its memory)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "true")
    django.setup()
    if case == "903x10":
        return _read_and_validate(_903x10)
    if case == "cin4000":
        return _read_and_validate(_cin4000)
    if case == "indicators":
        return _indicators()
    raise SystemExit(f"unknown case {case!r}; choose from {', '.join(TARGETS)}")


def main(cases: list[str]) -> int:
    failed = False
    for case in cases or list(TARGETS):
        if case in LOAD_CASES:
            print(f"{case}:", flush=True)
            load = subprocess.run([sys.executable, "-m", LOAD_CASES[case]], cwd=ROOT, check=False)
            failed |= load.returncode != 0
            continue
        if case not in TARGETS:
            print(f"{case}: unknown; choose from {', '.join([*TARGETS, *LOAD_CASES])}")
            failed = True
            continue
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--one", case],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"{case}: FAILED\n{done.stderr}")
            failed = True
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        peak_mb = figures.pop("peak_rss_mb")
        seconds_target, mb_target = TARGETS[case]
        ok = figures["seconds"] <= seconds_target and peak_mb <= mb_target
        failed |= not ok
        details = ", ".join(
            f"{k} {round(v, 2) if isinstance(v, float) else v}"
            for k, v in figures.items()
            if k != "seconds"
        )
        print(
            f"{case:<11} {figures['seconds']:6.2f} s (target ≤ {seconds_target:g} s)  "
            f"peak RSS {peak_mb:6.0f} MB (target ≤ {mb_target} MB)  "
            f"{'OK' if ok else 'MISSED'}\n            {details}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        figures = one(sys.argv[2])
        # Max resident set of this process: everything, including pyarrow buffers.
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(json.dumps(figures, default=str))
    else:
        sys.exit(main(sys.argv[1:]))
