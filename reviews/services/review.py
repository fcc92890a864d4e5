"""Reviewers' writes: claim and assign, approve, deny, escalate, request information.

Every action locks the application row, replays an idempotency key to its first result,
checks the form's version (so two reviewers never act on different pictures of the same
application), checks the rules below, and records the action and its audit event together.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from accounts.selectors import has_conflict_of_interest, user_is_reviewer, user_is_senior_reviewer
from audit.services import audit_record
from config.tasks import enqueue_after_commit
from entitlements import services as entitlement_services

from .. import workflow
from ..models import Application, Assessment, InformationRequest, Outcome, ReviewAction
from .applications import ReviewError, facts_hash

Kind = ReviewAction.Kind
_VERBS = {
    Kind.APPROVE: "application.approved",
    Kind.APPROVAL_VOTE: "application.approval_recorded",
    Kind.DENY: "application.denied",
    Kind.ESCALATE: "application.escalated",
    Kind.REQUEST_INFO: "application.information_requested",
}


class ConflictError(ReviewError):
    """Someone else acted first; the message says who and what."""


@dataclass(frozen=True)
class ActionResult:
    action: ReviewAction
    replayed: bool = False

    @property
    def message(self) -> str:
        return {
            Kind.APPROVE: "approved",
            Kind.APPROVAL_VOTE: "has your approval; a second reviewer must approve too",
            Kind.DENY: "denied",
            Kind.ESCALATE: "escalated to senior reviewers",
            Kind.REQUEST_INFO: "sent back to the applicant with your questions",
        }[self.action.kind]


def _role(actor) -> str:
    return "senior_reviewer" if user_is_senior_reviewer(actor) else "reviewer"


def _lock(application_id: int) -> Application:
    # of=("self",): PostgreSQL cannot lock the nullable side of the assignee join.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("organization", "assignee")
        .get(pk=application_id)
    )


def _last_action(application: Application) -> ReviewAction | None:
    return application.actions.select_related("actor").order_by("-created_at", "-id").first()


def _check_current(application: Application, version: int | None) -> None:
    if application.is_decided:
        last = _last_action(application)
        who = f" by {last.actor.get_full_name()}" if last else ""
        raise ConflictError(
            f"This application was already {application.get_status_display().lower()}{who}."
        )
    if version is not None and version != application.version:
        last = _last_action(application)
        what = f" ({last.actor.get_full_name()}: {last.get_kind_display().lower()})" if last else ""
        raise ConflictError(
            f"This application changed since you opened it{what}. Look at it again before acting."
        )


def decision_problem(
    *, actor, application, assessment, kind: str, escalated_by=None, votes=()
) -> str | None:
    """Return why `actor` may not take `kind` on the application now, or None.

    The one place the review rules live.
    """
    if not user_is_reviewer(actor):
        return "Only reviewers can act on applications."
    if has_conflict_of_interest(actor, application.organization_id):
        return "You belong to this organization, so you cannot review its application."
    if application.status == Application.Status.SUBMITTED or assessment is None:
        return "This application has not been assessed yet; try again in a moment."
    action = "approve" if kind == Kind.APPROVAL_VOTE else kind
    if not workflow.allowed(application.status, action):
        return _transition_message(application, action)
    senior = user_is_senior_reviewer(actor)
    if application.status == Application.Status.ESCALATED and not senior:
        return "This application is escalated: a senior reviewer decides it."
    if kind in (Kind.APPROVE, Kind.APPROVAL_VOTE):
        if assessment.outcome == Outcome.PROHIBITED:
            return "The policy prohibits this use case, so it cannot be approved."
        if assessment.outcome == Outcome.ESCALATE and not senior:
            return "This application needs a senior reviewer's approval."
        if escalated_by is not None and escalated_by == actor.pk and not votes:
            return "You escalated this application, so another senior reviewer must approve it."
        if any(vote.actor_id == actor.pk for vote in votes):
            return "You already approved it; a second, different reviewer must approve too."
    return None


def _transition_message(application, action: str) -> str:
    try:
        workflow.next_status(application.status, action)
    except workflow.TransitionError as error:
        return str(error)
    return ""


def _latest_assessment(application: Application) -> Assessment | None:
    """The newest assessment of the facts the application holds now."""
    return (
        application.assessments.filter(facts_hash=facts_hash(application.facts))
        .order_by("-assessed_at", "-id")
        .first()
    )


def _replay(key: uuid.UUID | None) -> ReviewAction | None:
    if key is None:
        return None
    return ReviewAction.objects.filter(idempotency_key=key).select_related("application").first()


@transaction.atomic
def review_act(
    *,
    actor,
    application_id: int,
    kind: str,
    reason: str,
    now: datetime,
    idempotency_key: uuid.UUID | None = None,
    version: int | None = None,
    internal_note: str = "",
    reason_codes=(),
    conditions: str = "",
    expires_at: datetime | None = None,
) -> ActionResult:
    """Take one reviewer action on the application; replaying its key returns the first result."""
    if kind in (Kind.DENY, Kind.ESCALATE, Kind.REQUEST_INFO) and not reason.strip():
        raise ReviewError("Give the reason for this action.")
    application = _lock(application_id)
    if (earlier := _replay(idempotency_key)) is not None:
        if earlier.application_id != application.pk or earlier.actor_id != actor.pk:
            raise ReviewError("This form was already used for another action.")
        return ActionResult(earlier, replayed=True)
    _check_current(application, version)
    assessment = _latest_assessment(application)
    votes = ()
    if kind == Kind.APPROVE and assessment is not None:
        votes = tuple(application.actions.filter(kind=Kind.APPROVAL_VOTE, assessment=assessment))
    escalation = application.actions.filter(kind=Kind.ESCALATE).order_by("-created_at").first()
    problem = decision_problem(
        actor=actor,
        application=application,
        assessment=assessment,
        kind=kind,
        escalated_by=escalation.actor_id
        if escalation and application.status == "escalated"
        else None,
        votes=votes,
    )
    if problem:
        raise ReviewError(problem)
    if (
        kind == Kind.APPROVE
        and assessment.score >= settings.FOUR_EYES_MIN_SCORE
        and not any(vote.actor_id != actor.pk for vote in votes)
    ):
        kind = Kind.APPROVAL_VOTE  # the first of two approvals: the status does not move yet
    old_status = application.status
    action = ReviewAction.objects.create(
        application=application,
        actor=actor,
        kind=kind,
        reason=reason,
        internal_note=internal_note,
        conditions=conditions,
        assessment=assessment,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    if reason_codes:
        action.reason_codes.set(reason_codes)
    _apply(application, action, now=now, expires_at=expires_at)
    payload = {
        "old_status": old_status,
        "new_status": application.status,
        "reason": reason,
        "assessment_id": assessment.pk if assessment else None,
        "assessed_outcome": assessment.outcome if assessment else None,
        "score": assessment.score if assessment else None,
    }
    if internal_note:
        payload["internal_note"] = internal_note
    if reason_codes:
        payload["reason_codes"] = sorted(code.code for code in reason_codes)
    if conditions:
        payload["conditions"] = conditions
    if kind in (Kind.APPROVE, Kind.APPROVAL_VOTE, Kind.DENY):
        payload["signature"] = {
            "printed_name": actor.get_full_name(),
            "meaning": kind,
            "time": now.isoformat(),
        }
    audit_record(
        actor=actor,
        actor_role=_role(actor),
        verb=_VERBS[kind],
        obj=application,
        organization=application.organization,
        payload=payload,
    )
    if application.status == Application.Status.APPROVED and old_status != application.status:
        entitlement_services.grant_for_approval(application_id=application.pk, now=now)
    if kind in (Kind.APPROVE, Kind.DENY, Kind.REQUEST_INFO):
        from ..tasks import send_review_email

        enqueue_after_commit(send_review_email, action.pk)
    return ActionResult(action)


def _apply(application: Application, action: ReviewAction, *, now, expires_at) -> None:
    kind = action.kind
    if kind == Kind.APPROVAL_VOTE:
        application.version += 1
        application.save(update_fields=["version"])
        return
    application.status = workflow.next_status(application.status, kind)
    if kind in (Kind.APPROVE, Kind.DENY):
        application.decided_at = now
        application.assignee = None
    if kind == Kind.APPROVE:
        validity = timedelta(days=settings.APPROVAL_VALIDITY_DAYS)
        application.expires_at = expires_at or now + validity
        application.needs_rereview = False
    if kind == Kind.REQUEST_INFO:
        application.sla_paused_at = now
        InformationRequest.objects.create(
            application=application, asked_by=action.actor, questions=action.reason, asked_at=now
        )
        if not application.draft_data and application.facts:
            from ..forms.steps import draft_data_from_facts

            application.draft_data = draft_data_from_facts(application.facts, application.title)
    application.version += 1
    application.save()


@transaction.atomic
def review_claim(*, actor, application_id: int, now: datetime) -> Application:
    """Take an unassigned application to work on."""
    application = _lock(application_id)
    problem = _assignment_problem(actor, application)
    if problem:
        raise ReviewError(problem)
    if application.assignee_id not in (None, actor.pk):
        raise ConflictError(f"{application.assignee.get_full_name()} already works on it.")
    return _assign(actor, application, actor, now, "application.claimed")


@transaction.atomic
def review_release(*, actor, application_id: int, now: datetime) -> Application:
    application = _lock(application_id)
    if application.assignee_id != actor.pk and not user_is_senior_reviewer(actor):
        raise ReviewError("Only the assignee or a senior reviewer can release it.")
    return _assign(actor, application, None, now, "application.released")


@transaction.atomic
def review_assign(*, actor, application_id: int, assignee, now: datetime) -> Application:
    """Give an application to a reviewer (senior reviewers only)."""
    if not user_is_senior_reviewer(actor):
        raise ReviewError("Only senior reviewers assign applications.")
    application = _lock(application_id)
    problem = _assignment_problem(assignee, application)
    if problem:
        raise ReviewError(
            f"{assignee.get_full_name()} cannot take it: {problem[0].lower()}{problem[1:]}"
        )
    return _assign(actor, application, assignee, now, "application.assigned")


def _assignment_problem(user, application) -> str | None:
    if not user_is_reviewer(user):
        return "Only reviewers work on applications."
    if has_conflict_of_interest(user, application.organization_id):
        return "You belong to this organization, so you cannot review its application."
    if application.status not in (
        Application.Status.IN_REVIEW,
        Application.Status.ESCALATED,
        Application.Status.SUBMITTED,
        Application.Status.INFO_REQUESTED,
    ):
        return "Only open applications can be assigned."
    return None


def _assign(actor, application, assignee, now, verb) -> Application:
    before = application.assignee.email if application.assignee else None
    application.assignee = assignee
    application.assigned_at = now if assignee else None
    application.save(update_fields=["assignee", "assigned_at"])
    audit_record(
        actor=actor,
        actor_role=_role(actor),
        verb=verb,
        obj=application,
        organization=application.organization,
        payload={"before": before, "after": assignee.email if assignee else None},
    )
    return application


def application_decide(*, actor, application_id: int, kind: str, reason: str, now: datetime):
    """Approve or deny with a reason (the short form of `review_act`); return the action."""
    return review_act(
        actor=actor, application_id=application_id, kind=kind, reason=reason, now=now
    ).action
