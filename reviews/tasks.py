"""Background work for applications: each task takes ids and calls one service."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def assess_application(self, application_id: int) -> None:
    """Assess the application against the published policy (idempotent)."""
    services.application_assess(application_id=application_id, now=timezone.now())
