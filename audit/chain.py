"""Compute the hash that links each audit event to the one before it."""

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Return sha256 over the previous hash and the event's canonical JSON."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=_encode)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _encode(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"Cannot hash {type(value).__name__}")
