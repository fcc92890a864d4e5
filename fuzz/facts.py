"""Fuzz the facts import: JSON text to facts (format v1) to an assessment.

What `manage.py assess` and the services do with facts from outside: decode UTF-8, read JSON
(duplicate keys refused), take `facts` out of a wrapper object, `parse_facts`, evaluate
under the seed policy. A refusal is UnicodeDecodeError, ValueError or RecursionError from
the JSON reader, or FactsError (with at least one problem) from the parser; anything else is
a crash, and so is a parsed document whose canonical form (`to_dict`) does not parse back to
the same facts, or an assessment that does not serialize to JSON. See harness.py.
"""

import json
from datetime import UTC, datetime

import atheris
from harness import ROOT, dictionary, run

with atheris.instrument_imports(include=["reviews.decision"]):
    from reviews.decision import FactsError, compile_policy, evaluate, parse_facts, parse_policy
    from reviews.decision import vocabulary as v

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = compile_policy(
    parse_policy(json.loads((ROOT / "fixtures/policy/seed.json").read_text("utf-8")))
)
FACTS = {
    "organization": {"name": "Acme Identity", "country": "GB", "type": "software_vendor"},
    "acting_for": [],
    "capabilities": ["face_liveness", "face_verification"],
    "use_case": "identity_verification",
    "deployment": {
        "real_time": True,
        "camera": "user_device",
        "environment": "not_applicable",
        "countries": ["GB"],
    },
    "gallery": "identity_documents",
    "data_subjects": ["customers"],
    "consent": "opt_in_with_alternative",
    "human_review": True,
    "consequential_decisions": [],
    "description": "Customers take a selfie that we compare 1:1 with their own passport photo.",
}


def _seed(**changes) -> bytes:
    return json.dumps({**FACTS, **changes}, ensure_ascii=False).encode()


SEEDS = {
    "selfie": _seed(),
    "police-us": _seed(
        acting_for=[{"name": "City PD", "country": "US", "type": "police"}],
        use_case="apprehended_suspect_identification",
        gallery="suspects_or_inmates",
    ),
    "hiring": _seed(consequential_decisions=["employment"], human_review=False, id="case-7"),
    "emotions": _seed(capabilities=["emotion_recognition"], use_case="accessibility"),
    "wrapped": json.dumps({"facts": FACTS, "note": "é"}, ensure_ascii=False).encode(),
    "broken": b'{"capabilities": ["face_liveness", "face_liveness"], "human_review": "yes",'
    b' "deployment": {"countries": ["gb"]}, "organization": {"country": "UK"}}',
}
TOKENS = [
    *(word for name in dir(v) if isinstance(getattr(v, name), tuple) for word in getattr(v, name)
      if isinstance(word, str)),
    *FACTS,
    *FACTS["deployment"],
    "name",
    "country",
    "type",
    "id",
    "facts",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    '""',
    "\\u0000",
    "\\ud800",
    "1e999",
    "-0",
]  # fmt: skip


def _unique_keys(pairs):
    keys = [key for key, _value in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def test_one_input(data: bytes) -> None:
    try:
        document = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    raw = document["facts"] if isinstance(document, dict) and "facts" in document else document
    try:
        facts = parse_facts(raw)
    except FactsError as refusal:
        assert refusal.errors and str(refusal), "a refusal names what is wrong"
        return
    canonical = facts.to_dict()
    assert parse_facts(canonical) == facts, canonical
    assert parse_facts(json.loads(json.dumps(canonical))).to_dict() == canonical
    assessment = evaluate(POLICY, facts, now=NOW)
    json.dumps(assessment.to_dict())


if __name__ == "__main__":
    run("facts", test_one_input, SEEDS, dict_path=dictionary("facts", TOKENS))
