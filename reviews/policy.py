"""Turn the published policy version in the database into a compiled decision policy."""

from functools import lru_cache

from config.rows import Columns, fetch
from reviews.decision import CompiledPolicy, compile_policy, parse_policy

from .models import Policy, PolicyVersion


def policy_document(version: PolicyVersion) -> dict:
    """Return the version as a policy document (the format `export_policy` writes)."""
    return {
        "format": "gatehouse-policy/1",
        "policy": version.policy.key,
        "version": version.version,
        "title": version.policy.title,
        "rules": [
            {
                "id": rule.rule_id,
                "title": rule.title,
                "outcome": rule.outcome,
                "weight": rule.weight,
                "clause": rule.clause,
                "source": rule.source,
                "explanation": rule.explanation,
                "condition": rule.condition,
                "active": rule.active,
            }
            for rule in version.rules.all()
        ],
        "golden_cases": version.golden_cases,
    }


@lru_cache(maxsize=8)
def _compiled(version_pk: int, content_hash: str) -> CompiledPolicy:
    # Published versions are immutable, so (pk, hash) names one compiled policy for good.
    version = PolicyVersion.objects.select_related("policy").get(pk=version_pk)
    return compile_policy(parse_policy(policy_document(version)))


# Every assessment asks which version is published: fixed SQL (config/rows.py), without the
# golden cases and notes, long texts nobody reads here (they load if asked for).
_VERSION = Columns(PolicyVersion, "v", exclude=("golden_cases", "notes"))
_POLICY = Columns(Policy, "p")
_PUBLISHED_SQL = (
    f"SELECT {_VERSION.sql}, {_POLICY.sql} FROM {_VERSION.table} "  # noqa: S608
    f"JOIN {_POLICY.table} ON p.id = v.policy_id "
    "WHERE v.status = %s ORDER BY v.published_at DESC LIMIT 1"
)


def published_policy() -> tuple[PolicyVersion, CompiledPolicy]:
    """Return the published policy version and its compiled form, compiling at most once."""
    rows = fetch(_PUBLISHED_SQL, [PolicyVersion.Status.PUBLISHED])
    if not rows:
        raise PolicyVersion.DoesNotExist("No policy version is published.")
    version = _VERSION.load_with(rows[0], "policy", _POLICY)
    return version, _compiled(version.pk, version.content_hash)


def compile_version(version: PolicyVersion) -> CompiledPolicy:
    """Compile any version, draft included; raise PolicyError when its rules are invalid."""
    if not version.is_draft:
        return _compiled(version.pk, version.content_hash)
    return compile_policy(parse_policy(policy_document(version)))
