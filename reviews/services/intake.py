"""Customers' writes: drafts step by step, submission, answers, documents, withdrawal, renewal."""

import weakref
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from accounts.selectors import has_conflict_of_interest
from audit.services import audit_record
from config.rows import insert
from config.tasks import enqueue_after_commit
from entitlements import services as entitlement_services
from reviews.decision import parse_facts

from .. import documents, workflow
from ..forms.steps import draft_data_from_facts
from ..models import Application, Document, InformationRequest
from ..selectors import APPLICATION_COLUMNS, application_in
from .applications import ReviewError


class StaleDraftError(Exception):
    """Someone saved the draft since this copy was loaded; nothing was overwritten."""


NOT_EDITABLE = "This application can no longer be edited."
SUBMITTED_FIELDS = [
    "status",
    "facts",
    "subscriptions",
    "attestations",
    "submitted_at",
    "updated_at",
    "version",
]
STALE_STEP = (
    "A colleague saved this application while you were editing it. Your input is shown "
    "below, not saved: check their changes, then save again."
)


def _refuse_conflicted_staff(actor, membership) -> None:
    """Provider staff never act as applicants for their own organization."""
    if has_conflict_of_interest(actor, membership.organization_id):
        raise ReviewError("Provider staff cannot file applications for their own organization.")


def _tasks():
    from .. import tasks

    return tasks


def _audit(actor, role, verb, application, **payload):
    audit_record(
        actor=actor,
        actor_role=role,
        verb=verb,
        obj=application,
        organization=application.organization,
        payload=payload,
    )


def _lock(application_id: int, organization) -> Application:
    # The organization comes along: the pages that follow a write read it (their steps).
    return application_in(organization, application_id, lock=True)


def _transition(application: Application, action: str) -> str:
    try:
        return workflow.next_status(application.status, action)
    except workflow.TransitionError as error:
        raise ReviewError(str(error)) from None


@transaction.atomic
def application_create_draft(
    *,
    actor,
    membership,
    now: datetime,
    title: str = "",
    draft_data=None,
    copied_from=None,
    renews=None,
) -> Application:
    """Start a draft for the organization, empty or pre-filled from an earlier application."""
    organization = membership.organization
    _refuse_conflicted_staff(actor, membership)
    application = insert(
        Application(
            organization=organization,
            created_by=actor,
            title=title,
            draft_data=draft_data or {},
            copied_from=copied_from,
            renews=renews,
            created_at=now,
            updated_at=now,
        )
    )
    _audit(
        actor,
        membership.role,
        "application.draft_created",
        application,
        copied_from=copied_from.pk if copied_from else None,
        renews=renews.pk if renews else None,
    )
    return application


# A draft step's write, the busiest customer write: fixed SQL rather than the ORM's update,
# which spent more CPU building the statement than the database spent running it.
_EDITABLE_IN = ", ".join(["%s"] * len(Application.EDITABLE_STATUSES))
_SAVE_STEP_SQL = (
    f"UPDATE {Application._meta.db_table} SET draft_data = %s, current_step = %s, "  # noqa: S608
    "title = %s, updated_at = %s, version = version + 1 "
    f"WHERE id = %s AND organization_id = %s AND version = %s AND status IN ({_EDITABLE_IN})"
)


def application_save_step(
    *,
    actor,
    membership,
    application: Application,
    step: str,
    raw: dict,
    version: int,
    now: datetime,
    title: str | None = None,
) -> Application:
    """Keep a step's input (valid or not) if nobody saved the draft since `version`.

    `application` is the organization's, as its access selector returned it. One conditional
    UPDATE writes the step: it matches only while the draft is still editable at `version`,
    so a colleague's save or submission in between is never overwritten (no lock, no
    transaction: a draft step is the busiest write customers make)."""
    if application.organization_id != membership.organization_id:
        raise Application.DoesNotExist
    if not application.is_editable:
        raise ReviewError(NOT_EDITABLE)
    if application.version != version:
        raise StaleDraftError(STALE_STEP)
    changes = {
        "draft_data": {**application.draft_data, step: raw},
        "current_step": step,
        "title": application.title if title is None else title,
        "updated_at": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            _SAVE_STEP_SQL,
            [
                *(APPLICATION_COLUMNS.prepared(field, value) for field, value in changes.items()),
                application.pk,
                membership.organization_id,
                version,
                *Application.EDITABLE_STATUSES,
            ],
        )
        written = cursor.rowcount
    if not written:
        status = Application.objects.filter(pk=application.pk).values_list("status", flat=True)
        if status.first() not in Application.EDITABLE_STATUSES:
            raise ReviewError(NOT_EDITABLE)
        raise StaleDraftError(STALE_STEP)
    for field, value in changes.items():
        setattr(application, field, value)
    application.version = version + 1
    return application


