"""Give the runtime database role what the service needs, and no more (docs/deployment.md).

Run as the role that owns the tables (the one that runs ``migrate``), after every ``migrate``:

    DATABASE_URL=postgres://csc_owner:...@db/csc python manage.py grant_runtime_role csc_app

The runtime role may read and write the service's tables, but on the audit table only SELECT
and INSERT: it cannot update, delete or truncate audit events, and, not owning the table, cannot
disable its triggers, alter or drop it. ``--print`` prints the SQL instead, for a DBA.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from portal.models import AuditEvent


def grant_statements(role: str, schema: str, quote: Any) -> list[str]:
    r, s = quote(role), quote(schema)
    audit = quote(AuditEvent._meta.db_table)
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {r}",
        # Tables and sequences that later migrations create (as this, the owning, role).
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE"
        f" ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


class Command(BaseCommand):
    help = "Grant the runtime database role its privileges (audit table: SELECT and INSERT only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the runtime role, e.g. csc_app")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--schema", default="", help="default: the current schema")
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="print the SQL, run nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist only on PostgreSQL.")
        with connection.cursor() as cursor:
            schema = options["schema"]
            if not schema:
                cursor.execute("SELECT current_schema()")
                schema = cursor.fetchone()[0]
            cursor.execute("SELECT current_user")
            me = cursor.fetchone()[0]
        if options["role"] == me:
            raise CommandError(
                f"{me} is the role running this command (the owner): the runtime role must be"
                " a different one."
            )
        statements = grant_statements(options["role"], schema, connection.ops.quote_name)
        if options["print_only"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(using=options["database"]), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        if options["verbosity"]:
            self.stdout.write(
                f"Granted {options['role']} the runtime privileges on schema {schema}"
                " (audit table: SELECT and INSERT only)."
            )
