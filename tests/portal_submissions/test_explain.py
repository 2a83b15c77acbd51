"""Explaining a query rule with a note: only query rules, only users who may decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from submissions.models import QueryExplanation, Submission
from tests.portal_submissions.factories import add_findings

pytestmark = pytest.mark.django_db


def explain_url(sub: Submission, code: str) -> str:
    return reverse("submissions:explain", args=[sub.id, code])


def note(code: str, text: str) -> dict[str, str]:
    return {f"explain-{code}-note": text}


def test_a_lead_explains_a_query_rule(
    as_persona: Callable[[str], Client], personas: dict[str, Any], submission: Submission
) -> None:
    response = as_persona("lead").post(
        explain_url(submission, "8675Q"), note("8675Q", "Conferences are held by a partner."),
        follow=True,
    )  # fmt: skip

    explanation = QueryExplanation.objects.get(submission=submission, code="8675Q")
    assert explanation.note == "Conferences are held by a partner."
    assert explanation.explained_by == personas["lead"]
    assert response.redirect_chain[0][0].endswith(
        reverse("submissions:report", args=[submission.id]) + "?rule=8675Q#rule-8675Q"
    )
    html = response.content.decode()
    assert "Your note on rule 8675Q has been saved" in html
    assert "Conferences are held by a partner." in html
    assert "Change the explanation" in html


def test_the_report_offers_a_note_form_only_for_query_rules_to_deciders(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    url = reverse("submissions:report", args=[submission.id])

    lead_html = as_persona("lead").get(url).content.decode()
    viewer_html = as_persona("viewer").get(url).content.decode()

    assert explain_url(submission, "8675Q") in lead_html
    assert explain_url(submission, "100") not in lead_html
    assert 'for="id_explain-8675Q-note"' in lead_html
    assert "Explain these queries" not in viewer_html


def test_an_error_rule_cannot_be_explained(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    response = as_persona("lead").post(explain_url(submission, "100"), note("100", "It is fine."))

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not QueryExplanation.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a note explaining these queries"),
        ("x" * 2001, "The note must be 2,000 characters or fewer"),
    ],
)
def test_a_missing_or_long_note_is_an_error_on_the_report(
    as_persona: Callable[[str], Client], submission: Submission, text: str, message: str
) -> None:
    response = as_persona("lead").post(explain_url(submission, "8675Q"), note("8675Q", text))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count(message) == 2  # error summary and the field
    assert 'href="#id_explain-8675Q-note"' in html
    assert '<details class="govuk-details" open>' in html
    assert not QueryExplanation.objects.exists()


def test_a_failed_note_is_shown_with_its_rule_even_when_that_rule_is_on_a_later_page(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    add_findings(submission, "100", count=250)  # rule 8675Q's queries now start on page 3

    response = as_persona("lead").post(explain_url(submission, "8675Q"), note("8675Q", ""))

    html = response.content.decode()
    assert '<details class="govuk-details" open>' in html
    assert 'id="rule-100"' not in html
    # Its links and filters go to the report, not to the note's URL (which is POST only).
    report_url = reverse("submissions:report", args=[submission.id])
    assert f'<form method="get" action="{report_url}#filters"' in html
    assert f'href="{report_url}?rule=8675Q#rule-8675Q"' in html


def test_a_viewer_may_not_explain(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    response = as_persona("viewer").post(explain_url(submission, "8675Q"), note("8675Q", "x"))

    assert response.status_code == 403
    assert not QueryExplanation.objects.exists()
