"""Policy documents (format gatehouse-policy/1): parse, validate and hash them.

A document is what `fixtures/policy/seed.json` holds and what an export writes:

    {"format": "gatehouse-policy/1", "policy": "face-restricted-use", "version": "2024.05.1",
     "title": "...", "rules": [rule, ...], "golden_cases": [case, ...]}

    rule: {"id": "US-POLICE-FR", "title": ..., "outcome": "prohibited", "weight": 0..100,
           "clause": ..., "source": ..., "explanation": template, "condition": {...},
           "active": true}
    case: {"name": "T01", "facts": {...}, "expected": {"outcome": ..., "rules": [...]}}

Rules are evaluated in document order; `fired` may only name a rule listed earlier, and
`outcome_fired` may only be used after every active rule of that outcome.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import nodes as n
from .conditions import ConditionError, is_rule_id, parse_condition, render_segments
from .explanations import MAX_TEMPLATE_LENGTH, TemplateError, parse_template
from .golden import GoldenCase, parse_golden_cases
from .jsonshape import (
    Problem,
    check_object,
    described,
    is_array,
    one_of,
    render_problems,
    show,
    text_field,
)
from .outcome import Outcome

FORMAT = "gatehouse-policy/1"

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_VERSION = re.compile(r"[0-9A-Za-z]+([.\-][0-9A-Za-z]+)*")

_DOC_FIELDS = ("format", "policy", "version", "title", "rules", "golden_cases")
_DOC_REQUIRED = ("format", "policy", "version", "title", "rules")
_RULE_FIELDS = (
    "id",
    "title",
    "outcome",
    "weight",
    "clause",
    "source",
    "explanation",
    "condition",
    "active",
)
_RULE_REQUIRED = _RULE_FIELDS[:-1]

# Longest text each field may hold, in characters.
_LIMITS = {
    "title": 200,
    "clause": 2000,
    "source": 500,
    "explanation": MAX_TEMPLATE_LENGTH,
}


class PolicyError(ValueError):
    """Report every problem found in a policy as ``(path, message)``."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = list(errors)
        super().__init__(render_problems(self.errors, root="policy"))


