"""The steps' choice fields: the catalogue's capabilities and the organization's subscriptions
they offer; their choices shared between form instances (copying them was 40% of validating
a submission), yet whatever one form changes stays its own."""

import pytest
from django import forms

from accounts.models import Subscription
from reviews.forms import fields
from reviews.forms.steps import CapabilitiesStep, DeclarationsStep, StepContext
from reviews.models import Capability


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


# What the choices are: the catalogue policy staff keep, the organization's own subscriptions.


def _choices(form, name) -> list[str]:
    return [value for value, _label in form.fields[name].choices]


def test_the_capabilities_offered_are_the_catalogue_s_active_ones_in_its_order(db):
    context = StepContext(organization=None, capabilities=frozenset())
    Capability.objects.update(order=5)
    Capability.objects.filter(code="face_liveness").update(
        order=1, label="Presence check", description="Is a live person there?"
    )
    Capability.objects.filter(code="emotion_recognition").update(active=False)

    form = CapabilitiesStep(context=context)

    codes = _choices(form, "capabilities")
    assert codes[0] == "face_liveness"
    assert codes[1:] == sorted(codes[1:])
    assert "emotion_recognition" not in codes
    assert ("face_liveness", "Presence check: Is a live person there?") in form.fields[
        "capabilities"
    ].choices


def test_the_subscriptions_offered_are_the_organization_s_own(organization, outsider):
    Subscription.objects.create(
        organization=organization, identifier="bbbbbbbb-0000-0000-0000-000000000002"
    )
    Subscription.objects.create(
        organization=organization,
        identifier="aaaaaaaa-0000-0000-0000-000000000001",
        label="Production",
    )
    Subscription.objects.create(
        organization=outsider.memberships.get().organization,
        identifier="cccccccc-0000-0000-0000-000000000003",
    )

    form = DeclarationsStep(context=StepContext(organization, frozenset()))

    assert form.fields["subscriptions"].choices == [
        ("aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000001 Production"),
        ("bbbbbbbb-0000-0000-0000-000000000002", "bbbbbbbb-0000-0000-0000-000000000002"),
    ]
