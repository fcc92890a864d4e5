"""Write applications, assessments and decisions; each write records its audit event."""

import hashlib
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import has_conflict_of_interest, user_is_reviewer, user_is_senior_reviewer
from audit.services import audit_record
from reviews.decision import evaluate, parse_facts

from .. import workflow
from ..models import Application, Assessment, Outcome, ReviewAction
from ..policy import published_policy


class ReviewError(Exception):
    """A review action that the workflow refuses; the message is shown to the reviewer."""


def workflow_message(application: Application, action: str) -> str:
    try:
        workflow.next_status(application.status, action)
    except workflow.TransitionError as error:
        return str(error)
    return ""


def facts_hash(facts: dict) -> str:
    """Return a stable hash of the facts, so the same facts are assessed once per policy."""
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def application_submit(*, actor, organization, role: str, title: str, facts: dict) -> Application:
    """File an application for the organization and schedule its assessment after commit."""
    if has_conflict_of_interest(actor, organization.pk):
        raise ReviewError(
            "Provider staff cannot file applications for an organization they belong to."
        )
    canonical = parse_facts(facts).to_dict()
    now = timezone.now()
    application = Application.objects.create(
        organization=organization,
        created_by=actor,
        title=title,
        facts=canonical,
        status=Application.Status.SUBMITTED,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    audit_record(
        actor=actor,
        actor_role=role,
        verb="application.submitted",
        obj=application,
        organization=organization,
        payload={"title": title, "facts": canonical},
    )
    from ..tasks import assess_application  # the tasks module imports this one

    transaction.on_commit(lambda: assess_application.delay(application.pk))
    return application


@transaction.atomic
def application_assess(*, application_id: int, now: datetime) -> Assessment:
    """Assess the application under the published policy; reuse an identical earlier result."""
    application = Application.objects.select_for_update().get(pk=application_id)
    version, policy = published_policy()
    digest = facts_hash(application.facts)
    existing = Assessment.objects.filter(
        application=application, policy_version=version, facts_hash=digest
    ).first()
    if existing is not None:
        return existing
    result = evaluate(policy, parse_facts(application.facts), now=now)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                application=application,
                policy_version=version,
                facts_hash=digest,
                outcome=result.outcome.value,
                score=result.score,
                result=result.to_dict(),
                assessed_at=now,
            )
    except IntegrityError:
        # A re-assessment run assessed the same facts under this version meanwhile.
        return Assessment.objects.get(
            application=application, policy_version=version, facts_hash=digest
        )
    if workflow.allowed(application.status, "assess"):
        application.status = workflow.next_status(application.status, "assess")
        application.save(update_fields=["status"])
    audit_record(
        actor=None,
        actor_role="system",
        verb="application.assessed",
        obj=application,
        organization=application.organization,
        payload={
            "assessment_id": assessment.pk,
            "outcome": assessment.outcome,
            "score": assessment.score,
            "policy_version": version.version,
            "policy_hash": version.content_hash,
            "rules": [hit["rule"] for hit in assessment.hits],
        },
    )
    return assessment


def _check_may_decide(*, actor, application: Application, kind: str) -> Assessment:
    if not user_is_reviewer(actor):
        raise ReviewError("Only reviewers can decide applications.")
    if has_conflict_of_interest(actor, application.organization_id):
        raise ReviewError("You belong to this organization, so you cannot review its application.")
    if application.is_decided:
        raise ReviewError(
            f"This application was already {application.get_status_display().lower()}."
        )
    assessment = application.assessments.order_by("-assessed_at", "-id").first()
    if application.status != Application.Status.IN_REVIEW or assessment is None:
        raise ReviewError("This application has not been assessed yet; try again in a moment.")
    if kind == ReviewAction.Kind.APPROVE:
        if assessment.outcome == Outcome.PROHIBITED:
            raise ReviewError("The policy prohibits this use case, so it cannot be approved.")
        if assessment.outcome == Outcome.ESCALATE and not user_is_senior_reviewer(actor):
            raise ReviewError("This application needs a senior reviewer's approval.")
    return assessment


@transaction.atomic
def application_decide(
    *, actor, application_id: int, kind: str, reason: str, now: datetime
) -> ReviewAction:
    """Approve or deny the application, once, with the reviewer's reason."""
    application = (
        Application.objects.select_for_update()
        .select_related("organization")
        .get(pk=application_id)
    )
    assessment = _check_may_decide(actor=actor, application=application, kind=kind)
    old_status = application.status
    try:
        with transaction.atomic():
            action = ReviewAction.objects.create(
                application=application, actor=actor, kind=kind, reason=reason, created_at=now
            )
    except IntegrityError:
        raise ReviewError("This application has already been decided.") from None
    application.status = (
        Application.Status.APPROVED
        if kind == ReviewAction.Kind.APPROVE
        else Application.Status.DENIED
    )
    application.decided_at = now
    if kind == ReviewAction.Kind.APPROVE:
        application.expires_at = now + timedelta(days=settings.APPROVAL_VALIDITY_DAYS)
    application.save(update_fields=["status", "decided_at", "expires_at"])
    audit_record(
        actor=actor,
        actor_role="senior_reviewer" if user_is_senior_reviewer(actor) else "reviewer",
        verb=f"application.{'approved' if kind == ReviewAction.Kind.APPROVE else 'denied'}",
        obj=application,
        organization=application.organization,
        payload={
            "old_status": old_status,
            "new_status": application.status,
            "reason": reason,
            "assessment_id": assessment.pk,
            "assessed_outcome": assessment.outcome,
            "signature": {
                "printed_name": actor.get_full_name(),
                "meaning": kind,
                "time": now.isoformat(),
            },
        },
    )
    return action


@transaction.atomic
def applications_flag_for_rereview(*, organization, reason: str, now: datetime) -> int:
    """Send the organization's approved applications back for re-review; return how many."""
    approved = list(
        Application.objects.select_for_update().filter(
            organization=organization, status=Application.Status.APPROVED, needs_rereview=False
        )
    )
    for application in approved:
        application.needs_rereview = True
        application.rereview_reason = reason
        audit_record(
            actor=None,
            actor_role="system",
            verb="application.flagged_for_rereview",
            obj=application,
            organization=organization,
            payload={"reason": reason, "at": now.isoformat()},
        )
    Application.objects.bulk_update(approved, ["needs_rereview", "rereview_reason"])
    return len(approved)