def freeze(value: Any) -> Any:
    """Return a deeply immutable copy of a JSON value (read-only mappings, tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if is_array(value):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Return a plain JSON value (dicts, lists) from a frozen one."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if is_array(value):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule as policy staff write it; the condition is kept deeply frozen."""

    id: str
    title: str
    outcome: Outcome
    weight: int
    clause: str
    source: str
    explanation: str
    condition: Mapping[str, Any]
    active: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "condition", freeze(self.condition))

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as it appears in a policy document."""
        return {
            "id": self.id,
            "title": self.title,
            "outcome": self.outcome.value,
            "weight": self.weight,
            "clause": self.clause,
            "source": self.source,
            "explanation": self.explanation,
            "condition": thaw(self.condition),
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A whole policy version: its rules in evaluation order and its golden cases."""

    policy: str
    version: str
    title: str
    rules: tuple[RuleSpec, ...]
    golden_cases: tuple[GoldenCase, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the policy document (format gatehouse-policy/1)."""
        return {
            "format": FORMAT,
            "policy": self.policy,
            "version": self.version,
            "title": self.title,
            "rules": [rule.to_dict() for rule in self.rules],
            "golden_cases": [case.to_dict() for case in self.golden_cases],
        }


def policy_content_hash(spec: PolicySpec) -> str:
    """Return the sha256 hex digest of the canonical JSON of the rules.

    Active rules count in their evaluation order; retired (inactive) rules are sorted
    by id, since their position has no effect. Golden cases, the name, version and
    title are left out: two versions with the same rules decide alike.
    """
    active = [rule.to_dict() for rule in spec.rules if rule.active]
    retired = [rule.to_dict() for rule in sorted(spec.rules, key=lambda r: r.id) if not rule.active]
    canonical = json.dumps(
        {"rules": active, "retired": retired},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_policy(doc: Mapping[str, Any]) -> PolicySpec:
    """Validate a policy document and return its PolicySpec, or raise PolicyError."""
    problems: list[Problem] = []
    if not check_object(doc, "", _DOC_FIELDS, _DOC_REQUIRED, problems):
        raise PolicyError(problems)
    if "format" in doc and doc["format"] != FORMAT:
        problems.append(("format", f"unsupported format {show(doc['format'])}; expected {FORMAT}"))
    name = text_field(
        doc, "policy", "", problems, limit=64, pattern=_SLUG, example="face-restricted-use"
    )
    version = text_field(
        doc, "version", "", problems, limit=32, pattern=_VERSION, example="2024.05.1"
    )
    title = text_field(doc, "title", "", problems, limit=_LIMITS["title"])
    rules = _rules(doc.get("rules", []), problems)
    cases = parse_golden_cases(doc.get("golden_cases", []), {r.id for r in rules}, problems)
    if problems:
        raise PolicyError(problems)
    return PolicySpec(policy=name, version=version, title=title, rules=rules, golden_cases=cases)


def rule_problems(
    rules: tuple[RuleSpec, ...],
    indexes: tuple[int, ...] | None = None,
    *,
    require_active: bool = True,
) -> list[Problem]:
    """Check the conditions, templates and cross-rule references of `rules`.

    `indexes` gives each rule's position in the document, for the problem paths.
    """
    problems: list[Problem] = []
    position = {rule.id: index for index, rule in enumerate(rules)}
    for index, rule in enumerate(rules):
        at = f"rules[{index if indexes is None else indexes[index]}]"
        try:
            parse_template(rule.explanation)
        except TemplateError as error:
            problems.append((f"{at}.explanation", str(error)))
        try:
            node = parse_condition(rule.condition)
        except ConditionError as error:
            problems.append((f"{at}.condition{render_segments(error.segments)}", error.message))
            continue
        for ref in n.walk(node):
            if isinstance(ref, n.Fired):
                problem = _fired_problem(rule, index, ref.rule, rules, position)
            elif isinstance(ref, n.OutcomeFired):
                problem = _outcome_fired_problem(rule, index, ref.outcome, rules)
            else:
                continue
            if problem:
                problems.append((f"{at}.condition", problem))
    if require_active and not any(rule.active for rule in rules):
        problems.append(("rules", "a policy needs at least one active rule"))
    return problems


def _fired_problem(
    rule: RuleSpec, index: int, ref: str, rules: tuple[RuleSpec, ...], position: dict[str, int]
) -> str | None:
    where = position.get(ref)
    if where is None:
        return f"fired refers to unknown rule {show(ref)}"
    if where >= index:
        return f"fired refers to rule {ref}, which is not listed before {rule.id}"
    if rule.active and not rules[where].active:
        return f"fired refers to rule {ref}, which is inactive; change or retire {rule.id} too"
    return None


def _outcome_fired_problem(
    rule: RuleSpec, index: int, outcome: Outcome, rules: tuple[RuleSpec, ...]
) -> str | None:
    later = [
        other.id
        for other in rules[index + 1 :]
        if other.active and other.outcome is outcome and other is not rule
    ]
    if rule.active and later:
        return (
            f"outcome_fired {outcome} must come after every active {outcome} rule, "
            f"but {', '.join(later)} is listed after {rule.id}"
        )
    return None


def _rules(value: object, problems: list[Problem]) -> tuple[RuleSpec, ...]:
    if not is_array(value) or not value:
        problems.append(("rules", f"expected a non-empty array of rules, got {described(value)}"))
        return ()
    rules: list[RuleSpec] = []
    indexes: list[int] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(value):
        at = f"rules[{index}]"
        before = len(problems)
        if not check_object(raw, at, _RULE_FIELDS, _RULE_REQUIRED, problems):
            continue
        rule_id = raw.get("id")
        if "id" in raw and not is_rule_id(rule_id):
            problems.append(
                (f"{at}.id", f"{show(rule_id)} is not a rule id such as US-POLICE-FR (A-Z, 0-9, -)")
            )
        elif rule_id in first_index:
            problems.append(
                (
                    f"{at}.id",
                    f"duplicate rule id {rule_id} (first at rules[{first_index[rule_id]}])",
                )
            )
        elif rule_id is not None:
            first_index[rule_id] = index
        texts = {key: text_field(raw, key, at, problems, limit=_LIMITS[key]) for key in _LIMITS}
        outcomes = [outcome.value for outcome in Outcome]
        outcome = raw.get("outcome")
        if "outcome" in raw and (not isinstance(outcome, str) or outcome not in outcomes):
            problems.append((f"{at}.outcome", f"{show(outcome)} is not one of: {one_of(outcomes)}"))
        weight = raw.get("weight")
        if "weight" in raw and (type(weight) is not int or not 0 <= weight <= 100):
            problems.append(
                (f"{at}.weight", f"expected an integer 0 to 100, got {described(weight)}")
            )
        active = raw.get("active", True)
        if type(active) is not bool:
            problems.append((f"{at}.active", f"expected true or false, got {described(active)}"))
        if len(problems) == before:
            rules.append(
                RuleSpec(
                    id=rule_id,
                    outcome=Outcome(outcome),
                    weight=weight,
                    condition=raw["condition"],
                    active=active,
                    **texts,
                )
            )
            indexes.append(index)
    # Whether any rule is active is only known once every rule has been read.
    complete = len(rules) == len(value)
    problems.extend(rule_problems(tuple(rules), tuple(indexes), require_active=complete))
    return tuple(rules)
