"""The hash chain: each event's hash covers its canonical content and the previous hash.

`canonical_bytes` is the one definition of an event's content; recording, verification
and the offline export checker (`scripts/verify_audit_export.py`) all use the same rules:
JSON with sorted keys, no spaces, non-ASCII kept, times in ISO 8601 with microseconds.
`verify_stored` checks events as the database stores them, building the same bytes faster
where it provably can (see below).
"""

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

try:
    import orjson
except ImportError:  # verification then builds every event's bytes with canonical_bytes
    orjson = None

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


LINK_BROKEN = (
    "its previous-hash does not match the event before it "
    "(an event was deleted, inserted or reordered)"
)
CONTENT_BROKEN = "its content does not match its hash (the event was changed)"


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
            yield Break(seq, LINK_BROKEN)
            return
        if event_hash(prev_hash, fields) != stored_hash:
            yield Break(seq, CONTENT_BROKEN)
            return
        expected_prev = stored_hash
        count += 1
    yield count


# --- Verifying events as PostgreSQL stores them --------------------------------------------
#
# Verification recomputes a million hashes, so it builds the canonical bytes with orjson
# where they provably come out byte for byte the same as `canonical_bytes`, and with
# `canonical_bytes` itself everywhere else. orjson (3.13) writes everything the trail
# stores exactly like `json.dumps(..., sort_keys=True, separators=(",", ":"),
# ensure_ascii=False)` except numbers: it writes floats below 1e-4 differently (0.00001 or
# 1e-7 where Python writes 1e-05 and 1e-07), and it reads integers beyond 64 bits as floats,
# which it then writes with an exponent ("e+"; its exponents always carry a sign). So a
# payload whose orjson form holds an exponent or "0.0000" goes to `canonical_bytes`, and a
# time that orjson would write differently reaches it as isoformat's string;
# tests/audit/test_chain_compat.py fuzzes the rest against the standard library. Either way
# the bytes hashed are the canonical ones, so verification finds exactly what the reference
# would.

STORED_COLUMNS = ("seq", "prev_hash", "hash", *FIELDS)  # the payload as JSON text
if orjson is not None:
    _dumps, _loads, _Fragment = orjson.dumps, orjson.loads, orjson.Fragment
    _SORT_KEYS = orjson.OPT_SORT_KEYS
    _ORJSON_ERRORS = (orjson.JSONDecodeError, orjson.JSONEncodeError)


def _has_exponent(text: bytes) -> bool:
    """Tell whether a number in the JSON text is written with an exponent."""
    for marker in (b"e-", b"e+"):
        at = text.find(marker)
        while at > 0:
            if 48 <= text[at - 1] <= 57:  # a digit: a number, not text such as "one-time"
                return True
            at = text.find(marker, at + 2)
    return False


def _fast_content(row: tuple) -> bytes | None:
    """Return the canonical bytes of a stored row built with orjson, or None if unsure."""
    (_seq, _prev, _hash, occurred_at, actor_id, actor_label, actor_role, organization_id,
     verb, object_type, object_id, payload, request_id, ip) = row  # fmt: skip
    if payload == "{}":
        content = b"{}"
    else:
        try:
            content = _dumps(_loads(payload), option=_SORT_KEYS)
        except _ORJSON_ERRORS:
            return None
        if (b"e-" in content or b"e+" in content or b"0.0000" in content) and (
            b"0.0000" in content or _has_exponent(content)
        ):
            return None
    # orjson writes an aware datetime as isoformat does, but drops ".000000" and the
    # seconds of an offset; PostgreSQL hands out UTC, so only a whole second needs isoformat.
    if not occurred_at.microsecond or occurred_at.tzinfo is not UTC:
        occurred_at = occurred_at.isoformat(timespec="microseconds")
    fields = {
        "actor_id": actor_id,
        "actor_label": actor_label,
        "actor_role": actor_role,
        "ip": ip,
        "object_id": object_id,
        "object_type": object_type,
        "occurred_at": occurred_at,
        "organization_id": organization_id,
        "payload": _Fragment(content),
        "request_id": request_id,
        "verb": verb,
    }
    try:
        return _dumps(fields, option=_SORT_KEYS)
    except _ORJSON_ERRORS:
        return None


def stored_fields(row: tuple) -> dict[str, Any]:
    """Return the chain fields of a stored row, its payload parsed as the ORM would."""
    fields = dict(zip(FIELDS, row[3:], strict=True))
    fields["payload"] = json.loads(fields["payload"])
    return fields


def stored_content(row: tuple) -> bytes:
    """Return the canonical bytes of a stored row, exactly `canonical_bytes` of its fields."""
    content = _fast_content(row) if orjson is not None else None
    return content if content is not None else canonical_bytes(stored_fields(row))


