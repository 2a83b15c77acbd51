"""The validation report: heading and counts first, a one-link error summary, the filters
before the long content, counts by rule, and the findings a page at a time (on the server,
keeping the filters), so a report with thousands of findings in dozens of rules stays short."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.http import StreamingHttpResponse
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

    assert "There are 2 errors in 1 rule you must fix before you can accept this submission" in html
    assert 'href="#rules"' in html
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


@pytest.fixture
def large(personas: dict[str, Any]) -> Submission:
    """Like the real one that made the page 47,000 px long: 11,580 errors in 60 rules (193
    each), and 3 query rules of 20 queries, each finding with its own child."""
    sub = make_submission(status=Submission.Status.HAS_ERRORS)
    for n in range(60):
        add_findings(sub, f"{1000 + n}", count=193)
    for n in range(3):
        add_findings(sub, f"{9000 + n}Q", "query", count=20)
    return sub


def links_in(html: str, start: str, end: str) -> int:
    return html.split(start, 1)[1].split(end, 1)[0].count("<a ")


def test_a_large_report_starts_with_its_heading_counts_and_a_one_link_error_summary(
    as_persona: Callable[[str], Client], large: Submission, django_assert_max_num_queries: Any
) -> None:
    client = as_persona("lead")

    with django_assert_max_num_queries(20):
        html = report(client, large)

    main = html.split('id="main-content"', 1)[1]
    assert main.index("<h1") < main.index("govuk-error-summary") < main.index('id="filters"')
    assert main.index('id="filters"') < main.index('id="rules"') < main.index('id="findings"')
    counts = re.sub(r"\s+", " ", main.split('id="counts"', 1)[1].split("</dl>", 1)[0])
    assert 'Errors</dt> <dd class="govuk-summary-list__value">11,580<' in counts
    assert 'Queries</dt> <dd class="govuk-summary-list__value">60<' in counts
    assert "63 (60 with errors, 3 with queries)" in counts
    assert 'Children affected</dt> <dd class="govuk-summary-list__value">193<' in counts
    assert "There are 11,580 errors in 60 rules you must fix" in main
    assert links_in(main, "govuk-error-summary", "</ul>") == 1
    # Between the top of the page and the filters: the error summary's link only.
    assert links_in(main, "<h1", 'id="filters"') == 1
    # One page of findings: the first 100, of the first rule.
    assert main.count('<tr class="govuk-table__row">') == 63 + 1 + 100 + 1  # with headers
    assert rows_of(main, "1000") == 100
    assert "Findings 1 to 100 of 11,640, errors first, by rule." in main
    assert "Findings 1 to 100 of 193" in main
    assert 'aria-label="Page 117"' in main
    assert 'id="rule-1001"' not in main


def test_page_two_carries_on_with_the_next_findings_across_rules(
    as_persona: Callable[[str], Client], large: Submission
) -> None:
    html = report(as_persona("lead"), large, page="2")

    assert rows_of(html, "1000") == 93
    assert rows_of(html, "1001") == 7
    assert "Findings 101 to 200 of 11,640" in html
    assert "Findings 101 to 193 of 193" in html
    assert "Findings 1 to 7 of 193" in html
    assert "LA370C000100" in html  # rule 1000's 101st finding
    assert "LA370C000099" not in html
    assert 'aria-current="page">2<' in html


def test_pages_of_findings_keep_the_filters(
    as_persona: Callable[[str], Client], large: Submission
) -> None:
    client = as_persona("lead")
    url = reverse("submissions:report", args=[large.id])

    queries = report(client, large, severity="query")
    second = report(client, large, severity="error", page="2")
    last = report(client, large, severity="error", page="116")
    one_rule = report(client, large, rule="1005", page="2")

    assert "60 findings matching the filters" in queries
    assert 'id="rule-1000"' not in queries
    assert [rows_of(queries, f"900{n}Q") for n in range(3)] == [20, 20, 20]
    assert "govuk-pagination" not in queries
    # The rules table counts what matches the filters too.
    table = queries.split("Number of findings for each rule", 1)[1].split("</table>", 1)[0]
    assert ">9000Q<" in table
    assert ">1000<" not in table
    assert "Findings 101 to 200 of 11,580 matching the filters" in second
    assert f'href="{url}?severity=error&amp;page=3#findings"' in second
    assert f'href="{url}?severity=error&amp;page=1#findings"' in second
    assert rows_of(second, "1001") == 7
    assert "Findings 11,501 to 11,580 of 11,580 matching the filters" in last
    assert rows_of(last, "1059") == 80
    assert 'id="rule-9000Q"' not in last
    assert rows_of(one_rule, "1005") == 93
    assert "Findings 101 to 193 of 193" in one_rule
    assert f'href="{url}?rule=1005&amp;page=1#findings"' in one_rule
    assert 'id="rule-1006"' not in one_rule


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("999", "Findings 11,601 to 11,640 of 11,640"),  # past the end: the last page
        ("0", "Findings 11,601 to 11,640 of 11,640"),  # Paginator.get_page does the same
        ("x", "Findings 1 to 100 of 11,640"),  # not a number: the first page
    ],
)
def test_a_page_out_of_range_shows_a_page_of_findings_not_an_error(
    as_persona: Callable[[str], Client], large: Submission, page: str, shown: str
) -> None:
    html = report(as_persona("lead"), large, page=page)

    assert shown in html
    assert html.count('<tr class="govuk-table__row">') > 63 + 2


def test_the_downloads_give_every_finding_not_only_the_page(
    as_persona: Callable[[str], Client], large: Submission
) -> None:
    client = as_persona("lead")
    html = report(client, large, severity="query", page="2")

    csv_url = reverse("submissions:report_csv", args=[large.id])
    assert f'href="{csv_url}?severity=query"' in html
    response = client.get(csv_url, {"severity": "query", "page": "2"})
    assert isinstance(response, StreamingHttpResponse)
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + 60  # the header row and every query


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


def test_a_rule_whose_findings_are_all_in_one_file_names_it_once_not_on_every_row(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    add_findings(submission, "200", count=1, file="episodes.csv")
    add_findings(submission, "200", count=1, file="header.csv")

    html = report(as_persona("lead"), submission)

    one_file = html.split('id="rule-100"', 1)[1].split("</section>", 1)[0]
    two_files = html.split('id="rule-200"', 1)[1].split("</section>", 1)[0]
    assert "In the file CIN_Census_2024.xml" in one_file
    assert ">File</th>" not in one_file
    assert ">File</th>" in two_files
    assert ">episodes.csv</td>" in two_files
    assert "In the file" not in two_files


@pytest.mark.parametrize(
    ("url", "back"),
    [
        ("submissions:report", "submissions:detail"),
        ("submissions:detail", "submissions:history"),
        ("submissions:upload", "submissions:history"),
    ],
)
def test_the_back_link_is_in_a_navigation_landmark_before_main(
    as_persona: Callable[[str], Client], submission: Submission, url: str, back: str
) -> None:
    args = [] if url == "submissions:upload" else [submission.id]
    back_args = [submission.id] if back == "submissions:detail" else []

    html = as_persona("lead").get(reverse(url, args=args)).content.decode()

    href = reverse(back, args=back_args)
    link = f'<nav aria-label="Back"><a href="{href}" class="govuk-back-link">'
    assert link in html
    assert html.index(link) < html.index('<main class="govuk-main-wrapper"')


def test_the_report_and_files_tables_scroll_rather_than_widen_the_page(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    client = as_persona("lead")
    report_html = report(client, submission)
    detail_html = client.get(reverse("submissions:detail", args=[submission.id])).content.decode()

    for html in (report_html, detail_html):
        tables = html.count("<table")
        assert tables
        assert html.count('<div class="app-table-scroll" role="region"') == tables
