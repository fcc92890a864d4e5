"""Golden cases: worked examples a policy version must keep deciding the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .facts import Facts, FactsError, parse_facts
from .jsonshape import Problem, check_object, child, described, is_array, one_of, show, text_field
from .outcome import Outcome

_CASE_FIELDS = ("name", "facts", "expected")
_EXPECTED_FIELDS = ("outcome", "rules")


@dataclass(frozen=True, slots=True)
class GoldenCase:
    """A worked case the policy must keep deciding the same way."""

    name: str
    facts: Facts
    outcome: Outcome
    rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the case as it appears in a policy document."""
        return {
            "name": self.name,
            "facts": self.facts.to_dict(),
            "expected": {"outcome": self.outcome.value, "rules": list(self.rules)},
        }


def parse_golden_cases(
    value: object, rule_ids: set[str], problems: list[Problem]
) -> tuple[GoldenCase, ...]:
    """Read the golden cases of a policy document, appending problems with their paths."""
    if not is_array(value):
        problems.append(("golden_cases", f"expected an array, got {described(value)}"))
        return ()
    cases: list[GoldenCase] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(value):
        at = f"golden_cases[{index}]"
        before = len(problems)
        if not check_object(raw, at, _CASE_FIELDS, _CASE_FIELDS, problems):
            continue
        name = text_field(raw, "name", at, problems, limit=100)
        if name in names:
            problems.append(
                (f"{at}.name", f"duplicate case name (first at golden_cases[{names[name]}])")
            )
        elif name is not None:
            names[name] = index
        facts = None
        try:
            facts = parse_facts(raw.get("facts"))
        except FactsError as error:
            problems.extend(
                (child(f"{at}.facts", path) if path else f"{at}.facts", message)
                for path, message in error.errors
            )
        outcome, expected_rules = _expected(
            raw.get("expected"), f"{at}.expected", rule_ids, problems
        )
        if len(problems) == before:
            cases.append(GoldenCase(name=name, facts=facts, outcome=outcome, rules=expected_rules))
    return tuple(cases)


def _expected(
    value: object, at: str, rule_ids: set[str], problems: list[Problem]
) -> tuple[Outcome | None, tuple[str, ...]]:
    if not check_object(value, at, _EXPECTED_FIELDS, ("outcome",), problems):
        return None, ()
    outcomes = [outcome.value for outcome in Outcome]
    outcome = value.get("outcome")
    if not isinstance(outcome, str) or outcome not in outcomes:
        if "outcome" in value:
            problems.append((f"{at}.outcome", f"{show(outcome)} is not one of: {one_of(outcomes)}"))
        outcome = None
    rules = value.get("rules", [])
    if not is_array(rules):
        problems.append((f"{at}.rules", f"expected an array of rule ids, got {described(rules)}"))
        return None, ()
    for index, rule in enumerate(rules):
        if not isinstance(rule, str) or rule not in rule_ids:
            problems.append((f"{at}.rules[{index}]", f"{show(rule)} is not a rule of this policy"))
    if len(set(map(str, rules))) != len(rules):
        problems.append((f"{at}.rules", "rule ids must be distinct"))
    return (Outcome(outcome) if outcome else None), tuple(rules)