@dataclass
class Segment:
    """What checking a run of consecutive stored events found."""

    events: int = 0
    first_seq: int | None = None
    first_prev: str | None = None
    head: str | None = None  # the hash the next event must name as its previous-hash
    broken: Break | None = None
    hashes_at: dict[int, str] = field(default_factory=dict)
    last_seq: int | None = None


def verify_stored(
    rows: Iterable[tuple],
    *,
    expected_prev: str | None = GENESIS_HASH,
    checkpoint_seqs: Collection[int] = (),
    batch: int = 50_000,
    on_batch: Callable[[int], None] | None = None,
) -> Segment:
    """Check stored rows (`STORED_COLUMNS`, payload as JSON text) in chain order.

    Stop at the first fault. With `expected_prev` None the first row's link is not checked:
    the segment starts inside the chain and `join_segments` checks it. Remember the hashes
    at `checkpoint_seqs`, and call `on_batch` with the number of events checked so far after
    every `batch` of them.
    """
    segment = Segment()
    wanted = frozenset(checkpoint_seqs)
    hashes_at = segment.hashes_at
    sha256 = hashlib.sha256
    fast = _fast_content if orjson is not None else None
    rows = iter(rows)
    expected = expected_prev
    for chunk in iter(lambda: list(islice(rows, batch)), []):
        if segment.first_seq is None:
            segment.first_seq, segment.first_prev = chunk[0][0], chunk[0][1]
            if expected is None:
                expected = segment.first_prev
        for row in chunk:
            prev_hash = row[1]
            if prev_hash != expected:
                segment.broken = Break(row[0], LINK_BROKEN)
                return segment
            content = fast(row) if fast is not None else None
            if content is None:
                content = canonical_bytes(stored_fields(row))
            expected = row[2]
            if sha256(prev_hash.encode() + b"\n" + content).hexdigest() != expected:
                segment.broken = Break(row[0], CONTENT_BROKEN)
                return segment
            if row[0] in wanted:
                hashes_at[row[0]] = expected
        segment.events += len(chunk)
        segment.last_seq = chunk[-1][0]
        if on_batch is not None:
            on_batch(segment.events)
    segment.head = expected
    return segment


# --- Verifying the sealed content ----------------------------------------------------------
#
# Every event also stores `content`, the exact bytes its hash covers, and on PostgreSQL a
# CHECK constraint holds every column equal to it (audit/migrations/0004_content.py). So
# verification needs only (seq, prev_hash, hash, content) per event: it hashes the stored
# bytes, which is as little work as verifying can be, and checks once that the constraint
# is still there (`audit.verify`).

SEALED_COLUMNS = ("seq", "prev_hash", "hash", "content")  # content as bytes


def verify_sealed(
    chunks: Iterable[list[tuple]],
    *,
    expected_prev: str | None = GENESIS_HASH,
    checkpoint_seqs: Collection[int] = (),
    on_batch: Callable[[int], None] | None = None,
) -> Segment:
    """Check sorted lists of (seq, prev_hash, hash, content bytes) rows in chain order.

    The same contract as `verify_stored`, with the hashed bytes read from the row.
    """
    segment = Segment()
    wanted = frozenset(checkpoint_seqs)
    hashes_at = segment.hashes_at
    sha256 = hashlib.sha256
    expected = expected_prev
    for chunk in chunks:
        if not chunk:
            continue
        if segment.first_seq is None:
            segment.first_seq, segment.first_prev = chunk[0][0], chunk[0][1]
            if expected is None:
                expected = segment.first_prev
        for seq, prev_hash, stored, content in chunk:
            if prev_hash != expected:
                segment.broken = Break(seq, LINK_BROKEN)
                return segment
            if sha256(prev_hash.encode() + b"\n" + content).hexdigest() != stored:
                segment.broken = Break(seq, CONTENT_BROKEN)
                return segment
            expected = stored
            if seq in wanted:
                hashes_at[seq] = stored
        segment.events += len(chunk)
        segment.last_seq = chunk[-1][0]
        if on_batch is not None:
            on_batch(segment.events)
    segment.head = expected
    return segment


def join_segments(first: Segment, second: Segment) -> Segment:
    """Join two segments checked apart, `second` following `first` in the chain."""
    if first.broken is not None or second.first_seq is None:
        return first
    if first.head is not None and second.first_prev != first.head:
        return replace(first, broken=Break(second.first_seq, LINK_BROKEN))
    if second.broken is not None:
        return replace(first, broken=second.broken)
    return Segment(
        events=first.events + second.events,
        first_seq=first.first_seq if first.first_seq is not None else second.first_seq,
        first_prev=first.first_prev if first.first_seq is not None else second.first_prev,
        head=second.head,
        hashes_at={**first.hashes_at, **second.hashes_at},
        last_seq=second.last_seq,
    )
