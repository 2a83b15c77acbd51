"""Load benchmark of the public dashboard (not a timed test: it prints figures).

Starts gunicorn on loopback with the production profile (DEBUG off, PostgreSQL, Redis cache,
WhiteNoise with the hashed static manifest) and ``gunicorn.conf.py``, then drives it with
``--clients`` concurrent keep-alive HTTP clients (threads using ``http.client``; wrk and locust
are not installed here). Two phases over the same random sample of URLs:

* ``cold``: every URL requested once, straight after the cache is emptied: every page is
  rendered from the database (the worst case, e.g. just after a data reload);
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
import base64
import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 150.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/csc_bench_public"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_env(database_url: str, redis_url: str, port: int) -> dict[str, str]:
    """The production profile on loopback: everything real except TLS."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "FILE_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SERVICE_BASE_URL": f"http://127.0.0.1:{port}",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }


def create_database(database_url: str) -> None:
    """Create the benchmark's database on its server if it does not exist yet."""
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if not connection.execute(query, [name]).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


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


class Clients:
    """HTTP GETs on a new connection each.

    Not keep-alive: gunicorn's threaded workers keep a kept-alive connection for themselves, so
    20 long-lived connections would pile onto the first worker that accepted them and measure
    one worker instead of the server.
    """

    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, url: str) -> tuple[int, float]:
        """(status, milliseconds) of one GET, connection included, body read in full."""
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", url, headers={"Connection": "close"})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        return response.status, (time.perf_counter() - began) * 1000


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


def percentile(values: Sequence[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


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
        manage(env, "load_published_data")
        manage(env, "collectstatic", "--noinput")
    urls = sample_urls(env, args.indicator_urls, args.summary_urls, args.seed)
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")

    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "portal.wsgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            clients = Clients(port)
            deadline = time.monotonic() + 60
            while True:
                try:
                    # Not a sampled URL: the cold phase must find the cache empty.
                    if clients.get("/health/")[0] in {200, 503}:
                        break
                except OSError:
                    pass  # not listening yet
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"gunicorn did not start:\n{log.read()}")
                time.sleep(0.2)
            workers = env.get("WEB_CONCURRENCY", "3")
            # The client shares the machine's CPUs with the server (and with anything else
            # running): read the figures with these two numbers in mind.
            load = os.getloadavg()[0]
            print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} before the run")
            print(
                f"gunicorn: {workers} workers x 2 threads on 127.0.0.1:{port}; "
                f"{args.clients} concurrent clients; {len(urls)} distinct URLs "
                f"({sum(page_type(u) == 'indicator' for u in urls)} indicator pages)"
            )
            began = time.perf_counter()
            cold = run_phase(clients, urls, args.clients)
            cold_ok = report("cold (every page rendered)", cold, time.perf_counter() - began)
            warm_urls = [url for _ in range(args.warm_rounds) for url in urls]
            random.Random(args.seed).shuffle(warm_urls)  # noqa: S311 - repeatable order
            began = time.perf_counter()
            warm = run_phase(clients, warm_urls, args.clients)
            warm_ok = report("warm (fragments cached)", warm, time.perf_counter() - began)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"target p95 ≤ {TARGET_P95_MS:g} ms: cold {'met' if cold_ok else 'missed'}, "
          f"warm {'met' if warm_ok else 'missed'}")  # fmt: skip
    return 0 if warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
