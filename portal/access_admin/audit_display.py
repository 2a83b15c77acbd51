"""The audit trail in words, for the people who read it.

Events are stored as they were recorded (``portal.audit.record``): codes and ids, such as
``portal.Membership 8`` or ``role: la_data_lead``, because the trail is append-only and must
not change when a name does. This module translates them when they are shown: people by name
and email, local authorities and regions by name, roles by their labels, our objects by what
they are. Each kind of reference on a page is looked up in one query for the whole page (or
export chunk), never one per event. An object that has gone since (a removed role) is
described from the event's own details. Nothing here reads child data: the objects described
are people, roles, invitations and submissions, named by their LA and extract date.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError

from portal.models import AuditEvent, Invitation, LocalAuthority, Region, Role, User

__all__ = ["DescribedEvent", "Line", "describe"]

#: Detail keys holding one local authority's or region's code, and those holding a list.
_SCOPE_KEYS = {
    "local_authority": "Local authority",
    "previous_local_authority": "Previous local authority",
    "region": "Region",
    "previous_region": "Previous region",
}
_SCOPE_LIST_KEYS = {"local_authorities": "Local authorities", "regions": "Regions"}
_ROLE_KEYS = {"role": "Role", "previous_role": "Previous role"}
_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")
#: Keys shown under another name (the rest are shown as "Their key: value").
_LABELS = {
    "user_id": "Person",
    "user_email": "Person",
    "invitee_email": "Invited",
    "superseded": "Replaced",
    "query_count": "Queries",
    "explained_rules": "Rules with queries explained",
}


@dataclass(frozen=True)
class Line:
    """One detail of an event: what it is and its value, in words."""

    label: str
    value: str


@dataclass(frozen=True)
class DescribedEvent:
    """An event with its organisation, object and details in words, for the page."""

    event: AuditEvent
    organisation: str
    subject: str
    lines: list[Line]

    @property
    def text(self) -> str:
        """Object and details on one line, for the CSV export."""
        parts = [self.subject] if self.subject else []
        parts += [f"{line.label}: {line.value}" for line in self.lines]
        return "; ".join(parts)


def describe(events: Iterable[AuditEvent]) -> list[DescribedEvent]:
    """``events`` in words, in the same order. A fixed number of queries however many events:
    one per kind of reference they hold (places, people, and each type of object)."""
    events = list(events)
    names = _Names(events)
    return [
        DescribedEvent(
            event=event,
            organisation=names.place(event.organisation),
            subject=names.subject(event),
            lines=names.lines(event),
        )
        for event in events
    ]


def _person(user: User | None, email: str = "") -> str:
    if user is None:
        return email or "a former user"
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


def _date(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return []


class _Names:
    """Everything the events refer to, each kind looked up once."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        codes: set[str] = set()
        user_ids: set[str] = set()
        objects: dict[str, set[str]] = {}
        for event in events:
            details = event.details if isinstance(event.details, dict) else {}
            codes.add(event.organisation)
            for key in [*_SCOPE_KEYS, *_SCOPE_LIST_KEYS]:
                codes.update(_codes(details.get(key)))
            if details.get("user_id"):
                user_ids.add(str(details["user_id"]))
            if event.object_type and event.object_id:
                objects.setdefault(event.object_type, set()).add(event.object_id)
            objects.setdefault("submissions.Submission", set()).update(
                _codes(details.get("superseded"))
            )
        codes.discard("")
        self._places: dict[str, str] = {}
        if codes:
            self._places.update(
                (region.code, f"{region.name} region")
                for region in Region.objects.filter(code__in=codes)
            )
            self._places.update(
                (la.code, str(la)) for la in LocalAuthority.objects.filter(code__in=codes)
            )
        user_ids |= objects.pop("portal.User", set())
        self._users: dict[str, User] = {
            str(pk): user for pk, user in _in_bulk(User.objects.all(), user_ids).items()
        }
        self._objects: dict[tuple[str, str], str] = {}
        for object_type, ids in objects.items():
            describer = _DESCRIBERS.get(object_type)
            if describer is not None and ids:
                for pk, text in describer(ids).items():
                    self._objects[(object_type, pk)] = text

    def place(self, code: str) -> str:
        return self._places.get(code, code)

    def person(self, user_id: Any, email: str = "") -> str:
        return _person(self._users.get(str(user_id)), email)

    def subject(self, event: AuditEvent) -> str:
        """The event's object in words: what it is now, or what the event says it was."""
        kind, pk = event.object_type, event.object_id
        if not kind:
            return ""
        if kind == "portal.User" and pk:
            return self.person(pk)
        details = event.details if isinstance(event.details, dict) else {}
        if kind == "portal.Membership" and details.get("role"):
            # From the event, not the row: a removed role's row is gone, and a changed one
            # no longer says what it was when the event happened.
            whose = self.person(details.get("user_id"), details.get("user_email", ""))
            return f"{self._role(details['role'])} role of {whose}"
        if (kind, pk) in self._objects:
            return self._objects[(kind, pk)]
        return f"{_kind_in_words(kind)} {pk}".strip()

    def lines(self, event: AuditEvent) -> list[Line]:
        """The event's details in words, less what its subject already says."""
        details = event.details if isinstance(event.details, dict) else {}
        said = set()
        if "user_id" in details:
            said.add("user_email")  # shown with the person
        if event.object_type == "portal.Membership" and details.get("role"):
            said |= {"user_id", "user_email", "role"}  # "LA viewer role of (person)"
        lines: list[Line] = []
        for key, value in details.items():
            if key in said:
                continue
            if key in _SCOPE_KEYS:
                if value:
                    lines.append(Line(_SCOPE_KEYS[key], self.place(str(value))))
            elif key in _SCOPE_LIST_KEYS:
                if value:
                    names = ", ".join(self.place(code) for code in _codes(value))
                    lines.append(Line(_SCOPE_LIST_KEYS[key], names))
            elif key in _ROLE_KEYS:
                lines.append(Line(_ROLE_KEYS[key], self._role(value)))
            elif key == "user_id":
                lines.append(Line("Person", self.person(value, details.get("user_email", ""))))
            elif key == "superseded":
                if value:
                    lines.append(Line(_LABELS[key], ", ".join(map(self._submission, value))))
            else:
                lines.append(
                    Line(_LABELS.get(key, key.replace("_", " ").capitalize()), _text(value))
                )
        return lines

    def _role(self, value: Any) -> str:
        try:
            return str(Role(value).label)
        except ValueError:
            return str(value)

    def _submission(self, pk: Any) -> str:
        return self._objects.get(("submissions.Submission", str(pk)), f"Submission {pk}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "None"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_text(v)}" for k, v in value.items()) or "None"
    if value is None or value == "":
        return "None"
    if isinstance(value, str) and _CODE.fullmatch(value):
        return value.replace("_", " ")  # a code of ours, such as "own_access"
    return str(value)


