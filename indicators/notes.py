"""Context notes on an LA's indicators: the one place they are written and read.

An LA data lead writes a note on one of the LA's indicators, for one rolling 12-month period
or for all of them, so that everyone who reviews the LA's figures reads them with the LA's
own explanation (a new recording practice, a change of service). A note is never changed
in place: an edit appends a ``ContextNoteRevision`` and the latest revision is the note's
text, so every earlier version stays readable in its history.

* ``write_note`` and ``revise_note`` need ``Action.WRITE_NOTE`` for the note's LA (its data
  leads): ``Refused`` (403) for someone who can see the LA but not write, ``OutOfScope``
  (404) for anyone else. Each write is one transaction with its audit event
  (``AuditAction.NOTE_WRITTEN``), whose details name the indicator, period, note and
  revision but never hold the text: it is free text and could name a child.
* ``notes_for`` and ``note_history`` are for everyone who may see the LA's dashboard
  (``Action.VIEW_DASHBOARD``): its own users and the DfE roles that cover it. The notes are
  commentary on aggregate figures, so DfE roles read them too. ``OutOfScope`` otherwise.
* ``note_counts`` counts notes per LA for a list of LAs already in the viewer's scope (the
  portfolio), in one query.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery

from indicators.models import NOTE_MAX_LENGTH, ContextNote, ContextNoteRevision
from indicators.registry import REGISTRY, Kind
from portal.access import VISIBILITY_ACTIONS, Action, OutOfScope, Refused, can
from portal.audit import AuditAction, record
from portal.models import LocalAuthority

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from portal.models import User

__all__ = [
    "NOTE_MAX_LENGTH",
    "CurrentNote",
    "NoteConflict",
    "Revision",
    "check_may_write",
    "clean_text",
    "current_note",
    "note_counts",
    "note_history",
    "notes_for",
    "period_label",
    "revise_note",
    "write_note",
]

TEXT_REQUIRED = "Enter a note"
TEXT_TOO_LONG = f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer"
UNKNOWN_INDICATOR = "There is no such indicator"
NOT_A_MONTH_END = "A note's period ends on the last day of a month"
CONFLICT = (
    "Someone else changed this note after you opened it. Their version is in the note's "
    "history. Check the text below, then save it again to replace theirs."
)


class NoteConflict(ValidationError):
    """``revise_note`` was told which revision the edit was based on, and the note has a
    newer one: the editor has not seen it, so their text must not silently replace it."""


def period_label(indicator_id: str, period_end: date | None) -> str:
    """What a note's period is called: "All periods", or the rolling 12-month period by its
    end ("Year to 31 March 2026"; "At 31 March 2026" for an indicator of what is open at the
    period end)."""
    if period_end is None:
        return "All periods"
    day = f"{period_end.day} {period_end:%B %Y}"
    indicator = REGISTRY.get(indicator_id)
    if indicator is not None and indicator.kind == Kind.SNAPSHOT:
        return f"At {day}"
    return f"Year to {day}"


@dataclass(frozen=True)
class Revision:
    """One version of a note's text, with who wrote it and when."""

    number: int
    text: str
    author_name: str
    author_email: str
    created_at: datetime


@dataclass(frozen=True)
class CurrentNote:
    """A note as readers see it: its current text (latest revision), who first wrote it and
    when, and who last changed it. ``revision_count`` is 1 for a note never edited."""

    id: UUID
    local_authority_code: str
    indicator_id: str
    indicator_title: str
    period_end: date | None
    text: str
    created_by_name: str
    created_by_email: str
    created_at: datetime
    updated_by_name: str
    updated_by_email: str
    updated_at: datetime
    revision_count: int

    @property
    def period_label(self) -> str:
        return period_label(self.indicator_id, self.period_end)

    @property
    def edits(self) -> int:
        """How many times the note has been changed since it was first written."""
        return self.revision_count - 1

    @property
    def revision(self) -> int:
        """The number of the current revision (what an edit is based on)."""
        return self.revision_count


def _person(user: User) -> tuple[str, str]:
    return user.full_name or user.email, user.email


