"""Fast verification finds exactly what the reference finds, in one process or several."""

import io
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import audit.verify
from audit.chain import (
    CONTENT_BROKEN,
    FIELDS,
    GENESIS_HASH,
    LINK_BROKEN,
    Break,
    Segment,
    canonical_bytes,
    event_hash,
    join_segments,
    stored_fields,
    verify_chain,
    verify_sealed,
    verify_stored,
)
from audit.checkpoints import checkpoint_write
from audit.context import RequestContext, reset_context, set_context
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_trail

from .tampering import behind_the_triggers, rewrite

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# Payloads the fast path and the reference must both get right.
PAYLOADS = [
    {},
    {"title": "Contrôle d'accès — siège", "facts": {"countries": ["FR", "DE"], "real_time": True}},
    {"note": 'line\nbreak\ttab "quoted" back\\slash \u2028 \x07 \U0001f642', "n": None},
    {"score": 87, "ratio": 0.5, "tiny": 1e-05, "third": 1 / 3, "big": 2**70, "neg": -(2**63)},
    {"ζ": [1, [2, [3, {"b": False, "a": []}]]], "e-mail": "one-time 3e-5 0.0000"},
]


def chain_rows(count: int) -> list[tuple]:
    """Return stored rows (payload as JSON text) of a valid chain of `count` events."""
    rows, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        fields = {
            "occurred_at": START + timedelta(seconds=seq, microseconds=seq % 3),
            "actor_id": seq % 4 or None,
            "actor_label": "zoë@acme.example" if seq % 4 else "system",
            "actor_role": "owner",
            "organization_id": 7,
            "verb": "application.submitted",
            "object_type": "reviews.application",
            "object_id": str(seq),
            "payload": PAYLOADS[seq % len(PAYLOADS)],
            "request_id": f"{seq:032x}",
            "ip": "2001:db8::1" if seq % 2 else None,
        }
        digest = event_hash(prev, fields)
        values = [fields[name] for name in FIELDS]
        values[FIELDS.index("payload")] = json.dumps(fields["payload"], ensure_ascii=False)
        rows.append((seq, prev, digest, *values))
        prev = digest
    return rows


def as_fields(rows):
    for seq, prev, digest, *values in rows:
        fields = dict(zip(FIELDS, values, strict=True))
        fields["payload"] = json.loads(fields["payload"])
        yield seq, prev, digest, fields


def reference(rows) -> Break | int:
    return list(verify_chain(as_fields(rows)))[-1]


def tampered(rows, seq: int, **changes) -> list[tuple]:
    index = next(i for i, row in enumerate(rows) if row[0] == seq)
    row = list(rows[index])
    for name, value in changes.items():
        row[3 + FIELDS.index(name)] = value
    return [*rows[:index], tuple(row), *rows[index + 1 :]]


def without(rows, seq: int) -> list[tuple]:
    return [row for row in rows if row[0] != seq]


def in_segments(rows, *cuts: int) -> Segment:
    bounds = [0, *cuts, len(rows)]
    parts = [rows[low:high] for low, high in itertools.pairwise(bounds)]
    segment = verify_stored(parts[0])
    for part in parts[1:]:
        segment = join_segments(segment, verify_stored(part, expected_prev=None))
    return segment


def test_it_accepts_an_untouched_chain_as_the_reference_does():
    rows = chain_rows(40)

    segment = verify_stored(rows, checkpoint_seqs={5, 40, 99})

    assert reference(rows) == 40
    assert (segment.broken, segment.events, segment.head) == (None, 40, rows[-1][2])
    assert segment.hashes_at == {5: rows[4][2], 40: rows[-1][2]}


@pytest.mark.parametrize(
    "change",
    [
        {"payload": '{"forged": true}'},
        {"payload": json.dumps({**PAYLOADS[3], "tiny": 1.0001e-05})},
        {"payload": json.dumps({**PAYLOADS[3], "big": 2**70 + 1})},
        {"occurred_at": START},
        {"actor_label": "someone@else"},
        {"ip": "203.0.113.9"},
        {"organization_id": None},
    ],
    ids=["payload", "small-float", "big-int", "time", "actor", "ip", "organization"],
)
def test_it_finds_a_changed_event_where_the_reference_does(change):
    rows = tampered(chain_rows(40), 18, **change)

    expected = Break(18, CONTENT_BROKEN)
    assert reference(rows) == expected
    assert verify_stored(rows).broken == expected
    for cuts in [(10,), (18,), (17,), (10, 18, 30), (19, 25)]:
        assert in_segments(rows, *cuts).broken == expected, cuts


