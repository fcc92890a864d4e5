"""Background work for applications: each task takes ids and calls one service."""

from celery import shared_task
from django.utils import timezone

from accounts.emails import send_templated
from config.tasks import RETRY_MAIL, RETRY_TRANSIENT

from . import services


# once=False: the service is idempotent on its own (it locks the application, and a copy that
# comes again finds these facts assessed and the application moved on from "submitted", even
# when a policy was published in between), so a submission's assessment takes no delivery
# lock and writes no receipt.
@shared_task(bind=True, once=False, **RETRY_TRANSIENT)
def assess_application(self, application_id: int) -> None:
    """Assess the application against the published policy (idempotent)."""
    services.application_assess(application_id=application_id, now=timezone.now())


@shared_task(bind=True, **RETRY_TRANSIENT)
def simulate_policy(self, simulation_id: int) -> None:
    """Simulate a draft policy version over every application, chunk by chunk."""
    while services.policy_simulation_step(simulation_id=simulation_id, now=timezone.now()):
        pass


@shared_task(bind=True, **RETRY_TRANSIENT)
def reassess_part(self, part_id: int) -> None:
    """Re-assess one id range of a run under a newly published version, by chunks (the run's
    parts go to whichever workers are free)."""
    while services.reassessment_step(part_id=part_id, now=timezone.now()):
        pass


@shared_task(**RETRY_TRANSIENT)
def process_approval_expiry() -> dict:
    """Send re-attestation reminders and expire lapsed approvals (run by Celery beat)."""
    return services.process_approval_expiry(now=timezone.now())


@shared_task(**RETRY_MAIL)
def send_review_email(action_id: int) -> None:
    """Tell the applicant about a decision or the reviewer's questions."""
    from .models import ReviewAction

    action = (
        ReviewAction.objects.select_related("application__created_by")
        .prefetch_related("reason_codes")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        return
    template = {
        "approve": "decision-approved",
        "deny": "decision-denied",
        "request_info": "information-request",
    }.get(action.kind)
    if template is None:
        return
    application = action.application
    send_templated(
        template,
        application.created_by.email,
        {"application": application, "action": action, "path": application.get_absolute_url()},
    )


@shared_task(**RETRY_MAIL)
def send_reattestation_reminder(application_id: int, days: int) -> None:
    """Tell the applicant their approval lapses in `days` days and how to re-attest."""
    from .models import Application

    application = (
        Application.objects.select_related("created_by")
        .filter(pk=application_id, status=Application.Status.APPROVED)
        .first()
    )
    if application is not None:
        send_templated(
            "reattestation-reminder",
            application.created_by.email,
            {"application": application, "days": days, "path": application.get_absolute_url()},
        )


@shared_task(**RETRY_MAIL)
def send_sla_digest() -> int:
    """Email senior reviewers the applications past their SLA (run daily by Celery beat)."""
    from accounts.models import StaffGroup, User

    from .selectors import overdue_applications

    overdue = list(overdue_applications(now=timezone.now()))
    if not overdue:
        return 0
    seniors = User.objects.filter(is_active=True, groups__name=StaffGroup.SENIOR_REVIEWER)
    for senior in seniors.distinct():
        send_templated("sla-digest", senior.email, {"applications": overdue, "user": senior})
    return len(overdue)


@shared_task(**RETRY_TRANSIENT)
def sweep_unassessed() -> int:
    """Queue the assessment of applications whose task was never published (broker outage)."""
    from datetime import timedelta

    from .models import Application

    stale = timezone.now() - timedelta(minutes=2)
    pending = Application.objects.filter(status="submitted", updated_at__lt=stale).values_list(
        "pk", flat=True
    )
    count = 0
    for application_id in pending.iterator():
        assess_application.delay(application_id)
        count += 1
    return count
