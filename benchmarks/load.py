"""What the load benchmarks share: the production profile, its database, gunicorn, the clients.

``public_load`` (the public dashboard) and ``restricted_load`` (the restricted dashboards)
both start gunicorn on loopback with the production profile (DEBUG off, PostgreSQL, Redis,
WhiteNoise with the hashed static manifest) and ``gunicorn.conf.py``, then drive it with
concurrent HTTP clients: threads using ``http.client`` (wrk and locust are not installed here),
a new connection per request. Set-up commands run through ``manage.py`` in a subprocess with
the same environment as the server.
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


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
        "API_SUPPLIER_KEY_SECRET": secrets.token_urlsafe(32),
        "CONTACT_EMAIL": "benchmark@example.invalid",
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
    """``manage.py ARGS`` in the benchmark's environment; its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Clients:
    """HTTP GETs on a new connection each.

    Not keep-alive: gunicorn's threaded workers keep a kept-alive connection for themselves, so
    20 long-lived connections would pile onto the first worker that accepted them and measure
    one worker instead of the server.
    """

    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[int, float]:
        """(status, milliseconds) of one GET, connection included, body read in full."""
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", url, headers={"Connection": "close", **(headers or {})})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        return response.status, (time.perf_counter() - began) * 1000


def percentile(values: Sequence[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


@contextmanager
def gunicorn(env: dict[str, str], port: int) -> Iterator[Clients]:
    """gunicorn serving the project on ``port`` until the block ends; clients for it.

    Waits (up to a minute) until ``/health/`` answers, which is not a page any benchmark
    measures, so a first measured request still finds its caches as the benchmark left them.
    """
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
                    if clients.get("/health/")[0] in {200, 503}:
                        break
                except OSError:
                    pass  # not listening yet
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"gunicorn did not start:\n{log.read()}")
                time.sleep(0.2)
            yield clients
        finally:
            server.terminate()
            server.wait(timeout=30)


def describe_machine(env: dict[str, str], port: int, detail: str) -> None:
    """Print what the figures were measured on. The client shares the machine's CPUs with the
    server (and with anything else running): read the figures with these numbers in mind."""
    workers = env.get("WEB_CONCURRENCY", "3")
    threads = int(env.get("GUNICORN_THREADS", "1"))
    kind = f"threaded workers x {threads} threads" if threads > 1 else "synchronous workers"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run")
    print(f"gunicorn: {workers} {kind} on 127.0.0.1:{port}; {detail}")