def test_it_finds_a_deleted_event_at_every_cut():
    rows = without(chain_rows(30), 12)

    expected = Break(13, LINK_BROKEN)
    assert reference(rows) == expected
    for cuts in [(), (5,), (10,), (11,), (12,), (5, 11, 20)]:
        assert in_segments(rows, *cuts).broken == expected, cuts


def test_it_reports_the_earliest_fault_of_several():
    rows = without(tampered(chain_rows(30), 25, verb="forged"), 8)

    for cuts in [(), (20,), (7, 20), (10,)]:
        assert in_segments(rows, *cuts).broken == Break(9, LINK_BROKEN), cuts


def test_it_joins_empty_segments():
    rows = chain_rows(12)

    joined = in_segments(rows, 0, 0, 6, 6, 12)

    assert (joined.broken, joined.events, joined.head) == (None, 12, rows[-1][2])
    assert verify_stored([]).head == GENESIS_HASH
    # A trail that does not start at the genesis hash has lost its beginning.
    assert in_segments(rows[3:], 0, 4).broken == Break(4, LINK_BROKEN)


def test_it_reports_progress_by_batch():
    seen = []

    verify_stored(chain_rows(25), batch=10, on_batch=seen.append)

    assert seen == [10, 20, 25]


# --- Against the database -----------------------------------------------------------------


def record_events(count: int, organization=None) -> list[AuditEvent]:
    for n in range(count):
        audit_record(
            actor=None,
            verb="test.recorded",
            object_type="t",
            object_id=n,
            organization=organization,
            payload=PAYLOADS[n % len(PAYLOADS)] | {"n": n},
        )
    return list(AuditEvent.objects.order_by("seq"))


@pytest.fixture
def in_three_processes(monkeypatch):
    """Make verify_trail split even a small trail; count the ranges children checked."""
    joined = []

    def counting_join(first, second):
        joined.append(second.events)
        return join_segments(first, second)

    monkeypatch.setattr(audit.verify, "PARALLEL_MIN_EVENTS", 1)
    monkeypatch.setattr(audit.verify, "join_segments", counting_join)
    return joined


def test_records_with_awkward_payloads_verify_and_export(db, tmp_path):
    events = record_events(10)
    export = tmp_path / "trail.jsonl"
    call_command("export_audit", "--format", "jsonl", "--output", str(export))

    offline = subprocess.run(
        [sys.executable, SCRIPT, export], capture_output=True, text=True, check=False
    )

    assert verify_trail().message == f"{len(events)} events verified against 0 checkpoints."
    assert (offline.returncode, offline.stdout.strip()) == (0, f"{len(events)} events verified")


def test_it_streams_what_the_orm_reads(postgresql):
    for ip in ["203.0.113.9", "2001:db8::1", "::ffff:192.0.2.1", None]:
        token = set_context(RequestContext(request_id="r-1", ip=ip))
        try:
            record_events(2)
        finally:
            reset_context(token)
    payload = '{"a": [1.5, 1e-7, 123456789012345678901]}'
    content = (
        '{"actor_id":null,"actor_label":"x","actor_role":"","ip":"10.1.0.0/16","object_id":"1",'
        '"object_type":"t","occurred_at":"2026-01-01T00:00:00+00:00","organization_id":null,'
        f'"payload":{payload},"request_id":"","verb":"v"}}'
    )
    with connection.cursor() as cursor:  # an address with a netmask, which only SQL can store
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_label, actor_role, verb, "
            "object_type, object_id, payload, request_id, ip, prev_hash, hash, content) "
            "VALUES ('2026-01-01T00:00:00+00:00', 'x', '', 'v', 't', '1', %s, '', "
            "'10.1.0.0/16', 'p', 'h', %s)",
            [payload, content],
        )
    connection.ensure_connection()

    with audit.verify._stream_columns(connection.connection) as rows:
        streamed = [(*row[:11], json.loads(row[11]), *row[12:]) for row in rows]

    orm = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash", *FIELDS))
    assert streamed == orm and len(orm) == 9
    assert [row[3].isoformat() for row in streamed] == [row[3].isoformat() for row in orm]
    assert [type(value) for value in streamed[-1]] == [type(value) for value in orm[-1]]


def test_one_process_finds_a_change_and_leaves_the_connection_usable(postgresql):
    events = record_events(12)
    rewrite(events[7].seq, payload={"n": 1e-5})

    report = verify_trail(processes=1)

    assert report.message.startswith(f"Broken at event #{events[7].seq}: its content")
    assert AuditEvent.objects.count() == len(events)  # the stream was closed properly


