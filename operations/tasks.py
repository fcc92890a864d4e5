"""Housekeeping for the operations records."""

from celery import shared_task
from django.utils import timezone

from config.tasks import RETRY_TRANSIENT

from .services import task_records_prune


@shared_task(**RETRY_TRANSIENT)
def prune_task_records() -> dict[str, int]:
    """Delete old delivery receipts and stale heartbeats (run daily by Celery beat)."""
    return task_records_prune(now=timezone.now())
