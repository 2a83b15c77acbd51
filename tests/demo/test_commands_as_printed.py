"""The commands the README and ``serve`` print work exactly as printed, with no settings, and
the demo shows the service's own error pages (never Django's debug page, which lists every
URL of the site)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _clean_environment(**extra: str) -> dict[str, str]:
    """What an LA analyst's shell has: no DEBUG, no SECRET_KEY, no database or Redis URL."""
    keep = {"PATH", "HOME", "LANG", "TEST_RUN_DIR"}
    return {**{k: v for k, v in os.environ.items() if k in keep}, **extra}


def _python() -> str:
    return str(Path(sys.executable))


def test_the_offline_checker_runs_with_no_settings(tmp_path: Path) -> None:
    subprocess.run(
        [_python(), "manage.py", "generate_extracts", "--la", "370", "--from", "2025-04-01",
         "--to", "2026-03-31", "--size", "200", "--clean", "--formats", "cin",
         "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ}, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    extract = next(tmp_path.rglob("*.xml"))

    result = subprocess.run(
        [_python(), "manage.py", "check_extract", "--la", "370", "--as-of", "2026-03-31",
         str(extract)],
        cwd=ROOT, env=_clean_environment(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert "ImproperlyConfigured" not in result.stderr
    assert "SECRET_KEY" not in result.stderr
    assert result.returncode == 0, result.stdout + result.stderr  # a clean extract: no errors


def test_demo_totp_runs_as_serve_prints_it() -> None:
    result = subprocess.run(
        [_python(), "manage.py", "demo_totp"],
        cwd=ROOT, env=_clean_environment(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().isdigit()
    assert len(result.stdout.strip()) == 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_demo_shows_the_services_own_error_pages(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("dev", ROOT / "scripts" / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    port = _free_port()
    environment = dev.demo_environment()
    for name in ("DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
        environment.pop(name, None)
    environment["PORT"] = str(port)
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    server = subprocess.Popen(
        [_python(), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/no-such-page/")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail("the demo server did not start")
                time.sleep(0.5)
        static_status, _ = _get(f"http://127.0.0.1:{port}/static/govuk/css/app.css")
    finally:
        server.kill()
        server.wait(timeout=10)

    assert status == 404
    assert "Page not found" in page
    assert "URLconf" not in page  # Django's debug 404 lists every URL pattern
    assert static_status == 200  # styles are served without collectstatic
