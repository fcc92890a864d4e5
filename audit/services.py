"""Write audit events; every business write calls `audit_record` in its own transaction."""

import hashlib
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from config.rows import fetch, insert

from .chain import GENESIS_HASH, canonical_bytes
from .context import current_context
from .models import AuditEvent

# One chain for the whole trail: writers take this lock so sequence and hash stay linear.
_CHAIN_LOCK_ID = 0x6761746568  # "gateh"
# Every business write appends an event: the head's hash and the insert are fixed SQL
# (config/rows.py), not statements the ORM builds anew each time.
_HEAD_SQL = f"SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY seq DESC LIMIT 1"  # noqa: S608


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


# No savepoint inside a caller's transaction (two round trips fewer per event): an error here
# fails the caller's write with it, which is what every caller wants.
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    actor,
    verb: str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    organization=None,
    actor_role: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the trail, chained to the previous one by its hash."""
    _lock_chain()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
    context = current_context()
    # Hash what the database will give back: jsonb rewrites some floats (1e16, -0.0), so
    # floats are kept as text; addresses are stored in their canonical form.
    payload = _without_floats(payload or {})
    ip = clean_ipv6_address(context.ip) if context.ip and ":" in context.ip else context.ip
    now = timezone.now()
    head = fetch(_HEAD_SQL, [])
    prev_hash = head[0][0] if head else GENESIS_HASH
    fields = {
        "occurred_at": now,
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor.email if actor is not None else "system",
        "actor_role": actor_role,
        "organization_id": organization.pk if organization is not None else None,
        "verb": verb,
        "object_type": object_type,
        "object_id": str(object_id),
        "payload": payload,
        "request_id": context.request_id,
        "ip": ip,
    }
    content = canonical_bytes(fields)
    return insert(
        AuditEvent(
            prev_hash=prev_hash,
            hash=hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest(),
            content=content.decode(),
            **fields,
        )
    )


def _without_floats(value):
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {key: _without_floats(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_floats(item) for item in value]
    return value