def _kind_in_words(object_type: str) -> str:
    """An object type in words: ``submissions.SubmissionFile`` is "Submission file", and a
    type that is not a model (such as ``audit_trail``) is "Audit trail"."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type.replace("_", " ").capitalize()
    return str(model._meta.verbose_name).capitalize()


def _in_bulk(queryset: Any, ids: Iterable[str]) -> dict[Any, Any]:
    """``queryset.in_bulk`` of the ids that can be its primary keys (others name nothing)."""
    field = queryset.model._meta.pk
    valid = []
    for pk in ids:
        with contextlib.suppress(ValidationError):  # a malformed id names nothing
            valid.append(field.to_python(pk))
    return dict(queryset.in_bulk(valid)) if valid else {}


def _invitations(ids: set[str]) -> dict[str, str]:
    rows = _in_bulk(Invitation.objects.all(), ids)
    return {
        str(pk): f"Invitation for {i.email} as {i.get_role_display()}" for pk, i in rows.items()
    }


def _submissions(ids: set[str]) -> dict[str, str]:
    # By its label: portal imports no app (tests/test_layering.py).
    model = apps.get_model("submissions", "Submission")
    rows = _in_bulk(model.objects.select_related("local_authority"), ids)
    return {
        str(pk): f"{s.local_authority.name}'s extract of {_date(s.as_of)}" for pk, s in rows.items()
    }


_DESCRIBERS: dict[str, Callable[[set[str]], dict[str, str]]] = {
    "portal.Invitation": _invitations,
    "submissions.Submission": _submissions,
}
