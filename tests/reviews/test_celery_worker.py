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
