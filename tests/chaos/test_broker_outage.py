"""T32: the broker is down when applications are submitted. The submissions succeed, and once
the broker is back the sweeper republishes their assessments: none stays unscored."""

import logging
import time

import pytest

from audit.models import AuditEvent
from reviews.models import Application, Assessment

from ..conftest import make_facts
from ..operations.support import wait_for
from ..reviews.portal_steps import file_through_steps
from .stack import assert_known_exits

pytestmark = [pytest.mark.nightly, pytest.mark.celery_worker]

OUTAGE = 60  # seconds the broker stays down (the T32 figure)
SUBMISSIONS = 3
SWEEP_INTERVAL = 5  # beat's SWEEP_INTERVAL for the drill
SWEEP_AGE = 120  # reviews.tasks.sweep_unassessed takes submissions untouched for 2 minutes
RECONNECT = 40  # a worker's reconnection backoff after the broker returns, at most


def test_t32_submissions_during_a_broker_outage_are_assessed_after_it(
    stage, client, applicant, organization, caplog
):
    worker = stage.worker(supervised=True)  # as systemd would run it (see stack.Supervisor)
    stage.beat(SWEEP_INTERVAL=SWEEP_INTERVAL)
    client.force_login(applicant)
    wait_for(
        lambda: client.get("/healthz").status_code == 200,
        seconds=30,
        what="everything is healthy before the outage",
        on_timeout=stage.outputs,
    )

    stage.redis.stop()
    down = time.monotonic()
    durations, applications = [], []
    with caplog.at_level(logging.ERROR, logger="gatehouse.tasks"):
        for n in range(SUBMISSIONS):
            started = time.monotonic()
            applications.append(file_through_steps(client, make_facts(organization), f"Sel {n}"))
            durations.append(time.monotonic() - started)
    # Hold the outage for its full length, checking that /healthz reports it all along.
    while time.monotonic() - down < OUTAGE:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["checks"] == {"database": True, "broker": False, "worker": True}
    stage.redis.start()
    recovered = time.monotonic()

    wait_for(
        lambda: Assessment.objects.filter(application__in=applications).count() == SUBMISSIONS,
        seconds=SWEEP_AGE + SWEEP_INTERVAL + RECONNECT,
        interval=1,
        what="every submission made during the outage was assessed",
        on_timeout=stage.outputs,
    )
    assessed_after = time.monotonic() - recovered
    healthy = wait_for(
        lambda: (response := client.get("/healthz")).status_code == 200 and response,
        seconds=30,
        what="/healthz is healthy again",
    )

    assert all(a.status == Application.Status.SUBMITTED for a in applications)  # when filed
    assert max(durations) < 10, "a submission is not held up by the missing broker"
    assert sum("Could not publish" in r.getMessage() for r in caplog.records) == SUBMISSIONS
    assert stage.events(event="end", task="reviews.tasks.sweep_unassessed", state="SUCCESS")
    for application in applications:
        application.refresh_from_db()
        assert application.status == Application.Status.IN_REVIEW
        assert Assessment.objects.filter(application=application).count() == 1
        assert (
            AuditEvent.objects.filter(
                verb="application.assessed", object_id=str(application.pk)
            ).count()
            == 1
        )
    assert Application.objects.filter(status=Application.Status.SUBMITTED).count() == 0
    assert healthy.json()["checks"] == {"database": True, "broker": True, "worker": True}
    assert_known_exits(worker)
    print(
        f"T32: {SUBMISSIONS} submissions in ≤ {max(durations):.1f} s each with the broker down; "
        f"all assessed {assessed_after:.0f} s after it returned (limit 15 min); "
        f"worker restarts by its supervisor: {len(worker.exits)}"
    )
