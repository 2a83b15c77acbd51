"""The audit trail is append-only: the application refuses changes, and on PostgreSQL so does
the database, whoever connects."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit import AuditAction, record
from portal.models import AuditEvent


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
