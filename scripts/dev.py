#!/usr/bin/env python3
"""One entry point for a fresh machine with only Python 3.11+ and git.

    python3 scripts/dev.py serve   # install, set up demo data, run web + worker + beat
    python3 scripts/dev.py test    # install, run the whole test suite (extra args go to pytest)
    python3 scripts/dev.py lint    # ruff, ruff format, mypy, migrations and deploy checks

Everything is installed into ./.venv from the hash-pinned lock (requirements/dev.txt, exported
from uv.lock), so the only requirement is a Python interpreter. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCK = ROOT / "requirements" / "dev.txt"


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_environment() -> None:
    """Create .venv and install the locked dependencies, once per lock-file change."""
    if not (BIN / "python").exists():
        log("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16]}"
    if not stamp.exists():
        log("Installing locked dependencies (first run takes a minute or two)")
        run(
            [
                str(BIN / "python"),
                "-m",
                "pip",
                "install",
                "-qq",
                "--disable-pip-version-check",
                "--require-hashes",
                "--no-deps",
                "-r",
                str(LOCK),
            ]
        )
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp.touch()


def env(**extra: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment.setdefault("PYTHONUNBUFFERED", "1")
    for key, value in extra.items():
        environment.setdefault(key, value)
    return environment


def run(cmd: list[str], environment: dict[str, str] | None = None, check: bool = True) -> int:
    result = subprocess.run(cmd, cwd=ROOT, env=environment)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def manage(*args: str, environment: dict[str, str]) -> None:
    run([str(BIN / "python"), "manage.py", *args], environment)


def demo_environment() -> dict[str, str]:
    """The demo: the embedded default (SQLite, local-memory cache, filesystem broker) with
    DEBUG off, so people see the service's own error pages, never Django's debug pages."""
    port = os.environ.get("PORT", "8000")
    # Links in the demo's emails point at the port it serves on.
    return env(DEMO="true", PORT=port, SERVICE_BASE_URL=f"http://127.0.0.1:{port}")


def serve(args: list[str]) -> None:
    ensure_environment()
    environment = demo_environment()
    port = environment["PORT"]
    log("Preparing the database and demo data")
    manage("migrate", "--no-input", "--verbosity", "0", environment=environment)
    manage("load_reference_data", environment=environment)
    manage("load_published_data", environment=environment)
    # The submissions first (they create the accounts they need), so that the accounts list
    # is the last thing printed before the service starts, not buried under the checks' logs.
    manage("seed_demo_submissions", environment=environment)
    manage("seed_demo", environment=environment)
    print(
        f"\n  The service is starting at http://127.0.0.1:{port}/\n"
        "  Sign in with one of the demo accounts listed above.\n"
        "  Web server, Celery workers and beat run together; press Ctrl+C to stop.\n",
        flush=True,
    )
    os.execve(
        str(BIN / "honcho"),
        [str(BIN / "honcho"), "-f", "Procfile.dev", "start", *args],
        environment,
    )


def test(args: list[str]) -> None:
    ensure_environment()
    code = run([str(BIN / "pytest"), *args], env(), check=False)
    if code == 5:
        print("pytest collected no tests: treating that as a failure, since nothing was checked.")
        sys.exit(1)
    sys.exit(code)


def lint(args: list[str]) -> None:
    ensure_environment()
    environment = env(DEBUG="true")
    run([str(BIN / "ruff"), "check", "."], environment)
    run([str(BIN / "ruff"), "format", "--check", "."], environment)
    run([str(BIN / "mypy"), "."], environment)
    manage("makemigrations", "--check", "--dry-run", environment=environment)


COMMANDS = {"serve": serve, "test": test, "lint": lint}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
