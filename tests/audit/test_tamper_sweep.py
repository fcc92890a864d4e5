"""T16: tamper with a seeded trail in every way an owner of the table can; verification finds it.

A trail of events over three tenants (varied payloads, actors, addresses, request ids, and the
gaps in `seq` that rolled-back transactions leave) is seeded through `audit_record`, with a
signed checkpoint in the middle and one at the head. Then, one case at a time and each in a
savepoint rolled back afterwards, the trail is changed behind the append-only triggers (as
tests/audit/test_chain_verify.py does: the table owner disables them) and `verify_trail` must
report the first broken event exactly:

* edit: one column of one event, every column in turn along the trail (each chained column,
  a payload key, `prev_hash`, `hash`; where the trail seals the columns in a `content` column
  under a CHECK constraint, with the content rewritten to match, or alone after the owner
  drops the constraint) -> that event;
* rehash: the same, with the event's own hash recomputed -> the event after it;
* delete: one event -> the event after it;
* insert: a forged event with a valid hash, chained to its predecessor, in a gap of `seq`
  -> the event after it;
* reorder: two events swap places -> the earlier place;
* rewrite: an edit, with every later hash recomputed -> the first checkpoint at or after it
  (only the signed checkpoints can tell);
* truncate: the tail from some event on -> the first checkpoint in the cut part.

The untouched trail verifies before and after, and after every rollback the sweep checks a
sample. PR tier: 200 events, every position for each class; nightly: 10,000 events and 1,000
random tamperings (TAMPER_EVENTS, TAMPER_CASES override). PostgreSQL only.
"""

# ruff: noqa: S311 - random positions and values to tamper with, no secrets

import itertools
import json
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit.chain import FIELDS, canonical_bytes, event_hash
from audit.checkpoints import checkpoint_write
from audit.context import RequestContext, reset_context, set_context
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import audit_record
from audit.verify import verify_trail

TABLE = AuditEvent._meta.db_table
# Where the trail stores each event's hashed content, a CHECK constraint holds the columns to
# it (audit/migrations/0004_content.py); the owner of the table can drop it.
SEAL = "audit_auditevent_content_matches"
UNSEALED = "/unsealed"
PAYLOADS = [
    {},
    {"title": "Contrôle d'accès — siège", "facts": {"countries": ["FR", "DE"], "real_time": True}},
    {"note": 'line\nbreak\ttab "quoted" \u2028 \U0001f642', "n": None, "ok": False},
    {"score": 87, "ratio": 0.5, "tiny": 1e-05, "big": 2**70, "neg": -(2**63)},
    {"old_status": "in_review", "new_status": "approved", "reason": "Safeguards documented."},
    {"ζ": [1, [2, [3, {"b": False, "a": []}]]], "e-mail": "one-time 3e-5 0.0000"},
]
ADDRESSES = [None, "203.0.113.9", "2001:db8::1", "::ffff:192.0.2.1"]
VERBS = ["application.submitted", "application.approved", "membership.added", "user.logged_in"]
# Each column an attacker may edit, and how: a function of the stored value.
EDITS: dict[str, Callable] = {
    "occurred_at": lambda value: value + timedelta(microseconds=1),
    "actor_label": lambda value: f"{value}.forged",
    "actor_role": lambda value: "owner" if value != "owner" else "member",
    "verb": lambda value: "application.denied" if value != "application.denied" else "x",
    "object_type": lambda value: f"{value}x",
    "object_id": lambda value: f"{value}0",
    "request_id": lambda value: f"{value}f",
    "ip": lambda value: "198.51.100.7" if value != "198.51.100.7" else None,
}


@dataclass(frozen=True)
class Trail:
    seqs: list[int]  # in chain order, with gaps
    checkpoints: list[int]  # the seqs the signed checkpoints name
    users: list[int]
    organizations: list[int]

    def after(self, seq: int) -> int | None:
        index = self.seqs.index(seq)
        return self.seqs[index + 1] if index + 1 < len(self.seqs) else None

    def checkpoint_from(self, seq: int) -> int | None:
        """The first checkpoint that names `seq` or a later event."""
        return next((cp for cp in self.checkpoints if cp >= seq), None)


