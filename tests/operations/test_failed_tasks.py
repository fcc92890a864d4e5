"""A task that fails for good is kept as a FailedTask that policy staff retry or resolve."""

import uuid

import pytest
from celery import shared_task
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from config.tasks import RETRY_TRANSIENT
from operations.models import FailedTask
from operations.services import MESSAGE_MAX_CHARS, TRACEBACK_MAX_CHARS
from reviews.models import Application, Assessment, PolicyVersion
from reviews.services import application_submit, policy_version_create_draft
from reviews.tasks import assess_application

from ..conftest import PASSWORD, make_facts

CHANGELIST = "admin:operations_failedtask_changelist"

# Attempts per test token, so each test's flaky task fails exactly as often as it says.
_calls: dict[str, int] = {}


@shared_task(name="tests.operations.flaky", **RETRY_TRANSIENT)
def flaky(token: str, failures: int) -> str:
    """Fail with a dropped database connection `failures` times, then succeed."""
    _calls[token] = _calls.get(token, 0) + 1
    if _calls[token] <= failures:
        raise OperationalError("server closed the connection unexpectedly")
    return f"done after {_calls[token]}"


@shared_task(name="tests.operations.loud", **RETRY_TRANSIENT)
def loud(size: int) -> None:
    """Fail for good with a very long message."""
    raise ValueError("x" * size)


def test_it_keeps_a_task_that_fails_for_good_once_with_its_details(db):
    missing = 987654321
    delivery = str(uuid.uuid4())

    result = assess_application.apply(args=[missing], task_id=delivery)

    assert result.state == "FAILURE"

    row = FailedTask.objects.get()
    assert row.task_name == "reviews.tasks.assess_application"
    assert row.task_id == delivery
    assert row.args == [missing] and row.kwargs == {}
    assert row.exception_type == "reviews.models.applications.Application.DoesNotExist"
    assert row.exception_message == "Application matching query does not exist."
    assert "application_assess" in row.traceback
    assert row.traceback.rstrip().endswith("Application matching query does not exist.")
    assert row.attempts == 1  # not a transient error: no retry
    assert row.first_failed_at is not None and row.first_failed_at == row.last_failed_at
    assert row.resolved_at is None and row.resolved_by is None


def test_it_keeps_a_task_once_its_retries_are_exhausted(db):
    token = uuid.uuid4().hex

    result = flaky.apply(args=[token, 100])

    assert result.state == "FAILURE"

    assert _calls[token] == RETRY_TRANSIENT["max_retries"] + 1
    row = FailedTask.objects.get()
    assert row.task_name == "tests.operations.flaky"
    assert row.args == [token, 100]
    assert row.exception_type == "django.db.utils.OperationalError"
    assert row.exception_message == "server closed the connection unexpectedly"
    assert row.attempts == RETRY_TRANSIENT["max_retries"] + 1


def test_it_keeps_nothing_for_a_task_that_succeeds_on_a_retry(db):
    token = uuid.uuid4().hex

    result = flaky.apply(args=[token, 2])

    assert result.get() == "done after 3"
    assert _calls[token] == 3
    assert not FailedTask.objects.exists()


def test_it_truncates_a_huge_message_and_traceback_visibly(db):
    loud.apply(args=[100_000])

    row = FailedTask.objects.get()
    assert len(row.exception_message) <= MESSAGE_MAX_CHARS
    assert "…truncated" in row.exception_message
    assert len(row.traceback) <= TRACEBACK_MAX_CHARS
    assert "…truncated" in row.traceback
    assert row.traceback.startswith("Traceback")


def test_it_keeps_one_row_when_the_same_message_fails_twice(db):
    delivery = str(uuid.uuid4())
    for _ in range(2):
        assess_application.apply(args=[987654321], task_id=delivery)

    row = FailedTask.objects.get()
    assert row.attempts == 2


# The admin


@pytest.fixture
def unpublished(db):
    """No policy is published: assessments fail for good until one is."""
    retired = PolicyVersion.objects.get(status=PolicyVersion.Status.PUBLISHED)
    retired.status = PolicyVersion.Status.RETIRED
    retired.retired_at = timezone.now()
    retired.save(update_fields=["status", "retired_at"])
    return retired


@pytest.fixture
def failed_assessment(applicant, organization, unpublished, django_capture_on_commit_callbacks):
    """An application whose assessment failed because no policy was published."""
    with django_capture_on_commit_callbacks(execute=True):
        application = application_submit(
            actor=applicant,
            organization=organization,
            role="owner",
            title="Selfie check",
            facts=make_facts(organization),
        )
    row = FailedTask.objects.get(task_name="reviews.tasks.assess_application")
    assert row.args == [application.pk]
    return application, row


@pytest.fixture
def staff_client(client, policy_staff):
    client.force_login(policy_staff)
    return client


