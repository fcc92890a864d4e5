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

from . import nodes as n
from .compiler import PARTY_KEY, Witnesses, render_party, render_value
from .facts import Facts

PLACEHOLDERS = (PARTY_KEY, *n.FACTS)
MAX_TEMPLATE_LENGTH = 500

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Part = tuple[str, str | None]


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
    grouped = _group(witnesses)
    if all(name is None for _, name in parts):
        sentence = "".join(literal for literal, _ in parts)
        if not grouped:
            return sentence
        listed = "; ".join(f"{key}: {_join(key, values)}" for key, values in grouped.items())
        return f"{sentence} Facts: {listed}."
    pieces = []
    for literal, name in parts:
        pieces.append(literal)
        if name is not None:
            values = grouped.get(name)
            pieces.append(_join(name, values) if values else _actual(name, facts))
    return "".join(pieces)


def _group(witnesses: Witnesses) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in witnesses:
        values = grouped.setdefault(key, [])
        if value not in values:
            values.append(value)
    return grouped


def _join(key: str, values: list[str]) -> str:
    if key == PARTY_KEY:
        return " and ".join(values)
    fact = n.FACTS.get(key)
    if fact is not None and fact.kind == n.TEXT:
        return ", ".join(f'"{value}"' for value in values)
    return ", ".join(values)


def _actual(name: str, facts: Facts) -> str:
    if name == PARTY_KEY:
        return " and ".join(render_party(party) for party in facts.parties)
    fact = n.FACTS[name]
    value = fact.get(facts)
    if fact.kind == n.PARTIES:
        return " and ".join(render_party(party) for party in value) or "none"
    if fact.kind == n.LIST:
        return ", ".join(value) or "none"
    if fact.kind == n.TEXT:
        # A whole description would drown the sentence; only matched phrases are quoted.
        return "(no phrase matched)" if name == "description" else (value or "(none)")
    return render_value(value)
