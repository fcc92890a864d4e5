"""Fuzz the policy import: policy documents (format gatehouse-policy/1) and rule conditions.

A JSON object with a "format" key is a policy document, as export_policy writes it and the
admin imports it: `parse_policy`, then `compile_policy`, the golden cases and the content
hash. Any other JSON value is one rule's condition, as policy staff type it in the admin:
`validate_condition` and `describe_condition`, then, if valid, a one-rule policy built
around it is parsed, compiled and evaluated on a few facts. A refusal is the JSON reader's
UnicodeDecodeError, ValueError or RecursionError, PolicyError or ConditionError; anything
else is a crash. See harness.py.
"""

import copy
import json
from datetime import UTC, datetime

import atheris
from harness import ROOT, dictionary, run

with atheris.instrument_imports(include=["reviews.decision"]):
    from reviews.decision import (
        ConditionError,
        PolicyError,
        compile_policy,
        describe_condition,
        evaluate,
        golden_case_failures,
        parse_facts,
        parse_policy,
        policy_content_hash,
        validate_condition,
    )
    from reviews.decision import vocabulary as v

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SEED = json.loads((ROOT / "fixtures/policy/seed.json").read_text("utf-8"))
RULE = {key: value for key, value in SEED["rules"][0].items() if key != "condition"}
SAMPLE_FACTS = [case["facts"] for case in SEED["golden_cases"][:4]]
PARSED_FACTS = [parse_facts(facts) for facts in SAMPLE_FACTS]


def _small(rules: int) -> bytes:
    document = copy.deepcopy(SEED)
    document["rules"] = document["rules"][:rules]
    document["golden_cases"] = []
    return json.dumps(document, ensure_ascii=False).encode()


SEEDS = {
    "seed-policy": json.dumps(SEED, ensure_ascii=False).encode(),
    "three-rules": _small(3),
    "no-rules": _small(0),
    **{
        f"condition-{rule['id'].lower()}": json.dumps(rule["condition"]).encode()
        for rule in SEED["rules"][:8]
    },
    "condition-deep": b'{"not": ' * 40 + b'{"eq": ["use_case", "research"]}' + b"}" * 40,
    "condition-fired": b'{"any": [{"fired": "NOPE"}, {"outcome_fired": "prohibited"}]}',
}
OPERATORS = [
    "all", "any", "not", "eq", "in", "contains", "intersects", "empty", "some_party", "fired",
    "outcome_fired", "text_any", "gte", "lte",
]  # fmt: skip
TOKENS = [
    *OPERATORS,
    *(f"@{name}" for name in v.GROUPS),
    *(word for name in dir(v) if isinstance(getattr(v, name), tuple) for word in getattr(v, name)
      if isinstance(word, str)),
    *SEED,
    *SEED["rules"][0],
    "deployment.real_time",
    "deployment.countries",
    "gatehouse-policy/1",
    "prohibited",
    "escalate",
    "approvable",
    "{{",
    "}}",
]  # fmt: skip


def check_policy(document: dict) -> None:
    try:
        spec = parse_policy(document)
        compiled = compile_policy(spec)
    except PolicyError as refusal:
        assert refusal.errors and str(refusal), "a refusal names what is wrong"
        return
    assert compiled.hash == policy_content_hash(spec)
    golden_case_failures(compiled, now=NOW)
    for facts in PARSED_FACTS:
        json.dumps(evaluate(compiled, facts, now=NOW).to_dict())


def check_condition(condition: object) -> None:
    try:
        validate_condition(condition)
        assert describe_condition(condition)
    except ConditionError as refusal:
        assert str(refusal), "a refusal names what is wrong"
        return
    rule = {**RULE, "id": "FUZZ-1", "condition": condition}
    document = {**SEED, "rules": [rule], "golden_cases": []}
    check_policy(document)


def test_one_input(data: bytes) -> None:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    if isinstance(value, dict) and "format" in value:
        check_policy(value)
    else:
        check_condition(value)


if __name__ == "__main__":
    run("policy", test_one_input, SEEDS, dict_path=dictionary("policy", TOKENS))
