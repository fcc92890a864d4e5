"""Policy staff's writes: drafts, publication, simulation and re-assessment, and admin edits."""

from collections import Counter
from datetime import datetime

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Model, TextField
from django.db.models.functions import Cast

from audit.services import audit_record
from config.tasks import enqueue_after_commit
from entitlements import services as entitlement_services
from reviews.decision import PolicyError, evaluate, golden_case_failures, parse_facts

from ..models import (
    Application,
    Assessment,
    Outcome,
    PolicySimulation,
    PolicyVersion,
    Reassessment,
    ReassessmentPart,
    Rule,
)
from ..models.policy import RunStatus
from ..policy import compile_version
from . import bulk
from .applications import facts_hash

CHUNK_SIZE = 1000
MAX_LISTED_CHANGES = 5000
REASSESSED_STATUSES = (
    Application.Status.SUBMITTED,
    Application.Status.IN_REVIEW,
    Application.Status.APPROVED,
)


# What a re-assessment step reads of every application, and of the few whose outcome changed.
REASSESSED_COLUMNS = (
    "id",
    "status",
    "facts_text",
    "latest_outcome",
    "latest_score",
    "latest_rules",
)
CHANGED_FIELDS = ("id", "title", "status", "organization__id", "organization__name")


class PolicyPublishError(Exception):
    """Publication refused; `problems` lists every reason, for the page to show."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _staff_role(actor) -> str:
    return "policy_staff" if actor is not None else "system"


@transaction.atomic
def policy_version_create_draft(*, actor, source_version_id: int, version: str, now: datetime):
    """Copy a version's rules and golden cases into a new draft named `version`."""
    source = PolicyVersion.objects.select_related("policy").get(pk=source_version_id)
    draft = PolicyVersion.objects.create(
        policy=source.policy,
        version=version,
        golden_cases=source.golden_cases,
        notes=f"Drafted from {source.version}.",
        created_by=actor,
        created_at=now,
    )
    Rule.objects.bulk_create(
        Rule(
            policy_version=draft,
            **{
                field: getattr(rule, field)
                for field in (
                    "order",
                    "rule_id",
                    "title",
                    "outcome",
                    "weight",
                    "clause",
                    "source",
                    "explanation",
                    "condition",
                    "active",
                )
            },
        )
        for rule in source.rules.all()
    )
    audit_record(
        actor=actor,
        actor_role=_staff_role(actor),
        verb="policy_version.drafted",
        obj=draft,
        payload={"from_version": source.version, "version": version},
    )
    return draft


