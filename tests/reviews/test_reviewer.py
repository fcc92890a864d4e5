"""The reviewer side: the queue, the application page and the decisions."""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import membership_add
from audit.models import AuditEvent
from reviews.models import Application, ReviewAction


def approve_url(application):
    return reverse("reviews:review_approve", args=[application.pk])


def deny_url(application):
    return reverse("reviews:review_deny", args=[application.pk])


@pytest.fixture
def prohibited(applicant, submit):
    """An application for emotion recognition, which the policy prohibits."""
    return submit(applicant, "Shopper moods", capabilities=["emotion_recognition"])


def test_it_lists_undecided_applications_riskiest_first(
    client, reviewer, applicant, submit, prohibited
):
    approvable = submit(applicant, "Selfie check")
    client.force_login(reviewer)

    response = client.get(reverse("reviews:queue"))

    assert list(response.context["applications"]) == [prohibited, approvable]
    assert "Prohibited" in response.text


@pytest.mark.parametrize("rows", [1, 25])
def test_it_shows_the_queue_in_a_constant_number_of_queries(
    client, reviewer, applicant, submit, rows, django_assert_max_num_queries
):
    for index in range(rows):
        submit(applicant, f"Use case {index}")
    client.force_login(reviewer)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("reviews:queue"))

    assert len(response.context["applications"]) == rows


def test_it_hides_the_queue_from_applicants(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("reviews:queue")).status_code == 404


def test_it_shows_the_assessment_with_explained_rule_hits(client, reviewer, prohibited):
    client.force_login(reviewer)

    response = client.get(reverse("reviews:review_detail", args=[prohibited.pk]))

    assert response.status_code == 200
    assert "EMOTION" in response.text
    assert "risk score <strong>100</strong>" in response.text
    assert "cannot be approved" in response.text
    assert "application.assessed" in response.text


def test_it_approves_with_a_reason_and_records_it(client, reviewer, applicant, submit):
    application = submit(applicant)
    client.force_login(reviewer)

    response = client.post(
        approve_url(application), {"approve-reason": "Matches the approved list."}
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.decided_at is not None
    action = ReviewAction.objects.get(application=application)
    assert (action.kind, action.actor, action.reason) == (
        "approve",
        reviewer,
        "Matches the approved list.",
    )
    event = AuditEvent.objects.get(verb="application.approved")
    assert event.actor == reviewer
    assert event.organization == application.organization
    assert event.payload["reason"] == "Matches the approved list."
    assert event.payload["old_status"] == "in_review"
    assert event.payload["signature"]["printed_name"] == reviewer.get_full_name()


def test_it_shows_the_applicant_the_decision_and_its_reason(
    client, reviewer, applicant, submit, prohibited
):
    client.force_login(reviewer)
    client.post(deny_url(prohibited), {"deny-reason": "Emotion recognition is not offered."})
    client.force_login(applicant)

    response = client.get(prohibited.get_absolute_url())

    assert "Denied" in response.text
    assert "Emotion recognition is not offered." in response.text


def test_it_requires_a_reason_and_keeps_the_page(client, reviewer, prohibited):
    client.force_login(reviewer)

    response = client.post(deny_url(prohibited), {"deny-reason": "   "})

    assert response.status_code == 400
    assert response.context["deny_form"].errors["reason"]
    prohibited.refresh_from_db()
    assert prohibited.status == Application.Status.IN_REVIEW


def test_it_refuses_to_approve_a_prohibited_application(client, reviewer, prohibited):
    client.force_login(reviewer)

    response = client.post(approve_url(prohibited), {"approve-reason": "Looks fine to me."})

    assert response.status_code == 409
    assert "prohibits this use case" in response.text
    prohibited.refresh_from_db()
    assert prohibited.status == Application.Status.IN_REVIEW
    assert not ReviewAction.objects.exists()
    assert not AuditEvent.objects.filter(verb="application.approved").exists()


def test_it_decides_once(client, reviewer, senior_reviewer, prohibited):
    client.force_login(reviewer)
    client.post(deny_url(prohibited), {"deny-reason": "Not offered."})
    client.force_login(senior_reviewer)

    response = client.post(deny_url(prohibited), {"deny-reason": "Again."})

    assert response.status_code == 409
    assert "already denied" in response.text
    assert ReviewAction.objects.count() == 1


def test_it_leaves_escalated_applications_to_senior_reviewers(
    client, reviewer, senior_reviewer, applicant, submit
):
    application = submit(applicant, consequential_decisions=["employment"])
    assert application.assessments.get().outcome == "escalate"
    client.force_login(reviewer)

    refused = client.post(approve_url(application), {"approve-reason": "ok"})
    client.force_login(senior_reviewer)
    accepted = client.post(
        approve_url(application), {"approve-reason": "Human review is in place."}
    )

    assert refused.status_code == 409
    assert "senior reviewer" in refused.text
    assert accepted.status_code == 302


def test_it_hides_an_application_from_a_reviewer_who_belongs_to_its_organization(
    client, reviewer, applicant, organization, submit
):
    application = submit(applicant)
    membership_add(actor=applicant, organization=organization, user=reviewer, role=Role.MEMBER)
    client.force_login(reviewer)

    assert client.get(reverse("reviews:review_detail", args=[application.pk])).status_code == 404
    assert client.post(approve_url(application), {"approve-reason": "mine"}).status_code == 404
    assert application not in client.get(reverse("reviews:queue")).context["applications"]


def test_it_answers_404_to_customers_and_for_missing_applications(
    client, reviewer, applicant, outsider, submit
):
    application = submit(applicant)
    for user in (applicant, outsider):
        client.force_login(user)
        assert (
            client.get(reverse("reviews:review_detail", args=[application.pk])).status_code == 404
        )
        assert client.post(approve_url(application), {"approve-reason": "x"}).status_code == 404
    client.force_login(reviewer)
    assert client.get(reverse("reviews:review_detail", args=[99999])).status_code == 404
    assert client.post(reverse("reviews:review_deny", args=[99999]), {}).status_code == 404
    assert not ReviewAction.objects.exists()


def test_it_accepts_decisions_only_by_post(client, reviewer, applicant, submit):
    application = submit(applicant)
    client.force_login(reviewer)

    assert client.get(approve_url(application)).status_code == 405
