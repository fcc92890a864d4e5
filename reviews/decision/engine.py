"""Compile a policy once, then evaluate facts against it into an explained assessment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .compiler import Env, Test, Witnesses, compile_node
from .conditions import parse_condition
from .explanations import Part, parse_template, render
from .facts import Facts
from .outcome import Outcome
from .policy import (
    GoldenCase,
    PolicyError,
    PolicySpec,
    RuleSpec,
    policy_content_hash,
    rule_problems,
)

MAX_SCORE = 100


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """An active rule with its condition compiled to closures and its template split."""

    spec: RuleSpec
    test: Test
    template: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A validated policy ready to evaluate: active rules in order, version and hash."""

    spec: PolicySpec
    version: str
    hash: str
    rules: tuple[CompiledRule, ...]


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


def compile_policy(spec: PolicySpec) -> CompiledPolicy:
    """Validate `spec` and compile each active rule's condition once; raise PolicyError."""
    problems = rule_problems(spec.rules)
    if problems:
        raise PolicyError(problems)
    rules = tuple(
        CompiledRule(
            spec=rule,
            test=compile_node(parse_condition(rule.condition)),
            template=parse_template(rule.explanation),
        )
        for rule in spec.rules
        if rule.active
    )
    return CompiledPolicy(
        spec=spec, version=spec.version, hash=policy_content_hash(spec), rules=rules
    )


def evaluate(policy: CompiledPolicy, facts: Facts, *, now: datetime) -> Assessment:
    """Evaluate every active rule in order and return the explained assessment."""
    if not isinstance(facts, Facts):
        raise TypeError(f"evaluate() takes Facts (see parse_facts), got {type(facts).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    env = Env(facts)
    fired = env.fired
    hits: list[Hit] = []
    for rule in policy.rules:
        witnesses = rule.test(env, facts)
        if witnesses is None:
            continue
        spec = rule.spec
        fired[spec.id] = spec.outcome
        hits.append(
            Hit(
                rule=spec.id,
                outcome=spec.outcome,
                title=spec.title,
                clause=spec.clause,
                source=spec.source,
                weight=spec.weight,
                explanation=render(rule.template, witnesses, facts),
                witnesses=witnesses,
            )
        )
    return Assessment(
        # `fired` holds the outcome of each hit (rule ids are unique).
        outcome=Outcome.most_severe(fired.values()),
        score=score(hits),
        hits=tuple(hits),
        policy_version=policy.version,
        policy_hash=policy.hash,
        facts_id=facts.id,
        assessed_at=now,
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
