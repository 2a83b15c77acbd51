"""Speed and memory benchmark for ``compute_all`` (not a timed test; the ``indicators`` case
of ``benchmarks.run``).

``run`` builds one synthetic LA extract in memory with ``submissions.synthetic`` (the same
simulation the demos use, so the tables look like a real extract), then times
``compute_all`` over every indicator and every month end and measures its peak Python memory
with ``tracemalloc``. Target: at most 5 seconds and 1 GB for the largest LA (60,000 children,
3 years) on a 2-core machine.

    .venv/bin/python -m benchmarks.compute [children] [years]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import date

import pandas as pd

from indicators.calculators import compute_all
from submissions.synthetic.model import generate, population_for_children

__all__ = ["run"]

_AS_OF = date(2026, 3, 31)  # C1; the extract covers the ``years`` years of April to March


def run(n_children: int = 60_000, years: int = 3) -> dict[str, float | int]:
    """Generate an extract of about ``n_children`` children over ``years`` years ending
    31 March 2026, compute every indicator for it and report the cost.

    Returns ``children``, ``rows`` (records in the extract), ``periods`` (month ends
    reported), ``values`` (result rows), ``generate_seconds``, ``seconds`` (compute_all) and
    ``peak_mb`` (tracemalloc peak of a second compute_all: Python and numpy allocations;
    pyarrow's own buffers are not traced).
    """
    start = date(_AS_OF.year - years, 4, 1)
    began = time.perf_counter()
    extract = generate("370", start, _AS_OF, children=n_children, seed=7)
    generated = time.perf_counter() - began
    population = population_for_children(n_children, years)
    populations = dict.fromkeys(range(start.year - 1, _AS_OF.year + 1), population)

    def compute() -> pd.DataFrame:
        return compute_all(
            extract.tables,
            as_of=_AS_OF,
            coverage_start=extract.coverage_start,
            population=populations,
        )

    # Timed without tracemalloc, which slows numpy/pandas allocation-heavy code about 3-fold;
    # the memory peak comes from a second, traced run.
    began = time.perf_counter()
    result = compute()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    compute()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "children": len(extract.tables["child"]),
        "rows": sum(len(frame) for frame in extract.tables.values()),
        "periods": int(result["period_end"].nunique()),
        "values": len(result),
        "generate_seconds": round(generated, 2),
        "seconds": round(seconds, 2),
        "peak_mb": round(peak / 2**20, 1),
    }


if __name__ == "__main__":
    arguments = [int(argument) for argument in sys.argv[1:3]]
    for key, value in run(*arguments).items():
        print(f"{key:>17}: {value}")
