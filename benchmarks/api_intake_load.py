"""Throughput benchmark of the API intake, then the snapshot after it (not a timed test: it
prints figures, and exits non-zero when a target is missed).

Issue 13: "A real HTTP client posting batches of 100 records to the server run as in
production (gunicorn, PostgreSQL, Redis) sustains ≥ 1,000 child records per second on this
machine; a large LA's full load (60,000 children) completes in under 90 s, and the snapshot
after it is checked and its indicators stored in under 2 minutes."

What it does:

1. Set-up (idempotent): creates the database if missing, migrates, loads the reference
   geography, empties the LA's API state, and creates an API client for it
   (``manage.py create_api_client --json``), whose feed accepts snapshots automatically.
2. Generates the LA's payload in memory (``submissions.synthetic``, ``--children``, default
   the large LA's 60,000) and cuts it into batches of 100, each one JSON body, as the D2I
   sender does.
3. Starts gunicorn with the production profile and ``gunicorn.conf.py``; ``--senders``
   threads (default 4: the D2I sender is one process per LA, but an LA's full load is the
   case to size for) each take a token by form post and post their share of the batches with
   the bearer token and SupplierKey header, on one connection each (as ``requests.Session``
   does in the sender), together no faster than the client's rate limit
   (``API_RATE_LIMIT_PER_SECOND`` batches a second, ``Pace``). Prints records/s, the total
   time and the p50/p95 of a batch; every answer must be 200 with one receipt per record.
4. Takes the snapshot in the foreground (``manage.py snapshot_api --la CODE``): checked,
   accepted automatically and indicators stored, timed from the command's start to its end
   (interpreter start-up included).

    .venv/bin/python -m benchmarks.api_intake_load [--children 60000] [--senders 4]

Defaults: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/csc_bench_api`` and
``REDIS_URL=redis://127.0.0.1:6379/4`` (emptied before each run), LA 370 (Barnsley).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date
from urllib.parse import urlencode

from benchmarks.load import (
    ROOT,
    create_database,
    describe_machine,
    free_port,
    gunicorn,
    manage,
    percentile,
    production_env,
)

TARGET_RECORDS_PER_SECOND = 1000.0
TARGET_FULL_LOAD_SECONDS = 90.0
TARGET_SNAPSHOT_SECONDS = 120.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/csc_bench_api"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
BATCH = 100

RESET = """
from portal.models import LocalAuthority
from submissions.models import ApiBatch, ApiChildRecord, ApiFeed
la = LocalAuthority.objects.get(code={la!r})
ApiBatch.objects.filter(local_authority=la).delete()
ApiChildRecord.objects.filter(local_authority=la).delete()
ApiFeed.objects.update_or_create(local_authority=la, defaults={{"auto_accept": True}})
"""


def payload_batches(la: str, children: int, as_of: date) -> list[bytes]:
    """The LA's clean generated payload (three years to ``as_of``), as bodies of 100."""
    import tempfile
    from pathlib import Path

    from submissions.synthetic.model import generate
    from submissions.synthetic.writers import write_api_json

    start = date(as_of.year - 3, 4, 1) if as_of.month >= 4 else date(as_of.year - 4, 4, 1)
    extract = generate(la, start, as_of, children=children, clean=True)
    with tempfile.TemporaryDirectory() as folder:
        (path,) = write_api_json(extract, Path(folder))
        records = json.loads(path.read_text(encoding="utf-8"))
    return [
        json.dumps(records[i : i + BATCH], separators=(",", ":")).encode()
        for i in range(0, len(records), BATCH)
    ]


class RefusedToken(Exception):
    """The token endpoint did not give one."""


