"""Audit background work."""

from celery import shared_task
from django.utils import timezone

from config.tasks import RETRY_TRANSIENT

from .checkpoints import checkpoint_write


@shared_task(**RETRY_TRANSIENT)
def write_checkpoint() -> int | None:
    """Sign and record the chain head (run by Celery beat)."""
    checkpoint = checkpoint_write(now=timezone.now())
    return checkpoint.seq if checkpoint else None
