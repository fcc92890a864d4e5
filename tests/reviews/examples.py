"""The worked examples of ../shared/policy/examples.jsonl, and their facts as form data."""

import json
from pathlib import Path

EXAMPLES_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "policy" / "examples.jsonl"


def load_examples() -> list[dict]:
    with EXAMPLES_PATH.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def form_data(facts: dict, title: str) -> dict:
    """Return the POST data of the application form that states these facts."""
    deployment = facts["deployment"]
    data = {
        "title": title,
        "capabilities": facts["capabilities"],
        "use_case": facts["use_case"],
        "real_time": "yes" if deployment["real_time"] else "no",
        "camera": deployment["camera"],
        "environment": deployment["environment"],
        "countries": ", ".join(deployment.get("countries", [])),
        "gallery": facts.get("gallery", "none"),
        "data_subjects": facts["data_subjects"],
        "consent": facts["consent"],
        "human_review": "yes" if facts["human_review"] else "no",
        "consequential_decisions": facts.get("consequential_decisions", []),
        "description": facts["description"],
    }
    parties = facts.get("acting_for", [])
    data["acting_for-TOTAL_FORMS"] = str(max(3, len(parties)))
    data["acting_for-INITIAL_FORMS"] = "0"
    for index, party in enumerate(parties):
        data[f"acting_for-{index}-name"] = party.get("name", f"End customer {index + 1}")
        data[f"acting_for-{index}-country"] = party["country"]
        data[f"acting_for-{index}-type"] = party["type"]
    return data
