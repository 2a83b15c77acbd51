"""Project-wide form rendering: every Django form renders with GOV.UK Design System markup.

``{{ form }}`` and ``{{ form.field.as_field_group }}`` go through ``govuk/forms/field.html``,
which lays out the label (or fieldset legend), hint, error message and the widget with the
matching ``govuk-*`` class. The error summary is rendered by ``base.html`` for any ``form``
in the page context, so a view needs no per-template error markup.

``FilterForm`` is the base of every GET filter form (a report's, the audit trail's, a list's).
``CharacterCountTextarea`` is a textarea with the Design System's character count, limited to
its field's ``max_length``.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django import forms
from django.db.models import Model, QuerySet
from django.forms.renderers import TemplatesSetting

__all__ = ["CharacterCountTextarea", "FilterForm", "GovukFormRenderer", "widget_kind"]

_M = TypeVar("_M", bound=Model)


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "govuk/forms/form.html"
    field_template_name = "govuk/forms/field.html"


class CharacterCountTextarea(forms.Textarea):
    """A textarea rendered as the Design System's character count component: it tells the
    user how many characters are left of its field's ``max_length`` as they type (govuk-
    frontend's ``CharacterCount``, started by ``base.html``'s ``initAll``), and says the limit
    without JavaScript.

    As the Design System advises, the control has no ``maxlength`` attribute, so a text that
    is too long can still be pasted and then cut down; the field's own validation enforces
    the limit. Line endings arrive as CR LF but the count (like a reader) sees one character
    each, so the value is read with LF line endings and the limit means what the count says.
    """

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("maxlength", None)
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value


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
    if isinstance(widget, CharacterCountTextarea):
        return "character-count"
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
