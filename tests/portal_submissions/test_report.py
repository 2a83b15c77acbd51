"""The validation report: error summary, counts by rule, findings grouped by rule, filters,
and server-side pagination of a rule with thousands of findings."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from submissions.models import Submission
from tests.portal_submissions.factories import add_findings, explain, make_submission

pytestmark = pytest.mark.django_db


def report(client: Client, sub: Submission, **params: str) -> str:
    response = client.get(reverse("submissions:report", args=[sub.id]), params)
    assert response.status_code == 200
    return response.content.decode()


def rows_of(html: str, code: str) -> int:
    """How many finding rows the page shows under rule ``code``."""
    section = html.split(f'id="rule-{code}"', 1)[1].split("</section>", 1)[0]
    return section.count('<tr class="govuk-table__row">') - 1  # minus the header row


def test_it_summarises_the_errors_to_fix_and_counts_findings_by_rule(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    html = report(as_persona("viewer"), submission)

    assert "There are 2 errors you must fix before you can accept this submission" in html
    assert 'href="#rule-100"' in html
    summary = html.split("Number of findings for each rule", 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'govuk-table__cell[^"]*">(.*?)</td>', summary, re.S)
    assert [c.strip() for c in cells[2:4]] == ["Rule 100 is not met.", "2"]
    assert "S47 started long before the census end." in summary
    assert [c.strip() for c in cells[8:9]] == ["3"]


def test_the_counts_table_says_which_query_rules_are_explained(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    explain(submission, "8675Q")

    html = report(as_persona("viewer"), submission)

    summary = html.split("Number of findings for each rule", 1)[1].split("</table>", 1)[0]
    assert summary.count(">Yes</td>") == 1
    assert "Known local practice." in html


def test_there_is_no_error_summary_when_there_are_only_queries(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Submission.Status.READY)
    add_findings(sub, "8675Q", "query")

    html = report(as_persona("lead"), sub)

    assert "govuk-error-summary" not in html
    assert "you must fix" not in html


def test_findings_are_grouped_by_rule_with_their_location(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    html = report(as_persona("lead"), submission)

    section = html.split('id="rule-100"', 1)[1].split("</section>", 1)[0]
    for text in ("CIN_Census_2024.xml", "line 10", "LA370C000000", "PersonBirthDate"):
        assert text in section
    assert rows_of(html, "100") == 2
    assert rows_of(html, "8675Q") == 3


def test_filters_narrow_the_findings(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    add_findings(submission, "200", count=2, file="episodes.csv", child_id="")
    client = as_persona("lead")

    queries_only = report(client, submission, severity="query")
    in_episodes = report(client, submission, file="episodes.csv")
    one_child = report(client, submission, child_id="c000002")

    assert 'id="rule-100"' not in queries_only
    assert rows_of(queries_only, "8675Q") == 3
    assert 'id="rule-200"' in in_episodes
    assert 'id="rule-100"' not in in_episodes
    assert rows_of(one_child, "8675Q") == 1
    assert 'id="rule-100"' not in one_child
    assert "1 finding matching the filters, of 3" in one_child


def test_an_unknown_filter_value_is_an_error_and_the_other_filters_still_apply(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    html = report(as_persona("lead"), submission, rule="NOPE", severity="query")

    assert "Select a valid choice" in html
    assert 'id="rule-100"' not in html
    assert 'id="rule-8675Q"' in html


def test_a_rule_with_thousands_of_findings_is_capped_then_paginated_on_the_server(
    as_persona: Callable[[str], Client],
    personas: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    sub = make_submission(status=Submission.Status.HAS_ERRORS)
    add_findings(sub, "100", count=5000)
    add_findings(sub, "200", count=3)
    client = as_persona("lead")

    with django_assert_max_num_queries(20):
        capped = report(client, sub)
    first_page = report(client, sub, rule="100")
    last_page = report(client, sub, rule="100", page="50")

    assert rows_of(capped, "100") == 10
    assert rows_of(capped, "200") == 3
    assert "Show all 5,000 findings of rule 100" in capped
    assert "Show all 3" not in capped
    assert rows_of(first_page, "100") == 100
    assert 'id="rule-200"' not in first_page
    assert 'aria-label="Page 50"' in first_page
    assert "govuk-pagination" in first_page
    assert "LA370C000000" in first_page
    assert "LA370C000100" not in first_page
    assert rows_of(last_page, "100") == 100
    assert "LA370C004999" in last_page


def test_a_submission_still_being_checked_has_no_report_yet(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Submission.Status.VALIDATING)

    html = report(as_persona("lead"), sub)

    assert "The report will be ready when checking finishes" in html
    assert "Findings by rule" not in html


def test_a_clean_submission_says_there_is_nothing_to_fix(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission(status=Submission.Status.READY)

    assert "Checking found nothing to fix or explain." in report(as_persona("lead"), sub)


def test_download_links_carry_the_filters(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    html = report(as_persona("lead"), submission, severity="query")

    csv_url = reverse("submissions:report_csv", args=[submission.id])
    assert f'href="{csv_url}?severity=query"' in html


def test_the_page_title_names_the_report(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    html = report(as_persona("lead"), submission)

    assert "<title>Validation report \u2013 Children&#x27;s social care data</title>" in html


NOT_APPLICABLE = [
    {
        "code": "8610",
        "message": "Primary Need code is missing for a referral which led to further action.",
        "missing": ["referral.primary_need"],
        "reason": "Needs primary need code (referral.primary_need), which DfE API JSON does "
        "not carry.",
    }
]


def test_the_report_lists_the_rules_not_applied_to_the_formats_sent(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    submission.formats = ["dfe_csc_api_json"]
    submission.not_applicable_rules = NOT_APPLICABLE
    submission.save()

    html = report(as_persona("viewer"), submission)

    section = html.split('id="not-applicable"', 1)[1].split("</table>", 1)[0]
    assert "Rules not applied to the formats you sent" in section
    assert "the formats you sent (DfE API JSON)" in section
    assert ">8610</td>" in section
    assert "Primary Need code is missing" in section
    assert "which DfE API JSON does not carry." in section
    # After the findings summary, before the downloads.
    assert html.index("Number of findings for each rule") < html.index('id="not-applicable"')


def test_a_report_with_no_findings_still_lists_the_rules_not_applied(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    sub = make_submission("370", Submission.Status.READY, created_by=personas["lead"])
    sub.not_applicable_rules = NOT_APPLICABLE
    sub.save()

    html = report(as_persona("viewer"), sub)

    assert "Checking found nothing to fix or explain." in html
    assert "Rules not applied to the formats you sent" in html


def test_there_is_no_not_applied_section_when_every_rule_applied(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    assert 'id="not-applicable"' not in report(as_persona("viewer"), submission)
