"""Verify the whole trail against its hashes and its signed checkpoints.

On PostgreSQL verification reads, per event, only what the hash covers: the stored content
(`AuditEvent.content`), its hash and the previous one. A CHECK constraint holds every
column equal to that content (audit/migrations/0004_content.py), so verification first makes
sure the constraint is still there, validated and unchanged; if it is not, it re-verifies
every column instead ("deep" verification, also on demand and on SQLite). A large trail is
split by sequence into ranges that separate processes check at once, all reading one
exported snapshot, as a single query would; the links across the cuts are checked after.
"""

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice

import psycopg
from django.db import connection, transaction
from psycopg import sql
from psycopg.types.string import ByteaBinaryLoader

from .chain import (
    FIELDS,
    GENESIS_HASH,
    SEALED_COLUMNS,
    STORED_COLUMNS,
    Break,
    Segment,
    join_segments,
    verify_chain,
    verify_sealed,
    verify_stored,
)
from .checkpoints import signature_valid
from .models import AuditCheckpoint, AuditEvent

_BATCH = 5000
# Below this many events one process is quicker than starting others.
PARALLEL_MIN_EVENTS = 200_000
_STREAM_ROWS = 2000  # rows per network round of a streamed query
_CHUNK_ROWS = 16_384  # rows sorted and checked at a time
_PROGRESS_EVERY = 50_000

CONTENT_CHECK_NAME = "audit_auditevent_content_matches"
# The constraint of migration 0004 as PostgreSQL prints it (pg_get_constraintdef), with
# runs of white space made single; tests/audit/test_verification.py keeps the two in step.
CONTENT_CHECK = (
    "CHECK ((((((content)::jsonb - 'occurred_at'::text) - 'ip'::text) = "
    "jsonb_build_object('actor_id', actor_id, 'actor_label', actor_label, 'actor_role', "
    "actor_role, 'organization_id', organization_id, 'verb', verb, 'object_type', object_type, "
    "'object_id', object_id, 'payload', payload, 'request_id', request_id)) AND "
    "((((content)::jsonb ->> 'occurred_at'::text))::timestamp with time zone = occurred_at) AND "
    "((content)::jsonb ? 'ip'::text) AND (NOT ((((content)::jsonb ->> 'ip'::text))::inet IS "
    "DISTINCT FROM ip))))"
)
CHECK_MISSING = (
    "the database no longer holds the columns to the hashed content (constraint "
    f"{CONTENT_CHECK_NAME} is missing, altered or not validated): someone changed the "
    "schema; every column was verified instead. Restore the constraint (see docs/operations.md)"
)


@dataclass(frozen=True)
class Report:
    ok: bool
    events: int
    message: str
    broken_seq: int | None = None


# --- Every column, through the ORM (SQLite) or streamed (PostgreSQL): deep verification ---


def _rows():
    """Stream (seq, prev_hash, hash, fields) in chain order without loading the table."""
    columns = ["seq", "prev_hash", "hash", *FIELDS]
    for row in AuditEvent.objects.order_by("seq").values_list(*columns).iterator():
        seq, prev_hash, stored, *values = row
        yield seq, prev_hash, stored, dict(zip(FIELDS, values, strict=True))


def _verify_with_the_orm(wanted: set[int]) -> Segment:
    segment = Segment()

    def remember(rows):
        for row in rows:
            if row[0] in wanted:
                segment.hashes_at[row[0]] = row[2]
            yield row

    result = list(verify_chain(remember(_rows())))[-1]
    if isinstance(result, Break):
        segment.broken = result
    else:
        segment.events = result
    return segment


# Rows come in binary, which halves psycopg's work per row; the payload and the address
# are asked for as text, exactly as their output functions (what the ORM reads) write them.
_AS_TEXT = {"payload": "{}::text", "ip": "abbrev({})"}


