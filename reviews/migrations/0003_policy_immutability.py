"""Make published and retired policy versions, and their rules, immutable in the database."""

from django.db import migrations

FROZEN = "a published or retired policy version cannot be changed; draft a new version"

POSTGRESQL = f"""
CREATE FUNCTION reviews_rule_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
       SELECT 1 FROM reviews_policyversion WHERE id = OLD.policy_version_id AND status <> 'draft')
  OR TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
       SELECT 1 FROM reviews_policyversion WHERE id = NEW.policy_version_id AND status <> 'draft')
  THEN
    RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'check_violation';
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER reviews_rule_frozen BEFORE INSERT OR UPDATE OR DELETE ON reviews_rule
  FOR EACH ROW EXECUTE FUNCTION reviews_rule_frozen();

CREATE FUNCTION reviews_policyversion_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'draft' THEN
    RETURN COALESCE(NEW, OLD);
  END IF;
  -- The one change allowed after publication: published -> retired, with its time.
  IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND NEW.status = 'retired'
     AND (to_jsonb(NEW) - 'status' - 'retired_at') = (to_jsonb(OLD) - 'status' - 'retired_at')
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER reviews_policyversion_frozen BEFORE UPDATE OR DELETE ON reviews_policyversion
  FOR EACH ROW EXECUTE FUNCTION reviews_policyversion_frozen();
"""  # noqa: S608 - the only interpolation is the constant message above

POSTGRESQL_REVERSE = """
DROP TRIGGER reviews_rule_frozen ON reviews_rule;
DROP FUNCTION reviews_rule_frozen();
DROP TRIGGER reviews_policyversion_frozen ON reviews_policyversion;
DROP FUNCTION reviews_policyversion_frozen();
"""

_VERSION_FIELDS = (
    "policy_id",
    "version",
    "notes",
    "content_hash",
    "golden_cases",
    "created_by_id",
    "created_at",
    "published_by_id",
    "published_at",
)
_SAME = " AND ".join(f"NEW.{f} IS OLD.{f}" for f in _VERSION_FIELDS)
_RULE_VERSION_FROZEN = (
    "(SELECT status FROM reviews_policyversion WHERE id = {row}.policy_version_id) <> 'draft'"
)

# SQLite (the local default) guards inserts and updates; deletes are refused in code there,
# because the test runner empties tables with DELETE on SQLite (PostgreSQL uses TRUNCATE).
SQLITE = [
    f"""CREATE TRIGGER reviews_rule_frozen_insert BEFORE INSERT ON reviews_rule
        WHEN {_RULE_VERSION_FROZEN.format(row="NEW")}
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER reviews_rule_frozen_update BEFORE UPDATE ON reviews_rule
        WHEN {_RULE_VERSION_FROZEN.format(row="OLD")} OR {_RULE_VERSION_FROZEN.format(row="NEW")}
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER reviews_policyversion_frozen_update BEFORE UPDATE ON reviews_policyversion
        WHEN OLD.status <> 'draft' AND NOT (
          OLD.status = 'published' AND NEW.status = 'retired' AND {_SAME})
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER {name}"
    for name in (
        "reviews_rule_frozen_insert",
        "reviews_rule_frozen_update",
        "reviews_policyversion_frozen_update",
    )
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"No policy immutability triggers for {schema_editor.connection.vendor}"
            )
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_seed_policy")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
