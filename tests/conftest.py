"""Shared fixtures: named personas, a real Celery worker process, headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this run's SQLite file and broker folder (see tests/settings.py)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(settings.TEST_RUN_DIR, ignore_errors=True)


PASSWORD = "correct-horse-battery-staple"


def make_user(
    email: str, *memberships: tuple[str, str | None], mfa: bool = True, **extra: Any
) -> Any:
    """A user with a verified email, an authenticator app (unless ``mfa=False``) and the given
    ``(role, scope)`` memberships, where scope is a DfE LA code, a region code or None."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP

    from portal.models import LocalAuthority, Membership, Region, User

    user = User.objects.create_user(email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    for role, scope in memberships:
        kwargs: dict[str, Any] = {}
        if scope and len(scope) == 3:
            kwargs["local_authority"] = LocalAuthority.objects.get(code=scope)
        elif scope:
            kwargs["region"] = Region.objects.get(code=scope)
        Membership.objects.create(user=user, role=role, **kwargs)
    if mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


TOTP_PERIOD_SECONDS = 30
# A code is accepted only in its own 30-second period (no tolerance). A code read in the last
# seconds of a period could reach the server after it ends, on a busy machine, so it waits for
# the next period to begin.
TOTP_SAFE_MARGIN_SECONDS = 6


def totp_code(secret: str | None = None, offset: int = 0) -> str:
    """The current one-time code for ``secret`` (``offset`` in 30-second steps), from a period
    that has at least ``TOTP_SAFE_MARGIN_SECONDS`` left to run."""
    from allauth.mfa.totp.internal.auth import hotp_value

    left = TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS
    if left < TOTP_SAFE_MARGIN_SECONDS:
        time.sleep(left + 0.05)
    step = int(time.time()) // TOTP_PERIOD_SECONDS + offset
    return format(hotp_value(secret or TOTP_SECRET, step), "06d")


@pytest.fixture
def reference_data(db: None) -> None:
    """The real LAs, regions and neighbours, loaded from the shipped files."""
    from django.core.management import call_command

    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def admin_user(db: None) -> Any:
    """Ada, a service administrator (Django staff): sees health details."""
    return make_user("ada@example.org", is_staff=True)


@pytest.fixture
def personas(reference_data: None) -> dict[str, Any]:
    """One user per role. Barnsley (370) and Leeds (383) are both in Yorkshire and the Humber
    (E12000003); Camden (202) is in London (Inner London), outside everyone's scope but the
    analyst's.

    - ``lead``: Barnsley's LA data lead; ``viewer``: Barnsley's LA viewer
    - ``other_lead``: Leeds' LA data lead (the "other organisation" for Barnsley's objects)
    - ``case_lead``: DfE Case Lead assigned Barnsley; ``risl``: RISL for Yorkshire
    - ``analyst``: DfE national analyst; ``access_admin``: manages access, sees no data
    - ``no_mfa``: Barnsley's data lead who has not set up an authenticator yet
    """
    return {
        "lead": make_user("lead@barnsley.example.org", ("la_data_lead", "370")),
        "viewer": make_user("viewer@barnsley.example.org", ("la_viewer", "370")),
        "other_lead": make_user("lead@leeds.example.org", ("la_data_lead", "383")),
        "case_lead": make_user("case@education.example.org", ("dfe_case_lead", "370")),
        "risl": make_user("risl@education.example.org", ("risl", "E12000003")),
        "analyst": make_user("analyst@education.example.org", ("national_analyst", None)),
        "access_admin": make_user("admin@education.example.org", ("access_admin", None)),
        "no_mfa": make_user("new@barnsley.example.org", ("la_data_lead", "370"), mfa=False),
    }


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points another process at the database this test is using."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _purge_broker() -> None:
    from workers.celery import app

    app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    app.control.purge()


#: Every queue a task is routed to: test workers consume them all unless told otherwise.
ALL_QUEUES = ",".join(sorted({route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}))
_LOGS: dict[int, Path] = {}


def process_log(proc: subprocess.Popen[str]) -> str:
    """Everything a process started by ``celery_worker_process`` has logged so far."""
    return _LOGS[proc.pid].read_text(errors="replace")


@pytest.fixture
def celery_worker_process(
    transactional_db: None, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start real ``celery worker`` processes on the configured broker (filesystem by default,
    Redis in CI) and the test database. Returns a starter (``start(queues=..., program=...)``,
    ``program="beat"`` for a beat process); the environment is read at each start, output goes
    to a file (``process_log``); every process is killed at the end."""
    _purge_broker()
    processes: list[subprocess.Popen[str]] = []

    def start(queues: str = ALL_QUEUES, program: str = "worker") -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url_for_subprocess(),
            "PYTHONUNBUFFERED": "1",
        }
        n = len(processes)
        if program == "beat":
            args = ["beat", "--loglevel=INFO", f"--schedule={tmp_path / f'beat-{n}'}"]
        else:
            args = ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip",
                    "--without-mingle", "--without-heartbeat", f"--queues={queues}",
                    f"--hostname=test-{n}@%h"]  # fmt: skip
        log = tmp_path / f"celery-{n}.log"
        with log.open("w") as output:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "workers", *args],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        _LOGS[proc.pid] = log
        processes.append(proc)
        return proc

    yield start
    for proc in processes:
        proc.kill()
        proc.wait(timeout=10)
    _purge_broker()


def wait_for(predicate: Callable[[], Any], timeout: float = 60, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no downloaded browser)."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must run the browser tests.")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; Django would otherwise refuse
    # the test's own (synchronous) database calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url)
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
