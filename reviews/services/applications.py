"""Write applications, assessments and decisions; each write records its audit event."""

import hashlib
import json
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import has_conflict_of_interest
from audit.services import audit_record
from config.rows import Columns, fetch, for_update, insert
from config.tasks import enqueue_after_commit
from entitlements import services as entitlement_services
from reviews.decision import evaluate, parse_facts

from .. import workflow
from ..models import Application, Assessment
from ..policy import published_policy
from ..selectors import APPLICATION_COLUMNS


class ReviewError(Exception):
    """A review action that the workflow refuses; the message is shown to the reviewer."""


def workflow_message(application: Application, action: str) -> str:
    try:
        workflow.next_status(application.status, action)
    except workflow.TransitionError as error:
        return str(error)
    return ""


def add_business_days(start: datetime, days: int) -> datetime:
    """Return `start` moved forward by `days` working days (Saturdays and Sundays skipped)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def sla_due(start: datetime, outcome: str) -> datetime:
    return add_business_days(start, settings.SLA_BUSINESS_DAYS[outcome])


def facts_hash(facts: dict) -> str:
    """Return a stable hash of the facts, so the same facts are assessed once per policy.

    The canonical form is `json.dumps(facts, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` in UTF-8, which orjson writes byte for byte, three times faster, for
    what facts hold (strings, booleans, null, whole numbers, lists and objects; the schema
    has no fractions); anything orjson refuses goes through json itself."""
    try:
        canonical = orjson.dumps(facts, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        canonical = json.dumps(
            facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    return hashlib.sha256(canonical).hexdigest()


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

    enqueue_after_commit(assess_application, application.pk)
    return application


_ORGANIZATION = Columns(Organization, "o")
# Every submission's assessment starts here: fixed SQL (config/rows.py), with the
# organization, which the audit event names.
_ASSESS_LOCK_SQL = (
    f"SELECT {APPLICATION_COLUMNS.sql}, {_ORGANIZATION.sql} "  # noqa: S608
    f"FROM {APPLICATION_COLUMNS.table} "
    f"JOIN {_ORGANIZATION.table} ON o.id = a.organization_id WHERE a.id = %s"
)


_ASSESSMENT = Columns(Assessment, "s")
# At most one row (the assessment_once constraint): the same facts under the same version.
_SAME_ASSESSMENT_SQL = (
    f"SELECT {_ASSESSMENT.sql} FROM {_ASSESSMENT.table} "  # noqa: S608
    "WHERE s.application_id = %s AND s.policy_version_id = %s AND s.facts_hash = %s"
)


def _assessed_before(application: Application, digest: str) -> bool:
    """Whether these facts of the application were assessed under any policy version."""
    return Assessment.objects.filter(application=application, facts_hash=digest).exists()


def _lock_for_assessment(application_id: int) -> Application:
    rows = fetch(_ASSESS_LOCK_SQL + for_update(of="a"), [application_id])
    if not rows:
        raise Application.DoesNotExist("Application matching query does not exist.")
    return APPLICATION_COLUMNS.load_with(rows[0], "organization", _ORGANIZATION)


def _store_assessment(application, version, policy, digest: str, now: datetime) -> Assessment:
    result = evaluate(policy, parse_facts(application.facts), now=now)
    try:
        with transaction.atomic():
            return insert(
                Assessment(
                    application=application,
                    policy_version=version,
                    facts_hash=digest,
                    facts=application.facts,
                    outcome=result.outcome.value,
                    score=result.score,
                    result=result.to_dict(),
                    assessed_at=now,
                )
            )
    except IntegrityError:
        # A re-assessment run assessed the same facts under this version meanwhile.
        return Assessment.objects.get(
            application=application, policy_version=version, facts_hash=digest
        )


# What an assessment changes on the application (the facts and the draft stay as they are).
ASSESSED_FIELDS = [
    "latest_outcome",
    "latest_score",
    "latest_rules",
    "capability_codes",
    "status",
    "sla_due_at",
    "sla_paused_at",
    "version",
]


@transaction.atomic
def application_assess(*, application_id: int, now: datetime) -> Assessment | None:
    """Assess the application under the published policy; reuse an identical earlier result."""
    application = _lock_for_assessment(application_id)
    if application.status == Application.Status.WITHDRAWN:
        return None  # withdrawn before the worker got to it: nothing to assess
    digest = facts_hash(application.facts)
    if not workflow.allowed(application.status, "assess") and _assessed_before(application, digest):
        # A copy of a task that already ran (assessment tasks keep no receipt): these facts
        # were assessed and the application moved on. A policy published since re-assesses
        # it through its own run, which also flags approvals that became prohibited.
        return None
    version, policy = published_policy()
    found = fetch(_SAME_ASSESSMENT_SQL, [application.pk, version.pk, digest])
    assessment = _ASSESSMENT.load(found[0]) if found else None
    created = assessment is None
    if created:
        assessment = _store_assessment(application, version, policy, digest, now)
    if not created and not workflow.allowed(application.status, "assess"):
        return assessment  # a replayed task: nothing left to do
    previous_outcome = application.latest_outcome
    application.latest_outcome = assessment.outcome
    application.latest_score = assessment.score
    application.latest_rules = "," + ",".join(hit["rule"] for hit in assessment.hits) + ","
    application.capability_codes = "," + ",".join(application.facts["capabilities"]) + ","
    if workflow.allowed(application.status, "assess"):
        application.status = workflow.next_status(application.status, "assess")
        if application.sla_paused_at is not None:  # back from the applicant: resume the clock
            application.sla_due_at = (application.sla_due_at or now) + (
                now - application.sla_paused_at
            )
            application.sla_paused_at = None
        elif application.sla_due_at is None or previous_outcome != assessment.outcome:
            application.sla_due_at = sla_due(application.submitted_at or now, assessment.outcome)
    application.version += 1
    application.save(update_fields=ASSESSED_FIELDS)
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
    for application in approved:
        entitlement_services.flag_for_rereview(
            application_id=application.pk, reason=reason, now=now
        )
    return len(approved)
