"""Every refusal on an organisation-owned object leaves a trace in the audit trail.

The attack this reproduces: Leeds' data lead tries every URL of a Barnsley submission, forged
accept included. Each answer is 404 (the submission's existence is not revealed) and each
attempt is one ACCESS_DENIED event naming Barnsley, the path and the action the view needs.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.access import Action
from portal.models import AuditAction, AuditEvent, AuditOutcome, LocalAuthority
from submissions.models import Submission, SubmissionFile, ValidationFinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def barnsley_submission(personas: dict[str, Any]) -> Submission:
    submission = Submission.objects.create(
        local_authority=LocalAuthority.objects.get(code="370"),
        created_by=personas["lead"],
        as_of="2026-03-31",
        status=Submission.Status.READY,
    )
    SubmissionFile.objects.create(
        submission=submission, display_name="episodes.csv", size=1, sha256="0" * 64,
        wrapped_key=b"",
    )  # fmt: skip
    ValidationFinding.objects.create(
        submission=submission, code="8675Q", severity="query", message="Check this."
    )
    return submission


def _denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).order_by("id"))


def test_another_las_lead_gets_404_on_every_url_and_each_attempt_is_audited(
    client: Client, personas: dict[str, Any], barnsley_submission: Submission
) -> None:
    client.force_login(personas["other_lead"])
    pk = barnsley_submission.pk
    file_id = barnsley_submission.files.get().pk
    attempts = [
        ("get", reverse("submissions:detail", args=[pk]), Action.VIEW_REPORT),
        ("get", reverse("submissions:status_json", args=[pk]), Action.VIEW_REPORT),
        ("get", reverse("submissions:report", args=[pk]), Action.VIEW_REPORT),
        ("get", reverse("submissions:report_csv", args=[pk]), Action.VIEW_REPORT),
        ("get", reverse("submissions:report_xlsx", args=[pk]), Action.VIEW_REPORT),
        ("get", reverse("submissions:raw_file", args=[pk, file_id]), Action.UPLOAD),
        ("post", reverse("submissions:explain", args=[pk, "8675Q"]), Action.DECIDE),
        ("post", reverse("submissions:accept", args=[pk]), Action.DECIDE),
    ]

    statuses = [getattr(client, method)(path).status_code for method, path, _ in attempts]

    assert statuses == [404] * len(attempts)
    barnsley_submission.refresh_from_db()
    assert barnsley_submission.status == Submission.Status.READY  # the forged accept did nothing
    events = _denials()
    assert [(e.details["path"], e.details["required"]) for e in events] == [
        (path, str(action)) for _, path, action in attempts
    ]
    for event in events:
        assert event.actor == personas["other_lead"]
        assert event.outcome == AuditOutcome.DENIED
        assert event.organisation == "370"
        assert event.details["status"] == 404


def test_a_dfe_role_refused_a_report_is_audited_as_403(
    client: Client, personas: dict[str, Any], barnsley_submission: Submission
) -> None:
    client.force_login(personas["case_lead"])
    path = reverse("submissions:report", args=[barnsley_submission.pk])

    assert client.get(path).status_code == 403

    [event] = _denials()
    assert event.actor == personas["case_lead"]
    assert event.details == {
        "path": path, "method": "GET", "required": "view_report", "status": 403
    }  # fmt: skip


def test_a_viewer_refused_a_decision_on_their_own_la_is_audited_as_403(
    client: Client, personas: dict[str, Any], barnsley_submission: Submission
) -> None:
    client.force_login(personas["viewer"])

    response = client.post(reverse("submissions:accept", args=[barnsley_submission.pk]))

    assert response.status_code == 403
    [event] = _denials()
    assert (event.organisation, event.details["required"]) == ("370", "decide")


def test_a_missing_object_is_audited_without_an_organisation(
    client: Client, personas: dict[str, Any]
) -> None:
    client.force_login(personas["lead"])
    path = reverse("submissions:detail", args=["00000000-0000-0000-0000-000000000000"])

    assert client.get(path).status_code == 404

    [event] = _denials()
    assert event.organisation == ""
    assert event.details["status"] == 404


def test_allowed_requests_leave_no_refusal(
    client: Client, personas: dict[str, Any], barnsley_submission: Submission
) -> None:
    client.force_login(personas["lead"])

    response = client.get(reverse("submissions:report", args=[barnsley_submission.pk]))

    assert response.status_code == 200

    assert _denials() == []
