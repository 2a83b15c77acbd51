"""The audit trail pages: filtering, pagination, events in words (people, places, roles and
objects by name, looked up in bulk), and a formula-safe, audited CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.access_admin.views import PAGE_SIZE
from portal.models import AuditAction, AuditEvent, AuditOutcome, LocalAuthority, User
from submissions.models import Submission

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


# --- Events in words ---------------------------------------------------------------------------


def _cell(html: str) -> str:
    return " ".join(html.split())


def test_role_events_name_the_person_the_places_and_the_roles(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    User.objects.filter(pk=lead.pk).update(full_name="Ada Lovelace")
    membership = lead.memberships.get()
    leeds = LocalAuthority.objects.get(code="383")
    change = reverse("access_admin:change_membership", args=[lead.pk, membership.pk])
    access_admin_client.post(change, {"role": "la_viewer", "local_authority": leeds.pk})
    access_admin_client.post(
        reverse("access_admin:remove_membership", args=[lead.pk, membership.pk])
    )

    html = _cell(access_admin_client.get(URL).content.decode())

    # The change: whose role, what it became and what it was, by name.
    assert "LA viewer role of Ada Lovelace (lead@barnsley.example.org)" in html
    assert "Local authority: Leeds (383)" in html
    assert "Previous role: LA data lead" in html
    assert "Previous local authority: Barnsley (370)" in html
    assert "Leeds (383)</td>" in html  # the organisation column
    # The removal: the row is gone, so the event's own details describe it.
    assert html.count("LA viewer role of Ada Lovelace (lead@barnsley.example.org)") == 2
    assert "Role changed" in html
    assert "Role removed" in html
    # None of the stored internals.
    for internal in ("portal.Membership", "la_data_lead", "la_viewer", "user_id", "user_email"):
        assert internal not in html, internal


def test_invitations_submissions_and_regions_are_described_in_words(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    from tests.access_admin.helpers import send_invitation

    send_invitation(access_admin_client)
    barnsley = LocalAuthority.objects.get(code="370")
    older = Submission.objects.create(local_authority=barnsley, as_of="2023-03-31")
    newer = Submission.objects.create(local_authority=barnsley, as_of="2024-03-31")
    _event(
        action=AuditAction.SUBMISSION_DECISION,
        organisation="370",
        object_type="submissions.Submission",
        object_id=str(newer.pk),
        details={"decision": "accepted", "query_count": 2, "superseded": [str(older.pk)]},
    )
    _event(
        action=AuditAction.EXPORT,
        organisation="E12000003",
        object_type="audit_trail",
        details={"region": "E12000003", "kind": "portfolio"},
    )

    html = _cell(access_admin_client.get(URL).content.decode())

    assert "Barnsley&#x27;s extract of 31 March 2024" in html
    assert "Replaced: Barnsley&#x27;s extract of 31 March 2023" in html
    assert "Decision: accepted" in html
    assert "Queries: 2" in html
    assert "Yorkshire and The Humber region</td>" in html
    assert "Region: Yorkshire and The Humber region" in html
    assert "Audit trail</span>" in html
    assert "Invitation for " in html
    assert "submissions.Submission" not in html
    assert str(newer.pk) not in html


def test_a_person_who_has_gone_is_shown_by_the_email_the_event_kept(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    _event(
        action=AuditAction.ROLE_REMOVED,
        object_type="portal.Membership",
        object_id="999",
        details={"user_id": 9999, "user_email": "gone@example.org", "role": "risl"},
    )
    _event(
        action=AuditAction.ACCESS_DENIED,
        outcome=AuditOutcome.DENIED,
        details={"user_id": 9998, "user_email": "left@example.org", "reason": "own_access"},
    )

    html = _cell(access_admin_client.get(URL).content.decode())

    assert "Regional Improvement Support Lead role of gone@example.org" in html
    assert "Person: gone@example.org" not in html  # the subject says it already
    assert "Person: left@example.org" in html
    assert "Reason: own access" in html


def test_the_page_looks_references_up_in_bulk_not_once_per_event(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            user = personas["lead"] if i % 2 else personas["viewer"]
            membership = user.memberships.get()
            sub = Submission.objects.create(
                local_authority=LocalAuthority.objects.get(code="370"), as_of="2024-03-31"
            )
            _event(
                action=AuditAction.ROLE_GRANTED,
                organisation="370" if i % 3 else "E12000003",
                object_type="portal.Membership",
                object_id=str(membership.pk),
                details={"user_id": user.pk, "user_email": user.email, "role": membership.role},
            )
            _event(
                action=AuditAction.SUBMISSION_DECISION,
                organisation="383",
                object_type="submissions.Submission",
                object_id=str(sub.pk),
                details={"superseded": [str(sub.pk)]},
            )
            _event(
                action=AuditAction.USER_DEACTIVATED,
                object_type="portal.User",
                object_id=str(user.pk),
                details={"user_email": user.email},
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert access_admin_client.get(URL).status_code == 200
        return len(captured)

    access_admin_client.get(URL)  # the first request after signing in also records the session
    add(2)
    few = queries()
    add(12)
    many = queries()

    assert many == few


def test_the_export_adds_the_organisation_and_details_in_words(
    access_admin_client: Client, personas: dict[str, Any]
) -> None:
    lead = personas["lead"]
    _event(
        action=AuditAction.ROLE_GRANTED,
        organisation="370",
        object_type="portal.Membership",
        object_id="1",
        details={"user_id": lead.pk, "user_email": lead.email, "role": "la_data_lead"},
    )

    rows = _export(access_admin_client, action="role_granted")

    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["organisation"] == "370"  # the stored value, as before
    assert row["details"] == (
        f'{{"role": "la_data_lead", "user_email": "{lead.email}", "user_id": {lead.pk}}}'
    )
    assert row["organisation_name"] == "Barnsley (370)"
    assert row["details_in_words"] == f"LA data lead role of {lead.email}"
