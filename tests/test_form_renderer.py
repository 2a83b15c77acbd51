"""Every Django form renders with GOV.UK Design System markup through the project renderer."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory


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