@transaction.atomic
def application_submit_draft(
    *,
    actor,
    membership,
    application_id: int,
    facts: dict,
    subscriptions: list[str],
    attestations: list[str],
    version: int,
    now: datetime,
) -> Application:
    """Submit a complete draft (once: a replay finds it submitted) and schedule its assessment."""
    _refuse_conflicted_staff(actor, membership)
    application = _lock(application_id, membership.organization)
    if application.status != Application.Status.DRAFT:
        return application  # a double click or a retry: the first submission stands
    if application.version != version:
        raise StaleDraftError(
            "A colleague changed this application after you opened the summary. Review it "
            "again before submitting."
        )
    canonical = parse_facts(facts).to_dict()
    application.status = _transition(application, "submit")
    application.facts = canonical
    application.subscriptions = subscriptions
    application.attestations = attestations
    application.submitted_at = now
    application.updated_at = now
    application.version = F("version") + 1
    application.save(update_fields=SUBMITTED_FIELDS)  # not the draft: it stays as typed
    _audit(
        actor,
        membership.role,
        "application.submitted",
        application,
        title=application.title,
        facts=canonical,
        subscriptions=subscriptions,
        attestations=attestations,
    )
    enqueue_after_commit(_tasks().assess_application, application.pk)
    return application


@transaction.atomic
def application_withdraw(*, actor, membership, application_id: int, now: datetime) -> Application:
    _refuse_conflicted_staff(actor, membership)
    application = _lock(application_id, membership.organization)
    old = application.status
    application.status = _transition(application, "withdraw")
    application.withdrawn_at = now
    application.updated_at = now
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    InformationRequest.objects.filter(application=application, answered_at__isnull=True).update(
        answered_at=now, answer="(withdrawn by the applicant)", answered_by=actor
    )
    _audit(actor, membership.role, "application.withdrawn", application, old_status=old)
    return application


def application_copy(*, actor, membership, source: Application, now: datetime, renew=False):
    """Start a draft pre-filled with a past application's facts (a copy, or a re-attestation)."""
    if source.facts is None:
        data, title = dict(source.draft_data), f"Copy of {source.title}"
    else:
        data = draft_data_from_facts(source.facts, source.title)
        title = source.title if renew else f"Copy of {source.title}"
        data["use_case"]["title"] = [title]
    if renew and source.status not in (Application.Status.APPROVED, Application.Status.EXPIRED):
        raise ReviewError("Only approved or expired applications can be re-attested.")
    return application_create_draft(
        actor=actor,
        membership=membership,
        now=now,
        title=title,
        draft_data=data,
        copied_from=None if renew else source,
        renews=source if renew else None,
    )


def information_request_create(*, actor, application_id: int, questions: str, now: datetime):
    """Send the applicant questions; the application waits on them (the SLA clock pauses)."""
    from .review import review_act

    review_act(
        actor=actor, application_id=application_id, kind="request_info", reason=questions, now=now
    )
    return InformationRequest.objects.get(application_id=application_id, answered_at__isnull=True)


