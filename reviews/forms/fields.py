"""Choice fields whose per-form copies share their choices.

Django copies every field of a form for each form instance (`copy.deepcopy(base_fields)`),
and a choice field deep-copies its choices, tuple by tuple, twice (the field's and its
widget's). A submission binds every step's form again: that copying was 40% of validating
it. The choices here are only ever replaced (`field.choices = ...`), never changed in place,
so the copies share them; the widget's attributes, error messages and validators are copied
as Django copies them.
"""

import copy

from django import forms


class _SharedChoices:
    def __deepcopy__(self, memo):
        result = copy.copy(self)
        memo[id(self)] = result
        result.widget = copy.copy(self.widget)  # its choices shared, its attrs its own
        result.widget.attrs = self.widget.attrs.copy()
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class ChoiceField(_SharedChoices, forms.ChoiceField):
    pass


class TypedChoiceField(_SharedChoices, forms.TypedChoiceField):
    pass


class MultipleChoiceField(_SharedChoices, forms.MultipleChoiceField):
    pass
