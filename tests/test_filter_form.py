"""``portal.forms.FilterForm``: the contract every GET filter form shares."""

from __future__ import annotations

from typing import ClassVar

import pytest
from django import forms

from portal.forms import FilterForm
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


class _Filters(FilterForm):
    lookups: ClassVar[dict[str, str]] = {
        "actor": "actor_email__icontains",
        "day": "occurred_at__date",
    }
    redacted: ClassVar[frozenset[str]] = frozenset({"actor"})

    actor = forms.CharField(required=False)
    day = forms.DateField(required=False)


def test_a_bad_filter_is_ignored_and_the_valid_ones_still_apply() -> None:
    AuditEvent.objects.create(action="upload", actor_email="lead@barnsley.example.org")
    AuditEvent.objects.create(action="upload", actor_email="lead@leeds.example.org")
    form = _Filters({"actor": " barnsley ", "day": "not a date"})

    found = form.filter(AuditEvent.objects.all())

    assert [e.actor_email for e in found] == ["lead@barnsley.example.org"]
    assert "day" in form.errors


def test_blank_filters_filter_nothing_and_redacted_ones_are_audited_as_given() -> None:
    AuditEvent.objects.create(action="upload", actor_email="a@example.org")

    assert _Filters({}).filter(AuditEvent.objects.all()).count() == 1
    assert _Filters({}).audit_details == {}
    assert _Filters({"actor": "x", "day": "2026-03-01"}).audit_details == {
        "actor": "given",
        "day": "2026-03-01",
    }
