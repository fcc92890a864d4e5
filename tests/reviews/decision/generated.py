"""Random but valid facts documents and conditions, for the engine's differential tests.

Everything is drawn from a `random.Random` the caller seeds, so a failure reproduces.
The values are biased towards what the seed policy tests (face capabilities, police
parties, its phrases) so that rules fire often, and descriptions mix those phrases with
punctuation, capitals and non-ASCII text to exercise normalisation.
"""

from __future__ import annotations

import json
from pathlib import Path
from random import Random
from typing import Any

from reviews.decision import nodes as n
from reviews.decision import vocabulary as v

SEED_PATH = Path(__file__).resolve().parents[3] / "fixtures/policy/seed.json"

COUNTRIES = ("US", "GB", "DE", "FR", "IN")
PARTY_NAMES = (
    "Port Calloway Police Department",
    "Acme Copy Ltd",
    "Face Match Inc.",
    "Straße & Söhne GmbH",
    "\uff26\uff21\uff23\uff25 \uff4d\uff41\uff54\uff43\uff48",  # full-width "FACE match"
    "who-is-this_labs",
    "",
)
FILLER = (
    "we",
    "the",
    "a",
    "app",
    "users",
    "camera",
    "photos",
    "their",
    "who",
    "look",
    "face",
    "match",
    "search",
    "images",
    "of",
    "in",
    "front",
    "is",
    "this",
    "GPT-4o",
    "happy",
    "age",
    "naïve",
    "ﬁle",
)
SEPARATORS = (" ", " ", " ", ", ", ". ", " - ", "_", "'", "  ", "\n", " (", ") ", "! ")


def seed_phrases() -> tuple[str, ...]:
    """Return every phrase the seed policy's text_any conditions list."""
    found: list[str] = []

    def walk(cond: Any) -> None:
        if isinstance(cond, dict):
            for op, arg in cond.items():
                if op == "text_any":
                    found.extend(arg[1])
                else:
                    walk(arg)
        elif isinstance(cond, list):
            for item in cond:
                walk(item)

    for rule in json.loads(SEED_PATH.read_text(encoding="utf-8"))["rules"]:
        walk(rule["condition"])
    return tuple(found)


PHRASES = seed_phrases()


def _some(rng: Random, values: tuple[str, ...], low: int, high: int) -> list[str]:
    return rng.sample(values, rng.randint(low, min(high, len(values))))


def _party(rng: Random, types: tuple[str, ...]) -> dict[str, str]:
    party = {"country": rng.choice(COUNTRIES), "type": rng.choice(types)}
    if rng.random() < 0.8:
        party["name"] = rng.choice(PARTY_NAMES)
    return party


def description(rng: Random) -> str:
    """Return free text mixing seed phrases, filler words and assorted punctuation."""
    pieces: list[str] = []
    for _ in range(rng.randint(0, 40)):
        word = rng.choice(PHRASES) if rng.random() < 0.15 else rng.choice(FILLER)
        if rng.random() < 0.2:
            word = word.upper() if rng.random() < 0.5 else word.title()
        pieces.append(word)
        pieces.append(rng.choice(SEPARATORS))
    return "".join(pieces)


