"""Compile a validated condition tree into a fast yes/no test, with no witnesses.

Most rules do not fire for a given application, so the engine asks every rule only this
question first, and runs the witness-collecting closure of `compiler.py` for the few
rules that fire, to explain them. A predicate takes the same ``(env, subject)`` as a
compiled test and returns True exactly when that test returns witnesses (not None):
`tests/reviews/decision/test_decision_predicates.py` checks this over generated facts.

To stay cheap a predicate allocates next to nothing: `and`/`or` stop at the first
answer, "not <leaf>" is one closure, list facts are tested against frozensets, and
phrases are looked up by first word, as the witness closures do. Loops are written out
rather than any()/all() over a generator, which would cost a generator per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import nodes as n
from .compiler import cheapest_first
from .env import Env, phrase_index, text_and_words
from .outcome import Outcome

Predicate = Callable[[Env, Any], bool]


def compile_predicate(node: n.Node) -> Predicate:
    """Return a closure telling whether `node` holds; call it as ``test(env, env.facts)``."""
    if isinstance(node, n.All):
        tests = tuple(compile_predicate(node.children[i]) for i in cheapest_first(node.children))
        return _all(tests)
    if isinstance(node, n.AnyOf):
        # Cheapest first too: for a yes/no answer the order of branches does not matter.
        tests = tuple(compile_predicate(node.children[i]) for i in cheapest_first(node.children))
        return _any(tests)
    if isinstance(node, n.Not):
        return _negated_leaf(node.child) or _not(compile_predicate(node.child))
    if isinstance(node, n.SomeParty):
        return _some_party(compile_predicate(node.child))
    if isinstance(node, n.Eq):
        return _eq(node.fact, node.value)
    if isinstance(node, n.In):
        get, values = node.fact.get, frozenset(node.values)
        return lambda env, subject: get(subject) in values
    if isinstance(node, n.Contains):
        get, value = node.fact.get, node.value
        return lambda env, subject: value in get(subject)
    if isinstance(node, n.Intersects):
        get, values = node.fact.get, frozenset(node.values)
        return lambda env, subject: not values.isdisjoint(get(subject))
    if isinstance(node, n.Empty):
        get = node.fact.get
        return lambda env, subject: not get(subject)
    if isinstance(node, n.TextAny):
        return _text_any(node.fact, node.normalised)
    if isinstance(node, n.Fired):
        rule = node.rule
        return lambda env, subject: rule in env.fired
    if isinstance(node, n.OutcomeFired):
        return _outcome_fired(node.outcome)
    raise TypeError(f"not a condition node: {node!r}")


def _all(tests: tuple[Predicate, ...]) -> Predicate:
    # One or two children are the common case; naming them saves the loop.
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda env, subject: first(env, subject) and second(env, subject)

    def test(env: Env, subject: Any) -> bool:
        for part in tests:  # noqa: SIM110 - see the module docstring
            if not part(env, subject):
                return False
        return True

    return test


def _any(tests: tuple[Predicate, ...]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda env, subject: first(env, subject) or second(env, subject)

    def test(env: Env, subject: Any) -> bool:
        for part in tests:  # noqa: SIM110 - see the module docstring
            if part(env, subject):
                return True
        return False

    return test


def _not(inner: Predicate) -> Predicate:
    return lambda env, subject: not inner(env, subject)


def _negated_leaf(node: n.Node) -> Predicate | None:
    """Return one closure for "not <leaf>", saving a call per test; None for other nodes."""
    if isinstance(node, n.Eq):
        get, value, kind = node.fact.get, node.value, type(node.value)

        def not_eq(env: Env, subject: Any) -> bool:
            actual = get(subject)
            return not (actual == value and type(actual) is kind)

        return not_eq
    if isinstance(node, n.In):
        get, values = node.fact.get, frozenset(node.values)
        return lambda env, subject: get(subject) not in values
    if isinstance(node, n.Contains):
        get, value = node.fact.get, node.value
        return lambda env, subject: value not in get(subject)
    if isinstance(node, n.Intersects):
        get, values = node.fact.get, frozenset(node.values)
        return lambda env, subject: values.isdisjoint(get(subject))
    if isinstance(node, n.Empty):
        get = node.fact.get
        return lambda env, subject: bool(get(subject))
    if isinstance(node, n.Fired):
        rule = node.rule
        return lambda env, subject: rule not in env.fired
    if isinstance(node, n.OutcomeFired):
        outcome = node.outcome

        def no_outcome_fired(env: Env, subject: Any) -> bool:
            for fired in env.fired.values():  # noqa: SIM110 - see the module docstring
                if fired is outcome:
                    return False
            return True

        return no_outcome_fired
    return None


def _some_party(inner: Predicate) -> Predicate:
    def test(env: Env, subject: Any) -> bool:
        # The parties of `Facts.parties` (organization, then acting_for) without
        # building that tuple.
        if inner(env, subject.organization):
            return True
        for party in subject.acting_for:  # noqa: SIM110 - see the module docstring
            if inner(env, party):
                return True
        return False

    return test


def _eq(fact: n.Fact, value: str | bool) -> Predicate:
    get, kind = fact.get, type(value)

    def test(env: Env, subject: Any) -> bool:
        actual = get(subject)
        # As the witness closure: the type must match too, so 1 never equals True.
        return actual == value and type(actual) is kind

    return test


def _text_any(fact: n.Fact, normalised: tuple[str, ...]) -> Predicate:
    get, path = fact.get, fact.path
    # The padded phrases by first word; a yes/no answer needs no positions.
    index = {
        word: tuple(key for _, key in entries) for word, entries in phrase_index(normalised).items()
    }
    first_words = frozenset(index)
    disjoint = first_words.isdisjoint

    def test(env: Env, subject: Any) -> bool:
        # Env.text, inlined: the description is normalised by the first test of it.
        if subject is env.facts:
            found = env.texts.get(path)
            if found is None:
                found = env.text(fact)
            text, words = found
        else:
            text, words = text_and_words(get(subject))
        if disjoint(words):  # the usual answer
            return False
        for word in first_words.intersection(words):
            for key in index[word]:
                if key in text:
                    return True
        return False

    return test


def _outcome_fired(outcome: Outcome) -> Predicate:
    def test(env: Env, subject: Any) -> bool:
        for fired in env.fired.values():  # noqa: SIM110 - see the module docstring
            if fired is outcome:
                return True
        return False

    return test