def seed(count: int, *, rng: random.Random) -> Trail:
    """Record `count` events over three tenants, leaving gaps in seq as rollbacks do."""
    users = list(User.objects.order_by("pk").values_list("pk", flat=True))
    organizations = list(Organization.objects.order_by("pk")[:3])
    assert len(organizations) == 3 and users
    actors = {user.pk: user for user in User.objects.all()}
    checkpoints = []
    for n in range(count):
        if rng.random() < 0.1:  # a business transaction that rolled back: its seq is burnt
            with transaction.atomic():
                audit_record(actor=None, verb="test.rolled_back", object_type="t", object_id=n)
                transaction.set_rollback(True)
        ip = rng.choice(ADDRESSES)
        token = set_context(RequestContext(request_id=f"{rng.getrandbits(128):032x}", ip=ip))
        try:
            actor = actors[rng.choice(users)] if rng.random() < 0.8 else None
            audit_record(
                actor=actor,
                actor_role=rng.choice(["owner", "member", "reviewer", ""]),
                verb=rng.choice(VERBS),
                object_type="reviews.application",
                object_id=rng.randrange(1, 10**6),
                organization=rng.choice([*organizations, None]),
                payload=PAYLOADS[n % len(PAYLOADS)] | {"n": n},
            )
        finally:
            reset_context(token)
        if n == count // 2:
            checkpoints.append(checkpoint_write(now=timezone.now()).seq)
    checkpoints.append(checkpoint_write(now=timezone.now()).seq)
    return Trail(
        seqs=list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)),
        checkpoints=checkpoints,
        users=users,
        organizations=[organization.pk for organization in organizations],
    )


# Tampering, as the owner of the table would: the append-only triggers disabled.


def _has_content() -> bool:
    return any(f.name == "content" for f in AuditEvent._meta.concrete_fields)


def behind_the_triggers(statement: str, params=(), *, many: list | None = None) -> None:
    """Run the statement (once with `params`, or for each of `many`) as the table's owner."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        if many is None:
            cursor.execute(statement, params)
        else:
            cursor.executemany(statement, many)
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


def _fields(seq: int) -> dict:
    return AuditEvent.objects.get(seq=seq).chain_fields()


def _content(seq: int) -> str | None:
    """The event's sealed content as stored, where the trail keeps one."""
    if not _has_content():
        return None
    return AuditEvent.objects.values_list("content", flat=True).get(seq=seq)


def _write(seq: int, fields: dict, **extra) -> None:
    """Overwrite the event's chained columns (its sealed content too, where there is one)."""
    _write_many([(seq, fields, extra)])


def _write_many(rows: list[tuple[int, dict, dict]]) -> None:
    statement, params = "", []
    for seq, fields, extra in rows:
        values = {name: fields[name] for name in FIELDS}
        values["payload"] = json.dumps(values["payload"], ensure_ascii=False)
        values.update(extra)
        if not _has_content():
            values.pop("content", None)
        elif "content" not in values:
            values["content"] = canonical_bytes(fields).decode()
        assignments = ", ".join(f"{name} = %s" for name in values)
        statement = f"UPDATE {TABLE} SET {assignments} WHERE seq = %s"  # noqa: S608
        params.append([*values.values(), seq])
    behind_the_triggers(statement, many=params)


def _hash_of(seq: int) -> str:
    return AuditEvent.objects.values_list("hash", flat=True).get(seq=seq)


def edited(trail: Trail, seq: int, column: str, rng: random.Random) -> dict:
    """Return the event's fields with `column` changed as an attacker would."""
    fields = _fields(seq)
    if column == "payload":
        payload = dict(fields["payload"])
        key = rng.choice(sorted(payload))
        payload[key] = rng.choice(["forged", 0, None, [payload[key]], {"was": payload[key]}])
        if payload[key] == fields["payload"][key]:
            payload[key] = "forged"
        fields["payload"] = payload
    elif column == "actor_id":
        fields["actor_id"] = rng.choice([u for u in trail.users if u != fields["actor_id"]])
    elif column == "organization_id":
        others = [o for o in [*trail.organizations, None] if o != fields["organization_id"]]
        fields["organization_id"] = rng.choice(others)
    else:
        fields[column] = EDITS[column](fields[column])
    return fields


@dataclass(frozen=True)
class Case:
    kind: str
    seq: int
    column: str = ""

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq}{f' {self.column}' if self.column else ''}"


CHAINED_COLUMNS = ["payload", "actor_id", "organization_id", *EDITS]
COLUMNS = [*CHAINED_COLUMNS, "prev_hash", "hash"]


