"""Load benchmark of the restricted dashboards at national scale (not a timed test: it prints
figures, and exits non-zero when the target is missed).

Issue 12: "LA dashboard and portfolio (national analyst, all 153 LAs) p95 ≤ 200 ms, zero
errors", on the production profile (gunicorn with ``gunicorn.conf.py``, PostgreSQL, Redis;
the machinery is ``benchmarks.load``, shared with ``public_load``).

Set-up (idempotent, skipped with ``--no-setup``): creates the database if missing, migrates,
loads the reference geography and the published data (the dashboards' comparators), seeds
synthetic figures for every current LA (``manage.py seed_national_figures``: 153 LAs x 36 month
ends x every indicator and breakdown) and collects static files.

Signing in: one signed-in session per client for a benchmark account with the chosen role
(``--as``, default the national analyst, who sees all 153 LAs) and an authenticator app, as a
real sign-in leaves them (``prepare_sessions``, run by ``manage.py shell`` in the benchmark's
environment). Restricted pages are never cached (what they show depends on the viewer), so
there is no cold or warm phase: after ``--warm-up`` seconds (gunicorn's workers import and
connect; not counted), ``--clients`` clients request pages for ``--seconds`` seconds, each one
after the other: the portfolio (``restricted_dashboards:portfolio``) for a ``--portfolio``
share of requests, else a random LA's dashboard (``restricted_dashboards:la``). It prints p50,
p95, p99 and max per page and the errors (any answer but 200, e.g. a redirect to sign-in, or
no answer). Target: p95 ≤ 200 ms for each page, zero errors.

    .venv/bin/python -m benchmarks.restricted_load [--clients 20] [--seconds 60] ...
    .venv/bin/python -m benchmarks.restricted_load --path /submissions/ --as la_data_lead:370

``--path`` (repeatable; ``{la}`` is replaced by a random LA code) measures those pages instead.

Defaults: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/csc_bench_restricted`` (a database
of its own, created if missing) and ``REDIS_URL=redis://127.0.0.1:6379/3`` (emptied before each
run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

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

TARGET_P95_MS = 200.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/csc_bench_restricted"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
BENCH_EMAIL = "benchmark-restricted@example.invalid"
PORTFOLIO, LA_DASHBOARD = "portfolio", "LA dashboard"


def prepare_sessions(role: str, scope: str, count: int, email: str = BENCH_EMAIL) -> None:
    """Print (JSON) ``count`` signed-in sessions of the benchmark account and the pages to ask.

    Runs inside Django (``manage.py shell -c``). The account gets exactly ``role`` for ``scope``
    (an LA code, a region code, or "" for every LA), a verified email address and an
    authenticator app (``RequireMFAMiddleware`` ends a session without one). Each session is
    what ``django.contrib.auth.login`` stores, with the sign-in time the absolute-lifetime
    check reads. ``pages`` maps a page name to its URL ("{la}" for the LA code), or None when
    the URL is not routed (yet).
    """
    import time as _time
    from importlib import import_module

    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.urls import NoReverseMatch, reverse

    from portal.middleware import SESSION_STARTED_KEY
    from portal.models import LocalAuthority, Membership, Region, User

    user, _ = User.objects.get_or_create(
        email=email, defaults={"full_name": "Load benchmark (not a person)"}
    )
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    Membership.objects.filter(user=user).delete()
    place: dict[str, object] = {}
    if len(scope) == 3:
        place["local_authority"] = LocalAuthority.objects.get(code=scope)
    elif scope:
        place["region"] = Region.objects.get(code=scope)
    Membership.objects.create(user=user, role=role, **place)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())  # nobody types its codes

    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for _ in range(count):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SESSION_STARTED_KEY] = _time.time()
        session.create()
        sessions.append(session.session_key)

    pages: dict[str, str | None] = {}
    for name, view, kwargs in (
        (PORTFOLIO, "restricted_dashboards:portfolio", {}),
        (LA_DASHBOARD, "restricted_dashboards:la", {"la_code": "000"}),
    ):
        try:
            pages[name] = reverse(view, kwargs=kwargs).replace("000", "{la}")
        except NoReverseMatch:
            pages[name] = None
    codes = list(LocalAuthority.objects.current().order_by("code").values_list("code", flat=True))
    print(
        json.dumps(
            {
                "cookie": settings.SESSION_COOKIE_NAME,
                "sessions": sessions,
                "pages": pages,
                "las": codes,
            }
        )
    )


@dataclass
class Results:
    """Milliseconds per page name, and the failures (page, status or error)."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, outcome: int | str, milliseconds: float) -> None:
        with self.lock:
            self.timings[page].append(milliseconds)
            if outcome != 200:
                self.failures.append((page, str(outcome)))