def test_three_processes_agree_with_one(transactional_db, postgresql, in_three_processes):
    events = record_events(30)
    checkpoint = checkpoint_write(now=timezone.now())

    parallel = verify_trail(processes=3)

    assert len(in_three_processes) == 2 and sum(in_three_processes) > 0
    assert parallel == verify_trail(processes=1)
    assert parallel.message == f"{len(events)} events verified against 1 checkpoints."
    assert checkpoint.seq == events[-1].seq  # checked by the last child


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_three_processes_find_a_change_in_any_range(
    transactional_db, postgresql, in_three_processes, where
):
    events = record_events(30)
    target = {"first": events[3], "middle": events[15], "last": events[-1]}[where]
    rewrite(target.seq, actor_label="forged")

    report = verify_trail(processes=3)

    assert report == verify_trail(processes=1)
    assert report.broken_seq == target.seq and "was changed" in report.message


def test_three_processes_find_a_deletion_at_a_range_boundary(
    transactional_db, postgresql, in_three_processes
):
    events = record_events(30)
    low, high = events[0].seq, events[-1].seq
    second_range_starts = low + (high - low + 3) // 3
    behind_the_triggers("DELETE FROM audit_auditevent WHERE seq = %s", [second_range_starts])

    report = verify_trail(processes=3)

    assert report == verify_trail(processes=1)
    assert report.broken_seq == second_range_starts + 1
    assert "deleted, inserted or reordered" in report.message


def test_three_processes_catch_a_consistent_rewrite_at_the_checkpoint(
    transactional_db, postgresql, in_three_processes
):
    events = record_events(30)
    checkpoint_write(now=timezone.now())
    last = events[-1]
    rewrite(last.seq, rehash=True, verb="application.approved")

    report = verify_trail(processes=3)

    assert report == verify_trail(processes=1)
    assert f"Event #{last.seq} differs from the signed checkpoint" in report.message


def test_verify_audit_still_prints_one_line(transactional_db, postgresql, in_three_processes):
    events = record_events(9)
    out = io.StringIO()

    call_command("verify_audit", stdout=out)

    assert out.getvalue().strip() == f"{len(events)} events verified against 0 checkpoints."


@pytest.mark.parametrize("number", [1e16, -0.0, 0.1])
def test_floats_that_postgresql_would_rewrite_still_verify(postgresql, number):
    audit_record(actor=None, verb="test.float", object_type="t", object_id=1, payload={"x": number})

    assert verify_trail().ok


def test_a_non_canonical_ipv6_address_still_verifies(postgresql):
    from audit.context import RequestContext, reset_context, set_context

    token = set_context(RequestContext(request_id="r", ip="2001:0DB8::0001"))
    try:
        audit_record(actor=None, verb="test.ip", object_type="t", object_id=1)
    finally:
        reset_context(token)

    assert verify_trail().ok


def sealed(rows, changes=None):
    """The (seq, prev_hash, hash, content) form of stored rows, as PostgreSQL sends it."""
    return [
        (
            row[0],
            row[1],
            row[2],
            canonical_bytes(stored_fields(row) | (changes or {}).get(row[0], {})),
        )
        for row in rows
    ]


def test_sealed_rows_verify_like_the_reference():
    rows = chain_rows(40)
    forged = {rows[17][0]: {"verb": "forged"}}

    assert verify_sealed([sealed(rows)]).events == 40
    assert verify_sealed([sealed(rows, forged)]).broken == Break(rows[17][0], CONTENT_BROKEN)
    assert verify_sealed([sealed(rows[:5] + rows[6:])]).broken == Break(rows[6][0], LINK_BROKEN)


@pytest.mark.parametrize("window", [10_000, 1], ids=["sorted-in-window", "re-read-in-order"])
def test_events_stored_out_of_order_still_verify(transactional_db, postgresql, monkeypatch, window):
    events = record_events(40)
    # An owner's no-op update writes new row versions elsewhere in the table.
    for event in (events[5], events[20]):
        behind_the_triggers(
            "UPDATE audit_auditevent SET content = content WHERE seq = %s", [event.seq]
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM audit_auditevent")
        physical = [seq for (seq,) in cursor.fetchall()]
    assert physical != sorted(physical)  # the table really is out of order

    report = verify_trail(processes=1)

    assert report.ok and report.events == 40
