"""The worked examples of the policy brief, decided by the seed policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviews.decision import Outcome, evaluate, golden_case_failures, parse_facts

EXAMPLES_PATH = Path(__file__).resolve().parents[3].parent / "shared/policy/examples.jsonl"
EXAMPLES = [
    json.loads(line)
    for line in EXAMPLES_PATH.read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def test_it_reads_all_twenty_examples():
    assert len(EXAMPLES) == 20


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["facts"]["id"] for e in EXAMPLES])
def test_it_decides_each_example_as_expected(example, compiled_seed, now):
    assessment = evaluate(compiled_seed, parse_facts(example["facts"]), now=now)

    assert assessment.outcome == example["expected"]["outcome"]
    assert set(example["expected"]["rules"]) <= set(assessment.rules)
    assert assessment.facts_id == example["facts"]["id"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["facts"]["id"] for e in EXAMPLES])
def test_it_explains_every_hit_of_each_example(example, compiled_seed, now):
    assessment = evaluate(compiled_seed, parse_facts(example["facts"]), now=now)

    facts = example["facts"]
    named = {*facts["capabilities"], facts["use_case"], facts["consent"], facts["gallery"]}
    named |= {*facts.get("consequential_decisions", []), *facts["data_subjects"]}
    named |= {party["name"] for party in [facts["organization"], *facts.get("acting_for", [])]}
    for hit in assessment.hits:
        assert hit.explanation.endswith(".")
        assert "{" not in hit.explanation
        assert any(value in hit.explanation for value in named), hit.explanation


def test_it_keeps_every_example_as_a_golden_case(seed_spec):
    golden = {case.name: case for case in seed_spec.golden_cases}

    assert sorted(golden) == sorted(e["facts"]["id"] for e in EXAMPLES)
    for example in EXAMPLES:
        case = golden[example["facts"]["id"]]
        assert case.facts == parse_facts(example["facts"])
        assert case.outcome == Outcome(example["expected"]["outcome"])
        assert list(case.rules) == example["expected"]["rules"]


def test_it_passes_its_own_golden_cases(compiled_seed, now):
    assert golden_case_failures(compiled_seed, now=now) == ()


def test_it_flags_undeclared_capabilities_only_in_the_dishonest_example(compiled_seed, now):
    flagged = [
        e["facts"]["id"]
        for e in EXAMPLES
        if "UNDECLARED-CAPABILITY"
        in evaluate(compiled_seed, parse_facts(e["facts"]), now=now).rules
    ]

    assert flagged == ["T39"]


def test_it_names_the_police_department_in_the_us_police_explanation(compiled_seed, now):
    t01 = next(e for e in EXAMPLES if e["facts"]["id"] == "T01")

    hit = evaluate(compiled_seed, parse_facts(t01["facts"]), now=now).hits[0]

    assert hit.rule == "US-POLICE-FR"
    assert hit.explanation == (
        "Facial recognition (face_identification) for Port Calloway Police Department, "
        "a police department in US: prohibited by or for a US police department."
    )
