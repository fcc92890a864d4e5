"""Policy versions: drafts, immutability, golden cases, simulation, publication, re-assessment."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_events_for_object
from reviews.models import Application, Assessment, PolicySimulation, PolicyVersion, Rule
from reviews.services import (
    PolicyPublishError,
    application_decide,
    policy_simulation_start,
    policy_version_publish,
    reassessment_step,
)


def _relax_emotion(draft: PolicyVersion) -> None:
    """Make emotion recognition approvable in the draft, so outcomes change."""
    Rule.objects.filter(policy_version=draft, rule_id__startswith="EMOTION").update(active=False)
    draft.golden_cases = [c for c in draft.golden_cases if c["expected"]["outcome"] != "prohibited"]
    draft.save(update_fields=["golden_cases"])


def _forbid_selfies(draft: PolicyVersion) -> None:
    """Prohibit face liveness in the draft, so an approved selfie check becomes prohibited."""
    Rule.objects.create(
        policy_version=draft,
        order=0,
        rule_id="NO-LIVENESS",
        title="No liveness",
        outcome="prohibited",
        weight=100,
        clause="Liveness checks are withdrawn.",
        source="Test policy",
        explanation="Liveness ({capabilities}) is withdrawn.",
        condition={"contains": ["capabilities", "face_liveness"]},
    )
    draft.golden_cases = [
        c for c in draft.golden_cases if "face_liveness" not in c["facts"]["capabilities"]
    ]
    draft.save(update_fields=["golden_cases"])


def test_it_ships_the_seed_policy_published_with_every_rule(published):
    rule_ids = list(published.rules.values_list("rule_id", flat=True))

    assert "US-POLICE-FR" in rule_ids and "UNDECLARED-CAPABILITY" in rule_ids
    assert len(rule_ids) == 18
    assert len(published.golden_cases) == 20
    assert len(published.content_hash) == 64


def test_it_drafts_a_copy_of_the_rules_and_golden_cases(published, draft, policy_staff):
    assert draft.status == PolicyVersion.Status.DRAFT
    assert list(draft.rules.values_list("rule_id", "condition")) == list(
        published.rules.values_list("rule_id", "condition")
    )
    assert draft.golden_cases == published.golden_cases
    event = audit_events_for_object(draft).get()
    assert (event.verb, event.actor) == ("policy_version.drafted", policy_staff)


@pytest.mark.parametrize(
    "change",
    [
        lambda rule: Rule.objects.filter(pk=rule.pk).update(weight=1),
        lambda rule: Rule.objects.create(**{**_rule_fields(rule), "rule_id": "NEW-RULE"}),
        lambda rule: _raw("UPDATE reviews_rule SET weight = 1 WHERE id = %s", rule.pk),
    ],
    ids=["orm-update", "insert", "raw-update"],
)
def test_it_refuses_to_change_a_published_versions_rules_in_the_database(published, change):
    rule = published.rules.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        change(rule)

    assert Rule.objects.get(pk=rule.pk).weight == rule.weight


def test_it_refuses_to_delete_a_published_versions_rules_on_postgresql(postgresql, published):
    rule = published.rules.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw("DELETE FROM reviews_rule WHERE id = %s", rule.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw("DELETE FROM reviews_policyversion WHERE id = %s", published.pk)

    assert Rule.objects.filter(pk=rule.pk).exists()


def test_it_refuses_to_change_a_published_version_but_lets_it_retire(published):
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.filter(pk=published.pk).update(golden_cases=[])

    PolicyVersion.objects.filter(pk=published.pk).update(
        status="retired", retired_at=timezone.now()
    )
    assert PolicyVersion.objects.get(pk=published.pk).status == "retired"


def test_it_lets_a_draft_change(draft):
    Rule.objects.filter(policy_version=draft, rule_id="MINORS").update(weight=5)

    assert draft.rules.get(rule_id="MINORS").weight == 5


def test_it_refuses_to_publish_when_a_golden_case_fails(draft, policy_staff):
    Rule.objects.filter(policy_version=draft, rule_id="US-POLICE-FR").update(active=False)

    with pytest.raises(PolicyPublishError) as refused:
        policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    assert any(problem.startswith("T01: expected prohibited") for problem in refused.value.problems)
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT
    assert not AuditEvent.objects.filter(verb="policy_version.published").exists()


def test_it_refuses_to_publish_invalid_rules_naming_the_field(draft, policy_staff):
    Rule.objects.filter(policy_version=draft, rule_id="MINORS").update(
        condition={"eq": ["deployment.camera", "bodycam"]}
    )

    with pytest.raises(PolicyPublishError) as refused:
        policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    assert any("'bodycam' is not a value of deployment.camera" in p for p in refused.value.problems)


def test_it_publishes_retires_the_previous_version_and_reassesses(
    draft, published, policy_staff, applicant, submit, django_capture_on_commit_callbacks
):
    moods = submit(applicant, "Moods", capabilities=["emotion_recognition"])
    _relax_emotion(draft)

    with django_capture_on_commit_callbacks(execute=True):
        run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    draft.refresh_from_db()
    published.refresh_from_db()
    run.refresh_from_db()
    assert (draft.status, published.status) == ("published", "retired")
    assert run.status == "done" and run.processed == 1
    assert run.transitions == {"prohibited→approvable": 1}
    assert run.changes[0]["reference"] == moods.reference
    latest = moods.assessments.order_by("-assessed_at", "-id").first()
    assert (latest.policy_version, latest.outcome) == (draft, "approvable")
    moods.refresh_from_db()  # the queue filters and sorts on these
    assert (moods.latest_outcome, moods.latest_score) == ("approvable", latest.score)
    assert moods.latest_rules == "," + ",".join(hit["rule"] for hit in latest.hits) + ","
    verbs = [e.verb for e in AuditEvent.objects.filter(verb__startswith="policy_version")]
    assert verbs == [
        "policy_version.drafted",
        "policy_version.published",
        "policy_version.reassessed",
    ]
    assert audit_events_for_object(moods).filter(verb="application.reassessed").count() == 1


def test_it_flags_an_approved_application_that_becomes_prohibited(
    draft, policy_staff, reviewer, applicant, submit, django_capture_on_commit_callbacks
):
    selfie = submit(applicant, "Selfie check")
    application_decide(
        actor=reviewer, application_id=selfie.pk, kind="approve", reason="ok", now=timezone.now()
    )
    _forbid_selfies(draft)

    with django_capture_on_commit_callbacks(execute=True):
        run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    selfie.refresh_from_db()
    run.refresh_from_db()
    assert selfie.status == Application.Status.APPROVED  # never silently revoked
    assert selfie.needs_rereview
    assert "NO-LIVENESS" in selfie.rereview_reason
    assert run.flagged == 1


def test_it_reassesses_once_however_often_the_task_runs(
    draft, policy_staff, applicant, submit, django_capture_on_commit_callbacks
):
    submit(applicant, "One")
    submit(applicant, "Two")
    with django_capture_on_commit_callbacks(execute=True):
        run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())
    count = Assessment.objects.count()

    part = run.parts.first()
    assert reassessment_step(part_id=part.pk, now=timezone.now()) is False
    run.parts.update(finished_at=None, cursor=0)  # as if every chunk's commit had been lost
    for part in run.parts.all():
        reassessment_step(part_id=part.pk, now=timezone.now())

    assert Assessment.objects.count() == count == 4


def test_it_cuts_the_run_into_parts_that_together_reassess_everything_once(
    draft, policy_staff, applicant, submit, settings, django_capture_on_commit_callbacks
):
    settings.REASSESSMENT_PARTS = 3
    filed = [submit(applicant, f"Check {n}") for n in range(7)]

    with django_capture_on_commit_callbacks(execute=True):
        run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    run.refresh_from_db()
    parts = list(run.parts.order_by("after_id"))
    assert len(parts) == 3
    assert [p.processed for p in parts] == [3, 3, 1]
    assert parts[-1].until_id is None  # the last part also takes applications filed later
    assert all(p.finished_at for p in parts)
    assert (run.status, run.processed, run.total) == ("done", 7, 7)
    reassessed = Assessment.objects.filter(policy_version=draft)
    assert sorted(reassessed.values_list("application_id", flat=True)) == sorted(
        a.pk for a in filed
    )
    assert AuditEvent.objects.filter(verb="policy_version.reassessed").count() == 1


def test_it_finishes_the_run_only_when_its_last_part_finishes(
    draft, policy_staff, applicant, submit, settings
):
    settings.REASSESSMENT_PARTS = 2
    submit(applicant, "One")
    submit(applicant, "Two")
    run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())
    first, second = run.parts.order_by("after_id")

    reassessment_step(part_id=second.pk, now=timezone.now())
    run.refresh_from_db()
    assert (run.status, run.processed, run.finished_at) == ("running", 1, None)

    reassessment_step(part_id=first.pk, now=timezone.now())
    run.refresh_from_db()
    assert (run.status, run.processed) == ("done", 2)
    assert run.finished_at is not None
    assert AuditEvent.objects.filter(verb="policy_version.reassessed").count() == 1


def test_it_simulates_a_draft_without_writing_assessments(
    draft, policy_staff, applicant, submit, django_capture_on_commit_callbacks
):
    moods = submit(applicant, "Moods", capabilities=["emotion_recognition"])
    submit(applicant, "Selfie")
    _relax_emotion(draft)
    before = Assessment.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        simulation = policy_simulation_start(
            actor=policy_staff, version_id=draft.pk, now=timezone.now()
        )

    simulation = PolicySimulation.objects.get(pk=simulation.pk)
    assert simulation.status == "done" and simulation.percent == 100
    assert simulation.transitions == {"approvable→approvable": 1, "prohibited→approvable": 1}
    assert [change["id"] for change in simulation.changes] == [moods.pk]
    assert Assessment.objects.count() == before
    draft.refresh_from_db()
    assert draft.status == "draft"


def _rule_fields(rule: Rule) -> dict:
    return {
        field.name: getattr(rule, field.name)
        for field in Rule._meta.fields
        if field.name not in {"id"}
    }


def _raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
