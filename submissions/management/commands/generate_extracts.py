"""``manage.py generate_extracts``: write a synthetic LA extract in every input format.

    python manage.py generate_extracts --la 370 --from 2023-04-01 --to 2026-03-31 \\
        [--size small|medium|large|N] [--seed 1] [--formats cin,903,903xml,annexa,api] [--out DIR]

Simulates one LA's children's social care records (``submissions.synthetic.model``) and
writes them as real files look (``submissions.synthetic.writers``). The same arguments always
give byte-identical files. No database is needed: without ``--size`` the LA is sized by its
latest 0-17 population, read straight from the ONS file shipped in portal/reference_data/.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.reference import POPULATION_AGE_GROUP, POPULATION_FILE, REFERENCE_DATA_DIR
from submissions.synthetic.model import SIZES, generate
from submissions.synthetic.writers import FORMATS, write_extract


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"dates are written YYYY-MM-DD, for example 2026-03-31; got {value!r}"
        ) from None


def la_population(la_code: str, path: Path = REFERENCE_DATA_DIR / POPULATION_FILE) -> int | None:
    """The LA's 0-17 population in the latest year of the ONS file (None if not listed)."""
    df = pd.read_csv(path, dtype=str)
    rows = df[
        (df["geographic_level"] == "Local authority")
        & (df["old_la_code"] == la_code)
        & (df["age_group"] == POPULATION_AGE_GROUP)
    ]
    if rows.empty:
        return None
    latest = rows.sort_values("time_period").iloc[-1]  # four-digit years sort as text
    return int(latest["population_estimate"])


class Command(BaseCommand):
    help = (
        "Write a synthetic extract for one LA in every input format (CIN census XML, SSDA903 "
        "CSV and XML, Ofsted Annex A, DfE API JSON). Deterministic for a given --seed."
    )
    # Runs anywhere: no system checks, no migration checks, no database.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--la", required=True, help="3-digit DfE LA code, e.g. 370.")
        parser.add_argument("--from", dest="start", required=True, type=_date,
                            help="First day of the extract (YYYY-MM-DD).")  # fmt: skip
        parser.add_argument("--to", dest="end", required=True, type=_date,
                            help="Extract date, the last day covered (YYYY-MM-DD).")  # fmt: skip
        parser.add_argument(
            "--size",
            help="small, medium, large (about "
            + ", ".join(f"{n:,}" for n in SIZES.values())
            + " children over three years) or a number of children. Default: sized by the "
            "LA's 0-17 population.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--clean",
            action="store_true",
            help="Leave out the deliberate data-quality errors, so the extract can be accepted.",
        )
        parser.add_argument(
            "--formats",
            default=",".join(FORMATS),
            help=f"Comma-separated, from {', '.join(FORMATS)} (default: all).",
        )
        parser.add_argument(
            "--out",
            type=Path,
            help="Output folder (default: var/extracts/LA<code>_<from>_<to>_seed<seed>).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        la = options["la"]
        start, end = options["start"], options["end"]
        if not (len(la) == 3 and la.isdigit()):
            raise CommandError(f"--la is a 3-digit DfE LA code, e.g. 370; got {la!r}")
        if end <= start:
            raise CommandError("--to must be after --from")
        formats = [f.strip() for f in options["formats"].split(",") if f.strip()]
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown or not formats:
            raise CommandError(f"--formats: choose from {', '.join(FORMATS)}; got {unknown}")
        size = self._size(la, options["size"])
        out = options["out"] or (
            Path(settings.BASE_DIR)
            / "var"
            / "extracts"
            / f"LA{la}_{start}_{end}_seed{options['seed']}"
        )

        began = time.perf_counter()
        extract = generate(la, start, end, seed=options["seed"], clean=options["clean"], **size)
        simulated = time.perf_counter() - began
        self.stdout.write(
            f"LA {la}, {start} to {end}, seed {options['seed']}: "
            f"{len(extract.tables['child']):,} children (simulated in {simulated:.1f}s)"
        )
        for name, table in extract.tables.items():
            self.stdout.write(f"  {name:<16} {len(table):>9,} rows")

        for fmt in formats:
            began = time.perf_counter()
            paths = write_extract(extract, out, [fmt])[fmt]
            took = time.perf_counter() - began
            for path in paths:
                self.stdout.write(
                    f"  {fmt:<7} {path}  ({path.stat().st_size / 1e6:,.1f} MB, {took:.1f}s)"
                )
        self.stdout.write(self.style.SUCCESS(f"Wrote {', '.join(formats)} to {out}"))

    def _size(self, la: str, size: str | None) -> dict[str, int]:
        """``generate`` keyword sizing the LA."""
        if size is None:
            population = la_population(la)
            if population is None:
                raise CommandError(f"LA {la} is not in the population file: give --size")
            return {"population": population}
        if size in SIZES:
            return {"children": SIZES[size]}
        if size.isdigit() and int(size) > 0:
            return {"children": int(size)}
        raise CommandError(f"--size is small, medium, large or a number; got {size!r}")
