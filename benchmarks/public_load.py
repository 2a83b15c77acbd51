"""Load benchmark of the public dashboard (not a timed test: it prints figures).

Starts gunicorn on loopback with the production profile (DEBUG off, PostgreSQL, Redis cache,
WhiteNoise with the hashed static manifest) and ``gunicorn.conf.py``, then drives it with
``--clients`` concurrent HTTP clients (threads using ``http.client``, a new connection per
request; wrk and locust are not installed here). The machinery is ``benchmarks.load``, shared
with ``restricted_load``. Two phases over the same random sample of URLs:

* ``cold``: every URL requested once, straight after the cache is emptied and refilled as a
  data load refills it (``--after-load``): ``warm-all`` (default) runs the load command's
  warming with ``--la-pages``, every page the queued ``workers.warm_indicator_pages`` tasks
  build included (the first visitors after a reload once those have run); ``warm`` only what
  the command builds itself; ``none`` leaves the cache empty, so every page is rendered from
  the database (the worst case);
* ``warm``: the same URLs requested again in random order: the page fragments come from Redis
  (the usual case: a page is rendered once an hour per URL and served from the cache after).

It prints p50, p95 and p99 latency per page type and phase. Target: p95 ≤ 150 ms for
indicator and LA summary pages at 20 concurrent clients.

Set-up (idempotent, skipped with ``--no-setup``): creates the database if missing, migrates,
loads the reference geography and the published data, and collects static files.

    .venv/bin/python -m benchmarks.public_load [--clients 20] [--indicator-urls 400] ...

Defaults: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/csc_bench_public`` (a database of its
own, created if missing) and ``REDIS_URL=redis://127.0.0.1:6379/2`` (emptied before each run).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from benchmarks.load import (
    Clients,
    create_database,
    describe_machine,
    free_port,
    gunicorn,
    manage,
    percentile,
    production_env,
)

TARGET_P95_MS = 150.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/csc_bench_public"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"


def sample_urls(env: dict[str, str], indicators: int, summaries: int, seed: int) -> list[str]:
    """A random sample of indicator pages (LA chosen, half with the neighbours view) and LA
    summary pages, from the loaded data."""
    listing = manage(
        env, "shell", "-c",
        "from dashboards.published.queries import indicator_groups, local_authorities\n"
        "print(' '.join(i.key for g in indicator_groups() for h in g.headings"
        " for i in h.indicators))\n"
        "print(' '.join(code for code, _, _ in local_authorities()))",
    ).strip().splitlines()  # fmt: skip
    keys, codes = listing[-2].split(), listing[-1].split()
    picker = random.Random(seed)  # noqa: S311 - a repeatable sample, not a secret
    pages = {
        f"/published/{picker.choice(keys)}/?la={picker.choice(codes)}"
        + ("&view=neighbours" if picker.random() < 0.5 else "")
        for _ in range(indicators * 2)
    }
    chosen = picker.sample(sorted(pages), min(indicators, len(pages)))
    las = picker.sample(codes, min(summaries, len(codes)))
    chosen += [f"/published/la/{code}/" for code in las]
    picker.shuffle(chosen)
    return chosen


def page_type(url: str) -> str:
    return "LA summary" if url.startswith("/published/la/") else "indicator"


def run_phase(clients: Clients, urls: Sequence[str], concurrency: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = defaultdict(list)
    failures: list[tuple[str, int]] = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for url, (status, milliseconds) in zip(urls, pool.map(clients.get, urls), strict=True):
            if status != 200:
                failures.append((url, status))
            timings[page_type(url)].append(milliseconds)
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return timings


def report(phase: str, timings: dict[str, list[float]], seconds: float) -> bool:
    """Print the phase's figures; True when every page type meets the p95 target."""
    total = sum(len(values) for values in timings.values())
    print(f"{phase}: {total} requests in {seconds:.1f} s ({total / seconds:.0f} requests/s)")
    met = True
    for kind, values in sorted(timings.items()):
        p95 = percentile(values, 0.95)
        met &= p95 <= TARGET_P95_MS
        print(
            f"  {kind:<11} n={len(values):<5} p50 {percentile(values, 0.50):6.1f} ms  "
            f"p95 {p95:6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms  "
            f"max {max(values):6.1f} ms  {'OK' if p95 <= TARGET_P95_MS else 'MISSED'}"
        )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--indicator-urls", type=int, default=400, help="indicator pages (400)")
    parser.add_argument("--summary-urls", type=int, default=153, help="LA summaries (153)")
    parser.add_argument("--warm-rounds", type=int, default=3, help="warm passes over the URLs")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY or 3)")
    parser.add_argument("--seed", type=int, default=20251122)
    parser.add_argument("--no-setup", action="store_true", help="skip migrate/load/collectstatic")
    parser.add_argument(
        "--after-load",
        choices=["warm-all", "warm", "none"],
        default="warm-all",
        help="how the emptied cache is refilled before the cold phase (warm-all)",
    )
    args = parser.parse_args(argv)

    port = free_port()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    env = production_env(database_url, redis_url, port)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if not args.no_setup:
        create_database(database_url)
        manage(env, "migrate", "--noinput")
        manage(env, "load_reference_data")
        manage(env, "load_published_data", "--no-warm")  # warmed after the cache is emptied
        manage(env, "collectstatic", "--noinput")
    urls = sample_urls(env, args.indicator_urls, args.summary_urls, args.seed)
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    if args.after_load != "none":
        began = time.perf_counter()
        refill = ["--warm", "--la-pages"] if args.after_load == "warm-all" else ["--warm"]
        manage(env, "load_published_data", *refill)
        print(f"cache refilled after the load ({args.after_load}) in "
              f"{time.perf_counter() - began:.0f} s")  # fmt: skip

    with gunicorn(env, port) as clients:
        indicators = sum(page_type(u) == "indicator" for u in urls)
        describe_machine(
            env, port, f"{args.clients} concurrent clients; {len(urls)} distinct URLs "
            f"({indicators} indicator pages)",
        )  # fmt: skip
        began = time.perf_counter()
        cold = run_phase(clients, urls, args.clients)
        phase = f"cold (after a load, {args.after_load})"
        cold_ok = report(phase, cold, time.perf_counter() - began)
        warm_urls = [url for _ in range(args.warm_rounds) for url in urls]
        random.Random(args.seed).shuffle(warm_urls)  # noqa: S311 - repeatable order
        began = time.perf_counter()
        warm = run_phase(clients, warm_urls, args.clients)
        warm_ok = report("warm (fragments cached)", warm, time.perf_counter() - began)
    print(f"target p95 ≤ {TARGET_P95_MS:g} ms: cold {'met' if cold_ok else 'missed'}, "
          f"warm {'met' if warm_ok else 'missed'}")  # fmt: skip
    return 0 if warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
