"""The audit trail is append-only: the application refuses changes; so does the database, by
triggers (PostgreSQL: update, delete, truncate; SQLite: update, delete); and in the documented
production set-up (docs/deployment.md) the runtime role has no privilege to change, remove,
truncate, alter or unprotect the table."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from portal.audit import AuditAction, record
from portal.models import AuditEvent
from tests.conftest import make_user


@pytest.mark.django_db
def test_the_application_refuses_to_change_or_delete_events() -> None:
    event = record(AuditAction.SIGN_IN, email="someone@example.org")

    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.SIGN_OUT)
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.SIGN_IN


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database triggers exist only on PostgreSQL"
)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE portal_auditevent SET action = 'sign_out'",
        "DELETE FROM portal_auditevent",
    ],
)
def test_postgres_refuses_update_and_delete_in_raw_sql(sql: str) -> None:
    event = record(AuditAction.SIGN_IN, email="someone@example.org")

    with (
        pytest.raises(DatabaseError, match="audit_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.SIGN_IN


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_postgres_still_accepts_new_events() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_auditevent (occurred_at, actor_email, action, outcome,"
            " organisation, object_type, object_id, request_id, details) VALUES"
            " (now(), '', 'sign_in', 'success', '', '', '', '', '{}')"
        )
    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_postgres_refuses_truncate_even_from_the_owner() -> None:
    event = record(AuditAction.SIGN_IN, email="someone@example.org")

    with (
        pytest.raises(DatabaseError, match="audit_no_truncate"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE portal_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the embedded default's triggers"
)


@sqlite_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE portal_auditevent SET action = 'sign_out'",
        "UPDATE portal_auditevent SET details = '{}', ip_address = NULL",
        "DELETE FROM portal_auditevent",
        "DELETE FROM portal_auditevent WHERE action = 'sign_in'",
        "REPLACE INTO portal_auditevent (id, occurred_at, actor_email, action, outcome,"
        " organisation, object_type, object_id, request_id, details)"
        " SELECT id, occurred_at, '', 'sign_out', 'success', '', '', '', '', '{}'"
        " FROM portal_auditevent",
    ],
)
def test_sqlite_refuses_update_and_delete_in_raw_sql(sql: str) -> None:
    event = record(AuditAction.SIGN_IN, email="someone@example.org")

    with (
        pytest.raises(DatabaseError, match="audit_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.SIGN_IN


@sqlite_only
@pytest.mark.django_db
def test_sqlite_still_accepts_new_events() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_auditevent (occurred_at, actor_email, action, outcome,"
            " organisation, object_type, object_id, request_id, details) VALUES"
            " ('2025-01-01 00:00:00', '', 'sign_in', 'success', '', '', '', '', '{}')"
        )
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_still_empties_the_table_and_keeps_the_protection() -> None:
    """Tests that commit (live server, worker processes) are cleaned up with ``flush``; it may
    empty the audit table between tests, and the protection is back afterwards."""
    record(AuditAction.SIGN_IN, email="someone@example.org")

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 0
    event = record(AuditAction.SIGN_IN, email="someone@example.org")
    with (
        pytest.raises(DatabaseError, match="audit_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM portal_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- The documented production set-up: the runtime role does not own the tables -----------

RUNTIME_ROLE = f"csc_app_test_{os.getpid()}"


@pytest.fixture
def runtime_role(db: None) -> str:
    """A role like production's ``csc_app``, with the grants ``grant_runtime_role`` applies.
    Created inside the test's transaction, so it disappears with it."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {RUNTIME_ROLE} NOLOGIN")
    call_command("grant_runtime_role", RUNTIME_ROLE, verbosity=0)
    return RUNTIME_ROLE


def as_role(role: str, *statements: str) -> None:
    """Run ``statements`` as ``role`` in a savepoint (rolled back, with the role, on error)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("RESET ROLE")


INSERT_EVENT = (
    "INSERT INTO portal_auditevent (occurred_at, actor_email, action, outcome, organisation,"
    " object_type, object_id, request_id, details) VALUES"
    " (now(), '', 'sign_in', 'success', '', '', '', '', '{}')"
)


@pytest.mark.postgres
@postgres_only
def test_the_runtime_role_can_read_and_append_and_use_the_other_tables(
    runtime_role: str,
) -> None:
    make_user("someone@example.org")

    as_role(
        runtime_role,
        INSERT_EVENT,
        "SELECT count(*) FROM portal_auditevent",
        "UPDATE portal_user SET last_login = now()",
        "DELETE FROM django_session",
    )

    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE portal_auditevent SET action = 'sign_out'", "permission denied"),
        ("DELETE FROM portal_auditevent", "permission denied"),
        ("TRUNCATE portal_auditevent", "permission denied"),
        ("ALTER TABLE portal_auditevent DISABLE TRIGGER ALL", "must be owner"),
        ("ALTER TABLE portal_auditevent DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER pgtrigger_audit_append_only_dc401 ON portal_auditevent", "must be owner"),
        ("DROP TABLE portal_auditevent", "must be owner"),
        ("ALTER TABLE portal_auditevent RENAME TO old_audit", "must be owner"),
        ("CREATE TABLE portal_sneaky (id int)", "permission denied"),
        ("SET session_replication_role = replica", "permission denied"),
    ],
)
def test_the_runtime_role_cannot_change_remove_or_unprotect_audit_events(
    runtime_role: str, sql: str, refusal: str
) -> None:
    event = record(AuditAction.SIGN_IN, email="someone@example.org")

    with pytest.raises(DatabaseError, match=refusal):
        as_role(runtime_role, sql)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.SIGN_IN


@pytest.mark.postgres
@postgres_only
def test_the_runtime_role_cannot_use_pgtriggers_ignore_switch(runtime_role: str) -> None:
    """Any role may set pgtrigger's session variable that makes its triggers stand aside; the
    runtime role's missing privileges still refuse the change."""
    record(AuditAction.SIGN_IN, email="someone@example.org")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger"
            " WHERE tgrelid = 'portal_auditevent'::regclass AND NOT tgisinternal"
        )
        names = sorted(row[0] for row in cursor.fetchall())
    assert len(names) == 2
    ignore_all = f"SELECT set_config('pgtrigger.ignore', '{{{','.join(names)}}}', true)"

    for sql in ("DELETE FROM portal_auditevent", "TRUNCATE portal_auditevent"):
        with pytest.raises(DatabaseError, match="permission denied"):
            as_role(runtime_role, ignore_all, sql)
    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_the_grants_can_be_printed_for_a_dba() -> None:
    out = StringIO()
    call_command("grant_runtime_role", "csc_app", "--print", stdout=out)

    sql = out.getvalue()
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA" in sql
    assert 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "portal_auditevent"' in sql
    assert "ALTER DEFAULT PRIVILEGES" in sql
