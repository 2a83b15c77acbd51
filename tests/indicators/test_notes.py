"""Context notes (``indicators.notes``): only an LA's data leads write them, everyone who may
see the LA's dashboard reads them, edits append revisions that are never changed, and every
write is audited without the note's text."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from indicators import notes
from indicators.models import NOTE_MAX_LENGTH, ContextNote, ContextNoteRevision
from portal.access import OutOfScope, Refused
from portal.models import AuditAction, AuditEvent, LocalAuthority

pytestmark = pytest.mark.django_db

INDICATOR = "repeat_cpp_12m"
MARCH = date(2026, 3, 31)
#: Who reads Barnsley's (370) notes: its users and the DfE roles that cover it.
READS_BARNSLEY = ["lead", "viewer", "case_lead", "risl", "analyst"]
#: Who can see Barnsley but may not write its notes (403), and who cannot see it (404).
SEES_BUT_MAY_NOT_WRITE = ["viewer", "case_lead", "risl", "analyst"]
OUTSIDE_BARNSLEY = ["other_lead", "access_admin"]


def _la(code: str = "370") -> LocalAuthority:
    return LocalAuthority.objects.get(code=code)


@pytest.fixture
def note(personas: dict[str, Any]) -> ContextNote:
    return notes.write_note(
        personas["lead"], _la(), INDICATOR, MARCH, "Two sibling groups\nre-registered."
    )


def test_a_data_lead_writes_a_note_that_is_its_first_revision(
    personas: dict[str, Any], note: ContextNote
) -> None:
    [current] = notes.notes_for(personas["lead"], _la(), INDICATOR)

    assert current.id == note.pk
    assert current.text == "Two sibling groups\nre-registered."
    assert current.period_end == MARCH
    assert current.period_label == "Year to 31 March 2026"
    assert current.created_by_email == current.updated_by_email == "lead@barnsley.example.org"
    assert current.revision_count == 1
    assert current.edits == 0
    assert current.indicator_title.startswith("Repeat child protection plans")
    assert note.revisions.get().number == 1


def test_an_edit_appends_a_revision_and_keeps_every_earlier_one(
    personas: dict[str, Any], note: ContextNote
) -> None:
    personas["lead"].full_name = "Lee Lead"
    personas["lead"].save()
    notes.revise_note(personas["lead"], note, "Second version.")
    notes.revise_note(personas["lead"], note, "Third version.")

    [current] = notes.notes_for(personas["case_lead"], _la(), INDICATOR)
    history = notes.note_history(personas["case_lead"], note)

    assert current.text == "Third version."
    assert current.revision_count == 3
    assert current.edits == 2
    assert current.updated_by_name == "Lee Lead"
    assert [(r.number, r.text) for r in history] == [
        (3, "Third version."),
        (2, "Second version."),
        (1, "Two sibling groups\nre-registered."),
    ]
    assert ContextNoteRevision.objects.filter(note=note).count() == 3


def test_saving_the_same_text_again_adds_no_revision_and_no_audit_event(
    personas: dict[str, Any], note: ContextNote
) -> None:
    events = AuditEvent.objects.filter(action=AuditAction.NOTE_WRITTEN).count()

    notes.revise_note(personas["lead"], note, "  Two sibling groups\r\nre-registered.  ")

    assert note.revisions.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.NOTE_WRITTEN).count() == events


def test_revisions_are_append_only(note: ContextNote) -> None:
    revision = note.revisions.get()

    with pytest.raises(PermissionError):
        ContextNoteRevision.objects.filter(note=note).update(text="rewritten")
    with pytest.raises(PermissionError):
        ContextNoteRevision.objects.filter(note=note).delete()
    revision.text = "rewritten"
    with pytest.raises(PermissionError):
        revision.save()
    with pytest.raises(PermissionError):
        revision.delete()
    # Nor can the history go with its note.
    with pytest.raises(ProtectedError):
        note.delete()
    assert ContextNoteRevision.objects.get(pk=revision.pk).text.startswith("Two sibling")


def test_an_edit_based_on_an_older_revision_is_refused_and_saves_nothing(
    personas: dict[str, Any], note: ContextNote
) -> None:
    notes.revise_note(personas["lead"], note, "Someone else's edit.", based_on=1)

    with pytest.raises(notes.NoteConflict):
        notes.revise_note(personas["lead"], note, "My stale edit.", based_on=1)

    assert note.revisions.count() == 2
    assert notes.current_note(personas["lead"], note).text == "Someone else's edit."


def test_a_note_is_at_most_2000_characters_counting_a_line_break_as_one(
    personas: dict[str, Any],
) -> None:
    lead, la = personas["lead"], _la()
    # 200 lines of 9 characters: 1,999 characters as the page counts them, 2,198 as sent.
    crlf = "\r\n".join(["x" * 9] * 200)

    at_limit = notes.write_note(lead, la, INDICATOR, None, "x" * NOTE_MAX_LENGTH)
    with_line_breaks = notes.write_note(lead, la, INDICATOR, None, crlf)
    with pytest.raises(ValidationError, match="2,000 characters or fewer"):
        notes.write_note(lead, la, INDICATOR, None, "x" * (NOTE_MAX_LENGTH + 1))
    with pytest.raises(ValidationError, match="2,000 characters or fewer"):
        notes.revise_note(lead, at_limit, "y" * (NOTE_MAX_LENGTH + 1))

    assert len(with_line_breaks.revisions.get().text) == 1999
    assert "\r" not in with_line_breaks.revisions.get().text
    assert ContextNote.objects.count() == 2
    assert at_limit.revisions.count() == 1


@pytest.mark.parametrize(
    ("indicator_id", "period_end", "text", "message"),
    [
        (INDICATOR, None, "   \r\n ", "Enter a note"),
        ("no_such_indicator", None, "A note.", "There is no such indicator"),
        (INDICATOR, date(2026, 3, 30), "A note.", "last day of a month"),
    ],
)
def test_an_invalid_note_is_refused(
    personas: dict[str, Any], indicator_id: str, period_end: date | None, text: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        notes.write_note(personas["lead"], _la(), indicator_id, period_end, text)

    assert not ContextNote.objects.exists()


@pytest.mark.parametrize("persona", SEES_BUT_MAY_NOT_WRITE)
def test_viewers_and_dfe_roles_may_not_write_or_edit(
    persona: str, personas: dict[str, Any], note: ContextNote
) -> None:
    with pytest.raises(Refused) as refused:
        notes.write_note(personas[persona], _la(), INDICATOR, None, "Not mine to write.")
    with pytest.raises(Refused):
        notes.revise_note(personas[persona], note, "Not mine to change.")

    assert refused.value.organisation == "370"
    assert ContextNote.objects.count() == 1
    assert note.revisions.count() == 1


@pytest.mark.parametrize("persona", OUTSIDE_BARNSLEY)
def test_anyone_outside_the_la_is_told_nothing(
    persona: str, personas: dict[str, Any], note: ContextNote
) -> None:
    user = personas[persona]

    for attempt in (
        lambda: notes.write_note(user, _la(), INDICATOR, None, "Leeds writing for Barnsley."),
        lambda: notes.revise_note(user, note, "Leeds changing Barnsley's note."),
        lambda: notes.notes_for(user, _la()),
        lambda: notes.note_history(user, note),
        lambda: notes.current_note(user, note),
    ):
        with pytest.raises(OutOfScope):
            attempt()
    assert note.revisions.count() == 1


def test_leeds_lead_writes_leeds_notes(personas: dict[str, Any]) -> None:
    leeds = notes.write_note(personas["other_lead"], _la("383"), INDICATOR, None, "Leeds note.")

    assert notes.notes_for(personas["other_lead"], _la("383"))[0].id == leeds.pk
    assert notes.notes_for(personas["lead"], _la()) == []


@pytest.mark.parametrize("persona", READS_BARNSLEY)
def test_everyone_who_sees_the_dashboard_reads_the_notes(
    persona: str, personas: dict[str, Any], note: ContextNote
) -> None:
    [current] = notes.notes_for(personas[persona], _la())

    assert current.text == "Two sibling groups\nre-registered."
    assert [r.number for r in notes.note_history(personas[persona], note)] == [1]


def test_notes_come_by_indicator_then_all_periods_then_latest_period_first(
    personas: dict[str, Any],
) -> None:
    lead, la = personas["lead"], _la()
    february = notes.write_note(lead, la, INDICATOR, date(2026, 2, 28), "February.")
    general = notes.write_note(lead, la, INDICATOR, None, "All periods.")
    march = notes.write_note(lead, la, INDICATOR, MARCH, "March.")
    earlier_indicator = notes.write_note(lead, la, "rereferral_12m", None, "Re-referrals.")

    assert [n.id for n in notes.notes_for(lead, la, INDICATOR)] == [
        general.pk, march.pk, february.pk,
    ]  # fmt: skip
    # rereferral_12m comes before repeat_cpp_12m in the registry.
    assert [n.id for n in notes.notes_for(lead, la)] == [
        earlier_indicator.pk, general.pk, march.pk, february.pk,
    ]  # fmt: skip
    assert notes.notes_for(lead, la)[1].period_label == "All periods"


def test_a_snapshot_indicators_period_is_named_by_its_date() -> None:
    assert notes.period_label("cpp_open_2yrs", MARCH) == "At 31 March 2026"
    assert notes.period_label(INDICATOR, MARCH) == "Year to 31 March 2026"


def test_reading_notes_takes_the_same_queries_however_many_there_are(
    personas: dict[str, Any],
) -> None:
    lead, la = personas["lead"], _la()
    first = notes.write_note(lead, la, INDICATOR, None, "One.")

    with CaptureQueriesContext(connection) as one:
        notes.notes_for(lead, la)
    for n in range(5):
        note = notes.write_note(lead, la, INDICATOR, None, f"Note {n}.")
        notes.revise_note(lead, note, f"Note {n}, edited.")
    notes.revise_note(personas["lead"], first, "One, edited.")
    with CaptureQueriesContext(connection) as six:
        assert len(notes.notes_for(lead, la)) == 6

    assert len(six.captured_queries) == len(one.captured_queries)


def test_note_counts_counts_each_las_notes_in_one_query(
    personas: dict[str, Any], django_assert_num_queries: Any
) -> None:
    for text in ("One.", "Two."):
        notes.write_note(personas["lead"], _la(), INDICATOR, None, text)
    notes.write_note(personas["other_lead"], _la("383"), INDICATOR, None, "Leeds.")
    las = list(LocalAuthority.objects.filter(code__in=["370", "383", "202"]))

    with django_assert_num_queries(1):
        counts = notes.note_counts(las)

    assert {la.code: counts[la.pk] for la in las} == {"370": 2, "383": 1, "202": 0}


def test_every_write_is_audited_without_the_text(
    personas: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Jane Doe moved to her aunt's"
    with caplog.at_level(logging.DEBUG):
        note = notes.write_note(personas["lead"], _la(), INDICATOR, MARCH, f"{secret}.")
        notes.revise_note(personas["lead"], note, f"{secret}, then back.")

    events = list(AuditEvent.objects.filter(action=AuditAction.NOTE_WRITTEN).order_by("id"))
    assert [e.details for e in events] == [
        {"indicator": INDICATOR, "period_end": "2026-03-31", "revision": 1, "change": "created"},
        {"indicator": INDICATOR, "period_end": "2026-03-31", "revision": 2, "change": "revised"},
    ]
    for event in events:
        assert event.actor == personas["lead"]
        assert event.organisation == "370"
        assert (event.object_type, event.object_id) == ("indicators.ContextNote", str(note.pk))
        # What the audit trail page and its CSV show of an event: every field, details as JSON.
        shown = json.dumps(
            {f.name: str(getattr(event, f.attname)) for f in AuditEvent._meta.fields}
            | {"details": json.dumps(event.details)}
        )
        assert "Jane" not in shown
    assert "Jane" not in caplog.text


def test_a_refused_write_is_not_audited_as_a_note(
    personas: dict[str, Any],
) -> None:
    with pytest.raises(Refused):
        notes.write_note(personas["viewer"], _la(), INDICATOR, None, "Viewer's note.")

    assert not AuditEvent.objects.filter(action=AuditAction.NOTE_WRITTEN).exists()
