"""docker-compose.yml cannot be run here (no Docker engine), so check what can be checked:
every service's command names a real entry point and its environment matches the settings;
migrations run once, in a one-shot service that everything else waits for; every queue a task
is routed to has its own workers, in compose and in Procfile.dev."""

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
WORKERS = ["worker-checks", "worker-indicators", "worker-housekeeping"]
APP_SERVICES = ["migrate", "web", *WORKERS, "beat"]


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
    assert environment["CACHE_URL"].startswith("redis://cache:6379")


def test_redis_keeps_broker_messages() -> None:
    command = COMPOSE["services"]["redis"]["command"]

    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_the_cache_has_a_redis_of_its_own_that_evicts_and_is_bounded() -> None:
    command = COMPOSE["services"]["cache"]["command"]

    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert command[command.index("--maxmemory") + 1].endswith("mb")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_dependencies(name: str) -> None:
    depends_on = COMPOSE["services"][name]["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["cache"]["condition"] == "service_healthy"
    for dep, condition in depends_on.items():
        if condition["condition"] == "service_healthy":
            assert "healthcheck" in COMPOSE["services"][dep]


def test_migrations_and_data_loads_run_once_before_anything_else() -> None:
    migrate = COMPOSE["services"]["migrate"]

    assert [argv[2] for argv in commands(migrate)] == [
        "migrate", "load_reference_data", "load_published_data",
    ]  # fmt: skip
    assert migrate["restart"] == "no", "a one-shot service"
    assert "ports" not in migrate
    for name in APP_SERVICES:
        if name == "migrate":
            continue
        service = COMPOSE["services"][name]
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        # No replica migrates or loads data itself: two web replicas never race.
        assert all(argv[:2] != ["python", "manage.py"] for argv in commands(service)), name


def _queues(argv: list[str]) -> set[str]:
    options = [a for a in argv if a.startswith(("--queues=", "-Q"))]
    assert len(options) == 1, f"{argv}: a worker names its queues"
    return set(options[0].removeprefix("--queues=").removeprefix("-Q").split(","))


def _routed_queues() -> set[str]:
    from django.conf import settings

    return {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}


def test_each_queue_has_its_own_compose_worker_and_housekeeping_waits_for_nothing() -> None:
    from django.conf import settings

    queues = {name: _queues(commands(COMPOSE["services"][name])[0]) for name in WORKERS}

    assert queues == {
        "worker-checks": {"checks"},
        "worker-indicators": {"indicators"},
        "worker-housekeeping": {"housekeeping"},
    }
    assert set().union(*queues.values()) == _routed_queues()
    assert settings.CELERY_TASK_ROUTES["workers.reconcile_submissions"]["queue"] == "housekeeping"
    assert settings.CELERY_TASK_ROUTES["workers.purge_raw_files"]["queue"] == "housekeeping"
    assert settings.CELERY_TASK_ROUTES["workers.heartbeat"]["queue"] == "housekeeping"
    for name in WORKERS:  # the health check pings this worker, by the name it is given
        argv = commands(COMPOSE["services"][name])[0]
        [hostname] = [a.removeprefix("--hostname=") for a in argv if a.startswith("--hostname=")]
        assert (
            hostname.removesuffix("@%h") + "@$$HOSTNAME"
            in COMPOSE["services"][name]["healthcheck"]["test"][1]
        )


def test_procfile_runs_every_queue_and_a_housekeeping_worker_of_its_own() -> None:
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile.dev").read_text().splitlines() if line
    )
    workers = {
        name: _queues(shlex.split(line)) for name, line in lines.items() if " worker " in line
    }

    assert set().union(*workers.values()) == _routed_queues()
    assert {"housekeeping"} in workers.values(), "housekeeping never waits behind a check"
    assert any(line.startswith("celery -A workers beat") for line in lines.values())


def test_the_image_runs_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert "--require-hashes" in dockerfile
