"""Compile a validated condition tree into nested closures that also return witnesses.

A compiled test takes an `Env` and a subject (the facts, or one party inside
`some_party`) and returns None when the condition is false, or a tuple of witnesses
when it is true: ``(key, value)`` pairs naming the facts that made it true, such as
``("capabilities", "face_identification")`` or ``("party", "X, a police department in US")``.
A negation is true because something is absent, so it contributes no witnesses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import nodes as n
from . import vocabulary as v
from .facts import Facts, Party
from .outcome import Outcome
from .text import contains_phrase, padded

Witness = tuple[str, str]
Witnesses = tuple[Witness, ...]
Test = Callable[["Env", Any], Witnesses | None]

PARTY_KEY = "party"
RULE_KEY = "rule"


class Env:
    """Hold what one evaluation needs: the facts, earlier rules' results, text caches."""

    __slots__ = ("_padded", "facts", "fired")

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.fired: dict[str, Outcome] = {}
        self._padded: dict[str, str] = {}

    def padded_text(self, fact: n.Fact) -> str:
        """Return the normalised text of a fact, normalising it once per evaluation."""
        text = self._padded.get(fact.path)
        if text is None:
            text = self._padded[fact.path] = padded(fact.get(self.facts) or "")
        return text


def compile_node(node: n.Node) -> Test:
    """Return a closure that evaluates `node`; call it as ``test(env, env.facts)``."""
    if isinstance(node, n.All):
        return _all(tuple(compile_node(child) for child in node.children))
    if isinstance(node, n.AnyOf):
        return _any(tuple(compile_node(child) for child in node.children))
    if isinstance(node, n.Not):
        return _not(compile_node(node.child))
    if isinstance(node, n.SomeParty):
        return _some_party(compile_node(node.child))
    if isinstance(node, n.Eq):
        return _eq(node.fact, node.value)
    if isinstance(node, n.In):
        return _in(node.fact, frozenset(node.values))
    if isinstance(node, n.Contains):
        return _contains(node.fact, node.value)
    if isinstance(node, n.Intersects):
        return _intersects(node.fact, frozenset(node.values))
    if isinstance(node, n.Empty):
        return _empty(node.fact)
    if isinstance(node, n.TextAny):
        return _text_any(node.fact, tuple(zip(node.phrases, node.normalised, strict=True)))
    if isinstance(node, n.Fired):
        return _fired(node.rule)
    if isinstance(node, n.OutcomeFired):
        return _outcome_fired(node.outcome)
    raise TypeError(f"not a condition node: {node!r}")


def render_value(value: object) -> str:
    """Render a fact value for a witness or an explanation."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_party(party: Party) -> str:
    """Render a party as "<name>, a police department in US"."""
    label = v.PARTY_TYPE_LABELS.get(party.type, party.type)
    described = f"{label} in {party.country}"
    return f"{party.name}, {described}" if party.name else described


def _all(tests: tuple[Test, ...]) -> Test:
    def test(env: Env, subject: Any) -> Witnesses | None:
        found: Witnesses = ()
        for part in tests:
            witnesses = part(env, subject)
            if witnesses is None:
                return None
            found += witnesses
        return found

    return test


def _any(tests: tuple[Test, ...]) -> Test:
    # Every branch is evaluated, not just the first true one, so an explanation names
    # all the reasons a rule fired.
    def test(env: Env, subject: Any) -> Witnesses | None:
        found: Witnesses | None = None
        for part in tests:
            witnesses = part(env, subject)
            if witnesses is not None:
                found = witnesses if found is None else found + witnesses
        return found

    return test


def _not(inner: Test) -> Test:
    def test(env: Env, subject: Any) -> Witnesses | None:
        return () if inner(env, subject) is None else None

    return test


def _some_party(inner: Test) -> Test:
    def test(env: Env, subject: Facts) -> Witnesses | None:
        found = tuple(
            (PARTY_KEY, render_party(party))
            for party in subject.parties
            if inner(env, party) is not None
        )
        return found or None

    return test


def _eq(fact: n.Fact, value: str | bool) -> Test:
    get, witnesses = fact.get, ((fact.path, render_value(value)),)

    def test(env: Env, subject: Any) -> Witnesses | None:
        actual = get(subject)
        # type() guards against True == 1 style surprises; facts are validated, but cheap.
        return witnesses if actual == value and type(actual) is type(value) else None

    return test


def _in(fact: n.Fact, values: frozenset[str]) -> Test:
    get, path = fact.get, fact.path

    def test(env: Env, subject: Any) -> Witnesses | None:
        actual = get(subject)
        return ((path, actual),) if actual in values else None

    return test


def _contains(fact: n.Fact, value: str) -> Test:
    get, witnesses = fact.get, ((fact.path, value),)

    def test(env: Env, subject: Any) -> Witnesses | None:
        return witnesses if value in get(subject) else None

    return test


def _intersects(fact: n.Fact, values: frozenset[str]) -> Test:
    get, path = fact.get, fact.path

    def test(env: Env, subject: Any) -> Witnesses | None:
        found = tuple((path, item) for item in get(subject) if item in values)
        return found or None

    return test


def _empty(fact: n.Fact) -> Test:
    get = fact.get

    def test(env: Env, subject: Any) -> Witnesses | None:
        return None if get(subject) else ()

    return test


def _text_any(fact: n.Fact, phrases: tuple[tuple[str, str], ...]) -> Test:
    get, path = fact.get, fact.path

    def test(env: Env, subject: Any) -> Witnesses | None:
        # The application's description is normalised once per evaluation; a party
        # name is short and normalised on the spot.
        text = env.padded_text(fact) if subject is env.facts else padded(get(subject) or "")
        found = tuple((path, phrase) for phrase, key in phrases if contains_phrase(text, key))
        return found or None

    return test


def _fired(rule: str) -> Test:
    witnesses = ((RULE_KEY, rule),)

    def test(env: Env, subject: Any) -> Witnesses | None:
        return witnesses if rule in env.fired else None

    return test


def _outcome_fired(outcome: Outcome) -> Test:
    def test(env: Env, subject: Any) -> Witnesses | None:
        found = tuple((RULE_KEY, rule) for rule, fired in env.fired.items() if fired is outcome)
        return found or None

    return test
