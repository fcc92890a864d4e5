"""The fast canonical form agrees byte for byte with `canonical_bytes`, or steps aside.

Verification builds most events' bytes with orjson. These property tests throw random
payloads at it (unicode, control characters, nested dicts and lists, ints of every size,
floats of every magnitude, bools, None) and random scalar fields, as Python writes them
and as PostgreSQL's jsonb hands them back, and require the bytes to be exactly those of
`canonical_bytes`; the offline checker must agree with both.
"""

import importlib.util
import json
import os
import random
import struct
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.db import connection

from audit import chain
from audit.chain import (
    FIELDS,
    GENESIS_HASH,
    _fast_content,
    canonical_bytes,
    event_hash,
    stored_content,
    stored_fields,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"
SEED = 20260514
CASES = int(os.environ.get("AUDIT_FUZZ_CASES", "4000"))  # raise it for a deeper run

# Characters that JSON escapes, or that tools get wrong: controls, DEL, the JavaScript line
# separators, a BOM, the edges of the surrogate block, private use, non-BMP letters.
TRICKY = (
    [chr(c) for c in range(0x20)]
    + list("\"\\/'<>&`")
    + ["\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\ud7ff", "\ue000", "\uffff"]
    + ["é", "ß", "Ø", "Ğ", "ж", "م", "中", "顔", "🙂", "\U0001d518", "\U0010ffff"]
    + ["0.0000", "1e-5", "3e+9", "one-time", "e-mail"]
)


def seeded(seed) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, not secrets


def random_text(rng: random.Random, *, nul: bool = True, longest: int = 12) -> str:
    parts = []
    for _ in range(rng.randrange(longest + 1)):
        pick = rng.random()
        if pick < 0.4:
            parts.append(chr(rng.randrange(0x20, 0x7F)))
        elif pick < 0.7:
            parts.append(rng.choice(TRICKY))
        elif pick < 0.85:
            parts.append(chr(rng.randrange(0xA0, 0xD800)))
        else:
            parts.append(chr(rng.randrange(0x10000, 0x110000)))
    text = "".join(parts)
    return text if nul else text.replace("\x00", "\\0")


def random_float(rng: random.Random) -> float:
    pick = rng.random()
    if pick < 0.3:  # any finite double
        while True:
            value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if value == value and abs(value) != float("inf"):
                return value
    if pick < 0.5:  # where Python and orjson write small numbers differently
        return rng.choice((1, -1)) * rng.random() * 10.0 ** -rng.randrange(4, 12)
    if pick < 0.6:  # where both switch to exponents
        return rng.random() * 10.0 ** rng.randrange(14, 40)
    return rng.choice([0.0, -0.0, 0.5, 0.1, 2.5, 1 / 3, 100.0, 0.0001, 1e15, 12.75])


def random_int(rng: random.Random) -> int:
    pick = rng.random()
    if pick < 0.6:
        return rng.randrange(-1000, 100_000)
    if pick < 0.8:  # the edges of 64 bits, signed and unsigned
        edge = rng.choice([2**63, 2**64, 2**53])
        return rng.choice((1, -1)) * (edge + rng.randrange(-3, 3))
    return rng.choice((1, -1)) * rng.randrange(10**18, 10**30)


def random_value(rng: random.Random, depth: int = 0, *, nul: bool = True):
    pick = rng.random()
    if depth < 4 and pick < 0.15:
        return [random_value(rng, depth + 1, nul=nul) for _ in range(rng.randrange(4))]
    if depth < 4 and pick < 0.3:
        return random_payload(rng, depth + 1, nul=nul)
    if pick < 0.55:
        return random_text(rng, nul=nul)
    if pick < 0.7:
        return random_int(rng)
    if pick < 0.8:
        return random_float(rng)
    return rng.choice([True, False, None])


def random_payload(rng: random.Random, depth: int = 0, *, nul: bool = True) -> dict:
    return {
        random_text(rng, nul=nul, longest=6): random_value(rng, depth, nul=nul)
        for _ in range(rng.randrange(6))
    }


def random_time(rng: random.Random) -> datetime:
    moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(10**9), microseconds=rng.choice([0, rng.randrange(10**6)])
    )
    zone = rng.choice(
        [UTC, UTC, UTC, ZoneInfo("UTC"), ZoneInfo("Europe/Berlin"), timezone(timedelta(hours=5))]
    )
    return moment.astimezone(zone)


def random_row(rng: random.Random, payload_text: str) -> tuple:
    """Return a stored row: seq, prev_hash, hash, then FIELDS with the payload as JSON text."""
    values = {
        "occurred_at": random_time(rng),
        "actor_id": rng.choice([None, rng.randrange(1, 10**12)]),
        "actor_label": rng.choice(["system", random_text(rng)]),
        "actor_role": rng.choice(["", "owner", "system", random_text(rng)]),
        "organization_id": rng.choice([None, rng.randrange(1, 10**6)]),
        "verb": rng.choice(["user.logged_in", "application.approved", random_text(rng)]),
        "object_type": rng.choice(["", "reviews.application", random_text(rng)]),
        "object_id": rng.choice(["", str(rng.randrange(10**9)), random_text(rng)]),
        "payload": payload_text,
        "request_id": rng.choice(["", f"{rng.getrandbits(128):032x}"]),
        "ip": rng.choice([None, "203.0.113.7", "2001:db8::1", random_text(rng)]),
    }
    return (rng.randrange(1, 10**9), GENESIS_HASH, "", *(values[name] for name in FIELDS))


def json_texts(rng: random.Random, payload: dict) -> list[str]:
    """The payload as JSON text the way different writers spell it."""
    return [
        json.dumps(payload),
        json.dumps(payload, ensure_ascii=False, separators=(", ", ": ")),
        json.dumps(payload, ensure_ascii=False, indent=rng.choice([None, 1])),
    ]


