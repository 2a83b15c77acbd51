"""docker-compose.yml cannot be run here (no Docker engine), so check what can be checked:
every service's command names a real entry point and its environment matches the settings."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ["web", "worker", "beat"]


def commands(service: dict[str, Any]) -> list[list[str]]:
    """The command lines a service runs, splitting `sh -c "a && b"` into its parts."""
    command = service["command"]
    argv = command if isinstance(command, list) else shlex.split(command)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in argv[2].split("&&")]
    return [argv]


def check_entry_point(argv: list[str]) -> None:
    program = argv[0]
    if program == "python" and argv[1] == "manage.py":
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
    elif program == "gunicorn":
        # Not imported: the WSGI module runs the production start-up checks when imported.
        module, _, attribute = argv[1].partition(":")
        spec = importlib.util.find_spec(module)
        assert spec is not None, f"no module {module!r}"
        assert spec.origin is not None
        assert re.search(rf"^{attribute}\b.*=", Path(spec.origin).read_text(), re.MULTILINE)
        config = argv[argv.index("--config") + 1]
        assert (ROOT / config).is_file()
    elif program == "celery":
        app_module = argv[argv.index("-A") + 1]
        app = importlib.import_module(app_module).celery_app
        assert argv[argv.index("-A") + 2] in {"worker", "beat"}
        assert app.main == "csc"
    else:
        pytest.fail(f"unexpected program {program!r}")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_real_entry_points(name: str) -> None:
    service = COMPOSE["services"][name]

    for argv in commands(service):
        check_entry_point(argv)
    healthcheck = service.get("healthcheck", {}).get("test")
    if healthcheck and "manage.py" in healthcheck:
        check_entry_point(healthcheck[1:])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_set_only_variables_the_settings_read(name: str) -> None:
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    environment = COMPOSE["services"][name]["environment"]

    assert set(environment) <= read, set(environment) - read
    assert environment["DEBUG"] == "false"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://redis:6379")


def test_redis_keeps_broker_messages() -> None:
    command = COMPOSE["services"]["redis"]["command"]

    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_wait_for_healthy_dependencies(name: str) -> None:
    depends_on = COMPOSE["services"][name]["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert all("healthcheck" in COMPOSE["services"][dep] for dep in depends_on)


def test_the_image_runs_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert "--require-hashes" in dockerfile
