"""T29 and T30: workers killed with SIGKILL mid-task lose nothing and do nothing twice.

T29 kills the pool child running an assessment; T30 kills the whole worker in the middle of
a re-assessment run and starts a fresh one. The figures are fixed here and passed to the
drill workers through their environment (config/settings/base.py reads them)."""

import os
import signal
import time

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.verify import verify_trail
from reviews.models import Application, Assessment, PolicyVersion, Reassessment
from reviews.services import (
    application_submit,
    policy_version_create_draft,
    policy_version_publish,
)

from ..conftest import make_facts
from ..operations.support import celery_conf, child_pids, wait_for
from ..reviews.test_policy_lifecycle import _forbid_selfies

pytestmark = [pytest.mark.nightly, pytest.mark.celery_worker]

# T29: the simulated assessment takes TASK_SECONDS; the drill kills it while it runs.
TASK_SECONDS = 6
# T30: the broker's visibility timeout and restore sweep of the drill workers, the chunk size
# and the pause after every chunk that makes the run last long enough to be killed in it.
VISIBILITY_TIMEOUT = 10
RESTORE_INTERVAL = 2
CHUNK = 5
APPLICATIONS = 30
STEP_SECONDS = 1
RUN_SECONDS = (APPLICATIONS // CHUNK) * STEP_SECONDS  # the run's own time, pauses included
SLACK = 5  # database and process scheduling on a loaded machine


def _submit(applicant, organization, title="Selfie check") -> Application:
    return application_submit(
        actor=applicant,
        organization=organization,
        role="owner",
        title=title,
        facts=make_facts(organization),
    )


@pytest.mark.parametrize("moment", ["before", "during", "after"])
def test_t29_a_killed_pool_child_s_assessment_runs_again_with_one_effect(
    stage, applicant, organization, moment
):
    worker = stage.worker(
        DRILL_TASK="reviews.tasks.assess_application",
        DRILL_PAUSE_AT=moment,
        DRILL_PAUSE_SECONDS=TASK_SECONDS,
    )
    published = time.monotonic()
    application = _submit(applicant, organization)  # published to the drill broker on commit

    paused = wait_for(
        stage.paused, seconds=30, what="the assessment is under way", on_timeout=stage.outputs
    )
    children = child_pids(worker.pid)
    assert paused["pid"] in children, "the drill must kill a pool child, not the worker"
    os.kill(paused["pid"], signal.SIGKILL)
    finished = wait_for(
        lambda: stage.events(event="end", id=paused["id"], run=2),
        seconds=TASK_SECONDS + 10,
        what="the killed assessment ran again and ended",
        on_timeout=stage.outputs,
    )
    elapsed = time.monotonic() - published

    starts = stage.events(event="start", id=paused["id"])
    assert [e["run"] for e in starts] == [1, 2]
    assert starts[0]["pid"] == paused["pid"] and starts[1]["pid"] != paused["pid"]
    assert worker.process.poll() is None  # the worker itself lived on, with a new child
    assert finished[0]["state"] == ("IGNORED" if moment == "after" else "SUCCESS")
    assert Assessment.objects.filter(application=application).count() == 1
    assert (
        AuditEvent.objects.filter(
            verb="application.assessed", object_id=str(application.pk)
        ).count()
        == 1
    )
    assert Application.objects.get(pk=application.pk).status == Application.Status.IN_REVIEW
    assert elapsed <= TASK_SECONDS + 10
    print(f"T29 ({moment}): done {elapsed:.1f} s after publishing (limit {TASK_SECONDS + 10} s)")


def _kill_the_worker_mid_run(stage, settings, applicant, organization, policy_staff, *, acks_late):
    """Publish a version, kill -9 the worker re-assessing, start a fresh one; return the run,
    the new version and the deadline the run had to finish by (monotonic seconds)."""
    with celery_conf(settings, task_always_eager=True):
        for n in range(APPLICATIONS):  # assessed in this process under the current version
            _submit(applicant, organization, f"Selfie {n}")
    drill_env = {
        "DRILL_PAUSE_AT": "step",
        "DRILL_PAUSE_SECONDS": STEP_SECONDS,
        "DRILL_CHUNK_SIZE": CHUNK,
        "CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT,
        "CELERY_UNACKED_RESTORE_INTERVAL": RESTORE_INTERVAL,
    }
    first = stage.worker(**drill_env, **({} if acks_late else {"DRILL_ACKS_LATE": "0"}))
    if not acks_late:
        assert "late acknowledgement is OFF" in first.output()
    published = PolicyVersion.objects.get(status=PolicyVersion.Status.PUBLISHED)
    draft = policy_version_create_draft(
        actor=policy_staff, source_version_id=published.pk, version="drill", now=timezone.now()
    )
    _forbid_selfies(draft)
    run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    wait_for(
        lambda: len(stage.events(event="step")) >= 2,
        seconds=30,
        what="the re-assessment run is two chunks in",
        on_timeout=stage.outputs,
    )
    first.kill_all()
    killed = time.monotonic()
    run.refresh_from_db()
    assert 0 < run.processed < APPLICATIONS and run.finished_at is None, "killed mid-run"

    fresh_started = time.monotonic()
    stage.worker(**drill_env)
    start_time = time.monotonic() - fresh_started
    deadline = killed + start_time + VISIBILITY_TIMEOUT + RESTORE_INTERVAL + RUN_SECONDS + SLACK
    return run, draft, deadline, killed


def test_t30_a_killed_worker_s_run_finishes_in_a_fresh_worker_exactly_once(
    stage, settings, applicant, organization, policy_staff
):
    run, version, deadline, killed = _kill_the_worker_mid_run(
        stage, settings, applicant, organization, policy_staff, acks_late=True
    )

    wait_for(
        lambda: Reassessment.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        seconds=deadline - time.monotonic(),
        what="the fresh worker finished the run",
        on_timeout=stage.outputs,
    )
    elapsed = time.monotonic() - killed

    run.refresh_from_db()
    assert run.processed == run.total == APPLICATIONS
    per_application = Assessment.objects.filter(policy_version=version).values_list(
        "application_id", flat=True
    )
    assert sorted(per_application) == sorted(Application.objects.values_list("pk", flat=True)), (
        "every application assessed under the new version exactly once"
    )
    assert AuditEvent.objects.filter(verb="application.reassessed").count() == APPLICATIONS
    assert AuditEvent.objects.filter(verb="policy_version.reassessed").count() == 1
    assert verify_trail().ok
    print(
        f"T30: finished {elapsed:.1f} s after the kill (limit: visibility timeout "
        f"{VISIBILITY_TIMEOUT} s + restore sweep {RESTORE_INTERVAL} s + run {RUN_SECONDS} s "
        f"+ fresh worker start + {SLACK} s)"
    )


def test_t30_negative_control_without_late_acknowledgement_the_run_is_lost(
    stage, settings, applicant, organization, policy_staff
):
    run, _version, deadline, _killed = _kill_the_worker_mid_run(
        stage, settings, applicant, organization, policy_staff, acks_late=False
    )

    with pytest.raises(AssertionError, match="the fresh worker finished the run"):
        wait_for(
            lambda: Reassessment.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
            seconds=deadline - time.monotonic(),
            what="the fresh worker finished the run",
        )

    broker = stage.redis.client(db=0)
    assert broker.llen(stage.queue) == 0 and broker.hlen("unacked") == 0, "nothing to redeliver"
    run.refresh_from_db()
    assert run.finished_at is None and run.processed < APPLICATIONS
