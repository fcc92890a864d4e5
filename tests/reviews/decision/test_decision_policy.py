"""Policy documents: the seed, validation with paths, round trip and the content hash."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from reviews.decision import (
    Outcome,
    PolicyError,
    RuleSpec,
    parse_policy,
    policy_content_hash,
)

from .builders import facts_data, policy_data, rule_data

README_RULES = {
    "US-POLICE-FR": "prohibited",
    "LE-MOBILE-REALTIME": "prohibited",
    "REALTIME-ID-NO-CONSENT": "prohibited",
    "EMOTION": "prohibited",
    "SENSITIVE-ATTRIBUTES": "prohibited",
    "SCRAPED-GALLERY": "prohibited",
    "LE-FR-REVIEW": "escalate",
    "LE-FACE-PROCESSING": "escalate",
    "FR-USE-CASE-NOT-LISTED": "escalate",
    "ID-WITHOUT-CONSENT": "escalate",
    "MANDATORY-ENROLMENT": "escalate",
    "MINORS": "escalate",
    "SENSITIVE-USE": "escalate",
    "NO-HUMAN-REVIEW": "escalate",
    "MILITARY": "escalate",
    "DRIVER-MONITORING": "escalate",
    "UNDECLARED-CAPABILITY": "escalate",
    # The accessibility exception of EMOTION, as its own rule.
    "EMOTION-ACCESSIBILITY": "escalate",
}


def test_it_encodes_every_rule_of_the_readme_table(seed_spec):
    assert {rule.id: rule.outcome.value for rule in seed_spec.rules} == README_RULES
    assert all(rule.active for rule in seed_spec.rules)


def test_it_weighs_seed_rules_by_severity(seed_spec):
    for rule in seed_spec.rules:
        if rule.outcome is Outcome.PROHIBITED:
            assert rule.weight == 100, rule.id
        else:
            assert 20 <= rule.weight <= 40, rule.id


def test_it_round_trips_a_policy_through_to_dict(seed_spec):
    again = parse_policy(json.loads(json.dumps(seed_spec.to_dict())))

    assert again == seed_spec
    assert policy_content_hash(again) == policy_content_hash(seed_spec)


def test_it_keeps_rule_conditions_immutable(seed_spec):
    rule = seed_spec.rules[0]

    with pytest.raises(TypeError):
        rule.condition["all"] = []
    with pytest.raises(AttributeError):
        rule.weight = 1


def test_it_freezes_a_condition_given_to_a_rule_spec():
    condition = {"all": [{"eq": ["use_case", "research"]}]}
    rule = RuleSpec(
        id="R1",
        title="t",
        outcome="escalate",
        weight=1,
        clause="c",
        source="s",
        explanation="e",
        condition=condition,
    )
    condition["all"].append({"eq": ["use_case", "other"]})

    assert rule.to_dict()["condition"] == {"all": [{"eq": ["use_case", "research"]}]}
    assert rule.outcome is Outcome.ESCALATE


def _problems(doc) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(doc)
    return caught.value.errors


def _rule(**fields):
    return policy_data(rule_data(**fields))


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        ([], "", "expected a JSON object, got array"),
        (policy_data(extra=1), "extra", "unknown field; allowed fields are: format, policy"),
        (policy_data(format="gatehouse-policy/2"), "format", "unsupported format"),
        (policy_data(policy="Face Policy"), "policy", "write it like face-restricted-use"),
        (policy_data(version="v 1"), "version", "write it like 2024.05.1"),
        (policy_data(title=""), "title", "expected a non-empty string"),
        (policy_data(rules=[]), "rules", "expected a non-empty array of rules"),
        (_rule(rule_id="us-police"), "rules[0].id", "is not a rule id such as US-POLICE-FR"),
        (_rule(rule_id="US--POLICE"), "rules[0].id", "is not a rule id"),
        (_rule(outcome="deny"), "rules[0].outcome", "'deny' is not one of: prohibited, escalate"),
        (_rule(weight=101), "rules[0].weight", "expected an integer 0 to 100, got integer 101"),
        (_rule(weight=-1), "rules[0].weight", "expected an integer 0 to 100"),
        (_rule(weight=True), "rules[0].weight", "got boolean true"),
        (_rule(weight=5.0), "rules[0].weight", "got number 5.0"),
        (_rule(active="yes"), "rules[0].active", "expected true or false"),
        (_rule(colour="red"), "rules[0].colour", "unknown field; allowed fields are: id, title"),
        (_rule(clause=" "), "rules[0].clause", "expected a non-empty string"),
        (_rule(title="x" * 201), "rules[0].title", "the maximum is 200"),
        (
            _rule(condition={"eq": ["deployment.camera", "bodycam"]}),
            "rules[0].condition.eq[1]",
            "'bodycam' is not a value of deployment.camera",
        ),
        (
            _rule(explanation="Because {colour}."),
            "rules[0].explanation",
            "unknown placeholder {colour}; placeholders are: {party}, {capabilities}",
        ),
        (_rule(explanation="Because {party."), "rules[0].explanation", "unbalanced brace"),
        (_rule(condition={"fired": "R1"}), "rules[0].condition", "not listed before R1"),
        (_rule(condition={"fired": "NOPE"}), "rules[0].condition", "unknown rule 'NOPE'"),
        (_rule(active=False), "rules", "a policy needs at least one active rule"),
        (
            policy_data(golden_cases={}),
            "golden_cases",
            "expected an array, got object",
        ),
        (
            policy_data(
                golden_cases=[
                    {
                        "name": "G1",
                        "facts": facts_data(deployment={"camera": "bodycam"}),
                        "expected": {"outcome": "approvable"},
                    }
                ]
            ),
            "golden_cases[0].facts.deployment.camera",
            "'bodycam' is not one of",
        ),
        (
            policy_data(
                golden_cases=[
                    {"name": "G1", "facts": facts_data(), "expected": {"outcome": "fine"}}
                ]
            ),
            "golden_cases[0].expected.outcome",
            "'fine' is not one of",
        ),
        (
            policy_data(
                golden_cases=[
                    {
                        "name": "G1",
                        "facts": facts_data(),
                        "expected": {"outcome": "escalate", "rules": ["NOPE"]},
                    }
                ]
            ),
            "golden_cases[0].expected.rules[0]",
            "'NOPE' is not a rule of this policy",
        ),
        (
            policy_data(golden_cases=[{"name": "G1", "facts": facts_data()}]),
            "golden_cases[0].expected",
            "required field is missing",
        ),
    ],
)
def test_it_refuses_malformed_policies_with_the_path(doc, path, message):
    problems = _problems(doc)

    assert any(p == path and message in m for p, m in problems), problems


@pytest.mark.parametrize("field", ["id", "title", "outcome", "weight", "condition", "explanation"])
def test_it_reports_missing_rule_fields(field):
    doc = policy_data(rule_data())
    del doc["rules"][0][field]

    assert (f"rules[0].{field}", "required field is missing") in _problems(doc)


def test_it_refuses_duplicate_rule_ids():
    doc = policy_data(rule_data("R1"), rule_data("R1"))

    assert ("rules[1].id", "duplicate rule id R1 (first at rules[0])") in _problems(doc)


def test_it_refuses_duplicate_golden_case_names():
    case = {"name": "G1", "facts": facts_data(), "expected": {"outcome": "approvable"}}
    doc = policy_data(golden_cases=[case, case])

    assert ("golden_cases[1].name", "duplicate case name (first at golden_cases[0])") in _problems(
        doc
    )


def test_it_refuses_outcome_fired_before_a_later_rule_of_that_outcome():
    doc = policy_data(
        rule_data("CHECK", {"not": {"outcome_fired": "prohibited"}}),
        rule_data("BAN", outcome="prohibited"),
    )

    (problem,) = _problems(doc)
    assert problem[0] == "rules[0].condition"
    assert "must come after every active prohibited rule, but BAN is listed after" in problem[1]


def test_it_refuses_an_active_rule_that_depends_on_an_inactive_one():
    doc = policy_data(
        rule_data("FIRST", active=False),
        rule_data("SECOND", {"not": {"fired": "FIRST"}}),
    )

    assert _problems(doc) == [
        (
            "rules[1].condition",
            "fired refers to rule FIRST, which is inactive; change or retire SECOND too",
        )
    ]


def test_it_reports_problems_in_several_rules_at_once():
    doc = policy_data(
        rule_data("R1", weight=500),
        rule_data("R2", {"eq": ["use_case", "spying"]}),
    )

    paths = [path for path, _ in _problems(doc)]
    assert paths == ["rules[0].weight", "rules[1].condition.eq[1]"]


def test_it_hashes_the_canonical_json_of_the_rules():
    rule = rule_data("R1")
    spec = parse_policy(policy_data(rule))

    canonical = json.dumps(
        {"rules": [rule], "retired": []}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert policy_content_hash(spec) == hashlib.sha256(canonical.encode()).hexdigest()


def test_it_hashes_independently_of_key_order_and_bookkeeping(seed_doc):
    reordered = copy.deepcopy(seed_doc)
    reordered["rules"] = [dict(reversed(list(rule.items()))) for rule in reordered["rules"]]
    renamed = copy.deepcopy(seed_doc)
    renamed.update(version="2099.1", title="Another title", golden_cases=[])

    baseline = policy_content_hash(parse_policy(seed_doc))

    assert len(baseline) == 64
    assert policy_content_hash(parse_policy(reordered)) == baseline
    assert policy_content_hash(parse_policy(renamed)) == baseline


def test_it_changes_the_hash_when_a_rule_changes(seed_doc):
    reweighted = copy.deepcopy(seed_doc)
    reweighted["rules"][-1]["weight"] += 1
    reordered = copy.deepcopy(seed_doc)
    reordered["rules"][-1], reordered["rules"][-2] = reordered["rules"][-2], reordered["rules"][-1]
    retired = copy.deepcopy(seed_doc)
    retired["rules"][-1]["active"] = False

    hashes = {
        policy_content_hash(parse_policy(doc)) for doc in (seed_doc, reweighted, reordered, retired)
    }

    assert len(hashes) == 4


def test_it_ignores_the_order_of_inactive_rules_in_the_hash():
    active = rule_data("A")
    first = policy_data(active, rule_data("X", active=False), rule_data("Y", active=False))
    second = policy_data(rule_data("Y", active=False), active, rule_data("X", active=False))

    assert policy_content_hash(parse_policy(first)) == policy_content_hash(parse_policy(second))


def test_it_reports_only_the_real_problem_of_a_single_bad_rule():
    assert _problems(_rule(weight=101)) == [
        ("rules[0].weight", "expected an integer 0 to 100, got integer 101")
    ]
