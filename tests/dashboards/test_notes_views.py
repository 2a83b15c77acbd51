"""The context notes pages (``dashboards.views.notes``) and the notes include: a data lead
writes and edits, every reviewer of the LA reads the note and its history, viewers and DfE
roles may not write (403), other LAs' users are told nothing (404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from lxml import html as lxml_html

from indicators import notes
from indicators.models import ContextNote, IndicatorValue
from portal.models import AuditAction, AuditEvent, LocalAuthority
from submissions.models import Submission
from tests.portal_submissions.factories import make_submission

pytestmark = pytest.mark.django_db

INDICATOR = "repeat_cpp_12m"
MARCH, FEBRUARY = date(2026, 3, 31), date(2026, 2, 28)
LONDON = ZoneInfo("Europe/London")


def _barnsley() -> LocalAuthority:
    return LocalAuthority.objects.get(code="370")


def create_url(la_code: str = "370", **query: str) -> str:
    url = reverse("restricted_dashboards:note_create", args=[la_code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def edit_url(note: ContextNote, la_code: str = "370") -> str:
    return reverse("restricted_dashboards:note_edit", args=[la_code, note.pk])


def history_url(note: ContextNote, la_code: str = "370") -> str:
    return reverse("restricted_dashboards:note_history", args=[la_code, note.pk])


def indicator_url(la_code: str = "370", indicator_id: str = INDICATOR) -> str:
    return reverse("restricted_dashboards:indicator", args=[la_code, indicator_id])


@pytest.fixture
def client_for(personas: dict[str, Any]) -> Callable[[str], Client]:
    def make(name: str) -> Client:
        client = Client()
        client.force_login(personas[name])
        return client

    return make


@pytest.fixture
def figures() -> Submission:
    """Barnsley's stored figures of the indicator for the years to February and March 2026."""
    submission = make_submission("370", Submission.Status.ACCEPTED, as_of=MARCH)
    for end in (FEBRUARY, MARCH):
        IndicatorValue.objects.create(
            local_authority=submission.local_authority, submission=submission,
            indicator_id=INDICATOR, period_start=date(end.year - 1, end.month + 1, 1),
            period_end=end, numerator=12, denominator=80, value=Decimal("15.0"), status="ok",
        )  # fmt: skip
    return submission


@pytest.fixture
def note(personas: dict[str, Any]) -> ContextNote:
    return notes.write_note(personas["lead"], _barnsley(), INDICATOR, None, "First version.")


def _page(response: Any) -> Any:
    return lxml_html.fromstring(response.content.decode())


def test_the_form_offers_the_las_reported_periods_and_a_character_count(
    client_for: Callable[[str], Client], figures: Submission
) -> None:
    response = client_for("lead").get(create_url(indicator=INDICATOR, period="2026-02-28"))

    assert response.status_code == 200
    page = _page(response)
    options = page.xpath("//select[@name='period']/option")
    assert [(o.get("value"), o.text_content()) for o in options] == [
        ("", "All periods"),
        ("2026-03-31", "Year to 31 March 2026"),
        ("2026-02-28", "Year to 28 February 2026"),
    ]
    assert page.xpath("//select[@name='period']/option[@selected]/@value") == ["2026-02-28"]
    [group] = page.xpath("//div[@data-module='govuk-character-count']")
    assert group.get("data-maxlength") == "2000"
    [textarea] = group.xpath(".//textarea[@name='text']")
    assert "govuk-js-character-count" in textarea.get("class")
    assert textarea.get("maxlength") is None  # the count, not the browser, tells of the limit
    assert "id_text-info" in textarea.get("aria-describedby")
    assert group.xpath(".//*[@id='id_text-info']")[0].text_content().strip() == (
        "You can enter up to 2,000 characters"
    )


def test_a_lead_writes_a_note_then_a_case_lead_of_the_la_reads_it_in_its_history(
    client_for: Callable[[str], Client], personas: dict[str, Any], figures: Submission
) -> None:
    response = client_for("lead").post(
        create_url(indicator=INDICATOR),
        {"period": "2026-03-31", "text": "A new front door\r\nstarted in January."},
    )

    note = ContextNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == indicator_url() + "?period=2026-03-31"
    assert (note.local_authority.code, note.indicator_id, note.period_end) == ("370", INDICATOR,
                                                                              MARCH)  # fmt: skip
    assert note.created_by == personas["lead"]
    written = AuditEvent.objects.get(action=AuditAction.NOTE_WRITTEN)
    assert written.object_id == str(note.pk)
    assert "front door" not in str(written.details)

    history = client_for("case_lead").get(history_url(note))

    assert history.status_code == 200
    page = _page(history)
    [version] = page.xpath("//section[@data-revision='1']")
    assert "A new front door" in version.text_content()
    assert version.xpath(".//br")  # the line break is kept
    assert "lead@barnsley.example.org" in version.text_content()
    assert "Year to 31 March 2026" in page.text_content()
    viewed = AuditEvent.objects.get(action=AuditAction.DASHBOARD_VIEWED)
    assert (viewed.actor, viewed.organisation, viewed.object_id) == (
        personas["case_lead"],
        "370",
        str(note.pk),
    )