def assert_canonical(row: tuple) -> bool:
    """Assert the row's bytes are canonical; return whether orjson built them."""
    expected = canonical_bytes(stored_fields(row))
    fast = _fast_content(row)
    assert fast is None or fast == expected, (row, fast, expected)
    assert stored_content(row) == expected
    return fast is not None


def test_it_builds_the_canonical_bytes_of_random_rows():
    rng = seeded(SEED)
    fast = total = 0
    for _ in range(CASES):
        payload = random_payload(rng)
        for text in json_texts(rng, payload):
            fast += assert_canonical(random_row(rng, text))
            total += 1

    assert fast / total > 0.5  # the guard is not so wary that the fast path never runs


def test_it_takes_the_fast_path_unless_numbers_are_awkward():
    rng = seeded(SEED + 1)
    # No digits, and no control characters JSON escapes as \u00XX: before "e-" or "e+"
    # such an escape reads like an exponent, and the guard rightly sends it the slow way.
    plain = [
        c
        for c in TRICKY
        if not any(d in c for d in "0123456789") and (c >= " " or c in "\b\t\n\f\r")
    ]

    def text() -> str:
        return "".join(rng.choice(plain) for _ in range(rng.randrange(8)))

    for _ in range(CASES):
        payload = {
            text(): rng.choice(
                [
                    rng.randrange(-(2**63), 2**64),
                    rng.choice([0.5, -0.0, 1e15, 0.0001, 1 / 3, 12.75]),
                    text(),
                    [True, None, {text(): rng.randrange(10**15)}],
                ]
            )
            for _ in range(rng.randrange(6))
        }
        row = random_row(rng, json.dumps(payload, ensure_ascii=rng.random() < 0.5))

        assert assert_canonical(row), row


@pytest.mark.parametrize(
    ("payload_text", "fast"),
    [
        ("{}", True),
        ('{"b": 1, "a": [1.5, -0.0, 0.0001, 1e15, true, null]}', True),
        ('{"small": 1e-05}', False),  # Python: 1e-05, orjson: 0.00001
        ('{"small": 0.00000015}', False),  # Python: 1.5e-07, orjson: 1.5e-7
        ('{"big": 18446744073709551616}', False),  # beyond 64 bits orjson reads a float
        ('{"big": -9223372036854775809}', False),
        ('{"big": 18446744073709551615, "low": -9223372036854775808}', True),
        ('{"huge": 1e300}', False),  # same bytes, but an exponent sends it the slow way
        ('{"text": "one-time e-mail", "n": 3}', True),
        ('{"text": "0.0000 and 9e-9 in words"}', False),
        ('{"\\u00e9": "\\u0001\\t\\n\\"\\\\/\\u2028\\ud83d\\ude42"}', True),
        ('[1, "two", {"z": {}, "y": []}]', True),
        ('"just a string"', True),
    ],
)
def test_it_knows_where_orjson_and_the_standard_library_part(payload_text, fast):
    rng = seeded(payload_text)
    row = random_row(rng, payload_text)
    row = (*row[:3], datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), *row[4:])

    assert assert_canonical(row) is fast


def test_orjson_differs_from_the_standard_library_only_where_the_guard_looks():
    rng = seeded(SEED + 2)
    for _ in range(100_000):
        value = random_float(rng)
        ours = json.dumps(value).encode()
        theirs = orjson.dumps(value)
        if b"e" in theirs:  # an exponent always has its sign, which the guard looks for
            assert b"e-" in theirs or b"e+" in theirs
        if ours != theirs:
            assert abs(value) < 1e-4 and (b"e-" in theirs or b"0.0000" in theirs)
    for _ in range(10_000):
        number = random_int(rng)
        parsed = orjson.loads(str(number))
        if parsed != number or not isinstance(parsed, int):
            assert b"e+" in orjson.dumps(parsed)


def test_it_builds_the_same_bytes_without_orjson(monkeypatch):
    rng = seeded(SEED + 3)
    rows = [random_row(rng, json.dumps(random_payload(rng))) for _ in range(300)]
    with_orjson = [stored_content(row) for row in rows]

    monkeypatch.setattr(chain, "orjson", None)

    assert [stored_content(row) for row in rows] == with_orjson


def test_the_offline_checker_hashes_exports_like_the_app(db):
    from audit.export import jsonl_lines

    spec = importlib.util.spec_from_file_location("verify_audit_export", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rng = seeded(SEED + 4)

    assert script.FIELDS == FIELDS
    for seq in range(1, 2001):
        row = random_row(rng, "")
        fields = dict(zip(FIELDS, row[3:], strict=True)) | {"payload": random_payload(rng)}
        fields["occurred_at"] = fields["occurred_at"].astimezone(UTC)  # as the database hands it
        prev = f"{rng.getrandbits(256):064x}"
        digest = event_hash(prev, fields)
        (line,) = jsonl_lines([(seq, prev, digest, *(fields[name] for name in FIELDS))])
        record = json.loads(line)

        assert script.event_hash(record["prev_hash"], record) == digest


def test_it_builds_the_canonical_bytes_of_payloads_postgresql_stored(postgresql):
    rng = seeded(SEED + 5)
    # PostgreSQL refuses NUL in text; everything else goes in as Python writes it.
    payloads = [json.dumps(random_payload(rng, nul=False)) for _ in range(CASES)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::jsonb FROM unnest(%s::text[]) AS t", [payloads])
        stored = [text for (text,) in cursor.fetchall()]

    fast = 0
    for text in stored:
        fast += assert_canonical(random_row(rng, text))

    assert fast / len(stored) > 0.5
