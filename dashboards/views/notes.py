"""Context notes pages (restricted dashboards): write a note on an indicator, edit it, read
its history.

A data lead reaches the form from an indicator's page (``restricted_dashboards:indicator``),
which shows the notes with ``restricted_dashboards/includes/notes.html``; after saving, the
lead goes back there. Writing and editing need ``Action.WRITE_NOTE`` for the LA (403 for its
viewers and the DfE roles that cover it, 404 for everyone else); a note's history is for
everyone who may see the LA's dashboard. Views are thin: the checks, validation and audit are
``indicators.notes``'s; the forms here only lay the page out (GOV.UK character count, the
LA's reported periods).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from indicators import notes
from indicators.models import NOTE_MAX_LENGTH, ContextNote
from indicators.queries import series_for_la
from indicators.registry import REGISTRY, Indicator
from portal.access import Action, OutOfScope, get_for_user_or_404, requires
from portal.audit import AuditAction, record
from portal.forms import CharacterCountTextarea
from portal.models import LocalAuthority, User

TEXT_HELP = (
    "Explain what someone reading this figure should know, for example a change in recording "
    "practice or in services. Do not name or describe any child or family."
)


def _text_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=TEXT_HELP,
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=CharacterCountTextarea(attrs={"rows": 8}),
        error_messages={"required": notes.TEXT_REQUIRED, "max_length": notes.TEXT_TOO_LONG},
    )


class NoteForm(forms.Form):
    """A new note: its period (one of the LA's reported periods of the indicator, or all of
    them) and its text."""

    period = forms.ChoiceField(
        label="Which period is the note about?",
        required=False,
        error_messages={"invalid_choice": "Select a period the figures cover, or all periods"},
    )
    text = _text_field("Note")

    def __init__(self, *args: Any, periods: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        period = self.fields["period"]
        assert isinstance(period, forms.ChoiceField)
        period.choices = [("", "All periods"), *periods]

    def clean_period(self) -> date | None:
        value = self.cleaned_data.get("period")
        return date.fromisoformat(value) if value else None


class EditNoteForm(forms.Form):
    """A note's new text, and the revision the editor started from (to catch an edit made
    by someone else in the meantime)."""

    text = _text_field("Note")
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _user(request: HttpRequest) -> User:
    # ``requires`` has let only signed-in people through (anonymous visitors sign in first).
    assert isinstance(request.user, User)
    return request.user


def _local_authority(la_code: str) -> LocalAuthority:
    la = LocalAuthority.objects.filter(code=la_code).first()
    if la is None:
        raise OutOfScope()
    return la


def _indicator(la: LocalAuthority, indicator_id: str) -> Indicator:
    indicator = REGISTRY.get(indicator_id)
    if indicator is None:
        raise OutOfScope(la.code)
    return indicator


def _note(request: HttpRequest, la_code: str, note_id: UUID, action: Action) -> ContextNote:
    """The note of ``la_code`` with this id: 404 when there is none there or the user cannot
    see the LA, 403 when they can see it but not do ``action``."""
    return get_for_user_or_404(
        ContextNote.objects.filter(local_authority__code=la_code).select_related("local_authority"),
        _user(request),
        action,
        pk=note_id,
    )


def indicator_url(la_code: str, indicator_id: str, period_end: date | None = None) -> str:
    """The indicator's page on the LA's dashboard (for the period, when given)."""
    url = reverse("restricted_dashboards:indicator", args=[la_code, indicator_id])
    if period_end is not None:
        url += "?" + urlencode({"period": period_end.isoformat()})
    return url


def _periods(user: User, la: LocalAuthority, indicator: Indicator) -> list[tuple[str, str]]:
    """The LA's reported periods of the indicator (its stored figures), latest first."""
    ends = sorted(
        {point.period_end for series in series_for_la(user, la, indicator.id)
         for point in series.points},
        reverse=True,
    )  # fmt: skip
    return [(end.isoformat(), notes.period_label(indicator.id, end)) for end in ends]


@require_http_methods(["GET", "POST"])
@requires(Action.WRITE_NOTE, per_object=True)
def note_create(request: HttpRequest, la_code: str) -> HttpResponseBase:
    """Write a note on ``?indicator=`` (GET: the form, with ``?period=`` chosen; POST: save
    and go back to the indicator's page)."""
    user = _user(request)
    la = _local_authority(la_code)
    notes.check_may_write(user, la)
    indicator = _indicator(la, request.GET.get("indicator", ""))
    periods = _periods(user, la, indicator)
    chosen = request.GET.get("period", "")
    initial = {"period": chosen if chosen in dict(periods) else ""}
    data = request.POST if request.method == "POST" else None
    form = NoteForm(data, periods=periods, initial=initial)
    if request.method == "POST" and form.is_valid():
        period_end = form.cleaned_data["period"]
        try:
            notes.write_note(
                user, la, indicator.id, period_end, form.cleaned_data["text"], request=request
            )
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, "Your note has been saved")
            return redirect(indicator_url(la.code, indicator.id, period_end))
    return render(
        request,
        "restricted_dashboards/notes/form.html",
        {
            "form": form,
            "la": la,
            "indicator": indicator,
            "title": "Add a note",
            "back_url": indicator_url(la.code, indicator.id),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Action.WRITE_NOTE, per_object=True)
def note_edit(request: HttpRequest, la_code: str, note_id: UUID) -> HttpResponseBase:
    """Change a note's text (GET: the form with its current text; POST: append the new text
    as its latest revision and go back to the indicator's page)."""
    user = _user(request)
    note = _note(request, la_code, note_id, Action.WRITE_NOTE)
    la = note.local_authority
    current = notes.current_note(user, note)
    data = request.POST if request.method == "POST" else None
    form = EditNoteForm(data, initial={"text": current.text, "based_on": current.revision})
    if request.method == "POST" and form.is_valid():
        try:
            notes.revise_note(
                user,
                note,
                form.cleaned_data["text"],
                based_on=form.cleaned_data["based_on"],
                request=request,
            )
        except notes.NoteConflict as conflict:
            # Show the editor's own text again, now based on the version they were told of:
            # saving it a second time replaces that version deliberately.
            resubmitted = request.POST.copy()
            resubmitted["based_on"] = str(notes.current_note(user, note).revision)
            form = EditNoteForm(resubmitted)
            form.is_valid()
            form.add_error("text", conflict)
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, "Your note has been saved")
            return redirect(indicator_url(la.code, note.indicator_id, note.period_end))
    return render(
        request,
        "restricted_dashboards/notes/form.html",
        {
            "form": form,
            "la": la,
            "indicator": REGISTRY.get(note.indicator_id),
            "note": current,
            "title": "Edit a note",
            "back_url": indicator_url(la.code, note.indicator_id, note.period_end),
        },
    )


@require_GET
@requires(Action.VIEW_DASHBOARD, per_object=True)
def note_history(request: HttpRequest, la_code: str, note_id: UUID) -> HttpResponse:
    """Every version of a note, the current one first, with who wrote it and when."""
    user = _user(request)
    note = _note(request, la_code, note_id, Action.VIEW_DASHBOARD)
    la = note.local_authority
    revisions = notes.note_history(user, note)
    record(
        AuditAction.DASHBOARD_VIEWED,
        request=request,
        organisation=la.code,
        obj=note,
        page="note_history",
        indicator=note.indicator_id,
    )
    return render(
        request,
        "restricted_dashboards/notes/history.html",
        {
            "la": la,
            "note": notes.current_note(user, note),
            "revisions": revisions,
            "back_url": indicator_url(la.code, note.indicator_id, note.period_end),
        },
    )