def check_may_write(user: User | AnonymousUser, la: LocalAuthority) -> None:
    """Nothing when ``user`` may write ``la``'s notes; ``Refused`` (403) when they can see the
    LA but not write (its viewers, the DfE roles); ``OutOfScope`` (404) for anyone else."""
    if can(user, Action.WRITE_NOTE, la):
        return
    if any(can(user, action, la) for action in VISIBILITY_ACTIONS):
        raise Refused(la.code)
    raise OutOfScope(la.code)


def _check_may_read(user: User | AnonymousUser, la: LocalAuthority) -> None:
    if not can(user, Action.VIEW_DASHBOARD, la):
        raise OutOfScope(la.code)


def clean_text(text: str) -> str:
    """The note as stored: line endings as a browser counts them (one character each),
    surrounding white space removed. ``ValidationError`` when empty or too long."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError(TEXT_REQUIRED, code="required")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(TEXT_TOO_LONG, code="max_length")
    return text


def _check_period(period_end: date | None) -> None:
    if period_end is None:
        return
    if period_end.day != calendar.monthrange(period_end.year, period_end.month)[1]:
        raise ValidationError(NOT_A_MONTH_END, code="not_a_month_end")


def _audit(
    note: ContextNote, revision: ContextNoteRevision, user: User, request: HttpRequest | None
) -> None:
    # The text stays out: it is free text and could name a child.
    record(
        AuditAction.NOTE_WRITTEN,
        request=request,
        actor=user,
        organisation=note.local_authority.code,
        obj=note,
        indicator=note.indicator_id,
        period_end=note.period_end.isoformat() if note.period_end else "",
        revision=revision.number,
        change="created" if revision.number == 1 else "revised",
    )


def write_note(
    user: User,
    la: LocalAuthority,
    indicator_id: str,
    period_end: date | None,
    text: str,
    *,
    request: HttpRequest | None = None,
) -> ContextNote:
    """A new note on ``la``'s ``indicator_id``, for the period ending ``period_end`` (None:
    all periods), with ``text`` as its first revision; audited. ``Refused``/``OutOfScope``
    when ``user`` may not write ``la``'s notes; ``ValidationError`` for an unknown indicator,
    a period end that is not a month end, or an empty or over-long text."""
    check_may_write(user, la)
    if indicator_id not in REGISTRY:
        raise ValidationError(UNKNOWN_INDICATOR, code="unknown_indicator")
    _check_period(period_end)
    text = clean_text(text)
    with transaction.atomic():
        note = ContextNote.objects.create(
            local_authority=la, indicator_id=indicator_id, period_end=period_end, created_by=user
        )
        revision = ContextNoteRevision.objects.create(
            note=note, number=1, text=text, author=user, created_at=note.created_at
        )
        _audit(note, revision, user, request)
    return note


def revise_note(
    user: User,
    note: ContextNote,
    text: str,
    *,
    based_on: int | None = None,
    request: HttpRequest | None = None,
) -> ContextNote:
    """Append ``text`` as ``note``'s new current revision; audited. The earlier revisions are
    kept. Unchanged text adds nothing (and is not audited).

    ``based_on`` is the revision the editor started from: when the note has a newer one by
    then, ``NoteConflict`` (a ``ValidationError``) and nothing is saved. ``Refused`` or
    ``OutOfScope`` when ``user`` may not write the note's LA's notes; ``ValidationError``
    for an empty or over-long text."""
    la = note.local_authority
    check_may_write(user, la)
    text = clean_text(text)
    try:
        with transaction.atomic():
            # Lock the note so that two edits are numbered one after the other (PostgreSQL;
            # SQLite serialises writers anyway), and the unique (note, number) stops the rest.
            locked = ContextNote.objects.select_for_update().get(pk=note.pk)
            latest = locked.revisions.order_by("-number").first()
            assert latest is not None  # every note is created with its first revision
            if based_on is not None and based_on != latest.number:
                raise NoteConflict(CONFLICT, code="conflict")
            if latest.text == text:
                return locked
            revision = ContextNoteRevision.objects.create(
                note=locked, number=latest.number + 1, text=text, author=user
            )
            _audit(locked, revision, user, request)
    except IntegrityError as error:  # another edit took the same number meanwhile
        raise NoteConflict(CONFLICT, code="conflict") from error
    return locked


def _latest_revisions() -> QuerySet[ContextNoteRevision]:
    return ContextNoteRevision.objects.filter(note=OuterRef("pk")).order_by("-number")


def _title(indicator_id: str) -> str:
    # An indicator later taken out of the registry keeps its notes, under its id.
    indicator = REGISTRY.get(indicator_id)
    return indicator.title if indicator is not None else indicator_id


def _current(notes: QuerySet[ContextNote]) -> list[CurrentNote]:
    """Each note with its current text and counts: two queries, however many notes."""
    annotated = list(
        notes.select_related("created_by", "local_authority").annotate(
            revision_count=Count("revisions"),
            latest_revision=Subquery(_latest_revisions().values("pk")[:1]),
        )
    )
    latest = {
        revision.pk: revision
        for revision in ContextNoteRevision.objects.filter(
            pk__in=[note.latest_revision for note in annotated]
        ).select_related("author")
    }
    current = []
    for note in annotated:
        revision = latest[note.latest_revision]
        created_by, updated_by = _person(note.created_by), _person(revision.author)
        current.append(
            CurrentNote(
                id=note.pk,
                local_authority_code=note.local_authority.code,
                indicator_id=note.indicator_id,
                indicator_title=_title(note.indicator_id),
                period_end=note.period_end,
                text=revision.text,
                created_by_name=created_by[0],
                created_by_email=created_by[1],
                created_at=note.created_at,
                updated_by_name=updated_by[0],
                updated_by_email=updated_by[1],
                updated_at=revision.created_at,
                revision_count=note.revision_count,
            )
        )
    return current


def notes_for(
    user: User | AnonymousUser, la: LocalAuthority, indicator_id: str | None = None
) -> list[CurrentNote]:
    """``la``'s current notes (only ``indicator_id``'s, when given), for anyone who may see
    its dashboard: in registry order of indicator, then the notes for all periods, then by
    period end (latest first), then the newest first. ``OutOfScope`` for anyone else."""
    _check_may_read(user, la)
    notes = ContextNote.objects.filter(local_authority=la)
    if indicator_id is not None:
        notes = notes.filter(indicator_id=indicator_id)
    order = {key: n for n, key in enumerate(REGISTRY)}
    current = _current(notes)
    # Stable sorts, least significant key first.
    current.sort(key=lambda note: note.created_at, reverse=True)
    current.sort(key=lambda note: note.period_end or date.max, reverse=True)
    current.sort(key=lambda note: order.get(note.indicator_id, len(order)))
    return current


def current_note(user: User | AnonymousUser, note: ContextNote) -> CurrentNote:
    """One note as ``notes_for`` gives it. ``OutOfScope`` when ``user`` may not see the
    note's LA's dashboard."""
    _check_may_read(user, note.local_authority)
    return _current(ContextNote.objects.filter(pk=note.pk))[0]


def note_history(user: User | AnonymousUser, note: ContextNote) -> list[Revision]:
    """Every revision of ``note``, the current one first, with author and date, for anyone
    who may see its LA's dashboard. ``OutOfScope`` for anyone else."""
    _check_may_read(user, note.local_authority)
    revisions = note.revisions.select_related("author").order_by("-number")
    return [
        Revision(
            number=revision.number,
            text=revision.text,
            author_name=_person(revision.author)[0],
            author_email=revision.author.email,
            created_at=revision.created_at,
        )
        for revision in revisions
    ]


def note_counts(las: Iterable[LocalAuthority] | QuerySet[LocalAuthority]) -> Counter[int]:
    """How many notes each of ``las`` has, by LA primary key, in one query (an LA without
    notes counts 0). The caller has already limited ``las`` to the viewer's scope."""
    rows = (
        ContextNote.objects.filter(local_authority__in=las)
        .order_by()
        .values("local_authority")
        .annotate(n=Count("pk"))
        .values_list("local_authority", "n")
    )
    return Counter(dict(rows))
