"""The hash chain: each event's hash covers its canonical content and the previous hash.

`canonical_bytes` is the one definition of an event's content; recording, verification
and the offline export checker (`scripts/verify_audit_export.py`) all use the same rules:
JSON with sorted keys, no spaces, non-ASCII kept, times in ISO 8601 with microseconds.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64
FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_role",
    "organization_id",
    "verb",
    "object_type",
    "object_id",
    "payload",
    "request_id",
    "ip",
)


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """Return the event's content as canonical JSON bytes."""
    return json.dumps(
        {name: fields[name] for name in FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_encode,
    ).encode()


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Return sha256 over the previous hash, a newline, and the event's canonical content."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_bytes(fields)).hexdigest()


def _encode(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"Cannot hash {type(value).__name__}")


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold."""

    seq: int
    reason: str


def verify_chain(rows: Iterable[tuple[int, str, str, dict]]) -> Iterator[Break | int]:
    """Check (seq, prev_hash, hash, fields) rows in order; yield a Break at the first fault.

    Yields the number of events verified at the end when every link holds.
    """
    expected_prev = GENESIS_HASH
    count = 0
    for seq, prev_hash, stored_hash, fields in rows:
        if prev_hash != expected_prev:
            yield Break(
                seq,
                "its previous-hash does not match the event before it "
                "(an event was deleted, inserted or reordered)",
            )
            return
        if event_hash(prev_hash, fields) != stored_hash:
            yield Break(seq, "its content does not match its hash (the event was changed)")
            return
        expected_prev = stored_hash
        count += 1
    yield count
