"""Project-wide form rendering: every Django form renders with GOV.UK Design System markup.

``{{ form }}`` and ``{{ form.field.as_field_group }}`` go through ``govuk/forms/field.html``,
which lays out the label (or fieldset legend), hint, error message and the widget with the
matching ``govuk-*`` class. The error summary is rendered by ``base.html`` for any ``form``
in the page context, so a view needs no per-template error markup.

``FilterForm`` is the base of every GET filter form (a report's, the audit trail's, a list's).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django import forms
from django.db.models import Model, QuerySet
from django.forms.renderers import TemplatesSetting

__all__ = ["FilterForm", "GovukFormRenderer", "widget_kind"]

_M = TypeVar("_M", bound=Model)


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "govuk/forms/form.html"
    field_template_name = "govuk/forms/field.html"


def widget_kind(widget: forms.Widget) -> str:
    """The Design System component that renders ``widget``."""
    # CheckboxSelectMultiple subclasses RadioSelect, so it must be tested first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file-upload"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    return "input"


class FilterForm(forms.Form):
    """A GET form that narrows a list: bind it to ``request.GET`` and call ``filter``.

    ``lookups`` maps a field to the queryset lookup its value filters on; a blank field filters
    nothing. A filter that does not validate is shown as an error on the page and ignored, and
    the valid ones still apply. Override ``filter`` for a search that is not one lookup per
    field (call ``super().filter`` for the rest).
    """

    #: field name -> queryset lookup, e.g. ``{"actor": "actor_email__icontains"}``
    lookups: ClassVar[dict[str, str]] = {}
    #: fields whose value is child data: the audit trail records only that one was given
    redacted: ClassVar[frozenset[str]] = frozenset()

    def filter(self, queryset: QuerySet[_M]) -> QuerySet[_M]:
        """``queryset`` narrowed by the filters that are valid and not blank."""
        self.is_valid()
        for name, lookup in self.lookups.items():
            value: Any = self.cleaned_data.get(name)
            if value:
                queryset = queryset.filter(**{lookup: value})
        return queryset

    @property
    def audit_details(self) -> dict[str, str]:
        """The valid filters in use, for the audit trail of an export."""
        self.is_valid()
        return {
            name: "given" if name in self.redacted else str(value)
            for name, value in self.cleaned_data.items()
            if value
        }
