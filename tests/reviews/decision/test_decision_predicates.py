"""The engine's two compilations of a condition agree, and its shortcuts change nothing.

`evaluate` asks every rule a yes/no predicate and collects witnesses only for the rules
that fire; it also fills compiled templates, builds its results without the dataclass
constructors and tracks the outcome and score as it goes. These tests compare it, over
generated facts, conditions and policies, with the plain way: every rule's witness
closure, the template filled part by part, `Hit(...)`, `score()` and
`Outcome.most_severe`.
"""

from __future__ import annotations

from random import Random

import pytest

from reviews.decision import (
    Assessment,
    Hit,
    Outcome,
    compile_policy,
    evaluate,
    parse_facts,
    parse_policy,
)
from reviews.decision import nodes as n
from reviews.decision.compiler import PARTY_KEY, compile_node, render_party, render_value
from reviews.decision.conditions import parse_condition
from reviews.decision.engine import score
from reviews.decision.env import Env, vocabulary_of
from reviews.decision.explanations import parse_template
from reviews.decision.predicates import compile_predicate

from .builders import NOW
from .generated import condition, facts_document, policy_document

# Seeded, so that a failure reproduces (not for secrets).
FACTS = [parse_facts(facts_document(Random(index), index)) for index in range(300)]  # noqa: S311
RULE_IDS = ("EARLIER-A", "EARLIER-B", "EARLIER-C")


def reference_render(template, witnesses, facts) -> str:
    """Fill an explanation template the plain way, as the engine once did on every hit."""
    grouped: dict[str, list[str]] = {}
    for key, value in witnesses:
        values = grouped.setdefault(key, [])
        if value not in values:
            values.append(value)

    def join(key, values):
        if key == PARTY_KEY:
            return " and ".join(values)
        fact = n.FACTS.get(key)
        if fact is not None and fact.kind == n.TEXT:
            return ", ".join(f'"{value}"' for value in values)
        return ", ".join(values)

    def actual(name):
        if name == PARTY_KEY:
            return " and ".join(render_party(party) for party in facts.parties)
        fact = n.FACTS[name]
        value = fact.get(facts)
        if fact.kind == n.PARTIES:
            return " and ".join(render_party(party) for party in value) or "none"
        if fact.kind == n.LIST:
            return ", ".join(value) or "none"
        if fact.kind == n.TEXT:
            return "(no phrase matched)" if name == "description" else (value or "(none)")
        return render_value(value)

    parts = parse_template(template)
    if all(name is None for _, name in parts):
        sentence = "".join(literal for literal, _ in parts)
        if not grouped:
            return sentence
        listed = "; ".join(f"{key}: {join(key, values)}" for key, values in grouped.items())
        return f"{sentence} Facts: {listed}."
    pieces = []
    for literal, name in parts:
        pieces.append(literal)
        if name is not None:
            values = grouped.get(name)
            pieces.append(join(name, values) if values else actual(name))
    return "".join(pieces)


def reference_evaluate(policy, facts) -> Assessment:
    """Evaluate as the engine did before predicates: every rule's witness closure."""
    env = Env(facts, policy.vocabulary)
    hits = []
    for rule in policy.rules:
        witnesses = rule.test(env, facts)
        if witnesses is None:
            continue
        spec = rule.spec
        env.fired[spec.id] = spec.outcome
        hits.append(
            Hit(
                rule=spec.id,
                outcome=spec.outcome,
                title=spec.title,
                clause=spec.clause,
                source=spec.source,
                weight=spec.weight,
                explanation=reference_render(spec.explanation, witnesses, facts),
                witnesses=witnesses,
            )
        )
    return Assessment(
        outcome=Outcome.most_severe(env.fired.values()),
        score=score(hits),
        hits=tuple(hits),
        policy_version=policy.version,
        policy_hash=policy.hash,
        facts_id=facts.id,
        assessed_at=NOW,
    )


def outcome_of(function, *args, **kwargs):
    """Return what the call returns, or the type and message of what it raises.

    A rule with `in` over a boolean fact has a bool witness, which the explanation
    cannot join (TypeError): the engine must fail the same way as the reference.
    """
    try:
        return function(*args, **kwargs)
    except (TypeError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("seed", range(8))
def test_the_predicate_holds_exactly_when_the_witness_closure_returns_witnesses(seed):
    rng = Random(seed)  # noqa: S311
    for _ in range(250):
        node = parse_condition(condition(rng, RULE_IDS))
        predicate, test = compile_predicate(node), compile_node(node)
        vocabulary = vocabulary_of([node])
        for facts in rng.sample(FACTS, 12):
            # With and without the policy's first words of phrases, as evaluate has them.
            env = Env(facts, vocabulary) if rng.random() < 0.5 else Env(facts)
            # Earlier rules that fired, with their outcomes, for fired and outcome_fired.
            for rule in rng.sample(RULE_IDS, rng.randint(0, len(RULE_IDS))):
                env.fired[rule] = rng.choice(list(Outcome))
            holds = predicate(env, facts)

            assert type(holds) is bool
            assert holds is (test(env, facts) is not None), (node, facts)


def test_it_assesses_generated_facts_as_the_witness_closures_do(compiled_seed):
    for facts in FACTS:
        assessment = evaluate(compiled_seed, facts, now=NOW)
        expected = reference_evaluate(compiled_seed, facts)

        assert assessment == expected
        assert repr(assessment) == repr(expected)
        assert assessment.to_dict() == expected.to_dict()


@pytest.mark.parametrize("seed", range(6))
def test_it_assesses_generated_policies_as_the_witness_closures_do(seed):
    rng = Random(seed)  # noqa: S311
    for _ in range(25):
        policy = compile_policy(parse_policy(policy_document(rng, rng.randint(1, 12))))
        for facts in rng.sample(FACTS, 20):
            assessment = outcome_of(evaluate, policy, facts, now=NOW)
            expected = outcome_of(reference_evaluate, policy, facts)

            assert assessment == expected
            assert repr(assessment) == repr(expected)


def test_the_results_it_builds_are_ordinary_frozen_dataclasses(compiled_seed):
    assessment = next(
        found for facts in FACTS if (found := evaluate(compiled_seed, facts, now=NOW)).hits
    )
    rebuilt = Assessment(
        outcome=assessment.outcome,
        score=assessment.score,
        hits=tuple(Hit(**{f: getattr(hit, f) for f in Hit.__slots__}) for hit in assessment.hits),
        policy_version=assessment.policy_version,
        policy_hash=assessment.policy_hash,
        facts_id=assessment.facts_id,
        assessed_at=assessment.assessed_at,
    )

    assert assessment == rebuilt
    assert hash(assessment) == hash(rebuilt)
    with pytest.raises(AttributeError):
        assessment.score = 0  # type: ignore[misc]