def test_an_edit_appends_a_revision_that_the_history_lists_above_the_first(
    client_for: Callable[[str], Client], note: ContextNote
) -> None:
    lead = client_for("lead")
    form = _page(lead.get(edit_url(note)))
    assert form.xpath("//textarea[@name='text']")[0].text_content().strip() == "First version."
    assert form.xpath("//input[@name='based_on']/@value") == ["1"]

    response = lead.post(edit_url(note), {"text": "Second version.", "based_on": "1"})

    assert response.status_code == 302
    assert response["Location"] == indicator_url()
    assert [r.text for r in note.revisions.order_by("number")] == [
        "First version.",
        "Second version.",
    ]
    page = _page(client_for("viewer").get(history_url(note)))
    versions = page.xpath("//section[@data-revision]")
    assert [v.get("data-revision") for v in versions] == ["2", "1"]
    assert "Version 2 (current)" in versions[0].text_content()
    assert "Second version." in versions[0].text_content()
    assert "First version." in versions[1].text_content()


def test_an_edit_of_a_version_someone_else_has_replaced_is_shown_back_not_saved(
    client_for: Callable[[str], Client], personas: dict[str, Any], note: ContextNote
) -> None:
    notes.revise_note(personas["lead"], note, "A colleague's edit.")

    response = client_for("lead").post(edit_url(note), {"text": "My edit.", "based_on": "1"})

    assert response.status_code == 200
    page = _page(response)
    assert (
        "Someone else changed this note"
        in page.xpath("//div[@class='govuk-error-summary']")[0].text_content()
    )
    assert page.xpath("//textarea[@name='text']")[0].text_content().strip() == "My edit."
    assert page.xpath("//input[@name='based_on']/@value") == ["2"]
    assert note.revisions.count() == 2

    client_for("lead").post(edit_url(note), {"text": "My edit.", "based_on": "2"})
    assert notes.current_note(personas["lead"], note).text == "My edit."


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Enter a note"), ("x" * 2001, "The note must be 2,000 characters or fewer")],
)
def test_an_invalid_note_gets_an_error_summary_and_is_not_saved(
    client_for: Callable[[str], Client], figures: Submission, text: str, message: str
) -> None:
    response = client_for("lead").post(
        create_url(indicator=INDICATOR), {"period": "", "text": text}
    )

    assert response.status_code == 200
    page = _page(response)
    assert page.xpath("//title")[0].text_content().startswith("Error:")
    summary = page.xpath("//div[@class='govuk-error-summary']")[0]
    assert summary.xpath(".//a[@href='#id_text']")[0].text_content().strip() == message
    assert page.xpath("//div[contains(@class, 'govuk-form-group--error')]//textarea")
    assert not ContextNote.objects.exists()


def test_a_period_the_la_has_no_figures_for_is_refused(
    client_for: Callable[[str], Client], figures: Submission
) -> None:
    response = client_for("lead").post(
        create_url(indicator=INDICATOR), {"period": "2025-01-31", "text": "A note."}
    )

    assert response.status_code == 200
    assert "Select a period the figures cover" in response.content.decode()
    assert not ContextNote.objects.exists()


def test_an_unknown_indicator_is_not_found(client_for: Callable[[str], Client]) -> None:
    lead = client_for("lead")

    assert lead.get(create_url(indicator="no_such_indicator")).status_code == 404
    assert lead.get(create_url()).status_code == 404


@pytest.mark.parametrize("persona", ["viewer", "case_lead", "risl", "analyst"])
def test_viewers_and_dfe_roles_may_not_write_or_edit(
    client_for: Callable[[str], Client], persona: str, note: ContextNote
) -> None:
    client = client_for(persona)

    assert client.get(create_url(indicator=INDICATOR)).status_code == 403
    assert client.post(create_url(indicator=INDICATOR), {"text": "Mine."}).status_code == 403
    assert client.get(edit_url(note)).status_code == 403
    assert client.post(edit_url(note), {"text": "Mine.", "based_on": "1"}).status_code == 403
    assert client.get(history_url(note)).status_code == 200

    assert ContextNote.objects.count() == 1
    assert note.revisions.count() == 1
    denied = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED)
    assert denied.count() == 4
    assert {(e.organisation, e.details["status"]) for e in denied} == {("370", 403)}


