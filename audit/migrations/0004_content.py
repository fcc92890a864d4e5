"""Store each event's hashed bytes, and on PostgreSQL hold every column equal to them.

`content` is the canonical JSON the event's hash covers. The CHECK constraint compares it,
parsed, with the columns, so no column can differ from what the chain protects: changing a
column means changing `content` too, which breaks the hash. Verification then reads only
(seq, prev_hash, hash, content) and checks once that the constraint is intact
(`audit.verify.CONTENT_CHECK`). Existing events get their content from their columns.
"""

from django.db import migrations, models

CHECK_NAME = "audit_auditevent_content_matches"

# Kept in step with audit.verify.CONTENT_CHECK, which holds PostgreSQL's own rendering of it.
CHECK = f"""
ALTER TABLE audit_auditevent ADD CONSTRAINT {CHECK_NAME} CHECK (
  (content::jsonb - 'occurred_at' - 'ip') = jsonb_build_object(
    'actor_id', actor_id, 'actor_label', actor_label, 'actor_role', actor_role,
    'organization_id', organization_id, 'verb', verb, 'object_type', object_type,
    'object_id', object_id, 'payload', payload, 'request_id', request_id)
  AND (content::jsonb ->> 'occurred_at')::timestamptz = occurred_at
  AND content::jsonb ? 'ip'
  AND (content::jsonb ->> 'ip')::inet IS NOT DISTINCT FROM ip
)
"""


def fill_content(apps, schema_editor):
    from audit.chain import FIELDS, canonical_bytes

    AuditEvent = apps.get_model("audit", "AuditEvent")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        fields = {name: getattr(event, name) for name in FIELDS}
        AuditEvent.objects.filter(seq=event.seq).update(content=canonical_bytes(fields).decode())
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def protect(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(CHECK)
    elif vendor == "sqlite":  # the table was rebuilt: its trigger went with the old one
        schema_editor.execute(
            "CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )


def unprotect(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE audit_auditevent DROP CONSTRAINT {CHECK_NAME}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="content",
            field=models.TextField(null=True, editable=False),
        ),
        migrations.RunPython(fill_content, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="content",
            field=models.TextField(
                editable=False,
                help_text="The canonical JSON the hash covers, byte for byte; on PostgreSQL a "
                "check constraint holds every column above equal to it.",
            ),
        ),
        migrations.RunPython(protect, unprotect),
    ]
