"""Change the audit table as its owner could, behind the triggers, to prove verification
catches it. The database's check keeps every column equal to the hashed `content`, so a
forger must rewrite both: `rewrite` does, as a careful forger would."""

import json

from django.db import connection

from audit.chain import canonical_bytes, event_hash
from audit.models import AuditEvent


def behind_the_triggers(sql: str, params=()) -> None:
    """Run SQL as the table's owner would, with the triggers switched off."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks may be pending
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def rewrite(seq: int, *, rehash: bool = False, **changes) -> None:
    """Change columns of event `seq` and its content to match; with `rehash`, its hash too."""
    event = AuditEvent.objects.get(seq=seq)
    fields = event.chain_fields() | changes
    columns = dict(changes, content=canonical_bytes(fields).decode())
    if rehash:
        columns["hash"] = event_hash(event.prev_hash, fields)
    if "payload" in columns:
        columns["payload"] = json.dumps(columns["payload"])
    assignments = ", ".join(
        f"{name} = %s::jsonb" if name == "payload" else f"{name} = %s" for name in columns
    )
    behind_the_triggers(
        f"UPDATE audit_auditevent SET {assignments} WHERE seq = %s",  # noqa: S608 - test names
        [*columns.values(), seq],
    )
