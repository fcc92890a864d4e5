"""Verify the whole trail against its hashes and its signed checkpoints.

On PostgreSQL the events are streamed straight from psycopg (no model instances, the
payload as JSON text) and a large trail is split by sequence into ranges that separate
processes check at once, all reading one exported snapshot, as a single query would.
"""

import multiprocessing
import os
import threading
from collections.abc import Callable
from contextlib import closing, contextmanager
from dataclasses import dataclass

import psycopg
from django.db import connection, transaction
from psycopg import sql

from .chain import (
    FIELDS,
    STORED_COLUMNS,
    Break,
    Segment,
    join_segments,
    verify_chain,
    verify_stored,
)
from .checkpoints import signature_valid
from .models import AuditCheckpoint, AuditEvent

_BATCH = 5000
# Below this many events one process is quicker than starting others.
PARALLEL_MIN_EVENTS = 200_000
_STREAM_ROWS = 2000  # rows per network round of a streamed query
_PROGRESS_EVERY = 50_000


@dataclass(frozen=True)
class Report:
    ok: bool
    events: int
    message: str
    broken_seq: int | None = None


def _rows():
    """Stream (seq, prev_hash, hash, fields) in chain order without loading the table."""
    columns = ["seq", "prev_hash", "hash", *FIELDS]
    queryset = AuditEvent.objects.order_by("seq").values_list(*columns)
    iterator = (
        queryset.iterator(chunk_size=_BATCH)
        if connection.vendor == "postgresql"
        else queryset.iterator()
    )
    for row in iterator:
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


def _range_query() -> sql.Composed:
    columns = [
        sql.SQL(_AS_TEXT.get(name, "{}")).format(sql.Identifier(name)) for name in STORED_COLUMNS
    ]
    return sql.SQL("SELECT {columns} FROM {table} WHERE seq BETWEEN %s AND %s ORDER BY seq").format(
        columns=sql.SQL(", ").join(columns),
        table=sql.Identifier(AuditEvent._meta.db_table),
    )


@contextmanager
def _stream(pg: psycopg.Connection, low: int, high: int):
    """Yield the stored rows from low to high in chain order, streamed without a cursor."""
    with (
        psycopg.Cursor(pg) as cursor,  # Django's client-side cursors cannot read binary
        closing(cursor.stream(_range_query(), [low, high], binary=True, size=_STREAM_ROWS)) as rows,
    ):
        yield rows


def _default_processes() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cpus or 1))


def _can_fork() -> bool:
    # Forking is safe only with no other thread that might hold a lock in the child.
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not connection.in_atomic_block  # other connections would not see its rows
    )


def _verify_range(params, timezone_name, snapshot, low, high, wanted, counter, sender) -> None:
    """Check events low..high in a child process, on its own connection to the snapshot."""
    try:
        with psycopg.connect(**params, autocommit=True) as pg, pg.cursor() as cursor:
            if timezone_name:
                cursor.execute("SELECT set_config('TimeZone', %s, false)", [timezone_name])
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))

            def count(done: int) -> None:
                counter.value = done

            with _stream(pg, low, high) as rows:
                segment = verify_stored(
                    rows,
                    expected_prev=None,
                    checkpoint_seqs=wanted,
                    batch=_PROGRESS_EVERY,
                    on_batch=count,
                )
            cursor.execute("COMMIT")
        sender.send(("ok", segment))
    except BaseException as error:  # the parent raises it
        sender.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        sender.close()


def _verify_in_parallel(
    wanted: set[int], progress: Callable[[int], None] | None, processes: int
) -> Segment:
    context = multiprocessing.get_context("fork")
    table = sql.Identifier(AuditEvent._meta.db_table)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: Django's loaders, none of its wrapping
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(
            sql.SQL("SELECT min(seq), max(seq), pg_export_snapshot() FROM {}").format(table)
        )
        low, high, snapshot = cursor.fetchone()
        if low is None or high - low + 1 < PARALLEL_MIN_EVENTS:
            processes = 1
        low, high = low or 0, high or 0
        step = (high - low + processes) // processes
        ranges = [(start, min(start + step - 1, high)) for start in range(low, high + 1, step)]
        params = connection.get_connection_params()
        children = []
        try:
            for start, end in ranges[1:]:
                counter = context.RawValue("q", 0)
                receiver, sender = context.Pipe(duplex=False)
                child = context.Process(
                    target=_verify_range,
                    args=(
                        params,
                        connection.timezone_name,
                        snapshot,
                        start,
                        end,
                        wanted,
                        counter,
                        sender,
                    ),
                    daemon=True,
                )
                child.start()
                sender.close()
                children.append((child, receiver, counter))

            def report(done: int) -> None:
                if progress is not None:
                    progress(done + sum(counter.value for _c, _r, counter in children))

            with _stream(connection.connection, *ranges[0]) as rows:
                segment = verify_stored(
                    rows, checkpoint_seqs=wanted, batch=_PROGRESS_EVERY, on_batch=report
                )
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
        finally:
            for child, receiver, _counter in children:
                receiver.close()
                if child.is_alive():
                    child.terminate()
                child.join()
    return segment


def _verify_postgresql(
    wanted: set[int], progress: Callable[[int], None] | None, processes: int
) -> Segment:
    if processes > 1 and _can_fork():
        return _verify_in_parallel(wanted, progress, processes)
    connection.ensure_connection()
    with _stream(connection.connection, -(2**63), 2**63 - 1) as rows:
        return verify_stored(rows, checkpoint_seqs=wanted, batch=_PROGRESS_EVERY, on_batch=progress)


def verify_trail(
    *, progress: Callable[[int], None] | None = None, processes: int | None = None
) -> Report:
    """Recompute the chain and check it against every checkpoint.

    `progress` is called now and then with the number of events checked so far.
    `processes` caps how many processes check a large trail on PostgreSQL (default: the
    CPUs available, at most 4).
    """
    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    wanted = {checkpoint.seq for checkpoint in checkpoints}
    if connection.vendor == "postgresql":
        segment = _verify_postgresql(
            wanted, progress, processes if processes is not None else _default_processes()
        )
    else:
        segment = _verify_with_the_orm(wanted)
    if segment.broken is not None:
        broken = segment.broken
        return Report(False, 0, f"Broken at event #{broken.seq}: {broken.reason}.", broken.seq)
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
    return Report(True, result, f"{result} events verified against {len(checkpoints)} checkpoints.")
