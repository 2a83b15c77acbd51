"""The import contract (issue 11, item 6), checked over the source's AST on every test run.

* ``submissions.extract`` is pure: no Django (nor a library built on it) and no other project
  package, so the offline checker and the coming API run it as the worker does.
* Only the ``generate_extracts`` command, the demo (``workers.demo``), the benchmarks and
  the tests import the synthetic generator (``submissions.synthetic``): no real submission
  can ever meet simulated data.
* ``portal`` imports no app. Apps are wired in by dotted strings in settings and URLs, which
  are configuration, not imports; the one real import left is listed in
  ``PORTAL_KNOWN_EXCEPTIONS`` until it is moved, and the list may only shrink.

An AST walk and not import-linter: it needs no new dependency and sees imports inside
functions too (several modules import lazily), which is where a forbidden import would hide.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("portal", "submissions", "indicators", "dashboards", "workers")
SOURCE_ROOTS = (*PROJECT_PACKAGES, "benchmarks", "scripts", "tests")
APPS = ("submissions", "indicators", "dashboards", "workers")
#: Django and the libraries that need it: none may be imported by the pure extract engine.
DJANGO_LIBRARIES = (
    "django", "allauth", "celery", "csp", "pgtrigger", "environ", "whitenoise",
    "django_permissions_policy", "kombu",
)  # fmt: skip
#: Who may import the synthetic generator, besides itself.
SYNTHETIC_IMPORTERS = (
    "submissions.management.commands.generate_extracts",
    "workers.demo",
    "benchmarks",
    "tests",
)
#: (portal module, app module it imports) pairs that break the portal contract today.
PORTAL_KNOWN_EXCEPTIONS = {
    # The health check pings the Celery broker through the workers' app object.
    ("portal.health", "workers.celery"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> Iterator[tuple[str, Path]]:
    for root in SOURCE_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "migrations" not in path.parts and "node_modules" not in path.parts:
                yield _module_name(path), path


def _imports(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports, at any depth of the file (relative ones resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # ``from package import module`` imports the module too.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


IMPORTS = {module: _imports(module, path) for module, path in _modules()}


def test_the_extract_engine_imports_no_django_and_no_other_project_package() -> None:
    assert any(_within(m, "submissions.extract") for m in IMPORTS), "the walk found it"
    broken = sorted(
        (module, name)
        for module, names in IMPORTS.items()
        if _within(module, "submissions.extract")
        for name in names
        if not _within(name, "submissions.extract")
        and (
            any(_within(name, package) for package in (*PROJECT_PACKAGES, "tests"))
            or any(_within(name, library) for library in DJANGO_LIBRARIES)
        )
    )
    assert broken == []


def test_importing_the_extract_engine_loads_no_django() -> None:
    """The same at run time, which also covers package ``__init__`` files on the way in."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import submissions.extract as extract\n"
        "for info in pkgutil.walk_packages(extract.__path__, 'submissions.extract.'):\n"
        "    importlib.import_module(info.name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {DJANGO_LIBRARIES!r})\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_only_its_command_the_demo_benchmarks_and_tests_import_the_generator() -> None:
    importers = sorted(
        module
        for module, names in IMPORTS.items()
        if any(_within(name, "submissions.synthetic") for name in names)
        and not _within(module, "submissions.synthetic")
        and not any(_within(module, allowed) for allowed in SYNTHETIC_IMPORTERS)
    )
    assert importers == []


def test_portal_imports_no_app() -> None:
    found = {
        (module, name)
        for module, names in IMPORTS.items()
        if _within(module, "portal")
        for name in names
        if any(_within(name, app) for app in APPS)
    }

    def excused(module: str, name: str) -> bool:
        return any(module == m and _within(name, n) for m, n in PORTAL_KNOWN_EXCEPTIONS)

    assert {pair for pair in found if not excused(*pair)} == set(), "portal imports an app"
    still = {
        (m, n)
        for m, n in PORTAL_KNOWN_EXCEPTIONS
        if any(module == m and _within(name, n) for module, name in found)
    }
    assert still == PORTAL_KNOWN_EXCEPTIONS, "an exception was fixed: remove it from the list"


def test_the_walk_sees_relative_and_function_level_imports(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        "from . import sibling\nfrom ..other import thing\nimport a.b\n"
        "def later():\n    from django.conf import settings\n"
    )
    assert _imports("pkg.sub.module", source) == {
        "pkg.sub", "pkg.sub.sibling", "pkg.other", "pkg.other.thing", "a.b",
        "django.conf", "django.conf.settings",
    }  # fmt: skip


#: Each app and the project packages it must never import (the layers go one way:
#: dashboards → indicators → submissions → portal, with workers above them all).
NEVER_IMPORTS = {
    "submissions": ("indicators", "dashboards"),
    "indicators": ("dashboards",),
    "dashboards": (),
}
#: (module, name) pairs that break the app contract today, each with its reason.
APP_KNOWN_EXCEPTIONS = {
    # The views enqueue their tasks by importing them (the tasks then call the services).
    ("submissions.views", "workers.tasks"),
    ("submissions.feed_views", "workers.tasks"),
    # The published-data load queues the warming of every LA's indicator pages the same way.
    ("dashboards.management.commands.load_published_data", "workers.tasks"),
}
#: The indicators' pure parts: frames in, results out, no Django.
PURE_INDICATOR_MODULES = ("indicators.calculators", "indicators.registry", "indicators.disclosure")


def test_apps_import_only_downwards() -> None:
    broken = sorted(
        (module, name)
        for module, names in IMPORTS.items()
        for app, forbidden in NEVER_IMPORTS.items()
        if _within(module, app)
        for name in names
        if any(_within(name, other) for other in (*forbidden, "workers"))
        and not any(module == m and _within(name, n) for m, n in APP_KNOWN_EXCEPTIONS)
    )
    assert broken == []


def test_the_indicator_calculators_registry_and_disclosure_import_no_django() -> None:
    broken = sorted(
        (module, name)
        for module in PURE_INDICATOR_MODULES
        for name in IMPORTS[module]
        if any(_within(name, library) for library in DJANGO_LIBRARIES)
        or any(_within(name, package) for package in ("portal", "dashboards", "workers"))
    )
    assert broken == []
