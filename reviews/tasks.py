"""Background work for applications: each task takes ids and calls one service."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def assess_application(self, application_id: int) -> None:
    """Assess the application against the published policy (idempotent)."""
    services.application_assess(application_id=application_id, now=timezone.now())


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def simulate_policy(self, simulation_id: int) -> None:
    """Simulate a draft policy version over every application, chunk by chunk."""
    while services.policy_simulation_step(simulation_id=simulation_id, now=timezone.now()):
        pass


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def reassess_applications(self, reassessment_id: int) -> None:
    """Re-assess open and approved applications under a newly published version, by chunks."""
    while services.reassessment_step(reassessment_id=reassessment_id, now=timezone.now()):
        pass
