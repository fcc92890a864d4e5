"""The assessment runs in a real Celery worker that consumes from Redis."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from audit.models import AuditEvent
from config.celery import app as celery_app
from reviews.models import Application, Assessment
from reviews.services import application_submit

from ..conftest import make_facts
from ..services import REDIS_URL, redis_reachable, unavailable

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(postgresql, seed_policy):
    """Start a worker on a queue of its own; point this process's Celery app at it."""
    if not redis_reachable():
        unavailable("Redis", "start redis-server on 127.0.0.1:6379 (apt-get install redis-server)")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "DATABASE_CONN_MAX_AGE": "60",  # as in production
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    saved = {
        key: celery_app.conf[key]
        for key in ("task_always_eager", "broker_url", "task_default_queue")
    }
    celery_app.conf.update(task_always_eager=False, broker_url=REDIS_URL, task_default_queue=queue)
    try:
        yield worker
    finally:
        celery_app.conf.update(saved)
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def _wait_for(predicate, *, seconds: float, worker):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker.poll() is not None:
            pytest.fail(f"The worker exited early:\n{worker.stdout.read()}")
        time.sleep(0.1)
    worker.terminate()
    pytest.fail(f"Nothing happened within {seconds} s. Worker output:\n{worker.communicate()[0]}")


@pytest.mark.celery_worker
def test_it_assesses_a_submitted_application_in_a_real_worker(
    worker_queue, applicant, organization
):
    application = application_submit(
        actor=applicant,
        organization=organization,
        role="owner",
        title="Mood at checkout",
        facts=make_facts(organization, capabilities=["emotion_recognition"]),
    )

    _wait_for(
        lambda: Assessment.objects.filter(application=application).exists(),
        seconds=60,
        worker=worker_queue,
    )

    assessment = Assessment.objects.get(application=application)
    assert assessment.outcome == "prohibited"
    assert Application.objects.get(pk=application.pk).status == Application.Status.IN_REVIEW
    event = AuditEvent.objects.get(verb="application.assessed", object_id=str(application.pk))
    assert event.actor is None and event.actor_label == "system"
    assert event.payload["outcome"] == "prohibited"


def _submit_and_wait(worker, applicant, organization, title: str) -> None:
    application = application_submit(
        actor=applicant,
        organization=organization,
        role="owner",
        title=title,
        facts=make_facts(organization),
    )
    _wait_for(
        lambda: Application.objects.get(pk=application.pk).status == Application.Status.IN_REVIEW,
        seconds=60,
        worker=worker,
    )


def _other_backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


@pytest.mark.celery_worker
def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    worker_queue, applicant, organization
):
    """Like a web process between requests, a worker keeps its connection (CONN_MAX_AGE)
    instead of opening one per task, which cost it more than the assessment itself."""
    seen = []
    for title in ("First", "Second", "Third"):
        _submit_and_wait(worker_queue, applicant, organization, title)
        seen.append(_other_backends())

    assert set.intersection(*seen), f"a new connection for every task: {seen}"


@pytest.mark.celery_worker
def test_a_worker_whose_kept_connection_was_cut_connects_again_for_the_next_task(
    worker_queue, applicant, organization
):
    """A kept connection that the database dropped (a restart, a failover, an idle timeout)
    is checked before the next task and replaced, not reused broken (which fails the task
    once and leaves it to a retry)."""
    for title in ("Before the cut", "After the cut"):
        _submit_and_wait(worker_queue, applicant, organization, title)
        with connection.cursor() as cursor:
            for pid in _other_backends():
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    worker_queue.terminate()
    output = worker_queue.communicate(timeout=20)[0]
    assert output.count("succeeded in") == 2
    assert "retry:" not in output  # the task ran at its first try, on a new connection
