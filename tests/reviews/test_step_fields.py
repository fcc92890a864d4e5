"""The steps' choice fields share their choices between form instances (copying them was 40%
of validating a submission), yet whatever one form changes stays its own."""

import pytest
from django import forms

from reviews.forms import fields


class Pick(forms.Form):
    one = fields.ChoiceField(choices=[("a", "Apple"), ("b", "Banana")])
    typed = fields.TypedChoiceField(choices=[("1", "One")], coerce=int)
    many = fields.MultipleChoiceField(
        choices=[("x", "Ex"), ("y", "Why")], widget=forms.CheckboxSelectMultiple
    )


@pytest.mark.parametrize("name", ["one", "typed", "many"])
def test_choices_replaced_on_one_form_are_not_seen_by_another(name):
    first, second = Pick(), Pick()

    first.fields[name].choices = [("z", "Zed")]

    assert 'value="z"' in str(first[name])
    assert 'value="z"' not in str(second[name])
    assert ("z", "Zed") not in Pick.base_fields[name].choices
    assert first.fields[name].choices == [("z", "Zed")]


def test_widget_attributes_and_messages_changed_on_one_form_stay_its_own():
    first, second = Pick(), Pick()

    first.fields["one"].widget.attrs["class"] = "is-invalid"
    first.fields["one"].error_messages["required"] = "Choose a fruit."
    first.fields["one"].validators.append(lambda value: None)

    assert "class" not in second.fields["one"].widget.attrs
    assert second.fields["one"].error_messages["required"] != "Choose a fruit."
    assert second.fields["one"].validators == Pick.base_fields["one"].validators


def test_a_copied_field_still_validates_against_its_choices():
    form = Pick({"one": "b", "typed": "1", "many": ["x", "y"]})
    assert form.is_valid()
    assert form.cleaned_data == {"one": "b", "typed": 1, "many": ["x", "y"]}

    wrong = Pick({"one": "kiwi", "typed": "1", "many": ["x"]})
    assert not wrong.is_valid()
    assert "Select a valid choice" in wrong.errors["one"][0]