def tamper(trail: Trail, case: Case, rng: random.Random) -> int:
    """Apply the case; return the seq verification must name first."""
    seq, nxt = case.seq, trail.after(case.seq)
    if case.kind == "edit":
        if case.column.endswith(UNSEALED):  # the owner first drops what seals the columns
            column = case.column.removesuffix(UNSEALED)
            behind_the_triggers(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {SEAL}")
            fields = edited(trail, seq, column, rng)
            _write(seq, fields, content=_content(seq))
        elif case.column in ("prev_hash", "hash"):
            behind_the_triggers(
                f"UPDATE {TABLE} SET {case.column} = %s WHERE seq = %s",  # noqa: S608
                [f"{rng.getrandbits(256):064x}", seq],
            )
        else:
            _write(seq, edited(trail, seq, case.column, rng))
        return seq
    if case.kind == "rehash":
        fields = edited(trail, seq, case.column, rng)
        prev = AuditEvent.objects.values_list("prev_hash", flat=True).get(seq=seq)
        _write(seq, fields, hash=event_hash(prev, fields))
        return nxt if nxt is not None else trail.checkpoint_from(seq)
    if case.kind == "delete":
        behind_the_triggers(f"DELETE FROM {TABLE} WHERE seq = %s", [seq])  # noqa: S608
        return nxt if nxt is not None else trail.checkpoint_from(seq)
    if case.kind == "insert":
        gap = seq + 1  # the caller picks an event followed by a gap
        fields = _fields(seq) | {"verb": "application.approved", "object_id": "forged"}
        fields["occurred_at"] += timedelta(microseconds=1)
        forged_hash = event_hash(_hash_of(seq), fields)
        values = {name: fields[name] for name in FIELDS}
        values["payload"] = json.dumps(values["payload"])
        values |= {"seq": gap, "prev_hash": _hash_of(seq), "hash": forged_hash}
        if _has_content():
            values["content"] = canonical_bytes(fields).decode()
        columns = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        behind_the_triggers(
            f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})",  # noqa: S608
            list(values.values()),
        )
        return nxt  # it links to its predecessor; its successor no longer does
    if case.kind == "reorder":
        other = int(case.column)  # the later event it swaps places with
        for source, target in [(seq, -seq), (other, seq), (-seq, other)]:
            behind_the_triggers(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [target, source])  # noqa: S608
        return seq
    if case.kind == "rewrite":
        fields = edited(trail, seq, case.column, rng)
        prev = AuditEvent.objects.values_list("prev_hash", flat=True).get(seq=seq)
        rows = []
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            current = event.seq
            if current != seq:
                fields = event.chain_fields()
            digest = event_hash(prev, fields)
            rows.append((current, fields, {"prev_hash": prev, "hash": digest}))
            prev = digest
        _write_many(rows)
        return trail.checkpoint_from(seq)
    if case.kind == "truncate":
        behind_the_triggers(f"DELETE FROM {TABLE} WHERE seq >= %s", [seq])  # noqa: S608
        return trail.checkpoint_from(seq)
    raise AssertionError(case.kind)


def check(trail: Trail, case: Case, rng: random.Random) -> str | None:
    """Tamper in a savepoint rolled back afterwards; return what verification got wrong."""
    with transaction.atomic():
        expected = tamper(trail, case, rng)
        report = verify_trail()
        transaction.set_rollback(True)
    if report.ok:
        return f"{case}: not detected ({report.message})"
    if report.broken_seq != expected:
        return f"{case}: reported #{report.broken_seq}, the first broken is #{expected}: " + (
            report.message
        )
    return None


# What an edit changes, in turn along the trail: every column, and every chained column alone
# with its sealed content left as it was (the seal dropped first, where there is one).
EDIT_TURNS = [*COLUMNS, *(column + UNSEALED for column in CHAINED_COLUMNS)]


def cases_for(trail: Trail, kind: str, rng: random.Random) -> list[Case]:
    """Every position a kind of tampering applies to, the columns in turn."""
    seqs = trail.seqs
    if kind == "edit":
        return [Case(kind, seq, EDIT_TURNS[i % len(EDIT_TURNS)]) for i, seq in enumerate(seqs)]
    if kind == "rehash":
        turns = CHAINED_COLUMNS
        return [Case(kind, seq, turns[i % len(turns)]) for i, seq in enumerate(seqs)]
    if kind == "delete":
        return [Case(kind, seq) for seq in seqs]
    if kind == "insert":
        return [Case(kind, seq) for seq, nxt in itertools.pairwise(seqs) if nxt > seq + 1]
    if kind == "reorder":
        return [Case(kind, seq, str(rng.choice([s for s in seqs if s > seq]))) for seq in seqs[:-1]]
    if kind == "rewrite":  # a sample: each case rewrites the rest of the trail
        covered = [seq for seq in seqs if seq <= trail.checkpoints[-1]]
        picked = sorted(rng.sample(covered, min(REWRITES, len(covered))))
        turns = CHAINED_COLUMNS
        return [Case(kind, seq, turns[i % len(turns)]) for i, seq in enumerate(picked)]
    if kind == "truncate":
        return [Case(kind, seq) for seq in seqs]
    raise AssertionError(kind)


