"""A select field and widget for long, fixed lists of choices: rendered once, not per request."""

import copy

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


def _attributes(attrs: dict) -> str:
    """Render attributes as Django's widgets/attrs.html does (True bare, False left out)."""
    html = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            html.append(f" {name}")
        else:
            html.append(f' {name}="{conditional_escape(str(value))}"')
    return "".join(html)


class _Options:
    """One rendering of a list of choices: the options' HTML and where each one sits in it."""

    def __init__(self, choices: list):
        self.choices = choices
        parts, self.positions = [], {}
        offset = 0
        for value, label in choices:
            value = "" if value is None else value
            opening = f'\n  <option value="{conditional_escape(str(value))}"'
            text = f"{opening}>{conditional_escape(label)}</option>\n"  # the template ends so
            # Django marks only the first option with the value; so does render().
            self.positions.setdefault(str(value), offset + len(opening))
            parts.append(text)
            offset += len(text)
        self.html = "".join(parts)

    def render(self, values: list[str]) -> str:
        """Return the options with the first one whose value is in `values` selected."""
        found = [self.positions[value] for value in values if value in self.positions]
        if not found:
            return self.html
        opening_end = min(found)
        return f"{self.html[:opening_end]} selected{self.html[opening_end:]}"


class PrerenderedSelect(forms.Select):
    """A single select whose options are rendered to HTML once per process and language.

    Django renders an option template per option on every request: 250 countries cost
    more than the rest of a page. This widget's output is the same as `forms.Select`'s,
    byte for byte; the selected option is marked by its value. Choices in groups, or
    choices that change after the first render (a queryset's), fall back to Django's
    rendering or are rendered again, so the output stays right whatever the choices.
    """

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, choices)
        # Shared by the copies every form instance makes of its fields.
        self._rendered: dict[str, _Options] = {}

    def __deepcopy__(self, memo):
        # Share the choices (fixed; assigning new ones replaces them for this copy only)
        # instead of copying and normalizing 250 of them again for every form instance.
        obj = copy.copy(self)
        obj.attrs = self.attrs.copy()
        memo[id(self)] = obj
        return obj

    def _options(self) -> _Options | None:
        choices = self.choices
        if not isinstance(choices, list | tuple) or self.allow_multiple_selected:
            return None
        language = get_language() or ""
        options = self._rendered.get(language)
        if options is None or (options.choices is not choices and options.choices != choices):
            if any(isinstance(label, list | tuple) for _value, label in choices):
                return None  # option groups: rare, and Django's rendering is right
            options = _Options(choices)
            self._rendered[language] = options
        return options

    def render(self, name, value, attrs=None, renderer=None):
        options = self._options()
        if options is None:
            return super().render(name, value, attrs, renderer)
        attributes = _attributes(self.build_attrs(self.attrs, attrs))
        body = options.render(self.format_value(value))
        return mark_safe(  # noqa: S308 - every value and label is escaped above
            f'<select name="{conditional_escape(name)}"{attributes}>{body}\n</select>'
        )


class FixedChoiceField(forms.ChoiceField):
    """A choice field over a fixed list, drawn with a PrerenderedSelect.

    A form copies its fields for every instance; Django's ChoiceField deep-copies its
    choices too, which for 250 countries costs more than rendering them. These choices
    are never changed in place, so the copies share them.
    """

    widget = PrerenderedSelect

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)
