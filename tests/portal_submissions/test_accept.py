"""Accepting: only a checked submission with no errors, only by a user who may decide; the
previous accepted submission is superseded, and indicators are queued after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from submissions.models import Submission
from tests.portal_submissions.factories import make_submission

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
    assert "Accept submission</button>" not in html


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
