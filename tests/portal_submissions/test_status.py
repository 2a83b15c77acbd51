"""The status page and its JSON endpoint: both read the submission row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from submissions.models import Submission
from tests.portal_submissions.factories import make_file, make_submission

pytestmark = pytest.mark.django_db

Status = Submission.Status


def test_it_shows_a_working_submission_with_progress_a_refresh_link_and_the_script(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.VALIDATING, progress=40,
                          progress_message="Checking the CIN rules")  # fmt: skip

    response = as_persona("lead").get(reverse("submissions:detail", args=[sub.id]))

    html = response.content.decode()
    assert '<strong class="govuk-tag ">Validating</strong>' in html
    assert 'aria-live="polite">Checking the CIN rules (40% done)</p>' in html
    assert f'href="{reverse("submissions:detail", args=[sub.id])}">Refresh status</a>' in html
    assert "submissions/js/status" in html
    assert 'http-equiv="refresh"' not in html
    assert "<script>" not in html  # no inline script: the CSP would block it


@pytest.mark.parametrize(
    ("status", "tag"),
    [
        (Status.RECEIVED, "govuk-tag--grey"),
        (Status.READY, "govuk-tag--green"),
        (Status.HAS_ERRORS, "govuk-tag--red"),
        (Status.ACCEPTED, "govuk-tag--green"),
        (Status.SUPERSEDED, "govuk-tag--grey"),
        (Status.FAILED, "govuk-tag--red"),
    ],
)
def test_each_status_has_its_tag_colour(
    as_persona: Callable[[str], Client], personas: dict[str, Any], status: str, tag: str
) -> None:
    sub = make_submission(status=status)

    html = as_persona("viewer").get(reverse("submissions:detail", args=[sub.id])).content.decode()

    assert f'class="govuk-tag {tag}">{Status(status).label}</strong>' in html


def test_a_finished_submission_has_no_polling_and_links_to_its_report(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.HAS_ERRORS, error_count=3, query_count=1)

    html = as_persona("lead").get(reverse("submissions:detail", args=[sub.id])).content.decode()

    assert "Checking finished with 3 errors and 1 query." in html
    assert "Refresh status" not in html
    assert "submissions/js/status" not in html
    assert reverse("submissions:report", args=[sub.id]) in html


def test_a_failed_submission_says_why(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.FAILED, failure_reason="The zip file is damaged.")

    html = as_persona("lead").get(reverse("submissions:detail", args=[sub.id])).content.decode()

    assert "The zip file is damaged." in html


def test_files_have_download_links_only_for_users_who_may_upload(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission()
    file = make_file(sub, "episodes.csv", size=5120)
    download = reverse("submissions:raw_file", args=[sub.id, file.id])

    lead_html = as_persona("lead").get(reverse("submissions:detail", args=[sub.id])).content
    viewer_html = as_persona("viewer").get(reverse("submissions:detail", args=[sub.id])).content

    assert b"episodes.csv" in lead_html
    assert b"5.0\xc2\xa0KB" in lead_html
    assert download.encode() in lead_html
    assert b"episodes.csv" in viewer_html
    assert download.encode() not in viewer_html


def test_the_accept_button_shows_only_for_a_ready_submission_with_no_errors_to_deciders(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    ready = make_submission(status=Status.READY, query_count=2)
    has_errors = make_submission(status=Status.HAS_ERRORS, error_count=1)

    def page(persona: str, sub: Submission) -> str:
        url = reverse("submissions:detail", args=[sub.id])
        return as_persona(persona).get(url).content.decode()

    # A link to the confirmation page, not a button that accepts at once.
    link = f'<a href="{reverse("submissions:accept", args=[ready.id])}" role="button"'
    assert link in page("lead", ready)
    assert "Accept submission</a>" in page("lead", ready)
    assert "Accept submission" not in page("viewer", ready)
    assert "Accept submission" not in page("lead", has_errors)
    assert reverse("submissions:accept", args=[has_errors.id]) not in page("lead", has_errors)


def test_it_says_which_accepted_submission_accepting_would_replace(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    import datetime

    make_submission(status=Status.ACCEPTED, as_of=datetime.date(2023, 12, 31))
    ready = make_submission(status=Status.READY)

    html = as_persona("lead").get(reverse("submissions:detail", args=[ready.id])).content.decode()

    assert "It replaces the accepted extract of 31 December 2023" in html


def test_it_shows_who_accepted_and_links_superseded_and_superseding_submissions(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    newer = make_submission(status=Status.ACCEPTED, accepted_by=personas["lead"])
    older = make_submission(status=Status.SUPERSEDED, superseded_by=newer)

    newer_html = as_persona("viewer").get(reverse("submissions:detail", args=[newer.id])).content
    older_html = as_persona("viewer").get(reverse("submissions:detail", args=[older.id])).content

    assert personas["lead"].email.encode() in newer_html
    assert reverse("submissions:detail", args=[older.id]).encode() in newer_html
    assert b"Superseded by" in older_html
    assert reverse("submissions:detail", args=[newer.id]).encode() in older_html


def test_the_json_status_reads_the_database_row_not_the_result_backend(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.RECEIVED)
    url = reverse("submissions:status_json", args=[sub.id])
    client = as_persona("lead")

    with mock.patch("celery.result.AsyncResult.__init__", side_effect=AssertionError):
        first = client.get(url).json()
        Submission.objects.filter(pk=sub.pk).update(
            status=Status.VALIDATING, progress=55, progress_message="Checking the 903 rules"
        )
        second = client.get(url).json()
        Submission.objects.filter(pk=sub.pk).update(status=Status.READY, progress=100)
        third = client.get(url).json()

    assert first["status"] == "received"
    assert first["final"] is False
    assert second == {
        "status": "validating",
        "label": "Validating",
        "tag_class": "",
        "progress": 55,
        "message": "Checking the 903 rules",
        "summary": "Checking the 903 rules (55% done)",
        "final": False,
    }
    assert third["status"] == "ready"
    assert third["final"] is True
    assert third["label"] == "Ready to accept"


def test_the_json_status_is_never_cached(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Status.CHECKING)

    response = as_persona("lead").get(reverse("submissions:status_json", args=[sub.id]))

    assert "no-store" in response["Cache-Control"]
