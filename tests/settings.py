"""Test settings: the project's settings with test-only conveniences.

The environment still decides the database and broker: with nothing set the tests run on the
embedded default (SQLite file, filesystem broker); CI sets DATABASE_URL and REDIS_URL so the
same tests run against real PostgreSQL and Redis.
"""

import os
from pathlib import Path

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from portal.settings import *  # noqa: F403

# The tests' own app: a ``flush`` that may empty the append-only audit table between tests.
INSTALLED_APPS = [*INSTALLED_APPS, "tests"]  # noqa: F405

# Hashing with Argon2 is deliberately slow; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each test run gets its own SQLite file and broker folder, so a running demo worker or a
# second test run never shares them (removed at the end of the run by tests/conftest.py).
# Worker processes started by the tests inherit the run's folder through the environment.
os.environ.setdefault("TEST_RUN_DIR", str(VAR_DIR / "test-runs" / str(os.getpid())))  # noqa: F405
TEST_RUN_DIR = Path(os.environ["TEST_RUN_DIR"])
TEST_RUN_DIR.mkdir(parents=True, exist_ok=True)
# Uploads stored by tests stay in this run's folder too, unless a test points worker
# processes at a folder of its own through the environment.
if "UPLOAD_DIR" not in os.environ:
    UPLOAD_DIR = TEST_RUN_DIR / "uploads"
    UPLOAD_DIR.mkdir(mode=0o700, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "db.sqlite3")}  # noqa: F405
if CELERY_BROKER_URL == "filesystem://":  # noqa: F405
    _test_broker = TEST_RUN_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_test_broker / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_test_broker / "queue"),
        "data_folder_out": str(_test_broker / "queue"),
        "processed_folder": str(_test_broker / "processed"),
        "store_processed": False,
        "control_folder": str(_test_broker / "control"),
    }
