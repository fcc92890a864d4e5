"""T31: the same message delivered 2 to 5 times, at once or because a task outlived the broker's
visibility timeout, has one effect and sends one notification."""

import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from reviews.models import Application, Assessment
from reviews.services import application_decide, application_submit
from reviews.tasks import assess_application, send_review_email

from ..conftest import make_facts
from ..operations.support import celery_conf, wait_for

pytestmark = [pytest.mark.nightly, pytest.mark.celery_worker]

PAUSE = 3  # the first copy holds the work this long, so the others arrive meanwhile


def _parked_submission(settings, applicant, organization) -> Application:
    """Submit an application whose own assessment message goes to a queue nobody reads."""
    with celery_conf(settings, task_default_queue=f"parked-{uuid.uuid4().hex[:8]}"):
        return application_submit(
            actor=applicant,
            organization=organization,
            role="owner",
            title="Selfie check",
            facts=make_facts(organization),
        )


def _ends(stage, delivery: str, copies: int):
    return wait_for(
        lambda: (ends := stage.events(event="end", id=delivery)) and len(ends) == copies and ends,
        seconds=60,
        what=f"all {copies} copies were handled",
        on_timeout=stage.outputs,
    )


def _overlapped(stage, delivery: str) -> bool:
    """Return whether a second copy started before the first one ended."""
    events = [e for e in stage.events(id=delivery) if e["event"] in ("start", "end")]
    first_end = next(i for i, e in enumerate(events) if e["event"] == "end")
    return sum(1 for e in events[:first_end] if e["event"] == "start") >= 2


@pytest.mark.parametrize("copies", [2, 5])
def test_t31_one_assessment_however_often_its_message_is_delivered_at_once(
    stage, settings, applicant, organization, copies
):
    application = _parked_submission(settings, applicant, organization)
    stage.worker(
        concurrency=copies,
        DRILL_TASK="reviews.tasks.assess_application",
        DRILL_PAUSE_AT="during",
        DRILL_PAUSE_SECONDS=PAUSE,
    )
    delivery = str(uuid.uuid4())

    for _ in range(copies):
        assess_application.apply_async(args=[application.pk], task_id=delivery)
    ends = _ends(stage, delivery, copies)

    assert _overlapped(stage, delivery), "the copies must run at the same time"
    assert len({e["pid"] for e in stage.events(event="start", id=delivery)}) >= 2
    assert sorted(e["state"] for e in ends) == ["IGNORED"] * (copies - 1) + ["SUCCESS"]
    assert Assessment.objects.filter(application=application).count() == 1
    assert (
        AuditEvent.objects.filter(
            verb="application.assessed", object_id=str(application.pk)
        ).count()
        == 1
    )


@pytest.mark.parametrize("copies", [2, 5])
def test_t31_one_decision_email_however_often_its_message_is_delivered(
    stage, settings, applicant, organization, reviewer, tmp_path, copies
):
    with celery_conf(settings, task_always_eager=True):
        application = application_submit(
            actor=applicant,
            organization=organization,
            role="owner",
            title="Selfie check",
            facts=make_facts(organization),
        )
    with celery_conf(settings, task_default_queue=f"parked-{uuid.uuid4().hex[:8]}"):
        action = application_decide(
            actor=reviewer,
            application_id=application.pk,
            kind="approve",
            reason="Meets the policy.",
            now=timezone.now(),
        )
    mail_dir = tmp_path / "mail"
    stage.worker(
        concurrency=copies,
        DRILL_TASK="reviews.tasks.send_review_email",
        DRILL_PAUSE_AT="before",
        DRILL_PAUSE_SECONDS=PAUSE,
        DRILL_MAIL_DIR=mail_dir,
    )
    delivery = str(uuid.uuid4())

    for _ in range(copies):
        send_review_email.apply_async(args=[action.pk], task_id=delivery)
    _ends(stage, delivery, copies)

    sent = [path.read_text() for path in Path(mail_dir).iterdir()]
    assert len(sent) == 1, "exactly one notification"
    assert f"To: {applicant.email}" in sent[0]
    assert _overlapped(stage, delivery)


def test_t31_a_task_outliving_the_visibility_timeout_still_has_one_effect(
    stage, settings, applicant, organization
):
    application = _parked_submission(settings, applicant, organization)
    stage.worker(
        concurrency=2,
        DRILL_TASK="reviews.tasks.assess_application",
        DRILL_PAUSE_AT="during",
        DRILL_PAUSE_SECONDS=8,
        CELERY_VISIBILITY_TIMEOUT=3,
        CELERY_UNACKED_RESTORE_INTERVAL=1,
    )
    delivery = str(uuid.uuid4())

    assess_application.apply_async(args=[application.pk], task_id=delivery)
    wait_for(
        lambda: (
            (ends := stage.events(event="end", id=delivery))
            and any(e["state"] == "SUCCESS" for e in ends)
            and len(ends) == len(stage.events(event="start", id=delivery))
            and ends
        ),
        seconds=60,
        what="the task and its redeliveries ended",
        on_timeout=stage.outputs,
    )

    starts = stage.events(event="start", id=delivery)
    assert len(starts) >= 2, "the broker delivered the running task again"
    assert _overlapped(stage, delivery)
    assert Assessment.objects.filter(application=application).count() == 1
    assert (
        AuditEvent.objects.filter(
            verb="application.assessed", object_id=str(application.pk)
        ).count()
        == 1
    )
