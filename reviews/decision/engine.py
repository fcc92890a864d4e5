"""Compile a policy once, then evaluate facts against it into an explained assessment.

Each active rule's condition is compiled twice: a yes/no predicate asked of every rule,
and a closure collecting witnesses, run only for the rules that fire (most do not) to
explain them. Everything that depends only on the policy (template parts, severities,
the first words of phrases) is worked out when compiling, not per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from .compiler import Test, Witnesses, compile_node
from .conditions import parse_condition
from .env import NO_VOCABULARY, Env, Vocabulary, vocabulary_of
from .explanations import Explain, compile_template, parse_template
from .facts import Facts
from .nodes import Node
from .outcome import Outcome
from .policy import (
    GoldenCase,
    PolicyError,
    PolicySpec,
    RuleSpec,
    policy_content_hash,
    rule_problems,
)
from .predicates import Predicate, compile_predicate

MAX_SCORE = 100


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """An active rule with its condition compiled twice and its template split.

    `predicate` only tells whether the rule fires and is asked of every rule; `test`
    also collects the witnesses, and runs only for rules that fire, to explain them.
    """

    spec: RuleSpec
    predicate: Predicate
    test: Test
    explain: Explain
    severity: int  # spec.outcome.severity


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A validated policy ready to evaluate: active rules in order, version and hash.

    `vocabulary` holds the first words of the phrases its rules look for (see `env.py`).
    """

    spec: PolicySpec
    version: str
    hash: str
    rules: tuple[CompiledRule, ...]
    vocabulary: Vocabulary = NO_VOCABULARY


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that fired, with a sentence naming the facts that triggered it."""

    rule: str
    outcome: Outcome
    title: str
    clause: str
    source: str
    weight: int
    explanation: str
    witnesses: Witnesses = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the hit as it appears in an assessment."""
        return {
            "rule": self.rule,
            "outcome": self.outcome.value,
            "title": self.title,
            "weight": self.weight,
            "clause": self.clause,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """The recommendation for one application under one policy version."""

    outcome: Outcome
    score: int
    hits: tuple[Hit, ...]
    policy_version: str
    policy_hash: str
    facts_id: str | None
    assessed_at: datetime

    @property
    def rules(self) -> tuple[str, ...]:
        """Return the ids of the rules that fired, in policy order."""
        return tuple(hit.rule for hit in self.hits)

    def to_dict(self) -> dict[str, Any]:
        """Return the assessment as JSON-able data; it holds no time, so it is reproducible."""
        return {
            "id": self.facts_id,
            "outcome": self.outcome.value,
            "score": self.score,
            "policy": {"version": self.policy_version, "hash": self.policy_hash},
            "hits": [hit.to_dict() for hit in self.hits],
        }


# A frozen dataclass's __init__ sets each field through object.__setattr__, which made
# building the Hits and the Assessment a fifth of an evaluation: a Hit cost more than
# testing five rules. `evaluate` builds them by writing their slots directly instead, in
# about half the time. The objects are the same (every field is given, in order; neither
# class has a __post_init__) and stay frozen; `_slot_writers` fails at import if a field
# is added, renamed or moved, and test_decision_predicates.py compares the results with
# ones built by the constructors.
_new = object.__new__


def _slot_writers(cls: type, *names: str) -> tuple[Callable[[Any, Any], None], ...]:
    if names != tuple(field.name for field in fields(cls)):
        raise TypeError(f"the fields of {cls.__name__} changed; update its slot writers")
    return tuple(getattr(cls, name).__set__ for name in names)


_HIT_SLOTS = _slot_writers(
    Hit, "rule", "outcome", "title", "clause", "source", "weight", "explanation", "witnesses"
)
_ASSESSMENT_SLOTS = _slot_writers(
    Assessment,
    "outcome",
    "score",
    "hits",
    "policy_version",
    "policy_hash",
    "facts_id",
    "assessed_at",
)


def _new_hit(spec: RuleSpec, explanation: str, witnesses: Witnesses) -> Hit:
    """Return ``Hit(spec.id, spec.outcome, ..., explanation, witnesses)``, built faster."""
    rule, outcome, title, clause, source, weight, explanation_, witnesses_ = _HIT_SLOTS
    hit = _new(Hit)
    rule(hit, spec.id)
    outcome(hit, spec.outcome)
    title(hit, spec.title)
    clause(hit, spec.clause)
    source(hit, spec.source)
    weight(hit, spec.weight)
    explanation_(hit, explanation)
    witnesses_(hit, witnesses)
    return hit


def _new_assessment(
    outcome: Outcome,
    score: int,
    hits: tuple[Hit, ...],
    policy: CompiledPolicy,
    facts: Facts,
    now: datetime,
) -> Assessment:
    """Return the Assessment of `facts` under `policy` with these results, built faster."""
    outcome_, score_, hits_, policy_version, policy_hash, facts_id, assessed_at = _ASSESSMENT_SLOTS
    assessment = _new(Assessment)
    outcome_(assessment, outcome)
    score_(assessment, score)
    hits_(assessment, hits)
    policy_version(assessment, policy.version)
    policy_hash(assessment, policy.hash)
    facts_id(assessment, facts.id)
    assessed_at(assessment, now)
    return assessment


def compile_policy(spec: PolicySpec) -> CompiledPolicy:
    """Validate `spec` and compile each active rule's condition once; raise PolicyError."""
    problems = rule_problems(spec.rules)
    if problems:
        raise PolicyError(problems)
    active = [(rule, parse_condition(rule.condition)) for rule in spec.rules if rule.active]
    return CompiledPolicy(
        spec=spec,
        version=spec.version,
        hash=policy_content_hash(spec),
        rules=tuple(_compile_rule(rule, node) for rule, node in active),
        vocabulary=vocabulary_of(node for _, node in active),
    )


def _compile_rule(rule: RuleSpec, node: Node) -> CompiledRule:
    return CompiledRule(
        spec=rule,
        predicate=compile_predicate(node),
        test=compile_node(node),
        explain=compile_template(parse_template(rule.explanation)),
        severity=rule.outcome.severity,
    )


def evaluate(policy: CompiledPolicy, facts: Facts, *, now: datetime) -> Assessment:
    """Evaluate every active rule in order and return the explained assessment."""
    if not isinstance(facts, Facts):
        raise TypeError(f"evaluate() takes Facts (see parse_facts), got {type(facts).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    env = Env(facts, policy.vocabulary)
    fired = env.fired
    hits: list[Hit] = []
    # The most severe outcome of the hits (as Outcome.most_severe) and their weights.
    worst, worst_severity, total = Outcome.APPROVABLE, Outcome.APPROVABLE.severity, 0
    for rule in policy.rules:
        if not rule.predicate(env, facts):
            continue
        # Most rules do not fire; for those that do, collect the witnesses, before this
        # rule joins `fired` (its condition may only ask about earlier rules).
        witnesses = rule.test(env, facts)
        spec = rule.spec
        outcome = spec.outcome
        fired[spec.id] = outcome
        if rule.severity > worst_severity:
            worst, worst_severity = outcome, rule.severity
        total += spec.weight
        hits.append(_new_hit(spec, rule.explain(witnesses, facts), witnesses))
    return _new_assessment(
        worst,
        # As score(hits), capped at 100: a prohibited hit makes `worst` prohibited.
        MAX_SCORE if worst is Outcome.PROHIBITED or total > MAX_SCORE else total,
        tuple(hits),
        policy,
        facts,
        now,
    )


def score(hits: Iterable[Hit]) -> int:
    """Add the hits' weights, capped at 100; any prohibited hit scores 100."""
    total = 0
    for hit in hits:
        if hit.outcome is Outcome.PROHIBITED:
            return MAX_SCORE
        total += hit.weight
    return min(total, MAX_SCORE)


def golden_case_failures(policy: CompiledPolicy, *, now: datetime) -> tuple[str, ...]:
    """Evaluate the policy's golden cases and describe each one it no longer decides right."""
    return tuple(
        failure
        for case in policy.spec.golden_cases
        if (failure := _golden_failure(policy, case, now)) is not None
    )


def _golden_failure(policy: CompiledPolicy, case: GoldenCase, now: datetime) -> str | None:
    assessment = evaluate(policy, case.facts, now=now)
    missing = [rule for rule in case.rules if rule not in assessment.rules]
    if assessment.outcome is case.outcome and not missing:
        return None
    fired = ", ".join(assessment.rules) or "no rule"
    wanted = f"{case.outcome}" + (f" with {', '.join(case.rules)}" if case.rules else "")
    return f"{case.name}: expected {wanted}; got {assessment.outcome} from {fired}"