def test_another_las_lead_is_told_nothing(
    client_for: Callable[[str], Client], note: ContextNote
) -> None:
    leeds = client_for("other_lead")

    assert leeds.get(create_url(indicator=INDICATOR)).status_code == 404
    assert leeds.post(create_url(indicator=INDICATOR), {"text": "Leeds."}).status_code == 404
    assert leeds.get(edit_url(note)).status_code == 404
    assert leeds.post(edit_url(note), {"text": "Leeds.", "based_on": "1"}).status_code == 404
    assert leeds.get(history_url(note)).status_code == 404
    # Under Leeds' own code, Barnsley's note is no more there.
    assert leeds.get(history_url(note, la_code="383")).status_code == 404
    assert leeds.get(edit_url(note, la_code="383")).status_code == 404

    assert ContextNote.objects.count() == 1
    assert note.revisions.count() == 1
    assert set(
        AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).values_list(
            "organisation", flat=True
        )
    ) == {"370"}


def test_a_note_is_only_found_under_its_own_las_code(
    client_for: Callable[[str], Client], note: ContextNote
) -> None:
    assert client_for("lead").get(history_url(note, la_code="383")).status_code == 404
    assert client_for("lead").get(create_url("999", indicator=INDICATOR)).status_code == 404


def _include(user: Any, can_write: bool, indicator_id: str | None = INDICATOR) -> Any:
    html = render_to_string(
        "restricted_dashboards/includes/notes.html",
        {
            "notes": notes.notes_for(user, _barnsley(), indicator_id),
            "can_write": can_write,
            "la_code": "370",
            "indicator_id": indicator_id,
        },
    )
    return lxml_html.fromstring(f"<div>{html}</div>")


def test_the_include_shows_each_note_with_author_date_edits_and_links(
    personas: dict[str, Any],
) -> None:
    lead = personas["lead"]
    lead.full_name = "Lee Lead"
    lead.save()
    with time_machine.travel(datetime(2026, 3, 12, 10, 0, tzinfo=LONDON), tick=False):
        edited = notes.write_note(lead, _barnsley(), INDICATOR, MARCH, "Line one\nline two")
    with time_machine.travel(datetime(2026, 4, 2, 9, 0, tzinfo=LONDON), tick=False):
        notes.revise_note(lead, edited, "Line one\nline two, edited")
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=LONDON), tick=False):
        notes.revise_note(lead, edited, "Line one\nline two, edited again")
        untouched = notes.write_note(lead, _barnsley(), INDICATOR, None, "For every period.")

    page = _include(lead, can_write=True)

    [first, second] = page.xpath("//div[@data-note]")
    assert first.get("data-note") == str(untouched.pk)  # all periods first
    assert "All periods" in first.xpath(".//h3")[0].text_content()
    assert "Edited" not in first.text_content()
    assert second.xpath(".//h3")[0].text_content() == "Year to 31 March 2026"
    [inset] = second.xpath(".//div[contains(@class, 'govuk-inset-text')]")
    assert inset.xpath(".//br")  # the line break is kept
    assert [t.strip() for t in inset.itertext()] == ["Line one", "line two, edited again"]
    text = " ".join(second.text_content().split())
    assert "Written by Lee Lead on 12 March 2026." in text
    assert "Edited 2 times, last by Lee Lead on 3 April 2026." in text
    assert second.xpath(".//a[text()='Edited 2 times']/@href") == [history_url(edited)]
    assert second.xpath(".//a[starts-with(., 'Edit')]/@href")[-1] == edit_url(edited)
    [add] = page.xpath("//a[text()='Add a note']")
    assert add.get("href") == create_url(indicator=INDICATOR)


def test_the_include_offers_no_writing_to_readers(
    personas: dict[str, Any], note: ContextNote
) -> None:
    page = _include(personas["case_lead"], can_write=False)

    assert "First version." in page.text_content()
    assert not page.xpath("//a[text()='Add a note']")
    assert not page.xpath(f"//a[@href='{edit_url(note)}']")


def test_the_include_says_when_there_are_no_notes(personas: dict[str, Any]) -> None:
    page = _include(personas["lead"], can_write=True)

    assert "There are no notes on this indicator yet." in page.text_content()
    assert page.xpath("//a[text()='Add a note']")


def test_the_include_names_each_notes_indicator_when_it_lists_all_of_them(
    personas: dict[str, Any], note: ContextNote
) -> None:
    page = _include(personas["lead"], can_write=True, indicator_id=None)

    assert page.xpath("//h3")[0].text_content().startswith("Repeat child protection plans")
    assert not page.xpath("//a[text()='Add a note']")
