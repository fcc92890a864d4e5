"""Signed checkpoints of the chain head: a rewrite of the table shows against the last one."""

import hashlib
import hmac
import logging

from django.conf import settings
from django.db import transaction

from .models import AuditCheckpoint, AuditEvent

logger = logging.getLogger("gatehouse.audit.checkpoint")


def _key() -> bytes:
    return settings.AUDIT_CHECKPOINT_KEY.encode()


def sign(seq: int, head_hash: str, events: int) -> str:
    """Return the HMAC-SHA256 of a checkpoint's content with the key from the environment."""
    message = f"{seq}:{head_hash}:{events}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def signature_valid(checkpoint: AuditCheckpoint) -> bool:
    expected = sign(checkpoint.seq, checkpoint.hash, checkpoint.events)
    return hmac.compare_digest(expected, checkpoint.signature)


@transaction.atomic
def checkpoint_write(*, now) -> AuditCheckpoint | None:
    """Record the chain head, signed; also log it, so a copy lives outside the database."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        return None
    seq, head_hash = head
    events = AuditEvent.objects.count()
    checkpoint = AuditCheckpoint.objects.create(
        seq=seq,
        hash=head_hash,
        events=events,
        created_at=now,
        signature=sign(seq, head_hash, events),
    )
    logger.warning(
        "audit checkpoint seq=%s events=%s hash=%s signature=%s",
        seq,
        events,
        head_hash,
        checkpoint.signature,
    )
    return checkpoint