def facts_document(rng: Random, index: int = 0) -> dict[str, Any]:
    """Return a random facts document that `parse_facts` accepts."""
    # Police and other law enforcement come up often, as the seed policy cares about them.
    types = (*v.PARTY_TYPES, *v.LAW_ENFORCEMENT, "police", "military")
    capabilities = (*v.CAPABILITIES, *v.FR_CAPABILITIES, *v.FACE_PROCESSING)
    doc: dict[str, Any] = {
        "organization": _party(rng, types),
        "capabilities": list(dict.fromkeys(rng.choices(capabilities, k=rng.randint(1, 4)))),
        "use_case": rng.choice(v.USE_CASES),
        "deployment": {
            "real_time": rng.random() < 0.5,
            "camera": rng.choice(v.CAMERAS),
            "environment": rng.choice(v.ENVIRONMENTS),
            "countries": _some(rng, COUNTRIES, 0, 2),
        },
        "data_subjects": _some(rng, v.DATA_SUBJECTS, 1, 3),
        "consent": rng.choice(v.CONSENTS),
        "human_review": rng.random() < 0.5,
        "description": description(rng),
    }
    # Optional fields are sometimes left out, to use their defaults.
    if rng.random() < 0.8:
        doc["id"] = f"G{index}"
    if rng.random() < 0.7:
        doc["acting_for"] = [_party(rng, types) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.7:
        doc["gallery"] = rng.choice(v.GALLERIES)
    if rng.random() < 0.7:
        doc["consequential_decisions"] = _some(rng, v.CONSEQUENTIAL_DECISIONS, 0, 2)
    return doc


def _value(rng: Random, fact: n.Fact) -> str | bool:
    if fact.domain == n.BOOLEAN:
        return rng.random() < 0.5
    if fact.domain == n.COUNTRY:
        return rng.choice(COUNTRIES)
    return rng.choice(v.DOMAINS[fact.domain])


def _values(rng: Random, fact: n.Fact) -> str | list[str | bool]:
    groups = [f"@{name}" for name, group in v.GROUPS.items() if group.domain == fact.domain]
    if groups and rng.random() < 0.4:
        return rng.choice(groups)
    if fact.domain == n.BOOLEAN:
        return rng.sample([True, False], rng.randint(1, 2))
    domain = COUNTRIES if fact.domain == n.COUNTRY else v.DOMAINS[fact.domain]
    return _some(rng, domain, 1, 4)


def _leaf(rng: Random, facts: dict[str, n.Fact]) -> dict[str, Any]:
    fact = rng.choice(list(facts.values()))
    if fact.kind == n.SCALAR:
        if rng.random() < 0.5:
            return {"eq": [fact.path, _value(rng, fact)]}
        return {"in": [fact.path, _values(rng, fact)]}
    if fact.kind == n.LIST:
        choice = rng.random()
        if choice < 0.4:
            return {"contains": [fact.path, _value(rng, fact)]}
        if choice < 0.8:
            return {"intersects": [fact.path, _values(rng, fact)]}
        return {"empty": fact.path}
    if fact.kind == n.PARTIES:
        return {"empty": fact.path}
    phrases = [*rng.sample(PHRASES, rng.randint(1, 12)), "acme", "police department"]
    return {"text_any": [fact.path, list(dict.fromkeys(phrases))]}


def condition(
    rng: Random,
    rule_ids: tuple[str, ...] = (),
    outcomes: tuple[str, ...] = ("approvable", "escalate", "prohibited"),
    *,
    depth: int = 0,
    in_party: bool = False,
) -> dict[str, Any]:
    """Return a random condition.

    `fired` names one of `rule_ids` (the rules listed before), `outcome_fired` one of
    `outcomes` (those no later rule has); without either, the condition never uses them.
    """

    def child(in_party: bool = in_party) -> dict[str, Any]:
        return condition(rng, rule_ids, outcomes, depth=depth + 1, in_party=in_party)

    choice = rng.random() if depth < 4 else 1.0
    if choice < 0.2:
        return {"all": [child() for _ in range(rng.randint(1, 4))]}
    if choice < 0.35:
        return {"any": [child() for _ in range(rng.randint(1, 4))]}
    if choice < 0.5:
        return {"not": child()}
    if choice < 0.6 and not in_party:
        return {"some_party": child(in_party=True)}
    if choice < 0.7 and not in_party:
        if rule_ids and rng.random() < 0.5:
            return {"fired": rng.choice(rule_ids)}
        if outcomes:
            return {"outcome_fired": rng.choice(outcomes)}
    return _leaf(rng, dict(n.PARTY_FACTS if in_party else n.FACTS))


def policy_document(rng: Random, rules: int) -> dict[str, Any]:
    """Return a valid random policy: rules ordered most severe first, some inactive.

    Ordered by outcome, a rule may ask `outcome_fired` about any more severe outcome,
    and the last active rule of an outcome about its own; `fired` refers to any earlier
    active rule. An inactive rule refers to no other.
    """
    order = ("prohibited", "escalate", "approvable")
    outcomes = sorted((rng.choice(order) for _ in range(rules)), key=order.index)
    active = [index == 0 or rng.random() < 0.9 for index in range(rules)]
    docs: list[dict[str, Any]] = []
    for index, outcome in enumerate(outcomes):
        askable = order[: order.index(outcome)]
        if not any(
            active[later] and outcomes[later] == outcome for later in range(index + 1, rules)
        ):
            askable += (outcome,)
        earlier = tuple(doc["id"] for doc in docs if doc["active"])
        docs.append(
            {
                "id": f"R{index}",
                "title": f"Rule {index}",
                "outcome": outcome,
                "weight": rng.choice((0, 5, 20, 35, 60, 100)),
                "clause": "A clause.",
                "source": "A source.",
                "explanation": rng.choice(TEMPLATES),
                "condition": condition(rng, earlier, askable)
                if active[index]
                else condition(rng, (), ()),
                "active": active[index],
            }
        )
    return {
        "format": "gatehouse-policy/1",
        "policy": "generated",
        "version": "1.0",
        "title": "A generated policy",
        "rules": docs,
        "golden_cases": [],
    }


TEMPLATES = (
    "It fired.",
    "Found {capabilities} for {party} ({use_case}).",
    "The description mentions {description}; consent is {consent}.",
    "{deployment.real_time} {deployment.camera} {deployment.countries} {acting_for}",
    "{organization.name} / {organization.type} / {gallery} / {human_review}",
    "{data_subjects}: {consequential_decisions} {deployment.environment}",
)
