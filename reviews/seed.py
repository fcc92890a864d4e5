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
    # Rules can only be added to a draft (the database enforces it), so publish afterwards.
    version = PolicyVersion.objects.create(
        policy=policy,
        version=document["version"],
        status="draft",
        content_hash=policy_content_hash(spec),
        golden_cases=document.get("golden_cases", []),
        notes="The seed policy shipped with Gatehouse.",
    )
    Rule.objects.bulk_create(
        Rule(
            policy_version=version,
            order=index,
            rule_id=rule["id"],
            title=rule["title"],
            outcome=rule["outcome"],
            weight=rule["weight"],
            clause=rule["clause"],
            source=rule["source"],
            explanation=rule["explanation"],
            condition=rule["condition"],
            active=rule.get("active", True),
        )
        for index, rule in enumerate(document["rules"])
    )
    if publish:
        PolicyVersion.objects.filter(pk=version.pk).update(
            status="published", published_at=timezone.now()
        )
        version.refresh_from_db()
    return version


def load_seed_document() -> dict:
    return json.loads(SEED_POLICY_PATH.read_text(encoding="utf-8"))
