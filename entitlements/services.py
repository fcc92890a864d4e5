"""Writes for entitlements: grant on approval, suspend, revoke, reinstate, expire, withdraw,
flag for re-review. Each locks the rows it changes, records one audit event in the same
transaction, and schedules webhook deliveries (and mail) after commit.
"""

import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.selectors import has_conflict_of_interest, user_is_senior_reviewer
from audit.services import audit_record
from config.tasks import enqueue_after_commit
from reviews.models import Application, ReviewAction

from .models import Entitlement, WebhookDelivery, WebhookEndpoint

S = Entitlement.Status

# Webhook event for each entitlement change.
GRANTED = "entitlement.granted"
CHANGED = "entitlement.changed"
EXPIRED = "entitlement.expired"
REVOKED = "entitlement.revoked"


class EntitlementError(Exception):
    """A change the rules refuse; the message is shown to the person who asked."""


def _lock_application(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=application_id)
    )


def _approval(application: Application) -> ReviewAction | None:
    return (
        application.actions.filter(kind=ReviewAction.Kind.APPROVE).order_by("-created_at").first()
    )


@transaction.atomic
def grant_for_approval(*, application_id: int, now: datetime | None = None) -> list[Entitlement]:
    """Create the approved application's entitlements: each subscription x capability.

    Idempotent: a second call creates nothing and records nothing. Call it in the approving
    transaction (or after it); an application that is not approved gets none.
    """
    now = now or timezone.now()
    application = _lock_application(application_id)
    approval = _approval(application)
    if application.status != Application.Status.APPROVED or approval is None:
        return []
    facts = application.facts or {}
    existing = set(application.entitlements.values_list("subscription", "capability"))
    valid_from = application.decided_at or approval.created_at
    new = [
        Entitlement(
            organization=application.organization,
            application=application,
            approval=approval,
            subscription=subscription,
            capability=capability,
            use_case=facts.get("use_case", ""),
            conditions=approval.conditions,
            valid_from=valid_from,
            valid_until=application.expires_at,
            needs_rereview=application.needs_rereview,
            rereview_reason=application.rereview_reason,
            created_at=now,
            updated_at=now,
        )
        for subscription in sorted(set(application.subscriptions or []))
        for capability in sorted(set(facts.get("capabilities", [])))
        if (subscription, capability) not in existing
    ]
    if not new:
        return []
    created = Entitlement.objects.bulk_create(new)
    audit_record(
        actor=None,
        actor_role="system",
        verb="entitlement.granted",
        obj=application,
        organization=application.organization,
        payload={
            "approval_id": approval.pk,
            "entitlements": [_describe(e) for e in created],
            "valid_until": application.expires_at.isoformat(),
        },
    )
    _announce(application, GRANTED, created, now)
    return created


def _senior_or_refuse(actor, application: Application) -> None:
    if not user_is_senior_reviewer(actor):
        raise EntitlementError("Only senior reviewers can suspend, revoke or reinstate approvals.")
    if has_conflict_of_interest(actor, application.organization_id):
        raise EntitlementError("You belong to this organization, so you cannot act on it.")


def _change(
    *,
    application_id: int,
    actor,
    actor_role: str,
    verb: str,
    event: str,
    target: str,
    sources: Iterable[str],
    reason: str,
    now: datetime,
    check=None,
) -> list[Entitlement]:
    """Move the application's entitlements in `sources` to `target`; audit once."""
    reason = (reason or "").strip()
    if not reason:
        raise EntitlementError("Give a reason: the applicant reads it.")
    application = _lock_application(application_id)
    if check is not None:
        check(actor, application)
    rows = list(
        Entitlement.objects.select_for_update()
        .filter(application=application, status__in=list(sources))
        .order_by("pk")
    )
    if not rows:
        return []
    before = {row.pk: row.status for row in rows}
    for row in rows:
        row.status = target
        row.status_reason = reason
        row.status_changed_at = now
        row.updated_at = now
    Entitlement.objects.bulk_update(
        rows, ["status", "status_reason", "status_changed_at", "updated_at"]
    )
    audit_record(
        actor=actor,
        actor_role=actor_role,
        verb=verb,
        obj=application,
        organization=application.organization,
        payload={
            "reason": reason,
            "entitlements": [{**_describe(row), "was": before[row.pk]} for row in rows],
        },
    )
    _announce(application, event, rows, now)
    return rows