@transaction.atomic
def policy_version_publish(*, actor, version_id: int, now: datetime) -> Reassessment:
    """Publish a draft whose golden cases all pass, retire the previous version, re-assess."""
    version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version_id)
    if not version.is_draft:
        raise PolicyPublishError([f"Version {version.version} is {version.status}, not a draft."])
    try:
        policy = compile_version(version)
    except PolicyError as error:
        raise PolicyPublishError([f"{path}: {message}" for path, message in error.errors]) from None
    failures = list(golden_case_failures(policy, now=now))
    if not policy.spec.golden_cases:
        failures.append("The version has no golden cases; add worked cases before publishing.")
    if failures:
        raise PolicyPublishError(failures)
    previous = (
        PolicyVersion.objects.select_for_update()
        .filter(policy=version.policy, status=PolicyVersion.Status.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.status = PolicyVersion.Status.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
    version.status = PolicyVersion.Status.PUBLISHED
    version.content_hash = policy.hash
    version.published_by = actor
    version.published_at = now
    version.save(update_fields=["status", "content_hash", "published_by", "published_at"])
    run = Reassessment.objects.create(
        policy_version=version, created_by=actor, created_at=now, total=_reassessed().count()
    )
    parts = ReassessmentPart.objects.bulk_create(_parts(run, settings.REASSESSMENT_PARTS))
    audit_record(
        actor=actor,
        actor_role=_staff_role(actor),
        verb="policy_version.published",
        obj=version,
        payload={
            "version": version.version,
            "hash": version.content_hash,
            "retired": previous.version if previous else None,
            "golden_cases": len(policy.spec.golden_cases),
            "reassessment_id": run.pk,
        },
    )
    from ..tasks import reassess_part

    for part in parts:  # each on whichever worker is free
        enqueue_after_commit(reassess_part, part.pk)
    return run


@transaction.atomic
def policy_simulation_start(*, actor, version_id: int, now: datetime) -> PolicySimulation:
    """Check that the draft compiles and schedule a simulation of it over every application."""
    version = PolicyVersion.objects.get(pk=version_id)
    try:
        compile_version(version)
    except PolicyError as error:
        raise PolicyPublishError([f"{path}: {message}" for path, message in error.errors]) from None
    simulation = PolicySimulation.objects.create(
        policy_version=version,
        created_by=actor,
        created_at=now,
        total=Application.objects.count(),
    )
    audit_record(
        actor=actor,
        actor_role=_staff_role(actor),
        verb="policy_version.simulated",
        obj=version,
        payload={"simulation_id": simulation.pk, "applications": simulation.total},
    )
    from ..tasks import simulate_policy

    enqueue_after_commit(simulate_policy, simulation.pk)
    return simulation


def _reassessed():
    return Application.objects.filter(status__in=REASSESSED_STATUSES)


def _latest_outcomes(application_ids: list[int]) -> dict[int, str]:
    latest: dict[int, str] = {}
    rows = (
        Assessment.objects.filter(application_id__in=application_ids)
        .order_by("application_id", "-assessed_at", "-id")
        .values_list("application_id", "outcome")
    )
    for application_id, outcome in rows:
        latest.setdefault(application_id, outcome)
    return latest


def _change_row(application: Application, was: str | None, now_outcome: str) -> dict:
    return {
        "id": application.pk,
        "reference": application.reference,
        "title": application.title,
        "organization": application.organization.name,
        "status": application.status,
        "was": was or "unassessed",
        "now": now_outcome,
    }


def _record_progress(run, chunk: list[Application], transitions: Counter, changes: list) -> bool:
    """Advance the run past the chunk; return whether more applications remain."""
    run.processed += len(chunk)
    run.last_application_id = chunk[-1].pk if chunk else run.last_application_id
    merged = Counter(run.transitions)
    merged.update(transitions)
    run.transitions = dict(sorted(merged.items()))
    run.changes = (run.changes + changes)[:MAX_LISTED_CHANGES]
    more = len(chunk) == CHUNK_SIZE
    run.status = RunStatus.RUNNING if more else RunStatus.DONE
    return more


@transaction.atomic
def policy_simulation_step(*, simulation_id: int, now: datetime) -> bool:
    """Simulate the next chunk of applications; return whether more remain."""
    simulation = PolicySimulation.objects.select_for_update().get(pk=simulation_id)
    if simulation.is_finished:
        return False
    policy = compile_version(simulation.policy_version)
    chunk = list(
        Application.objects.filter(pk__gt=simulation.last_application_id)
        .select_related("organization")
        .order_by("pk")[:CHUNK_SIZE]
    )
    was = _latest_outcomes([application.pk for application in chunk])
    transitions: Counter = Counter()
    changes = []
    for application in chunk:
        outcome = evaluate(policy, parse_facts(application.facts), now=now).outcome.value
        before = was.get(application.pk, "unassessed")
        transitions[f"{before}→{outcome}"] += 1
        if before not in (outcome, "unassessed"):
            changes.append(_change_row(application, before, outcome))
    more = _record_progress(simulation, chunk, transitions, changes)
    if not more:
        simulation.finished_at = now
    simulation.save()
    return more


def _parts(run: Reassessment, count: int) -> list[ReassessmentPart]:
    """Cut the applications to re-assess into `count` id ranges of about equal size."""
    ids = list(_reassessed().order_by("pk").values_list("pk", flat=True))
    size = max(1, -(-len(ids) // max(1, count)))  # ceiling division
    ends = [ids[i + size - 1] for i in range(0, len(ids) - size, size)]  # the last: no end
    starts = [0, *ends]
    return [
        ReassessmentPart(run=run, after_id=start, until_id=end, cursor=start)
        for start, end in zip(starts, [*ends, None], strict=True)
    ]


@transaction.atomic
def reassessment_step(*, part_id: int, now: datetime) -> bool:
    """Re-assess the part's next chunk of open and approved applications; return whether more
    of the part remain. Each chunk commits with the part's cursor, so a chunk runs once."""
    part = (
        ReassessmentPart.objects.select_for_update()
        .select_related("run__policy_version")
        .get(pk=part_id)
    )
    if part.finished_at is not None:
        return False
    run = part.run
    version = run.policy_version
    policy = compile_version(version)
    chunk_query = _reassessed().filter(pk__gt=part.cursor)
    if part.until_id is not None:
        chunk_query = chunk_query.filter(pk__lte=part.until_id)
    # Plain rows, the facts as text for orjson: building model instances and decoding the
    # facts with json cost as much as the engine's work.
    chunk = list(
        chunk_query.annotate(facts_text=Cast("facts", TextField()))
        .order_by("pk")
        .values_list(*REASSESSED_COLUMNS)[:CHUNK_SIZE]
    )
    transitions: Counter = Counter()
    assessed: list[bulk.AssessedRow] = []
    moved: list[bulk.LatestRow] = []
    changed: dict[int, tuple[str, str]] = {}
    flagged: dict[int, str] = {}
    for pk, status, facts_text, before, score_before, rules_before in chunk:
        facts = orjson.loads(facts_text)
        result = evaluate(policy, parse_facts(facts), now=now)
        outcome = result.outcome.value
        transitions[f"{before or 'unassessed'}→{outcome}"] += 1
        assessed.append((pk, facts_hash(facts), outcome, result.score, result.to_dict()))
        rules = "," + ",".join(result.rules) + ","
        if (outcome, result.score, rules) != (before or None, score_before, rules_before):
            # The queue filters and sorts on these: they follow the newest assessment.
            moved.append((pk, outcome, result.score, rules))
        if before and before != outcome:
            changed[pk] = (before, outcome)
            if status == Application.Status.APPROVED and outcome == Outcome.PROHIBITED:
                flagged[pk] = (
                    f"Policy {version.version} prohibits this use case ({', '.join(result.rules)})."
                )
    bulk.assessments_insert(version_id=version.pk, assessed_at=now, rows=assessed)
    bulk.latest_update(moved)
    submitted = [row[0] for row in chunk if row[1] == Application.Status.SUBMITTED]
    if submitted:  # assessed now, so they wait for a reviewer
        Application.objects.filter(pk__in=submitted, status=Application.Status.SUBMITTED).update(
            status=Application.Status.IN_REVIEW
        )
    changes = _record_changes(version, changed, flagged, now=now)
    more = len(chunk) == CHUNK_SIZE
    part.processed += len(chunk)
    part.cursor = chunk[-1][0] if chunk else part.cursor
    if not more:
        part.finished_at = now
    part.save(update_fields=["processed", "cursor", "finished_at"])
    _record_part(run.pk, len(chunk), part.cursor, transitions, changes, len(flagged), now=now)
    return more


def _record_changes(version, changed: dict, flagged: dict, *, now) -> list[dict]:
    """Flag approved applications the new version prohibits, audit every changed outcome and
    return the changes as the run lists them (a chunk's changes are few: read them whole)."""
    applications = (
        Application.objects.select_related("organization")
        .only(*CHANGED_FIELDS)
        .in_bulk(list(changed))
    )
    flagged_applications = []
    for pk, reason in flagged.items():
        application = applications[pk]
        application.needs_rereview, application.rereview_reason = True, reason
        flagged_applications.append(application)
    Application.objects.bulk_update(flagged_applications, ["needs_rereview", "rereview_reason"])
    for pk, reason in flagged.items():
        entitlement_services.flag_for_rereview(application_id=pk, reason=reason, now=now)
    changes = []
    for pk, (was, now_outcome) in changed.items():
        application = applications[pk]
        changes.append(_change_row(application, was, now_outcome))
        audit_record(
            actor=None,
            actor_role="system",
            verb="application.reassessed",
            obj=application,
            organization=application.organization,
            payload={
                "policy_version": version.version,
                "policy_hash": version.content_hash,
                "was": was,
                "now": now_outcome,
                "flagged_for_rereview": pk in flagged,
            },
        )
    return changes


def _record_part(
    run_id: int, processed: int, last_id: int, transitions: Counter, changes, flagged: int, *, now
):
    """Add a chunk's figures to the run, last in the step's transaction (the run's row lock is
    what parts wait for, briefly); the part that finishes last finishes the run."""
    run = Reassessment.objects.select_for_update().select_related("policy_version").get(pk=run_id)
    run.processed += processed
    run.last_application_id = max(run.last_application_id, last_id)
    merged = Counter(run.transitions)
    merged.update(transitions)
    run.transitions = dict(sorted(merged.items()))
    run.changes = (run.changes + changes)[:MAX_LISTED_CHANGES]
    run.flagged += flagged
    open_parts = run.parts.filter(finished_at__isnull=True).exists()
    run.status = RunStatus.RUNNING if open_parts else RunStatus.DONE
    if not open_parts and run.finished_at is None:
        run.finished_at = now
        version = run.policy_version
        audit_record(
            actor=None,
            actor_role="system",
            verb="policy_version.reassessed",
            obj=version,
            payload={
                "reassessment_id": run.pk,
                "applications": run.processed,
                "changed": run.changed_count,
                "flagged_for_rereview": run.flagged,
                "transitions": run.transitions,
            },
        )
    run.save()


@transaction.atomic
def policy_object_saved(*, actor, obj: Model, created: bool, changes: dict) -> None:
    """Save an object policy staff edited in the admin and record what changed."""
    _refuse_if_frozen(obj)
    obj.save()
    audit_record(
        actor=actor,
        actor_role=_staff_role(actor),
        verb=f"{obj._meta.model_name}.{'created' if created else 'changed'}",
        obj=obj,
        payload={"object": str(obj), "changes": changes},
    )


@transaction.atomic
def policy_object_deleted(*, actor, obj: Model) -> None:
    """Delete an object policy staff removed in the admin and record it."""
    _refuse_if_frozen(obj)
    description, pk = str(obj), obj.pk
    obj.delete()
    audit_record(
        actor=actor,
        actor_role=_staff_role(actor),
        verb=f"{obj._meta.model_name}.deleted",
        object_type=obj._meta.label_lower,
        object_id=pk,
        payload={"object": description},
    )


class FrozenPolicyError(Exception):
    """A published or retired policy version, or one of its rules, was about to change."""


def _refuse_if_frozen(obj: Model) -> None:
    version = obj if isinstance(obj, PolicyVersion) else getattr(obj, "policy_version", None)
    if version is None or version.pk is None:
        return
    stored = PolicyVersion.objects.filter(pk=version.pk).values_list("status", flat=True).first()
    if stored is not None and stored != PolicyVersion.Status.DRAFT:
        raise FrozenPolicyError(f"Version {version.version} is {stored}: it cannot be changed.")
