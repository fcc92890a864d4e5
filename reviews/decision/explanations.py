"""Explanation templates: a rule's sentence with the facts that triggered it filled in.

A template is plain text with optional placeholders in braces: ``{party}`` or the path of
a fact such as ``{capabilities}`` or ``{deployment.camera}``. A placeholder shows the
values that made the condition true (its witnesses); when the condition holds no
witness for it (e.g. it sits under a "not"), it shows the fact's actual value. A
template without placeholders gets the witnesses appended, so every explanation names
concrete facts. Templates are filled by plain substitution, never by str.format.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import nodes as n
from .compiler import PARTY_KEY, Witnesses, render_party, render_value
from .facts import Facts

PLACEHOLDERS = (PARTY_KEY, *n.FACTS)
MAX_TEMPLATE_LENGTH = 500

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Part = tuple[str, str | None]
Explain = Callable[[Witnesses, Facts], str]


class TemplateError(ValueError):
    """Say why an explanation template cannot be used."""


def parse_template(template: str) -> tuple[Part, ...]:
    """Split `template` into (literal, placeholder) parts; raise TemplateError if invalid."""
    parts: list[Part] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[position : match.start()]
        _check_literal(literal)
        name = match.group(1)
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise TemplateError(f"unknown placeholder {{{name}}}; placeholders are: {known}")
        parts.append((literal, name))
        position = match.end()
    tail = template[position:]
    _check_literal(tail)
    if tail:
        parts.append((tail, None))
    return tuple(parts)


def _check_literal(literal: str) -> None:
    if "{" in literal or "}" in literal:
        raise TemplateError("unbalanced brace; write placeholders as {fact} with no nesting")


def render(parts: tuple[Part, ...], witnesses: Witnesses, facts: Facts) -> str:
    """Fill the template parts with the witnesses, falling back to the facts."""
    return compile_template(parts)(witnesses, facts)


def compile_template(parts: tuple[Part, ...]) -> Explain:
    """Return a function that fills `parts` as `render` does, deciding once what it can.

    Whether the template has placeholders, and how each placeholder joins its values,
    depend only on the template; the engine compiles each rule's template once.
    """
    if all(name is None for _, name in parts):
        sentence = "".join(literal for literal, _ in parts)

        def append_facts(witnesses: Witnesses, facts: Facts) -> str:
            if not witnesses:
                return sentence
            grouped = _group(witnesses)
            listed = "; ".join(f"{key}: {_join(key, values)}" for key, values in grouped.items())
            return f"{sentence} Facts: {listed}."

        return append_facts

    # Per placeholder: the text before it, how its witnessed values are joined, and
    # what it shows without any. Only the text after the last placeholder has no name.
    placeholders = tuple(
        (literal, name, _joiner(name), _fallback(name))
        for literal, name in parts
        if name is not None
    )
    tail = "".join(literal for literal, name in parts if name is None)

    def fill(witnesses: Witnesses, facts: Facts) -> str:
        grouped = _group(witnesses) if witnesses else {}
        pieces = []
        for literal, name, join, fallback in placeholders:
            values = grouped.get(name)
            pieces.append(literal)
            pieces.append(join(values) if values else fallback(facts))
        pieces.append(tail)
        return "".join(pieces)

    return fill


def _group(witnesses: Witnesses) -> dict[str, list[str]]:
    """Return the witnessed values by key, in order of first appearance, without repeats."""
    grouped: dict[str, list[str]] = {}
    for key, value in witnesses:
        values = grouped.get(key)
        if values is None:
            grouped[key] = [value]
        elif value not in values:
            values.append(value)
    return grouped


def _join(key: str, values: list[str]) -> str:
    return _joiner(key)(values)


def _joiner(key: str) -> Callable[[list[str]], str]:
    """Return how the non-empty list of witnessed values of `key` is written out."""
    if key == PARTY_KEY:
        return " and ".join
    fact = n.FACTS.get(key)
    if fact is not None and fact.kind == n.TEXT:
        return _quoted
    return ", ".join


def _quoted(values: list[str]) -> str:
    # Matched phrases, each in double quotes: "face match", "who is this".
    return '"' + '", "'.join(values) + '"'


def _fallback(name: str) -> Callable[[Facts], str]:
    """Return what placeholder `name` shows when no witness has a value for it."""
    if name == PARTY_KEY:
        return lambda facts: " and ".join([render_party(party) for party in facts.parties])
    fact = n.FACTS[name]
    get = fact.get
    if fact.kind == n.PARTIES:
        return lambda facts: " and ".join([render_party(party) for party in get(facts)]) or "none"
    if fact.kind == n.LIST:
        return lambda facts: ", ".join(get(facts)) or "none"
    if fact.kind == n.TEXT:
        # A whole description would drown the sentence; only matched phrases are quoted.
        if name == "description":
            return lambda facts: "(no phrase matched)"
        return lambda facts: get(facts) or "(none)"
    return lambda facts: render_value(get(facts))
