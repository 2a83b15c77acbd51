"""Template helpers for GOV.UK Design System form markup (used by ``govuk/forms/field.html``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms, template
from django.forms import BoundField
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
    if kind == "select" and _plain_select(field.field.widget):
        return _select(field, attrs)
    return field.as_widget(attrs=attrs)


# Django draws a <select> with a template per option (and another per option's attributes): a
# chooser of the 153 local authorities took about 17 ms, a third of a public page's render.
# A select that uses Django's own templates is written here instead, to the same markup.
_SELECT_TEMPLATES = ("django/forms/widgets/select.html", "django/forms/widgets/select_option.html")


def _plain_select(widget: forms.Widget) -> bool:
    """True for a ``Select`` (or ``SelectMultiple``) drawn by Django's own templates."""
    return (
        isinstance(widget, forms.Select)
        and (widget.template_name, widget.option_template_name) == _SELECT_TEMPLATES
    )


def _attributes(attrs: Mapping[str, Any]) -> str:
    """As ``django/forms/widgets/attrs.html``: ``False`` left out, ``True`` as a bare name."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(field: BoundField, attrs: dict[str, str | bool]) -> SafeString:
    """``field.as_widget(attrs=attrs)`` for a plain select, as Django's templates write it."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    parts = [f'<select name="{escape(context["name"])}"{_attributes(context["attrs"])}>']
    for group_name, options, _ in context["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{escape(str(option["value"]))}"'
            f"{_attributes(option['attrs'])}>{escape(option['label'])}</option>\n"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
