"""Questions and answers, withdrawal, copies, and re-attestation of approvals."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reviews.models import Application, InformationRequest
from reviews.services import application_decide, information_request_create, process_approval_expiry

from .portal_steps import step_posts


@pytest.fixture
def owner(client, applicant):
    client.force_login(applicant)
    return client


def ask(reviewer, application, questions="Which countries exactly?"):
    return information_request_create(
        actor=reviewer, application_id=application.pk, questions=questions, now=timezone.now()
    )


def test_it_sends_the_reviewers_questions_to_the_applicant(
    client, reviewer, applicant, submit, django_capture_on_commit_callbacks
):
    application = submit(applicant)
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:review_request_info", args=[application.pk]),
            {
                "questions": "Which countries exactly?",
                "idempotency_key": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                "version": application.version,
            },
        )

    application.refresh_from_db()
    assert response.status_code == 302
    assert application.status == Application.Status.INFO_REQUESTED
    assert mail.outbox[-1].to == [applicant.email]
    assert "Which countries exactly?" in mail.outbox[-1].body
    client.force_login(applicant)
    page = client.get(application.get_absolute_url())
    assert "The reviewer has questions" in page.text and "Which countries exactly?" in page.text
    assert application not in client.get(reverse("reviews:queue")).context.get("applications", [])


def test_it_takes_the_answer_with_corrected_facts_and_reassesses(
    owner, reviewer, applicant, submit, django_capture_on_commit_callbacks
):
    application = submit(applicant)
    ask(reviewer, application)
    application.refresh_from_db()
    posts = step_posts(application.facts, application.title)
    posts["deployment"]["countries"] = ["GB, IE, FR"]
    owner.post(
        reverse("reviews:application_step", args=[application.pk, "deployment"]),
        {**posts["deployment"], "version": application.version},
    )

    with django_capture_on_commit_callbacks(execute=True):
        owner.post(
            reverse("reviews:application_answer", args=[application.pk]), {"answer": "Also France."}
        )

    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW
    assert application.facts["deployment"]["countries"] == ["GB", "IE", "FR"]
    request = InformationRequest.objects.get()
    assert (request.answer, request.answered_by) == ("Also France.", applicant)
    assert application.assessments.count() == 2
    assert AuditEvent.objects.get(verb="application.information_provided").payload["facts_changed"]


def test_it_refuses_an_empty_answer_next_to_the_field(owner, reviewer, applicant, submit):
    application = submit(applicant)
    ask(reviewer, application)

    response = owner.post(
        reverse("reviews:application_answer", args=[application.pk]), {"answer": " "}
    )

    assert response.status_code == 400
    assert "Write your answer." in response.text


def test_it_withdraws_and_keeps_it_out_of_the_queue(owner, client, reviewer, applicant, submit):
    application = submit(applicant)

    owner.post(reverse("reviews:application_withdraw", args=[application.pk]))
    again = owner.post(reverse("reviews:application_withdraw", args=[application.pk]), follow=True)

    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert "cannot be withdrawn now" in again.text
    client.force_login(reviewer)
    assert application not in client.get(reverse("reviews:queue")).context["applications"]


def test_it_copies_an_application_into_a_new_draft(owner, applicant, submit, organization):
    source = submit(applicant, "Selfie check")

    response = owner.post(reverse("reviews:application_copy", args=[source.pk]))

    copy = organization.applications.get(status="draft")
    assert copy.copied_from == source and copy.title == "Copy of Selfie check"
    assert response.url == copy.get_absolute_url()
    summary = owner.get(reverse("reviews:application_summary", args=[copy.pk]))
    assert "Some steps need attention" in summary.text  # declarations are asked again
    assert summary.context["facts"] is None


def _approve(reviewer, application):
    application_decide(
        actor=reviewer,
        application_id=application.pk,
        kind="approve",
        reason="ok",
        now=timezone.now(),
    )
    application.refresh_from_db()
    return application


def test_it_gives_approvals_an_expiry_and_reminds_then_expires(
    reviewer, applicant, submit, settings, django_capture_on_commit_callbacks
):
    application = _approve(reviewer, submit(applicant))
    assert application.expires_at - application.decided_at == timedelta(days=365)
    now = application.expires_at - timedelta(days=29)

    with django_capture_on_commit_callbacks(execute=True):
        first = process_approval_expiry(now=now)
        repeat = process_approval_expiry(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        week = process_approval_expiry(now=application.expires_at - timedelta(days=6))
    lapsed = process_approval_expiry(now=application.expires_at + timedelta(seconds=1))

    application.refresh_from_db()
    assert (first, repeat, week) == (
        {"reminded": 1, "expired": 0},
        {"reminded": 0, "expired": 0},
        {"reminded": 1, "expired": 0},
    )
    assert lapsed == {"reminded": 0, "expired": 1}
    assert application.status == Application.Status.EXPIRED
    assert [m.subject for m in mail.outbox] == [
        f"{application.reference} needs re-attestation within 30 days",
        f"{application.reference} needs re-attestation within 7 days",
    ]


def test_it_reattests_with_the_last_facts_prefilled(
    owner, reviewer, applicant, submit, organization
):
    application = _approve(reviewer, submit(applicant, "Selfie check"))

    owner.post(reverse("reviews:application_reattest", args=[application.pk]))

    renewal = organization.applications.get(status="draft")
    assert renewal.renews == application
    page = owner.get(reverse("reviews:application_step", args=[renewal.pk, "use_case"]))
    assert 'value="Selfie check"' in page.text