@transaction.atomic
def information_request_answer(
    *, actor, membership, application_id: int, answer: str, facts: dict, now: datetime
) -> Application:
    """Answer the open questions, with the corrected facts; send it back for assessment."""
    _refuse_conflicted_staff(actor, membership)
    application = _lock(application_id, membership.organization)
    request = application.information_requests.filter(answered_at__isnull=True).first()
    if request is None:
        raise ReviewError("There are no open questions on this application.")
    application.status = _transition(application, "answer")
    canonical = parse_facts(facts).to_dict()
    changed = canonical != application.facts
    application.facts = canonical
    application.updated_at = now
    application.version = F("version") + 1
    application.save(update_fields=["status", "facts", "updated_at", "version"])
    request.answer, request.answered_by, request.answered_at = answer, actor, now
    request.save(update_fields=["answer", "answered_by", "answered_at"])
    _audit(
        actor,
        membership.role,
        "application.information_provided",
        application,
        request_id=request.pk,
        answer=answer,
        facts_changed=changed,
        facts=canonical,
    )
    enqueue_after_commit(_tasks().assess_application, application.pk)
    return application


@transaction.atomic
def document_add(*, actor, role: str, application: Application, upload, now: datetime) -> Document:
    """Store an uploaded document for the application, checked by its content.

    The file is written before the row, so that the row never points at nothing; if the
    transaction then rolls back (here, at commit, or in a caller's transaction around this
    one) the file is deleted with it.
    """
    if application.status in (Application.Status.WITHDRAWN, *Application.DECIDED):
        raise ReviewError("Documents can no longer be added to this application.")
    stored_name, content_type, size, sha256 = documents.store(upload)
    _discard_on_rollback(stored_name)
    document = Document.objects.create(
        application=application,
        uploaded_by=actor,
        name=documents.clean_name(upload.name or "document", content_type),
        stored_name=stored_name,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_at=now,
    )
    _audit(
        actor,
        role,
        "document.uploaded",
        application,
        document_id=document.pk,
        name=document.name,
        size=size,
        sha256=sha256,
        content_type=content_type,
    )
    return document


def _discard_on_rollback(stored_name: str) -> None:
    """Delete the stored file unless the current transaction commits.

    Django has no on-rollback hook, but it drops the on-commit callbacks of a transaction
    or savepoint that rolls back (and of a connection that closes): the callback registered
    here is then released, and its finalizer deletes the file. On commit the callback runs
    and cancels the finalizer. The release is immediate in CPython (reference counting).
    """

    def committed() -> None:
        finalizer.detach()

    finalizer = weakref.finalize(committed, documents.discard, stored_name)
    transaction.on_commit(committed)


def document_record_download(*, actor, role: str, document: Document) -> None:
    """Record who downloaded which document."""
    _audit(
        actor,
        role,
        "document.downloaded",
        document.application,
        document_id=document.pk,
        name=document.name,
    )


def process_approval_expiry(*, now: datetime) -> dict[str, int]:
    """Remind owners of approvals that lapse soon (30 and 7 days) and expire lapsed ones."""
    counts = {"reminded": 0, "expired": 0}
    lapsed = Application.objects.filter(status=Application.Status.APPROVED, expires_at__lte=now)
    for application_id in lapsed.values_list("pk", flat=True):
        with transaction.atomic():
            application = (
                Application.objects.select_for_update()
                .select_related("organization")
                .get(pk=application_id)
            )
            if application.status != Application.Status.APPROVED:
                continue
            application.status = _transition(application, "expire")
            application.save(update_fields=["status"])
            entitlement_services.expire_for_application(application_id=application.pk, now=now)
            _audit(
                None,
                "system",
                "application.expired",
                application,
                expired_at=application.expires_at.isoformat(),
            )
            counts["expired"] += 1
    for days, field in zip(
        settings.REATTESTATION_REMINDER_DAYS, ("reminded_30_at", "reminded_7_at"), strict=True
    ):
        due = Application.objects.filter(
            status=Application.Status.APPROVED,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=days),
            **{f"{field}__isnull": True},
        )
        for application_id in due.values_list("pk", flat=True):
            with transaction.atomic():
                updated = Application.objects.filter(
                    pk=application_id, **{f"{field}__isnull": True}
                ).update(**{field: now})
                if updated:  # idempotent: a second run finds the reminder sent
                    counts["reminded"] += 1
                    enqueue_after_commit(_tasks().send_reattestation_reminder, application_id, days)
    return counts