def _staff_role(actor) -> str:
    return "senior_reviewer" if user_is_senior_reviewer(actor) else "reviewer"


@transaction.atomic
def suspend(*, actor, application_id: int, reason: str, now: datetime) -> list[Entitlement]:
    """Suspend the approval's active entitlements until a senior reviewer reinstates them."""
    rows = _change(
        application_id=application_id,
        actor=actor,
        actor_role=_staff_role(actor),
        verb="entitlement.suspended",
        event=CHANGED,
        target=S.SUSPENDED,
        sources=[S.ACTIVE],
        reason=reason,
        now=now,
        check=_senior_or_refuse,
    )
    if not rows:
        raise EntitlementError("This approval has no active entitlements to suspend.")
    _mail(application_id, "suspended")
    return rows


@transaction.atomic
def revoke(*, actor, application_id: int, reason: str, now: datetime) -> list[Entitlement]:
    """Revoke the approval's entitlements for good (active or suspended)."""
    rows = _change(
        application_id=application_id,
        actor=actor,
        actor_role=_staff_role(actor),
        verb="entitlement.revoked",
        event=REVOKED,
        target=S.REVOKED,
        sources=[S.ACTIVE, S.SUSPENDED],
        reason=reason,
        now=now,
        check=_senior_or_refuse,
    )
    if not rows:
        raise EntitlementError("This approval has no entitlements left to revoke.")
    _mail(application_id, "revoked")
    return rows


@transaction.atomic
def reinstate(*, actor, application_id: int, reason: str, now: datetime) -> list[Entitlement]:
    """End a suspension: the entitlements are active again until they expire."""
    rows = _change(
        application_id=application_id,
        actor=actor,
        actor_role=_staff_role(actor),
        verb="entitlement.reinstated",
        event=CHANGED,
        target=S.ACTIVE,
        sources=[S.SUSPENDED],
        reason=reason,
        now=now,
        check=_senior_or_refuse,
    )
    if not rows:
        raise EntitlementError("This approval has no suspended entitlements.")
    _mail(application_id, "reinstated")
    return rows


@transaction.atomic
def withdraw(*, application_id: int, reason: str, now: datetime, actor=None, actor_role="system"):
    """End the entitlements of an approval its organization gave up."""
    return _change(
        application_id=application_id,
        actor=actor,
        actor_role=actor_role,
        verb="entitlement.withdrawn",
        event=CHANGED,
        target=S.WITHDRAWN,
        sources=[S.ACTIVE, S.SUSPENDED],
        reason=reason,
        now=now,
    )


@transaction.atomic
def expire_for_application(*, application_id: int, now: datetime) -> list[Entitlement]:
    """Expire the application's live entitlements (its approval lapsed)."""
    return _change(
        application_id=application_id,
        actor=None,
        actor_role="system",
        verb="entitlement.expired",
        event=EXPIRED,
        target=S.EXPIRED,
        sources=[S.ACTIVE, S.SUSPENDED],
        reason="The approval expired.",
        now=now,
    )


def expire_due(*, now: datetime) -> int:
    """Expire every live entitlement past its end, one application per transaction."""
    due = (
        Entitlement.objects.filter(status__in=[S.ACTIVE, S.SUSPENDED], valid_until__lte=now)
        .values_list("application_id", flat=True)
        .distinct()
    )
    count = 0
    for application_id in list(due):
        # Every entitlement of an application ends with its approval, at the same time.
        count += len(expire_for_application(application_id=application_id, now=now))
    return count


