"""Install a policy document as a version in the database (used by the seed migration)."""

import json
from pathlib import Path

from django.utils import timezone

from reviews.decision import parse_policy, policy_content_hash

SEED_POLICY_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "policy" / "seed.json"


def install_policy_document(document: dict, *, models, publish: bool):
    """Create the policy, a version and its rules from a validated document; return the version."""
    spec = parse_policy(document)
    Policy, PolicyVersion, Rule = models
    policy, _ = Policy.objects.get_or_create(
        key=document["policy"], defaults={"title": document.get("title", document["policy"])}
    )
    version = PolicyVersion.objects.create(
        policy=policy,
        version=document["version"],
        status="published" if publish else "draft",
        content_hash=policy_content_hash(spec),
        golden_cases=document.get("golden_cases", []),
        published_at=timezone.now() if publish else None,
    )
    Rule.objects.bulk_create(
        Rule(
            policy_version=version,
            order=index,
            rule_id=rule["id"],
            title=rule["title"],
            outcome=rule["outcome"],
            weight=rule["weight"],
            clause=rule.get("clause", ""),
            source=rule.get("source", ""),
            explanation=rule.get("explanation", ""),
            condition=rule["condition"],
            active=rule.get("active", True),
        )
        for index, rule in enumerate(document["rules"])
    )
    return version


def load_seed_document() -> dict:
    return json.loads(SEED_POLICY_PATH.read_text(encoding="utf-8"))
