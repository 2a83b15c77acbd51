"""Project-wide form rendering: every Django form renders with GOV.UK Design System markup.

``{{ form }}`` and ``{{ form.field.as_field_group }}`` go through ``govuk/forms/field.html``,
which lays out the label (or fieldset legend), hint, error message and the widget with the
matching ``govuk-*`` class. The error summary is rendered by ``base.html`` for any ``form``
in the page context, so a view needs no per-template error markup.
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import TemplatesSetting

__all__ = ["GovukFormRenderer", "widget_kind"]


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