@transaction.atomic
def flag_for_rereview(*, application_id: int, reason: str, now: datetime) -> list[Entitlement]:
    """Mark the approval's live entitlements as under re-review (a policy or profile change).

    They stay allowed unless ENTITLEMENTS_REREVIEW_BLOCKS is set: a senior reviewer decides,
    and can suspend or revoke at once.
    """
    application = _lock_application(application_id)
    rows = list(
        Entitlement.objects.select_for_update()
        .filter(application=application, status__in=[S.ACTIVE, S.SUSPENDED], needs_rereview=False)
        .order_by("pk")
    )
    if not rows:
        return []
    for row in rows:
        row.needs_rereview = True
        row.rereview_reason = reason
        row.updated_at = now
    Entitlement.objects.bulk_update(rows, ["needs_rereview", "rereview_reason", "updated_at"])
    audit_record(
        actor=None,
        actor_role="system",
        verb="entitlement.flagged_for_rereview",
        obj=application,
        organization=application.organization,
        payload={"reason": reason, "entitlements": [_describe(row) for row in rows]},
    )
    _announce(application, CHANGED, rows, now)
    return rows


def sync_for_application(*, application_id: int, now: datetime | None = None) -> None:
    """Bring the application's entitlements in line with its status and re-review flag.

    The one call the review workflow needs after approving, expiring or flagging.
    """
    now = now or timezone.now()
    application = Application.objects.get(pk=application_id)
    if application.status == Application.Status.APPROVED:
        grant_for_approval(application_id=application_id, now=now)
        if application.needs_rereview:
            flag_for_rereview(
                application_id=application_id, reason=application.rereview_reason, now=now
            )
    elif application.status == Application.Status.EXPIRED:
        expire_for_application(application_id=application_id, now=now)
    elif application.status == Application.Status.WITHDRAWN:
        withdraw(application_id=application_id, reason="The application was withdrawn.", now=now)


def _describe(entitlement: Entitlement) -> dict:
    return {
        "id": entitlement.pk,
        "subscription": entitlement.subscription,
        "capability": entitlement.capability,
        "status": entitlement.status,
    }


def entitlement_payload(entitlement: Entitlement) -> dict:
    """Return the entitlement as the API and the webhooks show it."""
    return {
        "id": entitlement.pk,
        "organization_id": entitlement.organization_id,
        "application_id": entitlement.application_id,
        "approval_id": entitlement.approval_id,
        "subscription": entitlement.subscription,
        "capability": entitlement.capability,
        "use_case": entitlement.use_case,
        "conditions": entitlement.conditions,
        "valid_from": entitlement.valid_from.isoformat(),
        "valid_until": entitlement.valid_until.isoformat(),
        "status": entitlement.status,
        "status_reason": entitlement.status_reason,
        "needs_rereview": entitlement.needs_rereview,
    }


def _announce(application: Application, event: str, rows: list[Entitlement], now) -> None:
    """Queue one delivery of the event to each active endpoint that may see it."""
    endpoints = WebhookEndpoint.objects.filter(active=True).filter(
        organization_id__in=[application.organization_id]
    ) | WebhookEndpoint.objects.filter(active=True, organization__isnull=True)
    payload = {
        "id": str(uuid.uuid4()),
        "event": event,
        "occurred_at": now.isoformat(),
        "application_id": application.pk,
        "organization_id": application.organization_id,
        "entitlements": [entitlement_payload(row) for row in rows],
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            entitlement=rows[0] if len(rows) == 1 else None,
            payload=payload,
            created_at=now,
        )
        for endpoint in endpoints.distinct()
    )
    if deliveries:
        from .tasks import deliver_webhook  # the tasks module imports this one

        for delivery in deliveries:
            enqueue_after_commit(deliver_webhook, delivery.pk)


def _mail(application_id: int, change: str) -> None:
    from .tasks import send_entitlement_email

    enqueue_after_commit(send_entitlement_email, application_id, change)


def new_secret() -> str:
    return secrets.token_urlsafe(32)
