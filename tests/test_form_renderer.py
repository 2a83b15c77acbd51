"""Every Django form renders with GOV.UK Design System markup through the project renderer."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory

from portal.forms import CharacterCountTextarea


class ExampleForm(forms.Form):
    email = forms.EmailField(label="Email address", help_text="We will send a link to it")
    role = forms.ChoiceField(
        label="Role",
        choices=[("lead", "Data lead"), ("viewer", "Viewer")],
        widget=forms.RadioSelect,
    )
    region = forms.ChoiceField(
        label="Region", choices=[("", "Choose"), ("E12000001", "North East")]
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    agree = forms.BooleanField(label="I agree")
    extract = forms.FileField(label="Extract", required=False)


def test_fields_render_as_design_system_components() -> None:
    html = str(ExampleForm())

    assert '<label class="govuk-label" for="id_email">Email address</label>' in html
    assert '<div id="id_email-hint" class="govuk-hint">We will send a link to it</div>' in html
    assert 'class="govuk-input"' in html
    assert 'aria-describedby="id_email-hint"' in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Role</legend>' in html
    assert 'class="govuk-radios__input" id="id_role_0"' in html
    assert 'class="govuk-select"' in html
    assert 'class="govuk-textarea"' in html
    assert 'class="govuk-checkboxes__input"' in html
    assert 'class="govuk-file-upload"' in html
    assert "govuk-form-group--error" not in html


def test_errors_render_inline_with_the_error_classes() -> None:
    form = ExampleForm(data={"email": "not-an-email", "region": "E12000001"})
    html = str(form)

    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'id="id_email-error" class="govuk-error-message"' in html
    assert '<span class="govuk-visually-hidden">Error:</span> Enter a valid email address.' in html
    assert "govuk-input--error" in html
    assert 'aria-describedby="id_email-hint id_email-error"' in html
    assert 'aria-describedby="id_role-error"' in html  # the radios' fieldset


@pytest.mark.django_db
def test_pages_with_an_invalid_form_get_an_error_summary_and_title_prefix() -> None:
    request = RequestFactory().get("/")
    form = ExampleForm(data={"email": "nope"})
    form.is_valid()

    html = render_to_string(
        "govuk/form_page.html", {"form": form, "title": "Example"}, request=request
    )

    assert html.count('class="govuk-error-summary"') == 1
    assert "<title>Error: " in html
    assert '<a href="#id_email">Enter a valid email address.</a>' in html
    # Radios: the link goes to the first option (there is no element with id "id_role").
    assert '<a href="#id_role_0">This field is required.</a>' in html
    assert 'id="id_role_0"' in html


def test_checkbox_lists_render_as_checkboxes_not_radios() -> None:
    class Choices(forms.Form):
        regions = forms.MultipleChoiceField(
            choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
        )

    html = str(Choices())

    assert 'class="govuk-checkboxes__input"' in html
    assert "govuk-radios" not in html


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note", help_text="Say why", max_length=1500, widget=CharacterCountTextarea
    )


def test_a_character_count_textarea_renders_as_the_character_count_component() -> None:
    html = str(NoteForm())

    assert (
        '<div class="govuk-form-group govuk-character-count" '
        'data-module="govuk-character-count" data-maxlength="1500">'
    ) in html
    assert 'class="govuk-textarea govuk-js-character-count"' in html
    assert 'aria-describedby="id_note-info id_note-hint"' in html
    assert (
        '<div id="id_note-info" class="govuk-hint govuk-character-count__message">'
        "You can enter up to 1,500 characters</div>"
    ) in html
    # The count tells of the limit; the browser must still let a long paste in to be edited.
    assert " maxlength=" not in html


def test_a_character_count_shows_its_error_and_counts_a_line_break_as_one_character() -> None:
    too_long = NoteForm(data={"note": "x" * 1501})
    with_line_breaks = NoteForm(data={"note": "\r\n".join(["x" * 14] * 100)})  # 1,499 as shown

    html = str(too_long)

    assert not too_long.is_valid()
    assert 'class="govuk-form-group govuk-form-group--error govuk-character-count"' in html
    assert "govuk-textarea--error" in html
    assert 'aria-describedby="id_note-info id_note-hint id_note-error"' in html
    assert with_line_breaks.is_valid(), with_line_breaks.errors
    assert with_line_breaks.cleaned_data["note"] == "\n".join(["x" * 14] * 100)
