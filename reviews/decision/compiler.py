"""Compile a validated condition tree into nested closures that also return witnesses.

A compiled test takes an `Env` and a subject (the facts, or one party inside
`some_party`) and returns None when the condition is false, or a tuple of witnesses
when it is true: ``(key, value)`` pairs naming the facts that made it true, such as
``("capabilities", "face_identification")`` or ``("party", "X, a police department in US")``.
A negation is true because something is absent, so it contributes no witnesses.

The engine runs these only for the rules whose yes/no predicate (`predicates.py`, the
same condition compiled without witnesses) holds, to explain them; they stay the
reference for what a condition means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import nodes as n
from . import vocabulary as v
from .env import Env, phrase_index, text_and_words
from .facts import Facts, Party
from .outcome import Outcome

Witness = tuple[str, str]
Witnesses = tuple[Witness, ...]
Test = Callable[["Env", Any], Witnesses | None]

PARTY_KEY = "party"
RULE_KEY = "rule"


def compile_node(node: n.Node) -> Test:
    """Return a closure that evaluates `node`; call it as ``test(env, env.facts)``."""
    if isinstance(node, n.All):
        return _all(
            tuple(compile_node(child) for child in node.children), cheapest_first(node.children)
        )
    if isinstance(node, n.AnyOf):
        return _any(tuple(compile_node(child) for child in node.children))
    if isinstance(node, n.Not):
        return _negated_leaf(node.child) or _not(compile_node(node.child))
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
        return _text_any(node.fact, node.phrases, node.normalised)
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


# Relative cost of evaluating a node, to try cheap conditions of an "all" first.
_TEXT_COST = 100
_PARTY_COST = 5


def _cost(node: n.Node) -> int:
    if isinstance(node, n.All | n.AnyOf):
        return sum(_cost(child) for child in node.children)
    if isinstance(node, n.Not):
        return _cost(node.child)
    if isinstance(node, n.SomeParty):
        return _PARTY_COST + _cost(node.child)
    if isinstance(node, n.TextAny):
        return _TEXT_COST
    return 1


def cheapest_first(children: tuple[n.Node, ...]) -> tuple[int, ...]:
    """Return the positions of `children`, cheapest first (stable among equals)."""
    return tuple(sorted(range(len(children)), key=lambda i: _cost(children[i])))


def _all(tests: tuple[Test, ...], order: tuple[int, ...]) -> Test:
    if order == tuple(range(len(tests))):

        def test(env: Env, subject: Any) -> Witnesses | None:
            found: Witnesses = ()
            for part in tests:
                witnesses = part(env, subject)
                if witnesses is None:
                    return None
                found += witnesses
            return found

        return test

    # Conditions are pure, so evaluating them cheapest first and stopping at the first
    # false one gives the same answer; the witnesses are still joined in written order.
    ordered = tuple((i, tests[i]) for i in order)
    size = len(tests)

    def reordered(env: Env, subject: Any) -> Witnesses | None:
        results: list[Witnesses] = [()] * size
        for i, part in ordered:
            witnesses = part(env, subject)
            if witnesses is None:
                return None
            results[i] = witnesses
        found: Witnesses = ()
        for witnesses in results:
            found += witnesses
        return found

    return reordered


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


def _negated_leaf(node: n.Node) -> Test | None:
    """Return one closure for "not <leaf>", saving a call per test; None for other nodes.

    A negation is true when its condition is false, and then contributes no witnesses.
    """
    if isinstance(node, n.Eq):
        get, value = node.fact.get, node.value

        def not_eq(env: Env, subject: Any) -> Witnesses | None:
            actual = get(subject)
            return None if actual == value and type(actual) is type(value) else ()

        return not_eq
    if isinstance(node, n.In):
        get, values = node.fact.get, frozenset(node.values)
        return lambda env, subject: None if get(subject) in values else ()
    if isinstance(node, n.Contains):
        get, value = node.fact.get, node.value
        return lambda env, subject: None if value in get(subject) else ()
    if isinstance(node, n.Intersects):
        get, values = node.fact.get, frozenset(node.values)
        return lambda env, subject: () if values.isdisjoint(get(subject)) else None
    if isinstance(node, n.Empty):
        get = node.fact.get
        return lambda env, subject: () if get(subject) else None
    if isinstance(node, n.Fired):
        rule = node.rule
        return lambda env, subject: None if rule in env.fired else ()
    if isinstance(node, n.OutcomeFired):
        outcome = node.outcome

        def no_outcome_fired(env: Env, subject: Any) -> Witnesses | None:
            for fired in env.fired.values():
                if fired is outcome:
                    return None
            return ()

        return no_outcome_fired
    return None


def _some_party(inner: Test) -> Test:
    def test(env: Env, subject: Facts) -> Witnesses | None:
        found: Witnesses = ()
        for party in subject.parties:
            if inner(env, party) is not None:
                found += ((PARTY_KEY, render_party(party)),)
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
        items = get(subject)
        if values.isdisjoint(items):
            return None
        # Comprehensions rather than generators here and below: they run inline (PEP 709).
        return tuple([(path, item) for item in items if item in values])

    return test


def _empty(fact: n.Fact) -> Test:
    get = fact.get

    def test(env: Env, subject: Any) -> Witnesses | None:
        return None if get(subject) else ()

    return test


def _text_any(fact: n.Fact, phrases: tuple[str, ...], normalised: tuple[str, ...]) -> Test:
    get, path = fact.get, fact.path
    # Candidates keep their position, so witnesses come in phrase order as with a plain
    # scan of the phrases.
    index = {
        word: tuple((position, phrases[position], key) for position, key in entries)
        for word, entries in phrase_index(normalised).items()
    }
    first_words = frozenset(index)

    def test(env: Env, subject: Any) -> Witnesses | None:
        # The application's description is normalised once per evaluation; a party
        # name is short and normalised on the spot.
        if subject is env.facts:
            text, words = env.text(fact)
        else:
            text, words = text_and_words(get(subject))
        common = first_words.intersection(words)
        if not common:
            return None
        if len(common) == 1:
            (word,) = common
            candidates = index[word]
        else:
            candidates = sorted([entry for word in common for entry in index[word]])
        found = tuple([(path, phrase) for _, phrase, key in candidates if key in text])
        return found or None

    return test


def _fired(rule: str) -> Test:
    witnesses = ((RULE_KEY, rule),)

    def test(env: Env, subject: Any) -> Witnesses | None:
        return witnesses if rule in env.fired else None

    return test


def _outcome_fired(outcome: Outcome) -> Test:
    def test(env: Env, subject: Any) -> Witnesses | None:
        found = tuple([(RULE_KEY, rule) for rule, fired in env.fired.items() if fired is outcome])
        return found or None

    return test
