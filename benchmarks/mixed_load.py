"""Mixed load: the whole service at 50 concurrent users (not a timed test: it prints figures,
and exits non-zero when the target is missed).

Issue 15: "a realistic mix at 50 concurrent clients: public pages, restricted dashboards, the
portfolio, an upload being checked, API batches arriving. Target p95 ≤ 300 ms for pages and
zero errors, on the production profile (gunicorn, PostgreSQL, Redis, separate worker
queues)."

What runs at once, for ``--seconds`` after ``--warm-up`` seconds not counted:

* ``--users`` people (default 50), each a thread asking for a page, reading it for a random
  ``--think`` pause (default 0.5 to 2 s; ``--think 0`` never pauses, the worst case the
  restricted benchmark measures at 20 clients), then the next:
  half are public visitors (the published indicator and LA summary pages,
  ``public_load.sample_urls``), the rest signed in with an authenticator app: national
  analysts (the portfolio of all 153 LAs, an LA's dashboard, an indicator page of an LA), a
  RISL for Yorkshire and the Humber and a DfE Case Lead with three LAs (their portfolio and
  their LAs' dashboards);
* an LA data lead uploading a generated CIN census extract through the upload form (CSRF token
  and all, as a browser sends it), waiting for the worker's check by polling the status as the
  page's script does, then uploading the next; its pages count with the others;
* the LA's case-management system sending API batches of 100 records (``api_intake_load``'s
  sender) at the pace of the D2I sender, 10 batches a second;
* Celery workers on their own queues (checks, indicators), as docker-compose runs them.

Pages are measured from connection to last byte (``benchmarks.load.Clients``, a new connection
each). It prints p50, p95, p99 and max per kind of page, the uploads checked and how long each
check took, the batches sent, and every error (any answer but the expected one). Target: p95 ≤
300 ms for every kind of page, zero errors.

Set-up as ``restricted_load`` (migrate, reference and published data, synthetic figures for
all 153 LAs, static files), in the same database by default: ``csc_bench_restricted``; Redis
database 5, emptied first.

    .venv/bin/python -m benchmarks.mixed_load [--users 50] [--seconds 60] [--think 0.5:2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.api_intake_load import Pace, Sender, payload_batches
from benchmarks.load import (
    ROOT,
    Clients,
    create_database,
    describe_machine,
    free_port,
    gunicorn,
    manage,
    production_env,
)
from benchmarks.public_load import sample_urls
from benchmarks.restricted_load import Results, report

TARGET_P95_MS = 300.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/csc_bench_restricted"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
UPLOAD_LA, API_LA = "371", "370"  # Doncaster uploads files, Barnsley sends API batches
CASE_LEAD_LAS = ("370", "383", "384")  # Barnsley, Leeds, Wakefield
YORKSHIRE = "E12000003"
API_BATCHES_PER_SECOND = 10.0


def prepare(users: dict[str, int]) -> None:
    """Print (JSON) signed-in sessions for each role and the pages each may ask for.

    Runs inside Django (``manage.py shell -c``). Each role gets an account of its own
    (``mixed-<role>@example.invalid``) with exactly that role, a verified address and an
    authenticator app, as ``restricted_load.prepare_sessions`` makes them.
    """
    import io
    from contextlib import redirect_stdout

    from django.urls import reverse

    from benchmarks import restricted_load
    from indicators.registry import REGISTRY
    from portal.models import LocalAuthority

    scopes = {
        "national_analyst": "",
        "risl": YORKSHIRE,
        "dfe_case_lead": CASE_LEAD_LAS[0],
        "la_data_lead": UPLOAD_LA,
    }
    out: dict[str, object] = {"indicators": sorted(REGISTRY)}
    for role, count in users.items():
        printed = io.StringIO()
        with redirect_stdout(printed):
            restricted_load.prepare_sessions(
                role, scopes[role], count, email=f"mixed-{role}@example.invalid"
            )
        prepared = json.loads(printed.getvalue().strip().splitlines()[-1])
        out["cookie"] = prepared["cookie"]
        out[role] = prepared["sessions"]
    if users.get("dfe_case_lead"):
        from portal.models import Membership, User

        lead = User.objects.get(email="mixed-dfe_case_lead@example.invalid")
        for code in CASE_LEAD_LAS[1:]:
            Membership.objects.create(
                user=lead,
                role="dfe_case_lead",
                local_authority=LocalAuthority.objects.get(code=code),
            )
    region = LocalAuthority.objects.current().filter(region__code=YORKSHIRE)
    out["yorkshire"] = sorted(region.values_list("code", flat=True))
    out["all_las"] = sorted(LocalAuthority.objects.current().values_list("code", flat=True))
    out["portfolio"] = reverse("restricted_dashboards:portfolio")
    out["la"] = reverse("restricted_dashboards:la", kwargs={"la_code": "000"}).replace(
        "000", "{la}"
    )
    out["indicator"] = (
        reverse("restricted_dashboards:indicator", kwargs={"la_code": "000", "indicator_id": "x-x"})
        .replace("000", "{la}")
        .replace("x-x", "{indicator}")
    )
    out["upload"] = reverse("submissions:upload")
    print(json.dumps(out))


class Person(threading.Thread):
    """One user: a page, a pause, the next page, until the deadline."""

    def __init__(
        self,
        clients: Clients,
        results: Results,
        pick: object,
        cookie: str | None,
        think: tuple[float, float],
        deadline: float,
        seed: int,
    ) -> None:
        super().__init__(daemon=True)
        self.clients, self.results, self.pick, self.cookie = clients, results, pick, cookie
        self.think, self.deadline = think, deadline
        self.random = random.Random(seed)  # noqa: S311 - a repeatable mix, not a secret

    def run(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        while time.monotonic() < self.deadline:
            name, url = self.pick(self.random)  # type: ignore[operator]
            began = time.perf_counter()
            try:
                status, milliseconds = self.clients.get(url, headers)
                self.results.add(name, status, milliseconds)
            except OSError as error:
                self.results.add(name, type(error).__name__, (time.perf_counter() - began) * 1000)
            low, high = self.think
            if high > 0:
                time.sleep(self.random.uniform(low, high))


class Uploader(threading.Thread):
    """The LA data lead: the upload page, the form posted with a generated CIN census file,
    the status polled until the check is done, then the next upload."""

    def __init__(
        self,
        port: int,
        results: Results,
        cookie: str,
        upload_url: str,
        files: Sequence[Path],
        deadline: float,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.results, self.cookie, self.upload_url = port, results, cookie, upload_url
        self.files, self.deadline = files, deadline
        self.checks: list[tuple[str, float]] = []  # (final status, seconds to checked)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            all_headers = {"Cookie": self.cookie, "Connection": "close", **(headers or {})}
            connection.request(method, url, body=body, headers=all_headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def _timed(
        self, name: str, method: str, url: str, expected: int, **kwargs: object
    ) -> tuple[int, dict[str, str], bytes]:
        began = time.perf_counter()
        status, headers, body = self._request(method, url, **kwargs)  # type: ignore[arg-type]
        milliseconds = (time.perf_counter() - began) * 1000
        self.results.add(name, 200 if status == expected else status, milliseconds)
        return status, headers, body

    def run(self) -> None:
        number = 0
        while time.monotonic() < self.deadline:
            try:
                self._upload_once(self.files[number % len(self.files)])
            except OSError as error:
                self.results.add("upload (form post)", type(error).__name__, 0.0)
            number += 1

    def _upload_once(self, path: Path) -> None:
        status, headers, page = self._timed("upload page", "GET", self.upload_url, 200)
        # The form's hidden fields (the CSRF token; the LA, when the lead has only one).
        hidden = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.decode())
        )
        csrf = re.search(r"((?:__Host-)?csrftoken)=([^;]+)", headers.get("Set-Cookie", ""))
        if status != 200 or "csrfmiddlewaretoken" not in hidden or not csrf:
            time.sleep(1)
            return
        boundary = uuid.uuid4().hex
        fields = {**hidden, "as_of_day": "31", "as_of_month": "3", "as_of_year": "2026"}
        disposition = f"--{boundary}\r\nContent-Disposition: form-data"
        parts = [
            f'{disposition}; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'{disposition}; name="uploads"; '
            f'filename="{path.name}"\r\nContent-Type: application/xml\r\n\r\n'.encode()
            + path.read_bytes()
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        began = time.monotonic()
        status, headers, answer = self._timed(
            "upload (form post)",
            "POST",
            self.upload_url,
            302,
            body=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": f"{self.cookie}; {csrf.group(1)}={csrf.group(2)}",
            },
        )
        location = headers.get("Location", "")
        if status != 302 or not location:
            time.sleep(1)
            return
        status_url = location.rstrip("/") + "/status.json"
        while time.monotonic() < self.deadline + 120:
            status, _, answer = self._timed("submission status (polled)", "GET", status_url, 200)
            state = json.loads(answer) if status == 200 else {}
            if state.get("final"):
                self.checks.append((str(state["status"]), time.monotonic() - began))
                return
            time.sleep(2)


@contextmanager
def celery_workers(env: dict[str, str]) -> Iterator[None]:
    """One worker process per queue that an upload and its acceptance use."""
    with tempfile.TemporaryFile("w+") as log:
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workers",
                    "worker",
                    f"--queues={queue}",
                    f"--hostname={queue}@bench",
                    "--concurrency=1",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for queue in ("checks", "indicators")
        ]
        try:
            yield
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)


def prime(
    clients: Clients,
    prepared: dict[str, Any],
    public_urls: Sequence[str],
    indicator_pages: Sequence[str],
) -> int:
    """Every page the users will ask for, asked once (not measured): in service, the public
    pages are kept warm by the load's warming tasks and the restricted ones by earlier
    visitors, so the measured minute is a usual one, not the first after a restart."""
    cookie = prepared["cookie"]
    analyst = f"{cookie}={prepared['national_analyst'][0]}"
    asks: list[tuple[str, str | None]] = [(url, None) for url in public_urls]
    asks += [(prepared["la"].format(la=la), analyst) for la in prepared["all_las"]]
    asks += [(url, analyst) for url in indicator_pages]
    asks += [
        (prepared["portfolio"], f"{cookie}={prepared[role][0]}")
        for role in ("national_analyst", "risl", "dfe_case_lead")
        if prepared.get(role)
    ]

    def ask(item: tuple[str, str | None]) -> int:
        url, who = item
        return clients.get(url, {"Cookie": who} if who else {})[0]

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(ask, asks))
    refused = [url for (url, _), status in zip(asks, statuses, strict=True) if status != 200]
    if refused:
        raise SystemExit(f"{len(refused)} pages answered other than 200, e.g. {refused[:3]}")
    return len(asks)


def cin_files(work: Path, children: int) -> list[Path]:
    """Generated CIN census extracts of the uploading LA (two, so that uploads differ)."""
    from submissions.synthetic.model import generate
    from submissions.synthetic.writers import write_cin_census

    files = []
    for seed in (1, 2):
        extract = generate(
            UPLOAD_LA, date(2023, 4, 1), date(2026, 3, 31), children=children, clean=True, seed=seed
        )
        out = work / f"cin-{seed}"
        out.mkdir()
        files += write_cin_census(extract, out)[:1]
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (50)")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds (60)")
    parser.add_argument("--warm-up", type=float, default=10, help="seconds not counted (10)")
    parser.add_argument("--think", default="0.5:2", help="pause between pages, LOW:HIGH s")
    parser.add_argument("--upload-children", type=int, default=2_000, help="children (2,000)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY or 3)")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--no-setup", action="store_true", help="skip migrate/load/seed/static")
    args = parser.parse_args(argv)
    low, _, high = args.think.partition(":")
    think = (float(low), float(high or low))

    port = free_port()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    env = production_env(database_url, os.environ.get("REDIS_URL", DEFAULT_REDIS_URL), port)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if not args.no_setup:
        create_database(database_url)
        manage(env, "migrate", "--noinput")
        manage(env, "load_reference_data")
        manage(env, "load_published_data")
        print(manage(env, "seed_national_figures", "--benchmark-database").strip())
    # Always: pages name static files by their hashed names, so the manifest must list them all.
    manage(env, "collectstatic", "--noinput")
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")

    public = args.users // 2
    signed_in = args.users - public - 1  # one is the uploading data lead
    roles = {
        "national_analyst": max(signed_in - 2 * (signed_in // 5), 0),
        "risl": signed_in // 5,
        "dfe_case_lead": signed_in // 5,
        "la_data_lead": 1,
    }
    prepared = json.loads(
        manage(env, "shell", "-c", f"from benchmarks.mixed_load import prepare; prepare({roles!r})")
        .strip()
        .splitlines()[-1]
    )
    credentials = json.loads(manage(env, "create_api_client", "--la", API_LA, "--json"))
    public_urls = sample_urls(env, 300, 100, args.seed)
    cookie = prepared["cookie"]

    def public_page(r: random.Random) -> tuple[str, str]:
        url = r.choice(public_urls)
        return ("public LA summary" if "/published/la/" in url else "public indicator"), url

    sampler = random.Random(args.seed)  # noqa: S311 - a repeatable sample, not a secret
    indicator_pages = [
        prepared["indicator"].format(
            la=sampler.choice(prepared["all_las"]), indicator=sampler.choice(prepared["indicators"])
        )
        for _ in range(150)
    ]

    def analyst_page(r: random.Random) -> tuple[str, str]:
        roll = r.random()
        if roll < 0.25:
            return "portfolio", prepared["portfolio"]
        if roll < 0.75:
            return "LA dashboard", prepared["la"].format(la=r.choice(prepared["all_las"]))
        return "indicator page", r.choice(indicator_pages)

    def scoped(las: Sequence[str]) -> object:
        def page(r: random.Random) -> tuple[str, str]:
            if r.random() < 0.4:
                return "portfolio", prepared["portfolio"]
            return "LA dashboard", prepared["la"].format(la=r.choice(las))

        return page

    people: list[tuple[object, str | None]] = [(public_page, None)] * public
    people += [(analyst_page, f"{cookie}={key}") for key in prepared["national_analyst"]]
    people += [(scoped(prepared["yorkshire"]), f"{cookie}={key}") for key in prepared["risl"]]
    people += [(scoped(CASE_LEAD_LAS), f"{cookie}={key}") for key in prepared["dfe_case_lead"]]

    with tempfile.TemporaryDirectory() as work:
        files = cin_files(Path(work), args.upload_children)
        batches = payload_batches(API_LA, 5_000, date(2026, 3, 31))
        with celery_workers(env), gunicorn(env, port) as clients:
            describe_machine(
                env,
                port,
                f"{args.users} users ({public} public, {sum(roles.values())} signed in), think "
                f"{args.think} s; 1 upload at a time ({args.upload_children:,} children); "
                f"API {API_BATCHES_PER_SECOND:g} batches/s; checks and indicators workers",
            )
            primed = prime(clients, prepared, public_urls, indicator_pages)
            print(f"primed: {primed} pages requested once, as earlier visitors would have")
            if args.warm_up > 0:
                warm = Results()
                end = time.monotonic() + args.warm_up
                for n, (pick, who) in enumerate(people):
                    Person(clients, warm, pick, who, think, end, args.seed - n).start()
                time.sleep(args.warm_up + 1)
            results = Results()
            deadline = time.monotonic() + args.seconds
            threads: list[threading.Thread] = [
                Person(clients, results, pick, who, think, deadline, args.seed + n)
                for n, (pick, who) in enumerate(people)
            ]
            uploader = Uploader(
                port,
                results,
                f"{cookie}={prepared['la_data_lead'][0]}",
                prepared["upload"],
                files,
                deadline,
            )
            sender = Sender(
                port, credentials, API_LA, batches, Pace(API_BATCHES_PER_SECOND), deadline=deadline
            )
            threads += [uploader, sender]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 180)
            met = report(results, time.perf_counter() - began, TARGET_P95_MS)
    seconds = sorted(taken for _, taken in uploader.checks)
    outcomes = Counter(state for state, _ in uploader.checks)
    print(
        f"uploads checked while measuring: {len(seconds)}"
        + (
            f" ({', '.join(f'{n} {state}' for state, n in sorted(outcomes.items()))}), upload to "
            f"checked: median {statistics.median(seconds):.1f} s, max {seconds[-1]:.1f} s"
            if seconds
            else ""
        )
    )
    print(
        f"API batches: {len(sender.timings)} sent, {sender.records:,} records, "
        f"failures {len(sender.failures)}"
        + (f", e.g. {sender.failures[:2]}" if sender.failures else "")
    )
    met &= not sender.failures and bool(uploader.checks)
    print(f"target p95 ≤ {TARGET_P95_MS:g} ms per page, zero errors: {'met' if met else 'missed'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
