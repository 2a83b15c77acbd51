"""``govuk_widget`` writes a plain select itself (Django's per-option templates were a third of a
public page's render); the markup must be exactly what Django's templates write."""

from __future__ import annotations

import pytest
from django import forms

import portal.templatetags.govuk as govuk
from dashboards.views.public import ChooseLocalAuthorityForm


class SelectForm(forms.Form):
    plain = forms.ChoiceField(
        choices=[("", "Choose"), ("x<y", 'A & "B"'), ("2", "Two")], help_text="A hint"
    )
    grouped = forms.MultipleChoiceField(
        choices=[("1", "One"), ("Group <1>", [("2", "Two"), ("3", "Three")])], required=False
    )
    typed = forms.TypedChoiceField(choices=[(1, "One"), (2, "Two")], coerce=int, disabled=True)


def by_django(field: forms.BoundField, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(govuk, "_plain_select", lambda widget: False)
        return govuk.govuk_widget(field)


@pytest.mark.parametrize(
    "data", [{"plain": "x<y", "grouped": ["2", "3"]}, {}, {"plain": "nonsense"}]
)
def test_a_select_is_written_as_django_writes_it(
    data: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    form = SelectForm(data)
    form.is_valid()
    for field in form:
        assert govuk._plain_select(field.field.widget)
        assert govuk.govuk_widget(field) == by_django(field, monkeypatch), field.name


def test_the_la_chooser_is_written_as_django_writes_it(
    reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = ChooseLocalAuthorityForm(initial={"la": "302"})
    html = govuk.govuk_widget(form["la"])

    assert html == by_django(form["la"], monkeypatch)
    assert html.count("<optgroup") == 9
    assert '<option value="302" selected>Barnet</option>' in html


def test_a_select_with_its_own_templates_is_left_to_django() -> None:
    class Custom(forms.Select):
        option_template_name = "custom/option.html"

    assert not govuk._plain_select(Custom())
    assert not govuk._plain_select(forms.RadioSelect())