def _columns_query() -> sql.Composed:
    columns = [
        sql.SQL(_AS_TEXT.get(name, "{}")).format(sql.Identifier(name)) for name in STORED_COLUMNS
    ]
    return sql.SQL("SELECT {columns} FROM {table} ORDER BY seq").format(
        columns=sql.SQL(", ").join(columns), table=_table()
    )


@contextmanager
def _stream_columns(pg: psycopg.Connection):
    """Yield every event's stored columns in chain order, streamed without a cursor."""
    with (
        psycopg.Cursor(pg) as cursor,  # Django's client-side cursors cannot read binary
        closing(cursor.stream(_columns_query(), binary=True, size=_STREAM_ROWS)) as rows,
    ):
        yield rows


def _verify_columns_postgresql(wanted: set[int], progress) -> Segment:
    connection.ensure_connection()
    with _stream_columns(connection.connection) as rows:
        return verify_stored(rows, checkpoint_seqs=wanted, batch=_PROGRESS_EVERY, on_batch=progress)


# --- The sealed content: what verification reads on PostgreSQL ------------------------------


def _table() -> sql.Identifier:
    return sql.Identifier(AuditEvent._meta.db_table)


def content_check_intact(cursor) -> bool:
    """Tell whether the constraint holding every column to `content` is in force."""
    cursor.execute(
        "SELECT convalidated, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND conname = %s",
        [AuditEvent._meta.db_table, CONTENT_CHECK_NAME],
    )
    row = cursor.fetchone()
    return row is not None and row[0] and " ".join(row[1].split()) == CONTENT_CHECK


@dataclass(frozen=True)
class _Share:
    """One process's part of the trail: the events low..high."""

    low: int
    high: int


def _sealed_query() -> sql.Composed:
    return sql.SQL("SELECT {columns} FROM {table} WHERE seq BETWEEN %s AND %s ORDER BY seq").format(
        columns=sql.SQL(", ").join(sql.Identifier(name) for name in SEALED_COLUMNS),
        table=_table(),
    )


@contextmanager
def _sealed_chunks(pg: psycopg.Connection, share: _Share) -> Iterator[Iterator[list[tuple]]]:
    """Yield the share's rows in chain order as lists, streamed without a server-side cursor."""
    with psycopg.Cursor(pg) as cursor:  # Django's client-side cursors cannot read binary
        cursor.adapters.register_loader("text", ByteaBinaryLoader)  # content as bytes
        rows = cursor.stream(
            _sealed_query(), [share.low, share.high], binary=True, size=_STREAM_ROWS
        )
        with closing(rows):
            yield iter(lambda: list(islice(rows, _CHUNK_ROWS)), [])


def _check_share(pg: psycopg.Connection, share: _Share, expected_prev, wanted, on_batch) -> Segment:
    with _sealed_chunks(pg, share) as chunks:
        return verify_sealed(
            chunks, expected_prev=expected_prev, checkpoint_seqs=wanted, on_batch=on_batch
        )


def _check_share_in_child(params, snapshot, share, wanted, counter, sender) -> None:
    """Check a share in a child process, on its own connection to the snapshot."""
    try:
        with psycopg.connect(**params, autocommit=True) as pg, pg.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))

            def count(done: int) -> None:
                counter.value = done

            segment = _check_share(pg, share, None, wanted, count)
            cursor.execute("COMMIT")
        sender.send(("ok", segment))
    except BaseException as error:  # the parent raises it
        sender.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        sender.close()


def _default_processes() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cpus or 1))


def _can_fork() -> bool:
    # Forking is safe only with no other thread that might hold a lock in the child.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _shares(low: int, high: int, processes: int) -> list[_Share]:
    step = (high - low + processes) // processes
    return [_Share(start, min(start + step - 1, high)) for start in range(low, high + 1, step)]


