"""Builders of facts and policy documents for the decision tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from reviews.decision import compile_policy, evaluate, parse_facts, parse_policy

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

# A harmless application: no face capability, no law enforcement, nothing consequential.
BASE_FACTS = {
    "id": "BASE",
    "organization": {"name": "Acme Copy Ltd", "country": "GB", "type": "commercial"},
    "acting_for": [],
    "capabilities": ["text_generation"],
    "use_case": "content_generation",
    "deployment": {
        "real_time": False,
        "camera": "none",
        "environment": "not_applicable",
        "countries": ["GB"],
    },
    "gallery": "none",
    "data_subjects": ["customers"],
    "consent": "explicit",
    "human_review": True,
    "consequential_decisions": [],
    "description": "We draft product descriptions for our online shop.",
}


def facts_data(**changes: object) -> dict:
    """Return BASE_FACTS with `changes`; a `deployment` dict merges into the base one."""
    data = copy.deepcopy(BASE_FACTS)
    if isinstance(changes.get("deployment"), dict):
        data["deployment"].update(changes.pop("deployment"))
    data.update(copy.deepcopy(changes))
    return data


def rule_data(rule_id: str = "R1", condition: object = None, **fields: object) -> dict:
    """Return a valid rule document, with `fields` replacing its defaults."""
    rule = {
        "id": rule_id,
        "title": f"Rule {rule_id}",
        "outcome": "escalate",
        "weight": 30,
        "clause": "A clause.",
        "source": "A source.",
        "explanation": "It fired.",
        "condition": condition if condition is not None else {"eq": ["use_case", "research"]},
        "active": True,
    }
    rule.update(fields)
    return rule


def policy_data(*rules: dict, **fields: object) -> dict:
    """Return a valid policy document holding `rules` (one default rule if none)."""
    doc = {
        "format": "gatehouse-policy/1",
        "policy": "test-policy",
        "version": "1.0",
        "title": "A test policy",
        "rules": list(rules) or [rule_data()],
        "golden_cases": [],
    }
    doc.update(fields)
    return doc


def evaluate_condition(condition: object, **changes: object):
    """Evaluate one condition against BASE_FACTS with `changes`; return the hit or None."""
    policy = compile_policy(parse_policy(policy_data(rule_data("R1", condition))))
    assessment = evaluate(policy, parse_facts(facts_data(**changes)), now=NOW)
    return assessment.hits[0] if assessment.hits else None
