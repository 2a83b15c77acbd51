"""The drill-down to the child records behind a figure (``dashboards.views.drilldown``), on
figures stored by the real pipeline: a synthetic Barnsley extract uploaded, checked, accepted
and its indicators computed, so the page reads the stored canonical extract the figures came
from.

Barnsley's own users see the records and their count is the stored figure; DfE roles and
other LAs get 404; every view and download is audited without a child id; the CSV has the
page's rows."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.files import File
from django.test import Client
from django.utils import timezone
from lxml import html as lxml_html

from dashboards.views import drilldown
from indicators import queries
from indicators.models import IndicatorValue
from indicators.services import compute_and_store_indicators
from portal.access import OutOfScope
from portal.models import AuditAction, AuditEvent, LocalAuthority
from submissions import services, storage
from submissions.models import CanonicalExtract, Submission
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_extract

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 31)
START = date(2023, 4, 1)
INDICATOR = "rereferral_12m"
DASH = "\u2013"  # the en dash of "N in the numerator \u2013 the same as the figure"
REFUSED = ["case_lead", "risl", "analyst", "other_lead", "access_admin"]


@pytest.fixture
def barnsley(personas: dict[str, Any]) -> Submission:
    """Barnsley's accepted submission of a clean synthetic extract (three years to 31 March
    2026, about 400 children) with its indicators stored, through the real pipeline."""
    la = LocalAuthority.objects.get(code="370")
    extract = generate("370", START, AS_OF, children=400, seed=370, clean=True)
    with tempfile.TemporaryDirectory(prefix="csc-test-") as folder:
        written = write_extract(extract, Path(folder), ["cin", "903"])
        paths = [p for group in written.values() for p in group]
        handles = [p.open("rb") for p in paths]
        try:
            submission = services.create_submission(
                local_authority=la, user=personas["lead"], as_of=AS_OF, coverage_start=START,
                uploads=[File(h, name=p.name) for h, p in zip(handles, paths, strict=True)],
            )  # fmt: skip
        finally:
            for handle in handles:
                handle.close()
    claimed = services.claim(submission.pk)
    assert claimed is not None
    accepted = services.accept(services.run_checks(claimed), personas["lead"])
    assert compute_and_store_indicators(accepted)
    return accepted


def _url(indicator_id: str = INDICATOR, la_code: str = "370", csv_: bool = False) -> str:
    suffix = "csv/" if csv_ else ""
    return f"/dashboards/la/{la_code}/{indicator_id}/children/{suffix}"


def _stored(indicator_id: str = INDICATOR, period_end: date = AS_OF) -> IndicatorValue:
    return IndicatorValue.objects.get(
        local_authority__code="370", indicator_id=indicator_id, period_end=period_end
    )


def _table_rows(response: Any) -> list[list[str]]:
    """The members table's rows, each cell's text with whitespace collapsed."""
    tree = lxml_html.fromstring(response.content)
    rows = cast(list[Any], tree.xpath('//table[@id="members"]/tbody/tr'))
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("th|td")] for row in rows]


def _text(response: Any, element_id: str) -> str:
    """The text of the element with ``element_id``, whitespace collapsed."""
    tree = lxml_html.fromstring(response.content)
    [element] = cast(list[Any], tree.xpath(f'//*[@id="{element_id}"]'))
    return " ".join(element.text_content().split())


def _csv(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.mark.parametrize("persona", ["lead", "viewer"])
def test_the_las_own_users_see_the_records_and_the_count_is_the_figure(
    client: Client, personas: dict[str, Any], barnsley: Submission, persona: str
) -> None:
    stored = _stored()
    assert stored.status == "ok"
    assert stored.numerator
    assert stored.denominator
    assert stored.denominator > drilldown.PAGE_SIZE  # the page is paginated
    client.force_login(personas[persona])

    response = client.get(_url(), {"period": AS_OF.isoformat()})

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.content.decode()
    assert _text(response, "member-counts") == (
        f"{stored.numerator:,} records in the numerator, {stored.denominator:,} records in the "
        f"denominator {DASH} the same as the figure on the dashboard."
    )
    assert (
        "Children behind the figure: Re-referrals within 12 months of a previous referral" in page
    )
    assert f'href="/dashboards/la/370/{INDICATOR}/?period=2026-03-31"' in page  # back link
    rows = _table_rows(response)
    assert len(rows) == drilldown.PAGE_SIZE
    assert all(row[1].startswith("Referral") for row in rows)
    headers = lxml_html.fromstring(response.content).xpath('//table[@id="members"]//thead//th')
    assert [" ".join(h.text_content().split()) for h in cast(list[Any], headers)] == [
        "Child ID", "Record", "Referral date", "Closure date", "In numerator", "In denominator",
        "In your files",
    ]  # fmt: skip
    assert all(row[0].startswith("370C") for row in rows)

    [event] = _events(AuditAction.DASHBOARD_VIEWED)
    assert (event.actor, event.organisation) == (personas[persona], "370")
    assert event.details == {
        "view": "members", "indicator": INDICATOR, "period_end": "2026-03-31", "page": 1,
    }  # fmt: skip
    # No child id anywhere in the audit trail.
    trail = json.dumps([e.details for e in AuditEvent.objects.all()])
    assert not any(row[0] in trail for row in rows)


def test_every_row_is_listed_across_the_pages_and_the_csv_has_them_all(
    client: Client,
    personas: dict[str, Any],
    barnsley: Submission,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(drilldown, "PAGE_SIZE", 10)
    stored = _stored()
    assert stored.denominator is not None
    client.force_login(personas["lead"])
    period: dict[str, str | int] = {"period": AS_OF.isoformat()}

    first = client.get(_url(), period)
    assert 'class="govuk-pagination"' in first.content.decode()
    shown: list[list[str]] = []
    pages = -(-stored.denominator // 10)
    for number in range(1, pages + 1):
        shown += _table_rows(client.get(_url(), {**period, "page": number}))
    assert len(shown) == stored.denominator
    assert sum(row[4] == "Yes" for row in shown) == stored.numerator

    download = client.get(_url(csv_=True), period)
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == (
        'attachment; filename="children-370-rereferral_12m-2026-03-31.csv"'
    )
    assert "no-store" in download.headers["Cache-Control"]
    rows = _csv(download)
    assert len(rows) == stored.denominator
    assert sum(row["In numerator"] == "Yes" for row in rows) == stored.numerator
    assert all(row["In denominator"] == "Yes" for row in rows)
    # The same rows as the page, in the same order.
    assert [r["Child ID"] for r in rows] == [row[0] for row in shown]
    assert [r["In numerator"] for r in rows] == [row[4] for row in shown]
    for r, row in zip(rows, shown, strict=True):
        assert (r["Record"], r["Start date is"], r["End date is"]) == (
            "Referral", "Referral date", "Closure date",
        )  # fmt: skip
        start = date.fromisoformat(r["Start date"])
        assert row[2] == f"{start.day} {start:%b %Y}"
        if r["End date"]:
            end = date.fromisoformat(r["End date"])
            assert row[3] == f"{end.day} {end:%b %Y}"
        else:
            assert row[3] == "Not closed"
        assert r["Record ID"] in row[1]

    [export] = _events(AuditAction.EXPORT)
    assert export.details == {
        "view": "members", "indicator": INDICATOR, "period_end": "2026-03-31", "format": "csv",
    }  # fmt: skip
    trail = json.dumps([e.details for e in AuditEvent.objects.all()])
    assert not any(r["Child ID"] in trail for r in rows)


def test_children_counted_once_are_listed_once(
    client: Client, personas: dict[str, Any], barnsley: Submission
) -> None:
    stored = _stored("cin_rate")
    client.force_login(personas["viewer"])

    response = client.get(_url("cin_rate"), {"period": AS_OF.isoformat()})

    assert response.status_code == 200
    assert _text(response, "member-counts") == (
        f"{stored.numerator:,} children in the numerator {DASH} the same as the figure on the "
        "dashboard."
    )
    rows = _table_rows(response)
    assert stored.numerator is not None
    assert len({row[0] for row in rows}) == len(rows) == stored.numerator
    assert len(rows[0]) == 6  # a rate: no denominator column
    assert all(row[4] == "Yes" for row in rows)


def test_dfe_roles_and_other_las_get_404(
    client: Client, personas: dict[str, Any], barnsley: Submission
) -> None:
    period = {"period": AS_OF.isoformat()}
    la = LocalAuthority.objects.get(code="370")
    for persona in REFUSED:
        client.force_login(personas[persona])
        assert client.get(_url(), period).status_code == 404, persona
        assert client.get(_url(csv_=True), period).status_code == 404, persona
        assert client.get(_url("no_such_indicator"), period).status_code == 404, persona
        with pytest.raises(OutOfScope):
            queries.figure_members(personas[persona], la, INDICATOR, AS_OF)

    assert _events(AuditAction.DASHBOARD_VIEWED) == _events(AuditAction.EXPORT) == []
    denied = _events(AuditAction.ACCESS_DENIED)
    assert [e.details["status"] for e in denied] == [404] * 3 * len(REFUSED)
    assert {e.details["required"] for e in denied} == {"view_child_level"}
    # The query itself, for the LA's own users.
    result = queries.figure_members(personas["viewer"], la, INDICATOR, AS_OF)
    assert result.submission == barnsley
    assert result.matches
    assert result.members is not None
    assert result.members.numerator == _stored().numerator


def test_unknown_indicators_las_and_bad_periods_are_404(
    client: Client, personas: dict[str, Any], barnsley: Submission
) -> None:
    client.force_login(personas["lead"])
    for path, period in [
        (_url("no_such_indicator"), "2026-03-31"),
        (_url(la_code="999"), "2026-03-31"),
        (_url(), "31/03/2026"),
        (_url(), "2026-02-30"),
        (_url(csv_=True), "2025-03-30"),  # no such figure: nothing to download
    ]:
        assert client.get(path, {"period": period}).status_code == 404, (path, period)


def test_without_a_period_the_latest_is_shown_and_a_period_without_a_number_says_why(
    client: Client, personas: dict[str, Any], barnsley: Submission
) -> None:
    client.force_login(personas["lead"])
    latest = client.get(_url())
    assert latest.status_code == 200
    assert "to 31 March 2026" in latest.content.decode()
    assert len(_table_rows(latest)) == drilldown.PAGE_SIZE

    for period, says in [
        # rereferral_12m needs 12 months before the period: the first year has no figure.
        ("2024-03-31", "The extract does not go back far enough for this period"),
        ("2025-03-30", "There is no figure for this indicator and period."),
    ]:
        response = client.get(_url(), {"period": period})
        assert response.status_code == 200
        page = response.content.decode()
        assert says in page
        assert _table_rows(response) == []
        assert "Download every record as CSV" not in page


def test_a_deleted_extract_is_explained_not_a_crash(
    client: Client, personas: dict[str, Any], barnsley: Submission
) -> None:
    # The end of retention: the stored extract and the raw files are gone.
    storage.delete(CanonicalExtract.objects.get(submission=barnsley))
    Submission.objects.filter(pk=barnsley.pk).update(raw_files_deleted_at=timezone.now())
    client.force_login(personas["lead"])

    response = client.get(_url(), {"period": AS_OF.isoformat()})

    assert response.status_code == 200
    page = response.content.decode()
    assert "can no longer be listed" in page
    assert "deleted at the end of its retention period" in page
    assert _table_rows(response) == []
    assert client.get(_url(csv_=True), {"period": AS_OF.isoformat()}).status_code == 404
