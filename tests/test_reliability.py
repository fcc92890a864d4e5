"""Health checks, a friendly page when the database is down, no lost or doubled background work."""

import importlib
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError, transaction
from django.test import RequestFactory
from django.utils import timezone

from audit.models import AuditEvent
from config.celery import app as celery_app
from config.errors import DatabaseUnavailableMiddleware
from operations.models import TaskReceipt, WorkerHeartbeat
from reviews.models import Application, Assessment, PolicyVersion
from reviews.services import application_decide, application_submit
from reviews.tasks import assess_application, send_review_email, sweep_unassessed

from .conftest import make_facts
from .operations.support import celery_conf
from .services import REDIS_URL, redis_reachable, unavailable


@pytest.fixture
def broker_down(settings):
    """Point Celery at a port where nothing listens, without retrying."""
    with celery_conf(
        settings,
        task_always_eager=False,
        broker_url="redis://127.0.0.1:1/0",
        task_publish_retry=False,
    ):
        yield


@pytest.fixture
def broker_up(settings):
    """Point Celery at the test Redis, tasks no longer in-process (so a worker must beat)."""
    if not redis_reachable():
        unavailable("Redis", "start redis-server on 127.0.0.1:6379 (apt-get install redis-server)")
    with celery_conf(settings, task_always_eager=False, broker_url=REDIS_URL):
        yield


def test_it_reports_healthy(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": True, "broker": True, "worker": True},
    }


def test_it_reports_an_unreachable_broker(client, db, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "broker": False, "worker": False}


def test_it_reports_a_worker_alive_while_its_heartbeat_is_fresh(client, db, broker_up, settings):
    settings.WORKER_HEARTBEAT_STALE_AFTER = 120
    WorkerHeartbeat.objects.create(
        hostname="celery@web-1", pid=1, last_seen_at=timezone.now() - timedelta(seconds=110)
    )

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True, "worker": True}


def test_it_reports_no_worker_once_the_last_heartbeat_is_stale(client, db, broker_up, settings):
    settings.WORKER_HEARTBEAT_STALE_AFTER = 120
    WorkerHeartbeat.objects.create(
        hostname="celery@web-1", pid=1, last_seen_at=timezone.now() - timedelta(seconds=130)
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "broker": True, "worker": False},
    }


