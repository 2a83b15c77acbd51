"""``flush``, as Django's, except that it may empty the audit table: for the tests only.

Django's test cases that commit (live server, worker processes) are cleaned up with ``flush``,
which the audit table's triggers refuse (TRUNCATE on PostgreSQL, DELETE on SQLite). The
``tests`` app that carries this command is installed by ``tests/settings.py`` alone, so
anywhere else ``flush`` fails on the audit table, as it should.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pgtrigger
from django.core.management.commands import flush
from django.db import connections

from portal.models import AuditEvent


@contextlib.contextmanager
def _audit_triggers_aside(database: str) -> Iterator[None]:
    connection = connections[database]
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        with pgtrigger.ignore("portal.AuditEvent:audit_no_truncate", databases=[database]):
            yield
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [table],
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
    else:  # pragma: no cover
        yield


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with _audit_triggers_aside(options["database"]):
            return super().handle(**options)
