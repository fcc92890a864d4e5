"""Verify the whole trail against its hashes and its signed checkpoints."""

from dataclasses import dataclass

from django.db import connection

from .chain import FIELDS, Break, verify_chain
from .checkpoints import signature_valid
from .models import AuditCheckpoint, AuditEvent

_BATCH = 5000


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


def verify_trail() -> Report:
    """Recompute the chain and check it against every checkpoint."""
    hashes_at: dict[int, str] = {}
    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    wanted = {checkpoint.seq for checkpoint in checkpoints}

    def remember(rows):
        for row in rows:
            if row[0] in wanted:
                hashes_at[row[0]] = row[2]
            yield row

    result = list(verify_chain(remember(_rows())))[-1]
    if isinstance(result, Break):
        return Report(False, 0, f"Broken at event #{result.seq}: {result.reason}.", result.seq)
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
