"""Accepting: only a checked submission with no errors, only by a user who may decide, and
only after a confirmation page that says what it replaces and how many queries are left
unexplained; the previous accepted submission is superseded, and indicators are queued after
commit."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent
from submissions.models import Submission, ValidationFinding
from tests.portal_submissions.factories import add_findings, explain, make_submission

pytestmark = pytest.mark.django_db

Status = Submission.Status


def accept(client: Client, sub: Submission) -> Any:
    return client.post(reverse("submissions:accept", args=[sub.id]), follow=True)


def test_a_ready_submission_with_no_errors_is_accepted_and_its_indicators_queued(
    as_persona: Callable[[str], Client],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sub = make_submission(status=Status.READY, query_count=2)

    with (
        mock.patch("submissions.views.compute_indicators.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = accept(as_persona("lead"), sub)

    sub.refresh_from_db()
    assert sub.status == Status.ACCEPTED
    assert sub.accepted_by == personas["lead"]
    assert sub.accepted_at is not None
    delay.assert_called_once_with(str(sub.id))
    assert response.redirect_chain == [(reverse("submissions:detail", args=[sub.id]), 302)]
    html = response.content.decode()
    assert "govuk-notification-banner--success" in html
    assert "You have accepted this submission" in html
    assert reverse("submissions:accept", args=[sub.id]) not in html  # nothing left to accept


def test_a_newer_accepted_submission_supersedes_the_previous_one(
    as_persona: Callable[[str], Client],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    older = make_submission(status=Status.ACCEPTED)
    newer = make_submission(status=Status.READY)

    with mock.patch("submissions.views.compute_indicators.delay"):
        accept(as_persona("lead"), newer)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.status == Status.ACCEPTED
    assert older.status == Status.SUPERSEDED
    assert older.superseded_by == newer
    history = as_persona("lead").get(reverse("submissions:history")).content.decode()
    assert reverse("submissions:detail", args=[older.id]) in history  # both kept
    assert reverse("submissions:detail", args=[newer.id]) in history


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.HAS_ERRORS, "error_count": 3},
        {"status": Status.VALIDATING},
        {"status": Status.FAILED},
    ],
)
def test_a_submission_that_is_not_ready_or_has_errors_is_not_accepted(
    as_persona: Callable[[str], Client], personas: dict[str, Any], fields: dict[str, Any]
) -> None:
    sub = make_submission(**fields)

    with mock.patch("submissions.views.compute_indicators.delay") as delay:
        response = accept(as_persona("lead"), sub)

    sub.refresh_from_db()
    assert sub.status == fields["status"]
    assert response.status_code == 200
    assert "govuk-notification-banner" in response.content.decode()  # says why
    delay.assert_not_called()


def test_a_viewer_may_not_accept(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.READY)

    response = as_persona("viewer").post(reverse("submissions:accept", args=[sub.id]))

    assert response.status_code == 403
    sub.refresh_from_db()
    assert sub.status == Status.READY


def test_another_las_lead_gets_404(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.READY)

    response = as_persona("other_lead").post(reverse("submissions:accept", args=[sub.id]))

    assert response.status_code == 404
    sub.refresh_from_db()
    assert sub.status == Status.READY


# --- The confirmation page (GET) ---------------------------------------------------------------


def confirm_page(client: Client, sub: Submission) -> Any:
    return client.get(reverse("submissions:accept", args=[sub.id]))


def test_the_confirmation_page_says_it_is_the_las_first_accepted_extract_and_changes_nothing(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.READY)

    response = confirm_page(as_persona("lead"), sub)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Are you sure you want to accept this submission?" in html
    assert "Nothing: this will be Barnsley's first accepted extract." in html
    assert "It has no queries." in html
    # The button posts back to this URL; the cancel link goes back to the status page.
    assert '<form method="post" novalidate>' in html
    assert "Accept submission</button>" in html
    assert "Accept and replace" not in html
    assert f'href="{reverse("submissions:detail", args=[sub.id])}">Cancel</a>' in html
    sub.refresh_from_db()
    assert sub.status == Status.READY
    assert not AuditEvent.objects.filter(action=AuditAction.SUBMISSION_DECISION).exists()


def test_the_confirmation_page_says_which_accepted_submission_it_replaces(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    current = make_submission(
        status=Status.ACCEPTED,
        as_of=datetime.date(2023, 12, 31),
        formats=["cin_xml"],
        accepted_by=personas["lead"],
    )
    make_submission(status=Status.SUPERSEDED, as_of=datetime.date(2022, 3, 31))
    make_submission("383", status=Status.ACCEPTED, as_of=datetime.date(2024, 1, 31))  # Leeds
    sub = make_submission(status=Status.READY)

    html = confirm_page(as_persona("lead"), sub).content.decode()

    assert "It replaces Barnsley's accepted submission, which will be kept as superseded" in html
    assert "31 December 2023" in html
    assert str(current.id) in html  # its reference
    assert reverse("submissions:detail", args=[current.id]) in html
    assert "31 March 2022" not in html  # already superseded: not what is replaced
    assert "31 January 2024" not in html  # another LA's
    assert "first accepted extract" not in html
    assert "Accept and replace</button>" in html


def test_the_confirmation_page_counts_the_unexplained_queries_reviewers_will_see(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.READY)
    add_findings(sub, "8675Q", ValidationFinding.Severity.QUERY, count=3)
    add_findings(sub, "2885Q", ValidationFinding.Severity.QUERY, count=2)
    explain(sub, "2885Q")

    html = confirm_page(as_persona("lead"), sub).content.decode()

    assert "3 of its 5 queries are not explained." in html
    assert "Explain the queries in the validation report" in html
    assert "Reviewers at DfE and in the region will see on the dashboards" in html
    assert reverse("submissions:report", args=[sub.id]) in html

    explain(sub, "8675Q")
    html = confirm_page(as_persona("lead"), sub).content.decode()

    assert "not explained" not in html
    assert "You have explained all 5 of its queries." in html


def test_the_confirmation_page_of_a_submission_that_cannot_be_accepted_says_why(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.HAS_ERRORS, error_count=3)

    response = as_persona("lead").get(reverse("submissions:accept", args=[sub.id]), follow=True)

    assert response.redirect_chain == [(reverse("submissions:detail", args=[sub.id]), 302)]
    assert "This submission has 3 errors." in response.content.decode()
    assert "Accept submission" not in response.content.decode()


def test_only_someone_who_may_decide_for_the_la_sees_the_confirmation_page(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.READY)

    assert confirm_page(as_persona("viewer"), sub).status_code == 403
    assert confirm_page(as_persona("other_lead"), sub).status_code == 404  # not revealed
    assert confirm_page(as_persona("case_lead"), sub).status_code == 403


def test_accepting_is_audited_with_the_submissions_it_supersedes(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    older = make_submission(status=Status.ACCEPTED)
    sub = make_submission(status=Status.READY)
    add_findings(sub, "8675Q", ValidationFinding.Severity.QUERY, count=2)

    with mock.patch("submissions.views.compute_indicators.delay"):
        accept(as_persona("lead"), sub)

    event = AuditEvent.objects.get(action=AuditAction.SUBMISSION_DECISION)
    assert (event.actor, event.organisation, event.object_id) == (
        personas["lead"],
        "370",
        str(sub.id),
    )
    assert event.details["decision"] == "accepted"
    assert event.details["query_count"] == 2
    assert event.details["superseded"] == [str(older.id)]


def test_the_confirmation_page_words_one_query_and_all_queries_unexplained(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    one = make_submission(status=Status.READY)
    add_findings(one, "8675Q", ValidationFinding.Severity.QUERY, count=1)
    several = make_submission(status=Status.READY)
    add_findings(several, "8675Q", ValidationFinding.Severity.QUERY, count=4)

    assert "Its one query is not explained." in (
        confirm_page(as_persona("lead"), one).content.decode()
    )
    assert "None of its 4 queries is explained." in (
        confirm_page(as_persona("lead"), several).content.decode()
    )
    explain(one, "8675Q")
    assert "You have explained its one query." in (
        confirm_page(as_persona("lead"), one).content.decode()
    )