def test_it_lists_failed_tasks_to_policy_staff_with_filters(staff_client, failed_assessment):
    _application, row = failed_assessment

    listing = staff_client.get(reverse(CHANGELIST))
    open_only = staff_client.get(reverse(CHANGELIST), {"status": "open"})
    resolved_only = staff_client.get(reverse(CHANGELIST), {"status": "resolved"})

    assert listing.status_code == 200
    assert "reviews.tasks.assess_application" in listing.text
    assert list(open_only.context["cl"].result_list) == [row]
    assert list(resolved_only.context["cl"].result_list) == []


def test_it_shows_a_failed_task_read_only(staff_client, failed_assessment):
    _application, row = failed_assessment
    url = reverse("admin:operations_failedtask_change", args=[row.pk])

    page = staff_client.get(url)
    forged = staff_client.post(url, {"task_name": "forged", "args": "[1]"})

    assert page.status_code == 200
    assert "No policy version is published." in page.text
    assert 'name="task_name"' not in page.text
    assert forged.status_code == 403
    assert staff_client.get(reverse("admin:operations_failedtask_add")).status_code == 403
    row.refresh_from_db()
    assert row.task_name == "reviews.tasks.assess_application"


def test_it_retries_a_failed_assessment_from_the_admin(
    staff_client, policy_staff, failed_assessment, unpublished, django_capture_on_commit_callbacks
):
    application, row = failed_assessment
    with django_capture_on_commit_callbacks():  # publishing re-assesses too: not here
        draft = policy_version_create_draft(
            actor=policy_staff, source_version_id=unpublished.pk, version="fix", now=timezone.now()
        )
        from reviews.services import policy_version_publish

        policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())
    assert not Assessment.objects.filter(application=application).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(CHANGELIST), {"action": "retry", "_selected_action": [row.pk]}
        )

    assert response.status_code == 302
    assert Assessment.objects.filter(application=application).count() == 1
    assert Application.objects.get(pk=application.pk).status == Application.Status.IN_REVIEW
    row.refresh_from_db()
    assert row.resolved_by == policy_staff and row.resolved_at is not None
    assert row.retried_as and row.retried_as != row.task_id
    event = AuditEvent.objects.get(verb="failed_task.retried")
    assert (event.actor, event.actor_role) == (policy_staff, "policy_staff")
    assert event.object_id == str(row.pk)
    assert event.payload["retried_as"] == row.retried_as
    assert FailedTask.objects.count() == 1  # the retry succeeded: no new failure


def test_it_keeps_the_new_failure_when_a_retry_fails_again(
    staff_client, failed_assessment, django_capture_on_commit_callbacks
):
    _application, row = failed_assessment

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [row.pk]})

    row.refresh_from_db()
    again = FailedTask.objects.exclude(pk=row.pk).get()
    assert row.resolved_at is not None
    assert again.task_id == row.retried_as and again.resolved_at is None


def test_it_marks_a_failed_task_resolved_without_running_it(
    staff_client, policy_staff, failed_assessment, django_capture_on_commit_callbacks
):
    application, row = failed_assessment

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        staff_client.post(
            reverse(CHANGELIST), {"action": "mark_resolved", "_selected_action": [row.pk]}
        )
        staff_client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [row.pk]})

    assert callbacks == []  # resolved rows are not retried
    row.refresh_from_db()
    assert row.resolved_by == policy_staff and row.retried_as == ""
    assert (
        AuditEvent.objects.filter(verb="failed_task.resolved", object_id=str(row.pk)).count() == 1
    )
    assert not AuditEvent.objects.filter(verb="failed_task.retried").exists()
    assert not Assessment.objects.filter(application=application).exists()


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "staff_without_role"])
def test_it_keeps_failed_tasks_from_anyone_but_policy_staff(
    client, persona, request, failed_assessment, django_capture_on_commit_callbacks
):
    if persona == "staff_without_role":
        user = User.objects.create_user(
            email="sid@gatehouse.example", password=PASSWORD, full_name="Sid", is_staff=True
        )
    else:
        user = request.getfixturevalue(persona)
    _application, row = failed_assessment
    client.force_login(user)

    listing = client.get(reverse(CHANGELIST))
    detail = client.get(reverse("admin:operations_failedtask_change", args=[row.pk]))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        action = client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [row.pk]})

    if persona == "staff_without_role":
        assert (listing.status_code, detail.status_code, action.status_code) == (403, 403, 403)
    else:  # not staff: the admin sends them to its sign-in page
        for response in (listing, detail, action):
            assert response.status_code == 302
            assert response.url.startswith(reverse("admin:login"))
    assert callbacks == []
    row.refresh_from_db()
    assert row.resolved_at is None
    assert not AuditEvent.objects.filter(verb__startswith="failed_task.").exists()