def drive(
    clients: Clients,
    cookies: Sequence[str],
    pages: Sequence[tuple[str, str, float]],
    las: Sequence[str],
    seconds: float,
    seed: int,
) -> Results:
    """One thread per cookie (session), each requesting pages one after the other until
    ``seconds`` have passed. ``pages``: (name, URL with "{la}", share of requests)."""
    results = Results()
    deadline = time.monotonic() + seconds
    names = [name for name, _, _ in pages]
    urls = {name: url for name, url, _ in pages}
    weights = [share for _, _, share in pages]

    def client(number: int, cookie: str) -> None:
        picker = random.Random(seed + number)  # noqa: S311 - a repeatable mix, not a secret
        headers = {"Cookie": cookie}
        while time.monotonic() < deadline:
            name = picker.choices(names, weights)[0]
            url = urls[name].replace("{la}", picker.choice(las))
            began = time.perf_counter()
            try:
                status, milliseconds = clients.get(url, headers)
                results.add(name, status, milliseconds)
            except OSError as error:  # no answer within the client's timeout, or refused
                results.add(name, type(error).__name__, (time.perf_counter() - began) * 1000)

    threads = [
        threading.Thread(target=client, args=(number, cookie), daemon=True)
        for number, cookie in enumerate(cookies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return results


def _share(values: Sequence[float], share: float) -> float:
    return percentile(values, share) if len(values) > 1 else values[0]


def report(results: Results, seconds: float, target_ms: float = TARGET_P95_MS) -> bool:
    """Print the figures; True when every page meets the p95 target and nothing failed."""
    total = sum(len(values) for values in results.timings.values())
    print(f"{total} requests in {seconds:.1f} s ({total / seconds:.0f} requests/s)")
    met = not results.failures
    for page, values in sorted(results.timings.items()):
        p95 = _share(values, 0.95)
        errors = sum(1 for name, _ in results.failures if name == page)
        ok = p95 <= target_ms and not errors
        met &= ok
        print(
            f"  {page:<26} n={len(values):<5} p50 {_share(values, 0.50):6.1f} ms  "
            f"p95 {p95:6.1f} ms  p99 {_share(values, 0.99):6.1f} ms  "
            f"max {max(values):6.1f} ms  errors {errors}  {'OK' if ok else 'MISSED'}"
        )
    if results.failures:
        print(f"  failures, e.g. {results.failures[:5]}")
    return met and total > 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds (60)")
    parser.add_argument("--warm-up", type=float, default=5, help="seconds not counted (5)")
    parser.add_argument(
        "--portfolio", type=float, default=0.25, help="share of portfolio requests (0.25)"
    )
    parser.add_argument(
        "--as",
        dest="role",
        default="national_analyst",
        metavar="ROLE[:SCOPE]",
        help="who signs in: a role, with an LA or region code for scoped roles (national_analyst)",
    )
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        help="measure this page instead ({la}: a random LA code); repeatable",
    )
    parser.add_argument("--las", type=int, help="seed only the first N LAs (all 153)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY or 3)")
    parser.add_argument("--seed", type=int, default=20251122)
    parser.add_argument("--no-setup", action="store_true", help="skip migrate/load/seed/static")
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
        seeded = ["--las", str(args.las)] if args.las else []
        print(manage(env, "seed_national_figures", "--benchmark-database", *seeded).strip())
        manage(env, "collectstatic", "--noinput")
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    role, _, scope = args.role.partition(":")
    prepared = json.loads(
        manage(
            env, "shell", "-c",
            "from benchmarks.restricted_load import prepare_sessions; "
            f"prepare_sessions({role!r}, {scope!r}, {args.clients})",
        ).strip().splitlines()[-1]
    )  # fmt: skip
    if args.path:
        share = 1 / len(args.path)
        pages = [(path, path, share) for path in args.path]
    else:
        routed = prepared["pages"]
        missing = [name for name, url in routed.items() if url is None]
        if missing:
            raise SystemExit(
                f"Not routed yet: {', '.join(missing)} (restricted_dashboards:portfolio, :la). "
                "Measure another signed-in page with --path."
            )
        pages = [
            (PORTFOLIO, routed[PORTFOLIO], args.portfolio),
            (LA_DASHBOARD, routed[LA_DASHBOARD], 1 - args.portfolio),
        ]
    cookies = [f"{prepared['cookie']}={key}" for key in prepared["sessions"]]

    with gunicorn(env, port) as clients:
        # Signed in? A page answers 200 for the session, not a redirect to sign-in.
        sample = pages[0][1].replace("{la}", prepared["las"][0])
        status, _ = clients.get(sample, {"Cookie": cookies[0]})
        if status != 200:
            raise SystemExit(f"{sample} answered {status} for the benchmark session, not 200.")
        describe_machine(
            env, port, f"{args.clients} concurrent clients (one session each, {args.role}); "
            f"{len(prepared['las'])} LAs; pages: {', '.join(name for name, _, _ in pages)}",
        )  # fmt: skip
        if args.warm_up > 0:
            drive(clients, cookies, pages, prepared["las"], args.warm_up, args.seed - 1)
        began = time.perf_counter()
        results = drive(clients, cookies, pages, prepared["las"], args.seconds, args.seed)
        met = report(results, time.perf_counter() - began)
    print(f"target p95 ≤ {TARGET_P95_MS:g} ms per page, zero errors: {'met' if met else 'missed'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
