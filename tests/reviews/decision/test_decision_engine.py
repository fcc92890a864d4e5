"""Evaluation: determinism, score, severity, explanations and the engine's guards."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from reviews.decision import (
    Outcome,
    PolicyError,
    PolicySpec,
    RuleSpec,
    compile_policy,
    evaluate,
    golden_case_failures,
    parse_facts,
    parse_policy,
)

from .builders import NOW, facts_data, policy_data, rule_data

T15_LIKE = {
    "organization": {"name": "Bastion Secure Services LLC", "country": "US", "type": "commercial"},
    "acting_for": [{"name": "Port Calloway Police Department", "country": "US", "type": "police"}],
    "capabilities": ["face_identification"],
    "use_case": "watchlist_alerting",
    "deployment": {"real_time": True, "camera": "fixed", "environment": "publicly_accessible"},
    "consent": "none",
    "consequential_decisions": ["legal"],
}


def _policy(*rules):
    return compile_policy(parse_policy(policy_data(*rules)))


def _assess(policy, **changes):
    return evaluate(policy, parse_facts(facts_data(**changes)), now=NOW)


def test_it_serialises_an_assessment_deterministically(compiled_seed, seed_doc):
    facts = parse_facts(facts_data(**T15_LIKE))
    recompiled = compile_policy(parse_policy(json.loads(json.dumps(seed_doc))))

    runs = [
        evaluate(compiled_seed, facts, now=NOW),
        evaluate(compiled_seed, facts, now=NOW + timedelta(days=3)),
        evaluate(recompiled, facts, now=NOW),
    ]
    dumped = {json.dumps(run.to_dict(), sort_keys=False) for run in runs}

    assert len(dumped) == 1
    assert runs[1].assessed_at == NOW + timedelta(days=3)


def test_it_shapes_the_assessment_dict(compiled_seed):
    assessment = evaluate(compiled_seed, parse_facts(facts_data(**T15_LIKE)), now=NOW)

    data = assessment.to_dict()

    assert list(data) == ["id", "outcome", "score", "policy", "hits"]
    assert data["id"] == "BASE"
    assert data["outcome"] == "prohibited"
    assert data["score"] == 100
    assert data["policy"] == {"version": "2024.05.1", "hash": compiled_seed.hash}
    assert [hit["rule"] for hit in data["hits"]] == list(assessment.rules)
    assert list(data["hits"][0]) == ["rule", "outcome", "title", "weight", "clause", "explanation"]


def test_it_lists_hits_in_policy_rule_order(compiled_seed):
    assessment = evaluate(compiled_seed, parse_facts(facts_data(**T15_LIKE)), now=NOW)
    order = [rule.id for rule in compiled_seed.spec.rules]

    assert list(assessment.rules) == sorted(assessment.rules, key=order.index)
    assert assessment.rules[:2] == ("US-POLICE-FR", "REALTIME-ID-NO-CONSENT")


@pytest.mark.parametrize(
    ("weights", "score"),
    [((), 0), ((30,), 30), ((30, 20), 50), ((40, 40, 40), 100), ((0, 0), 0)],
)
def test_it_adds_weights_capped_at_100(weights, score):
    rules = [
        rule_data(f"R{i}", {"eq": ["use_case", "content_generation"]}, weight=w)
        for i, w in enumerate(weights)
    ] or [rule_data("NEVER", {"eq": ["use_case", "research"]})]

    assert _assess(_policy(*rules)).score == score


def test_it_scores_any_prohibited_hit_100():
    policy = _policy(
        rule_data("BAN", {"eq": ["use_case", "content_generation"]}, outcome="prohibited", weight=0)
    )

    assert _assess(policy).score == 100


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ((), Outcome.APPROVABLE),
        (("escalate",), Outcome.ESCALATE),
        (("escalate", "prohibited", "escalate"), Outcome.PROHIBITED),
        (("approvable", "escalate"), Outcome.ESCALATE),
        (("approvable",), Outcome.APPROVABLE),
    ],
)
def test_it_takes_the_most_severe_outcome_of_the_hits(outcomes, expected):
    rules = [
        rule_data(f"R{i}", {"eq": ["use_case", "content_generation"]}, outcome=o)
        for i, o in enumerate(outcomes)
    ] or [rule_data("NEVER", {"eq": ["use_case", "research"]})]

    assert _assess(_policy(*rules)).outcome is expected


def test_it_orders_outcomes_by_severity():
    assert [o.severity for o in (Outcome.APPROVABLE, Outcome.ESCALATE, Outcome.PROHIBITED)] == [
        0,
        1,
        2,
    ]
    assert Outcome.most_severe([Outcome.ESCALATE, Outcome.PROHIBITED]) is Outcome.PROHIBITED
    assert Outcome.most_severe([]) is Outcome.APPROVABLE
    assert Outcome("escalate") == "escalate"


def test_it_skips_inactive_rules():
    policy = _policy(
        rule_data("ON", {"eq": ["use_case", "content_generation"]}),
        rule_data("OFF", {"eq": ["use_case", "content_generation"]}, active=False),
    )

    assert _assess(policy).rules == ("ON",)
    assert [rule.spec.id for rule in policy.rules] == ["ON"]


def test_it_fills_placeholders_from_witnesses_then_from_the_facts():
    policy = _policy(
        rule_data(
            "R1",
            {
                "all": [
                    {"intersects": ["capabilities", ["face_detection", "face_redaction"]]},
                    {"not": {"eq": ["use_case", "research"]}},
                ]
            },
            explanation="Uses {capabilities} for {use_case} by {party}; review: {human_review}.",
        )
    )

    hit = _assess(policy, capabilities=["text_generation", "face_redaction"]).hits[0]

    assert hit.explanation == (
        "Uses face_redaction for content_generation by Acme Copy Ltd, a company in GB; "
        "review: true."
    )


def test_it_appends_the_triggering_facts_to_a_template_without_placeholders():
    policy = _policy(
        rule_data(
            "R1",
            {"all": [{"eq": ["consent", "explicit"]}, {"text_any": ["description", ["shop"]]}]},
            explanation="A reviewer looks at it.",
        )
    )

    hit = _assess(policy).hits[0]

    assert (
        hit.explanation == 'A reviewer looks at it. Facts: consent: explicit; description: "shop".'
    )


def test_it_quotes_matched_phrases_in_explanations(compiled_seed):
    description = "The app says who is in front of the user and whether they look happy."
    assessment = evaluate(compiled_seed, parse_facts(facts_data(description=description)), now=NOW)

    (hit,) = assessment.hits
    assert hit.rule == "UNDECLARED-CAPABILITY"
    assert '"who is in front", "look happy"' in hit.explanation
    assert "(text_generation)" in hit.explanation


@pytest.mark.parametrize("now", [datetime(2024, 6, 1), datetime(2024, 6, 1, 12, 30)])
def test_it_refuses_a_naive_now(compiled_seed, now):
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(compiled_seed, parse_facts(facts_data()), now=now)


def test_it_accepts_any_timezone_for_now(compiled_seed):
    tokyo = datetime(2024, 6, 1, 21, 0, tzinfo=timezone(timedelta(hours=9)))

    assessment = evaluate(compiled_seed, parse_facts(facts_data()), now=tokyo)

    assert assessment.assessed_at == tokyo
    assert assessment.assessed_at.astimezone(UTC).hour == 12


def test_it_refuses_unparsed_facts(compiled_seed):
    with pytest.raises(TypeError, match="parse_facts"):
        evaluate(compiled_seed, facts_data(), now=NOW)


def test_it_validates_a_spec_built_by_hand_before_compiling():
    rule = RuleSpec(
        id="R1",
        title="t",
        outcome=Outcome.ESCALATE,
        weight=1,
        clause="c",
        source="s",
        explanation="e",
        condition={"eq": ["use_case", "spying"]},
    )
    spec = PolicySpec(policy="p", version="1", title="t", rules=(rule,))

    with pytest.raises(PolicyError, match=r"rules\[0\].condition.eq\[1\]"):
        compile_policy(spec)


def test_it_reports_golden_cases_the_policy_no_longer_passes():
    case = {
        "name": "G1",
        "facts": facts_data(),
        "expected": {"outcome": "prohibited", "rules": ["R1"]},
    }
    policy = compile_policy(parse_policy(policy_data(rule_data("R1"), golden_cases=[case])))

    assert golden_case_failures(policy, now=NOW) == (
        "G1: expected prohibited with R1; got approvable from no rule",
    )


def test_it_evaluates_the_seed_policy_quickly(compiled_seed):
    facts = parse_facts(facts_data(**T15_LIKE, description="word " * 1900))
    started = time.perf_counter()

    for _ in range(200):
        evaluate(compiled_seed, facts, now=NOW)

    # Generous bound: 5 ms per evaluation of a near-maximal description.
    assert time.perf_counter() - started < 1.0