class Pace:
    """The batches/s the API allows one client (``API_RATE_LIMIT_PER_SECOND``), shared by the
    senders: they are one client, and a real sender (about 20 batches/s) stays under it. Above
    it the intake answers 429, as it should; that is its rate limit working, not load held."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1 / per_second
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + self.interval
        time.sleep(max(0.0, slot - now))


class Sender(threading.Thread):
    """One sender: a token, then its batches one after the other on one connection (kept
    alive by the threaded server; the synchronous workers close it after each answer, and
    http.client opens a new one, as requests.Session does)."""

    def __init__(self, port: int, credentials: dict[str, str], la: str,
                 batches: Sequence[bytes], pace: Pace,
                 deadline: float | None = None) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.credentials, self.la, self.batches = port, credentials, la, batches
        #: With a deadline (``time.monotonic()``), the batches are sent again and again
        #: until it passes (a feed that keeps arriving); without one, once.
        self.pace, self.deadline = pace, deadline
        self.timings: list[float] = []
        self.failures: list[str] = []
        self.records = 0

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            token = self._token(connection)
            headers = {
                "Authorization": f"Bearer {token}",
                "SupplierKey": self.credentials["supplier_key"],
                "Content-Type": "application/json",
            }
            path = f"/api/children_social_care_data/{self.la}/children"
            for body in self._bodies():
                self.pace.wait()
                began = time.perf_counter()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                self.timings.append((time.perf_counter() - began) * 1000)
                if response.status != 200:
                    self.failures.append(f"{response.status} {answer[:200]!r}")
                    continue
                receipts = json.loads(answer)
                self.records += len(receipts)
        except (OSError, RefusedToken) as error:
            self.failures.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    def _bodies(self) -> Iterator[bytes]:
        if self.deadline is None:
            yield from self.batches
            return
        while True:
            for body in self.batches:
                if time.monotonic() >= self.deadline:
                    return
                yield body

    def _token(self, connection: http.client.HTTPConnection) -> str:
        form = urlencode({
            "client_id": self.credentials["client_id"],
            "client_secret": self.credentials["client_secret"],
            "scope": self.credentials.get("scope", ""),
            "grant_type": "client_credentials",
        })  # fmt: skip
        connection.request(
            "POST", "/api/oauth/token", body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RefusedToken(f"{response.status} {answer[:300]!r}")
        return str(json.loads(answer)["access_token"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--la", default="370", help="LA code (370)")
    parser.add_argument("--children", type=int, default=60_000, help="children (60,000)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders (4)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY or 3)")
    parser.add_argument("--as-of", default="2026-03-31", help="extract date (2026-03-31)")
    args = parser.parse_args(argv)

    port = free_port()
    env = production_env(
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        port,
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    create_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput")
    manage(env, "load_reference_data")
    manage(env, "collectstatic", "--noinput")
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    manage(env, "shell", "-c", RESET.format(la=args.la))
    credentials = json.loads(manage(env, "create_api_client", "--la", args.la, "--json"))

    as_of = date.fromisoformat(args.as_of)
    began = time.perf_counter()
    batches = payload_batches(args.la, args.children, as_of)
    print(f"payload: {len(batches):,} batches of up to {BATCH} records "
          f"(generated in {time.perf_counter() - began:.1f} s)")  # fmt: skip
    shares = [batches[n :: args.senders] for n in range(args.senders)]

    with gunicorn(env, port):
        describe_machine(env, port, f"{args.senders} senders, batches of {BATCH}")
        pace = Pace(float(env.get("API_RATE_LIMIT_PER_SECOND", "25")))
        senders = [Sender(port, credentials, args.la, share, pace) for share in shares]
        began = time.perf_counter()
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        seconds = time.perf_counter() - began
    records = sum(s.records for s in senders)
    timings = [t for s in senders for t in s.timings]
    failures = [f for s in senders for f in s.failures]
    rate = records / seconds
    if not timings:
        print(f"no batch was sent: {failures[:3]}")
        return 1
    print(
        f"full load: {records:,} records in {seconds:.1f} s = {rate:,.0f} records/s; "
        f"batch p50 {statistics.median(timings):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms; "
        f"failures {len(failures)}" + (f", e.g. {failures[:3]}" if failures else "")
    )
    load_ok = (
        not failures
        and rate >= TARGET_RECORDS_PER_SECOND
        and (args.children < 60_000 or seconds < TARGET_FULL_LOAD_SECONDS)
    )
    print(f"  target ≥ {TARGET_RECORDS_PER_SECOND:,.0f} records/s, 60,000 children in "
          f"< {TARGET_FULL_LOAD_SECONDS:.0f} s: {'met' if load_ok else 'missed'}")  # fmt: skip

    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "snapshot_api", "--la", args.la, "--as-of", args.as_of],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    print(f"snapshot: {seconds:.1f} s (checked, accepted, indicators stored)")
    print("  " + (done.stdout.strip() or done.stderr.strip()).replace("\n", "\n  "))
    snapshot_ok = done.returncode == 0 and seconds < TARGET_SNAPSHOT_SECONDS
    print(f"  target < {TARGET_SNAPSHOT_SECONDS:.0f} s, no errors: "
          f"{'met' if snapshot_ok else 'missed'}")  # fmt: skip
    return 0 if load_ok and snapshot_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
