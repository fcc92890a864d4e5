"""Reads for operations."""

from datetime import datetime, timedelta

from django.conf import settings

from .models import WorkerHeartbeat


def worker_alive(*, now: datetime) -> bool:
    """Return whether some worker recorded a heartbeat within WORKER_HEARTBEAT_STALE_AFTER."""
    fresh_since = now - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_AFTER)
    return WorkerHeartbeat.objects.filter(last_seen_at__gte=fresh_since).exists()
