"""Report downloads: every finding, safe to open in a spreadsheet, safely named, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from portal.models import AuditEvent
from submissions import exports
from submissions.models import Submission
from tests.portal_submissions.factories import add_findings

pytestmark = pytest.mark.django_db

INJECTED = '=HYPERLINK("http://evil.example","click")'


def download(
    client: Client, name: str, sub: Submission, **params: str
) -> StreamingHttpResponse | FileResponse:
    response = client.get(reverse(f"submissions:{name}", args=[sub.id]), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse | FileResponse)
    return response


def csv_rows(response: StreamingHttpResponse) -> list[list[str]]:
    body = response.getvalue().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def xlsx_rows(response: StreamingHttpResponse) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(response.getvalue()), read_only=True).worksheets[0]
    return [["" if c.value is None else str(c.value) for c in row] for row in sheet.iter_rows()]


def test_the_csv_holds_every_finding_and_is_streamed(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    add_findings(submission, "300", count=2500)

    response = download(as_persona("lead"), "report_csv", submission)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == list(exports.COLUMNS)
    assert len(rows) == 1 + 2 + 3 + 2500
    assert ["100", "Error", "CIN_Census_2024.xml", "line 10", "LA370C000000",
            "PersonBirthDate", "Rule 100 is not met."] in rows  # fmt: skip


def test_the_xlsx_holds_every_finding_as_text(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    response = download(as_persona("lead"), "report_xlsx", submission)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(response)
    assert rows[0] == list(exports.COLUMNS)
    assert len(rows) == 1 + 2 + 3
    assert rows[1][:2] == ["100", "Error"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(
    as_persona: Callable[[str], Client], submission: Submission, start: str
) -> None:
    add_findings(submission, "400", message=f"{start}{INJECTED[1:]}", child_id=f"{start}1+1")
    client = as_persona("lead")

    csv_row = csv_rows(download(client, "report_csv", submission, rule="400"))[1]
    xlsx_row = xlsx_rows(download(client, "report_xlsx", submission, rule="400"))[1]

    for row in (csv_row, xlsx_row):
        assert row[4] == f"'{start}1+1"
        assert row[6] == f"'{start}{INJECTED[1:]}"


def test_the_xlsx_stores_every_cell_as_a_string() -> None:
    class Finding:
        code, file, location, child_id, field = "1", "f", "\x00=1+1", "007", ""
        message = "bad\x07 value"

        def get_severity_display(self) -> str:
            return "Error"

    out = io.BytesIO()
    exports.write_xlsx([Finding()], out, title="370 findings")

    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    cells = next(iter(sheet.iter_rows(min_row=2)))
    assert all(cell.data_type == "s" for cell in cells if cell.value is not None)
    # The control character in front of "=" is dropped and the formula still neutralised.
    assert [c.value for c in cells] == ["1", "Error", "f", "'=1+1", "007", None, "bad value"]


def test_exports_follow_the_page_filters(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    rows = csv_rows(download(as_persona("lead"), "report_csv", submission, severity="query"))

    assert {row[0] for row in rows[1:]} == {"8675Q"}
    assert len(rows) == 1 + 3


@pytest.mark.parametrize(("name", "fmt"), [("report_csv", "csv"), ("report_xlsx", "xlsx")])
def test_exports_are_audited_and_named_from_our_own_values(
    as_persona: Callable[[str], Client], submission: Submission, name: str, fmt: str
) -> None:
    response = download(as_persona("viewer"), name, submission, child_id="LA370C00")

    assert response["Content-Disposition"] == (
        f'attachment; filename="validation-report-370-2024-03-31.{fmt}"'
    )
    event = AuditEvent.objects.get(action="export")
    assert event.actor_email == "viewer@barnsley.example.org"
    assert event.organisation == "370"
    assert event.object_id == str(submission.id)
    assert event.details == {"format": fmt, "filters": {"child_id": "given"}}
    assert "LA370C00" not in str(event.details)  # no child identifiers in the audit trail
