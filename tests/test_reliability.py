"""Health checks, a friendly page when the database is down, and no lost assessments."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from config.celery import app as celery_app
from config.errors import DatabaseUnavailableMiddleware
from reviews.models import Application
from reviews.tasks import sweep_unassessed


@pytest.fixture
def broker_down(settings):
    """Point Celery at a port where nothing listens, without retrying."""
    saved = {
        k: celery_app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")
    }
    celery_app.conf.update(
        task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    celery_app.conf.update(saved)


def test_it_reports_healthy(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": True}}


def test_it_reports_an_unreachable_broker(client, db, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "broker": False}


def test_it_answers_a_database_outage_with_a_friendly_503():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    response = middleware.process_exception(
        RequestFactory().get("/"), OperationalError("server closed the connection unexpectedly")
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Nothing you submitted is lost" in response.content
    assert b"server closed" not in response.content


def test_it_keeps_a_submission_when_the_broker_is_down_and_the_sweeper_catches_up(
    client, applicant, organization, broker_down, django_capture_on_commit_callbacks
):
    from .conftest import make_facts
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


def test_it_shows_its_own_page_for_a_missing_page(client, applicant):
    client.force_login(applicant)

    response = client.get("/nowhere/")

    assert response.status_code == 404
    assert "Page not found" in response.text