REWRITES = 25
KINDS = ["edit", "delete", "insert", "reorder", "truncate", "rehash", "rewrite"]


def sweep(trail: Trail, cases: list[Case], rng: random.Random) -> list[str]:
    missed = []
    for number, case in enumerate(cases):
        problem = check(trail, case, rng)
        if problem:
            missed.append(problem)
        if number % 50 == 0:  # the rollback left the trail as it was
            assert verify_trail().ok, f"after {case}"
    return missed


@pytest.fixture
def tenants(applicant, colleague, outsider, reviewer, senior_reviewer):
    """Three organizations (a third owner's), their people and staff."""
    from ..conftest import signup

    signup("tom@third.example", "Third Org", country="DE")
    return Organization.objects.count()


def test_an_untouched_trail_verifies(postgresql, tenants):
    trail = seed(200, rng=random.Random(1))

    report = verify_trail()

    assert report.ok, report.message
    assert report.events == len(trail.seqs)
    assert AuditCheckpoint.objects.count() == 2


@pytest.mark.parametrize("kind", KINDS)
def test_every_tampering_is_found_at_its_first_broken_event(postgresql, tenants, kind):
    rng = random.Random(f"{kind}-200")
    trail = seed(int(os.environ.get("TAMPER_EVENTS", 200)), rng=rng)
    cases = cases_for(trail, kind, rng)
    assert len(cases) >= 10, f"too few {kind} cases: {len(cases)}"

    missed = sweep(trail, cases, rng)

    assert not missed, f"{len(missed)} of {len(cases)} {kind} cases:\n" + "\n".join(missed[:20])
    assert verify_trail().ok


def test_the_sweep_notices_a_verifier_that_misses(postgresql, tenants, monkeypatch):
    """Negative control: a verifier that names the event after the broken one is caught."""
    rng = random.Random(7)
    trail = seed(30, rng=rng)

    def one_late(verify=verify_trail):
        report = verify()
        if report.ok:
            return report
        return type(report)(False, report.events, report.message, report.broken_seq + 1)

    monkeypatch.setattr(sys.modules[__name__], "verify_trail", one_late)
    missed = sweep(trail, cases_for(trail, "edit", rng)[:3], rng)

    assert len(missed) == 3 and "the first broken is" in missed[0]


def _forge_the_catalog(seq: int) -> None:
    """As a superuser: change a column alone, then put the seal back, marked as validated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [SEAL]
        )
        definition = cursor.fetchone()[0]
        behind_the_triggers(f"ALTER TABLE {TABLE} DROP CONSTRAINT {SEAL}")
        behind_the_triggers(f"UPDATE {TABLE} SET actor_label = 'forged' WHERE seq = %s", [seq])  # noqa: S608
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {SEAL} {definition} NOT VALID")
        cursor.execute("UPDATE pg_constraint SET convalidated = true WHERE conname = %s", [SEAL])


def test_deep_verification_finds_a_column_edited_behind_a_forged_catalog(postgresql, tenants):
    """A superuser can forge pg_constraint itself; the everyday check trusts the catalog, so
    docs/operations.md schedules `verify_audit --deep`, which trusts nothing but the hashes."""
    trail = seed(30, rng=random.Random(9))
    seq = trail.seqs[len(trail.seqs) // 2]

    with transaction.atomic():
        if _has_content():
            _forge_the_catalog(seq)
        else:  # no seal to forge: the plain edit it comes down to
            behind_the_triggers(f"UPDATE {TABLE} SET actor_label = 'forged' WHERE seq = %s", [seq])  # noqa: S608
        report = verify_trail(deep=True)
        transaction.set_rollback(True)

    assert (report.ok, report.broken_seq) == (False, seq), report.message


@pytest.mark.nightly
def test_random_tampering_of_a_large_trail_is_always_found(postgresql, tenants):
    rng = random.Random(int(os.environ.get("TAMPER_SEED", "16")))
    trail = seed(int(os.environ.get("TAMPER_EVENTS", 10_000)), rng=rng)
    assert verify_trail().ok
    count = int(os.environ.get("TAMPER_CASES", 1_000))
    pool = {kind: cases_for(trail, kind, rng) for kind in KINDS}
    cases = [rng.choice(pool[rng.choice(KINDS)]) for _ in range(count)]

    missed = sweep(trail, cases, rng)

    assert not missed, f"{len(missed)} of {count} cases:\n" + "\n".join(missed[:20])
    assert verify_trail().ok and verify_trail().events == len(trail.seqs)