def _verify_postgresql(wanted: set[int], progress, processes: int, deep: bool) -> Segment:
    """Check the sealed content, or every column when asked to or when the constraint is gone."""
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: Django's loaders, none of its wrapping
        if own_transaction:  # one snapshot for every query and every process
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if deep:
            return _verify_columns_postgresql(wanted, progress)
        cursor.execute(sql.SQL("SELECT min(seq), max(seq) FROM {}").format(_table()))
        low, high = cursor.fetchone()
        if low is None:
            return Segment()
        parallel = own_transaction and processes > 1 and _can_fork()
        if not parallel or high - low + 1 < PARALLEL_MIN_EVENTS:
            return _check_share(
                connection.connection, _Share(low, high), GENESIS_HASH, wanted, progress
            )
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        return _verify_shares(_shares(low, high, processes), snapshot, wanted, progress)


def _verify_shares(shares: list[_Share], snapshot, wanted, progress) -> Segment:
    """Check the first share here and the others in child processes; join what they found."""
    context = multiprocessing.get_context("fork")
    params = connection.get_connection_params()
    children = []
    try:
        for share in shares[1:]:
            counter = context.RawValue("q", 0)
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(
                target=_check_share_in_child,
                args=(params, snapshot, share, wanted, counter, sender),
                daemon=True,
            )
            child.start()
            sender.close()
            children.append((child, receiver, counter))

        def report(done: int) -> None:
            if progress is not None:
                progress(done + sum(counter.value for _c, _r, counter in children))

        segment = _check_share(connection.connection, shares[0], GENESIS_HASH, wanted, report)
        for child, receiver, _counter in children:
            if segment.broken is not None:
                break  # an earlier fault: what follows does not matter
            while not receiver.poll(0.5):
                report(segment.events)
            try:
                kind, value = receiver.recv()
            except EOFError:
                kind, value = "error", f"exit code {child.exitcode}"
            if kind != "ok":
                raise RuntimeError(f"Verifying a range of the trail failed: {value}")
            segment = join_segments(segment, value)
        return segment
    finally:
        for child, receiver, _counter in children:
            receiver.close()
            if child.is_alive():
                child.terminate()
            child.join()


def _content_check_missing() -> bool:
    with connection.cursor() as wrapper:
        return not content_check_intact(wrapper.cursor)


def verify_trail(
    *,
    progress: Callable[[int], None] | None = None,
    processes: int | None = None,
    deep: bool = False,
) -> Report:
    """Recompute the chain and check it against every checkpoint.

    `progress` is called now and then with the number of events checked so far.
    `processes` caps how many processes check a large trail on PostgreSQL (default: the
    CPUs available, at most 4). `deep` re-verifies every column rather than the sealed
    content; it is also what happens when the constraint tying them together is gone.
    """
    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    wanted = {checkpoint.seq for checkpoint in checkpoints}
    note = ""
    if connection.vendor == "postgresql":
        if not deep and _content_check_missing():
            deep, note = True, CHECK_MISSING
        segment = _verify_postgresql(
            wanted,
            progress,
            processes if processes is not None else _default_processes(),
            deep,
        )
    else:
        segment = _verify_with_the_orm(wanted)
    if segment.broken is not None:
        broken = segment.broken
        message = f"Broken at event #{broken.seq}: {broken.reason}."
        return Report(False, 0, f"{message} Also, {note}." if note else message, broken.seq)
    result, hashes_at = segment.events, segment.hashes_at
    for checkpoint in checkpoints:
        if not signature_valid(checkpoint):
            return Report(
                False,
                result,
                f"Checkpoint at #{checkpoint.seq} has a bad signature.",
                checkpoint.seq,
            )
        if checkpoint.seq not in hashes_at:
            return Report(
                False,
                result,
                f"Event #{checkpoint.seq}, signed in a checkpoint, is "
                "missing: the trail was truncated or rewritten.",
                checkpoint.seq,
            )
        if hashes_at[checkpoint.seq] != checkpoint.hash:
            return Report(
                False,
                result,
                f"Event #{checkpoint.seq} differs from the signed "
                "checkpoint: the trail was rewritten.",
                checkpoint.seq,
            )
    verified = f"{result} events verified against {len(checkpoints)} checkpoints."
    if note:
        return Report(False, result, f"{verified} But {note}.")
    return Report(True, result, verified)
