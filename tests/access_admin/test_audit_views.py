"""The audit trail pages: filtering, pagination and a formula-safe, audited CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from portal.access_admin.views import PAGE_SIZE
from portal.models import AuditAction, AuditEvent, AuditOutcome

LONDON = ZoneInfo("Europe/London")
URL = reverse("access_admin:audit")
EXPORT_URL = reverse("access_admin:audit_export")


def _event(**fields: Any) -> AuditEvent:
    fields.setdefault("action", AuditAction.UPLOAD)
    return AuditEvent.objects.create(**fields)


def _shown(client: Client, **filters: str) -> list[AuditEvent]:
    response = client.get(URL, filters)
    assert response.status_code == 200
    return list(response.context["page_obj"])


@pytest.fixture
def events(personas: dict[str, Any]) -> dict[str, AuditEvent]:
    """A few events to filter, apart from the sign-in the admin's client just made."""
    return {
        "upload": _event(
            actor_email="lead@barnsley.example.org",
            organisation="370",
            occurred_at=datetime(2026, 3, 1, 10, tzinfo=LONDON),
        ),
        "denied": _event(
            action=AuditAction.ACCESS_DENIED,
            outcome=AuditOutcome.DENIED,
            actor_email="viewer@barnsley.example.org",
            organisation="370",
            occurred_at=datetime(2026, 3, 5, 23, 30, tzinfo=LONDON),
        ),
        "leeds": _event(
            actor_email="lead@leeds.example.org",
            organisation="383",
            occurred_at=datetime(2026, 3, 9, 8, tzinfo=LONDON),
        ),
    }


def test_filters(access_admin_client: Client, events: dict[str, AuditEvent]) -> None:
    assert _shown(access_admin_client, action="access_denied") == [events["denied"]]
    assert _shown(access_admin_client, actor="BARNSLEY") == [events["denied"], events["upload"]]
    assert _shown(access_admin_client, organisation="383") == [events["leeds"]]
    assert _shown(access_admin_client, outcome="denied") == [events["denied"]]
    # Dates are whole UK days, both ends included, in either accepted format.
    assert _shown(access_admin_client, date_from="5/3/2026", date_to="2026-03-09") == [
        events["leeds"],
        events["denied"],
    ]
    assert _shown(access_admin_client, action="upload", organisation="370") == [events["upload"]]


def test_a_bad_filter_is_a_field_error(access_admin_client: Client) -> None:
    response = access_admin_client.get(URL, {"date_from": "10/3/2026", "date_to": "1/3/2026"})

    assert (
        "The end date must be the same as or after the start date"
        in response.context["form"].errors["date_to"]
    )
    assert b"There is a problem" in response.content


def test_the_trail_is_paginated_and_pages_keep_the_filters(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    start = datetime(2026, 1, 1, tzinfo=LONDON)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.EXPORT,
            actor_email="analyst@education.example.org",
            occurred_at=start + timedelta(minutes=n),
        )
        for n in range(2 * PAGE_SIZE + 5)
    )

    first = access_admin_client.get(URL, {"action": "export"})
    last = access_admin_client.get(URL, {"action": "export", "page": "3"})

    assert len(first.context["page_obj"]) == PAGE_SIZE
    assert len(last.context["page_obj"]) == 5
    html = first.content.decode()
    assert 'class="govuk-pagination"' in html
    assert 'href="?action=export&amp;page=2" rel="next"' in html
    assert 'aria-label="Page 1" aria-current="page"' in html
    assert 'rel="prev"' in last.content.decode()


def _export(client: Client, **filters: str) -> list[list[str]]:
    response = client.get(EXPORT_URL, filters)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")  # like every CSV the service sends (portal.spreadsheets)
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_the_export_holds_the_filtered_events(
    access_admin_client: Client, events: dict[str, AuditEvent]
) -> None:
    rows = _export(access_admin_client, organisation="370")

    assert rows[0][:3] == ["occurred_at_utc", "actor_email", "action"]
    assert [row[1] for row in rows[1:]] == [
        "viewer@barnsley.example.org",
        "lead@barnsley.example.org",
    ]
    assert rows[1][0] == "2026-03-05T23:30:00+00:00"


def test_the_export_neutralises_spreadsheet_formulas(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    _event(
        actor_email='=HYPERLINK("http://evil")',
        organisation="+1+cmd",
        object_id="@SUM(A1)",
        request_id="-2+3",
        details={"note": "fine"},
    )

    rows = _export(access_admin_client, action="upload")

    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["actor_email"] == '\'=HYPERLINK("http://evil")'
    assert row["organisation"] == "'+1+cmd"
    assert row["object_id"] == "'@SUM(A1)"
    assert row["request_id"] == "'-2+3"
    assert row["details"] == '{"note": "fine"}'


def test_the_export_is_itself_audited(
    access_admin_client: Client, personas: dict[str, Any], events: dict[str, AuditEvent]
) -> None:
    _export(access_admin_client, organisation="370", outcome="denied")

    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == personas["access_admin"]
    assert event.object_type == "audit_trail"
    assert event.details == {"rows": 1, "filters": {"organisation": "370", "outcome": "denied"}}


def test_an_export_with_bad_filters_goes_back_to_the_page(access_admin_client: Client) -> None:
    response = access_admin_client.get(EXPORT_URL, {"date_from": "not a date"})

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?date_from=not+a+date"
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_page_links_to_the_export_with_the_same_filters(
    access_admin_client: Client, events: dict[str, AuditEvent]
) -> None:
    html = access_admin_client.get(URL, {"organisation": "370", "page": "1"}).content.decode()

    assert f'href="{EXPORT_URL}?organisation=370"' in html
