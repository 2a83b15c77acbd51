"""Fixtures shared by the dashboard tests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The reference geography and the shipped published files, loaded once for the module,
    in a transaction rolled back at the end so no other module sees them."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
            call_command("load_published_data", verbosity=0, stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