def test_it_answers_a_database_outage_with_a_friendly_503():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    response = middleware.process_exception(
        RequestFactory().get("/"), OperationalError("server closed the connection unexpectedly")
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Nothing you submitted is lost" in response.content
    assert b"server closed" not in response.content


class DatabaseGoneMiddleware:
    """Fault injection: the database fails while a middleware reads the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("connection to server failed: the database system is shutting down")


def test_it_answers_a_database_outage_met_before_the_view_with_the_friendly_503(
    settings, applicant
):
    from django.test import Client

    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:-1],
        "tests.test_reliability.DatabaseGoneMiddleware",
        settings.MIDDLEWARE[-1],
    ]
    client = Client(raise_request_exception=False)
    client.force_login(applicant)

    response = client.get("/applications/")

    assert response.status_code == 503
    assert b"Nothing you submitted is lost" in response.content


def test_it_keeps_a_submission_when_the_broker_is_down_and_the_sweeper_catches_up(
    client, applicant, organization, broker_down, django_capture_on_commit_callbacks
):
    from .reviews.portal_steps import file_through_steps

    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        application = file_through_steps(client, make_facts(organization), "Selfie")

    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    Application.objects.filter(pk=application.pk).update(
        updated_at=application.updated_at - timedelta(minutes=5)
    )
    celery_app.conf.update(task_always_eager=True)

    assert sweep_unassessed() == 1
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW


# T32 (PR tier): tasks are published after commit, never for a rolled-back transaction.


def _submit(applicant, organization, title="Selfie check"):
    return application_submit(
        actor=applicant,
        organization=organization,
        role="owner",
        title=title,
        facts=make_facts(organization),
    )


def test_it_publishes_nothing_for_a_rolled_back_submission(
    applicant, organization, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _submit(applicant, organization)
        raise RuntimeError("the request failed after the submission")

    assert callbacks == []
    assert not Application.objects.filter(title="Selfie check").exists()


def test_it_publishes_exactly_one_assessment_for_a_committed_submission(
    applicant, organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        application = _submit(applicant, organization)

    assert len(callbacks) == 1
    assert Assessment.objects.filter(application=application).count() == 1


# T31 (PR tier): the same task delivered twice has one effect and sends one notification.


def test_it_assesses_once_when_the_assessment_runs_twice(applicant, organization):
    application = _submit(applicant, organization)  # its task is captured by nobody: not run

    assess_application(application.pk)
    assess_application(application.pk)

    assert Assessment.objects.filter(application=application).count() == 1
    assert (
        AuditEvent.objects.filter(
            verb="application.assessed", object_id=str(application.pk)
        ).count()
        == 1
    )
    assert Application.objects.get(pk=application.pk).status == Application.Status.IN_REVIEW


def test_a_copy_of_the_assessment_after_a_new_policy_was_published_changes_nothing(
    applicant, organization, published, draft
):
    """Assessment tasks keep no delivery receipt: a copy that comes after the application moved
    on, with a version published in between, must not assess it again (the new version's own
    re-assessment run does that, and flags approvals that became prohibited)."""
    application = _submit(applicant, organization)
    assess_application(application.pk)
    before = (
        Application.objects.filter(pk=application.pk).values().get(),
        AuditEvent.objects.count(),
        Assessment.objects.count(),
    )
    PolicyVersion.objects.filter(pk=published.pk).update(status=PolicyVersion.Status.RETIRED)
    PolicyVersion.objects.filter(pk=draft.pk).update(
        status=PolicyVersion.Status.PUBLISHED, published_at=timezone.now()
    )

    assess_application(application.pk)

    after = (
        Application.objects.filter(pk=application.pk).values().get(),
        AuditEvent.objects.count(),
        Assessment.objects.count(),
    )
    assert after == before


def test_it_sends_one_decision_email_when_its_message_is_delivered_twice(
    applicant, reviewer, submit, django_capture_on_commit_callbacks
):
    application = submit(applicant, "Selfie check")
    with django_capture_on_commit_callbacks():  # the email task is not run here
        action = application_decide(
            actor=reviewer,
            application_id=application.pk,
            kind="approve",
            reason="Meets the policy.",
            now=timezone.now(),
        )
    mail.outbox.clear()
    delivery = str(uuid.uuid4())

    first = send_review_email.apply(args=[action.pk], task_id=delivery)
    second = send_review_email.apply(args=[action.pk], task_id=delivery)

    assert (first.state, second.state) == ("SUCCESS", "IGNORED")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [applicant.email]
    assert TaskReceipt.objects.filter(task_id=delivery).count() == 1


def test_it_sends_again_when_the_same_email_is_requested_anew(
    applicant, reviewer, submit, django_capture_on_commit_callbacks
):
    application = submit(applicant, "Selfie check")
    with django_capture_on_commit_callbacks():
        action = application_decide(
            actor=reviewer,
            application_id=application.pk,
            kind="approve",
            reason="Meets the policy.",
            now=timezone.now(),
        )
    mail.outbox.clear()

    send_review_email.apply(args=[action.pk])
    send_review_email.apply(args=[action.pk])

    assert len(mail.outbox) == 2  # two requests are two messages: only redelivery is skipped


def test_it_retries_every_project_task_on_transient_errors_with_backoff():
    from django.db import InterfaceError
    from kombu.exceptions import OperationalError as BrokerError

    for module in ("accounts.tasks", "audit.tasks", "operations.tasks", "reviews.tasks"):
        importlib.import_module(module)
    project = {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"accounts", "reviews", "audit", "operations"}
    }

    assert len(project) >= 13
    for name, task in project.items():
        retried = tuple(task.autoretry_for)
        for error in (OperationalError, InterfaceError, BrokerError, ConnectionError):
            assert issubclass(error, retried), (name, error)
        assert task.retry_backoff and task.max_retries >= 5, name
        assert task.retry_backoff_max < 3600, name  # below the broker's visibility timeout


def test_it_shows_its_own_page_for_a_missing_page(client, applicant):
    client.force_login(applicant)

    response = client.get("/nowhere/")

    assert response.status_code == 404
    assert "Page not found" in response.text
