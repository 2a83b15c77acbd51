"""Template helpers for GOV.UK Design System form markup (used by ``govuk/forms/field.html``)."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from portal.forms import widget_kind

register = template.Library()

_WIDGET_CLASS = {
    "input": "govuk-input",
    "password": "govuk-input govuk-password-input__input govuk-js-password-input-input",
    "select": "govuk-select",
    "textarea": "govuk-textarea",
    "character-count": "govuk-textarea govuk-js-character-count",
    "file-upload": "govuk-file-upload",
    "checkbox": "govuk-checkboxes__input",
}


@register.filter
def govuk_kind(field: BoundField) -> str:
    return widget_kind(field.field.widget)


@register.filter
def govuk_error_anchor(field: BoundField) -> str:
    """The id an error-summary link points at: the control itself, or for radios and
    checkboxes the first option (GOV.UK error summary guidance), whose id Django makes by
    appending ``_0``; the group as a whole has no element with the field's own id."""
    if not field.auto_id:
        return field.html_name
    if widget_kind(field.field.widget) in {"radios", "checkboxes"}:
        return f"{field.auto_id}_0"
    return str(field.auto_id)


@register.filter
def govuk_widget(field: BoundField) -> SafeString:
    """Render a single-control widget with its govuk class, error state and described-by ids."""
    kind = widget_kind(field.field.widget)
    classes = [_WIDGET_CLASS.get(kind, "govuk-input"), field.field.widget.attrs.get("class", "")]
    if field.errors and kind != "checkbox":
        classes.append(f"{_WIDGET_CLASS[kind].split()[0]}--error")
    described_by = []
    if kind == "character-count":
        described_by.append(f"{field.auto_id}-info")  # the count message
    if field.help_text:
        described_by.append(f"{field.auto_id}-hint")
    if field.errors:
        described_by.append(f"{field.auto_id}-error")
    attrs: dict[str, str | bool] = {"class": " ".join(c for c in classes if c)}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)
