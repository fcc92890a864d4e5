"""The reviewer side: the queue, assignment, and every action with its rules."""

import uuid
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from accounts.services import membership_add
from audit.models import AuditEvent
from reviews.models import Application, ReasonCode, ReviewAction

from ..conftest import staff


def act(client, application, kind, **data):
    application.refresh_from_db()
    payload = {"idempotency_key": str(uuid.uuid4()), "version": application.version, **data}
    return client.post(reverse(f"reviews:review_{kind}", args=[application.pk]), payload)


@pytest.fixture
def prohibited(applicant, submit):
    """Emotion recognition: the policy prohibits it."""
    return submit(applicant, "Shopper moods", capabilities=["emotion_recognition"])


@pytest.fixture
def approvable(applicant, submit):
    return submit(applicant, "Selfie check")


@pytest.fixture
def escalate_case(applicant, submit):
    """Consequential decisions: the policy escalates (score 30)."""
    return submit(applicant, "Hiring check", consequential_decisions=["employment"])


@pytest.fixture
def high_risk(applicant, submit):
    """Escalate outcome with a score of 60 or more: four eyes."""
    return submit(
        applicant,
        "Kiosk",
        consequential_decisions=["employment"],
        human_review=False,
        data_subjects=["customers", "minors"],
    )


# The queue


def test_it_lists_actionable_applications_riskiest_first(reviewer_client, prohibited, approvable):
    response = reviewer_client.get(reverse("reviews:queue"))

    assert list(response.context["applications"]) == [prohibited, approvable]
    assert response.context["counts"] == {"in_review": 2}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("outcome=prohibited", ["Shopper moods"]),
        ("rule=EMOTION", ["Shopper moods"]),
        ("capability=face_verification", ["Selfie check", "Hiring check"]),
        ("country=GB", ["Shopper moods", "Hiring check", "Selfie check"]),
        ("country=FR", []),
        ("sort=submitted", ["Shopper moods", "Selfie check", "Hiring check"]),
        ("assignee=none", ["Shopper moods", "Hiring check", "Selfie check"]),
        ("assignee=me", []),
        ("older_than=3", []),
    ],
)
def test_it_filters_and_sorts_from_the_url(
    reviewer_client, prohibited, approvable, escalate_case, query, expected
):
    response = reviewer_client.get(reverse("reviews:queue") + "?" + query)

    titles = [a.title for a in response.context["applications"]]
    assert sorted(titles) == sorted(expected)
    if query.startswith("sort"):
        assert titles == expected


def test_it_explains_a_bad_filter_and_keeps_the_others(reviewer_client, prohibited):
    response = reviewer_client.get(reverse("reviews:queue") + "?older_than=-4&outcome=prohibited")

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in response.text


@pytest.mark.parametrize("rows", [1, 30])
def test_it_shows_the_queue_in_a_constant_number_of_queries(
    reviewer_client, applicant, submit, rows, django_assert_max_num_queries
):
    for index in range(rows):
        submit(applicant, f"Use case {index}")

    with django_assert_max_num_queries(12):
        response = reviewer_client.get(reverse("reviews:queue"))

    assert len(response.context["applications"]) == rows


def test_it_hides_the_queue_from_customers(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("reviews:queue")).status_code == 404


def test_it_claims_releases_and_lets_seniors_assign(
    reviewer_client, reviewer, senior_reviewer, approvable, client
):
    reviewer_client.post(reverse("reviews:review_claim", args=[approvable.pk]))
    approvable.refresh_from_db()
    assert approvable.assignee == reviewer
    assert list(
        reviewer_client.get(reverse("reviews:queue") + "?assignee=me").context["applications"]
    ) == [approvable]

    reviewer_client.post(reverse("reviews:review_release", args=[approvable.pk]))
    client.force_login(senior_reviewer)
    client.post(reverse("reviews:review_assign", args=[approvable.pk]), {"assignee": reviewer.pk})

    approvable.refresh_from_db()
    assert approvable.assignee == reviewer
    verbs = [
        e.verb
        for e in AuditEvent.objects.filter(verb__startswith="application.")
        if "assign" in e.verb or "claim" in e.verb or "release" in e.verb
    ]
    assert verbs == ["application.claimed", "application.released", "application.assigned"]


def test_it_lets_only_senior_reviewers_assign(reviewer_client, reviewer, approvable):
    response = reviewer_client.post(
        reverse("reviews:review_assign", args=[approvable.pk]),
        {"assignee": reviewer.pk},
        follow=True,
    )

    assert "Only senior reviewers assign applications." in response.text
    approvable.refresh_from_db()
    assert approvable.assignee is None


# The application page


def test_it_shows_the_assessment_and_what_to_decide_with(reviewer_client, prohibited):
    response = reviewer_client.get(reverse("reviews:review_detail", args=[prohibited.pk]))

    assert "EMOTION" in response.text
    assert "risk score <strong>100</strong>" in response.text
    assert "it cannot be approved" in response.text
    assert "Acme Identity" in response.text
    assert "application.assessed" in response.text
    assert response.context["can_approve"] is False


# Actions


def test_it_approves_with_conditions_and_an_expiry_and_tells_the_applicant(
    reviewer_client, reviewer, approvable, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            reviewer_client,
            approvable,
            "approve",
            reason="Fits the approved list.",
            conditions="Keep the branch alternative.",
            expires_on="2027-03-31",
        )

    assert response.status_code == 302
    approvable.refresh_from_db()
    assert approvable.status == Application.Status.APPROVED
    assert approvable.expires_at.date() == date(2027, 3, 31)
    action = ReviewAction.objects.get(application=approvable, kind="approve")
    assert (action.actor, action.conditions) == (reviewer, "Keep the branch alternative.")
    event = AuditEvent.objects.get(verb="application.approved")
    assert event.payload["signature"]["printed_name"] == reviewer.get_full_name()
    assert event.payload["conditions"] == "Keep the branch alternative."
    assert mail.outbox[-1].subject == f"{approvable.reference} is approved"
    assert "Keep the branch alternative." in mail.outbox[-1].body


def test_it_denies_with_reason_codes_the_applicant_can_read(
    reviewer_client, client, applicant, prohibited, django_capture_on_commit_callbacks
):
    code = ReasonCode.objects.get(code="EMOTION")
    with django_capture_on_commit_callbacks(execute=True):
        act(reviewer_client, prohibited, "deny", reason="Not offered.", reason_codes=[code.pk])

    client.force_login(applicant)
    page = client.get(prohibited.get_absolute_url())
    assert "Denied" in page.text and "Not offered." in page.text
    assert code.customer_text in page.text
    assert AuditEvent.objects.get(verb="application.denied").payload["reason_codes"] == ["EMOTION"]
    assert code.customer_text in mail.outbox[-1].body


def test_it_requires_a_reason_code_and_a_message_next_to_the_fields(reviewer_client, prohibited):
    response = act(reviewer_client, prohibited, "deny", reason="  ")

    assert response.status_code == 400
    errors = response.context["forms"]["deny"].errors
    assert errors["reason_codes"] == ["Choose at least one reason code."]
    assert errors["reason"] == ["Write a message to the applicant."]
    prohibited.refresh_from_db()
    assert prohibited.status == Application.Status.IN_REVIEW


def test_it_refuses_to_approve_a_prohibited_application(reviewer_client, prohibited):
    response = act(reviewer_client, prohibited, "approve", reason="Looks fine.")

    assert response.status_code == 409
    assert "prohibits this use case" in response.text
    assert not ReviewAction.objects.exists()


def test_it_records_one_action_for_a_double_submission(reviewer_client, approvable):
    approvable.refresh_from_db()
    payload = {"idempotency_key": str(uuid.uuid4()), "version": approvable.version, "reason": "ok"}
    url = reverse("reviews:review_approve", args=[approvable.pk])

    first = reviewer_client.post(url, payload)
    second = reviewer_client.post(url, payload)

    assert first.status_code == second.status_code == 302
    assert ReviewAction.objects.filter(application=approvable).count() == 1
    assert AuditEvent.objects.filter(verb="application.approved").count() == 1


def test_it_tells_the_second_reviewer_who_decided_first(
    reviewer_client, reviewer, senior_reviewer, prohibited, client
):
    prohibited.refresh_from_db()
    stale = prohibited.version
    act(
        reviewer_client,
        prohibited,
        "deny",
        reason="No.",
        reason_codes=[ReasonCode.objects.first().pk],
    )
    client.force_login(senior_reviewer)

    response = client.post(
        reverse("reviews:review_deny", args=[prohibited.pk]),
        {
            "idempotency_key": str(uuid.uuid4()),
            "version": stale,
            "reason": "Again",
            "reason_codes": [ReasonCode.objects.first().pk],
        },
    )

    assert response.status_code == 409
    assert f"already denied by {reviewer.get_full_name()}" in response.text
    assert ReviewAction.objects.filter(kind="deny").count() == 1


def test_it_refuses_an_action_on_a_changed_application(reviewer_client, approvable, reviewer):
    approvable.refresh_from_db()
    stale = approvable.version
    act(reviewer_client, approvable, "request_info", questions="Which countries?")

    response = reviewer_client.post(
        reverse("reviews:review_approve", args=[approvable.pk]),
        {"idempotency_key": str(uuid.uuid4()), "version": stale, "reason": "ok"},
    )

    assert response.status_code == 409
    assert "changed since you opened it" in response.text


def test_it_leaves_escalate_outcomes_to_senior_reviewers(
    reviewer_client, client, senior_reviewer, escalate_case
):
    refused = act(reviewer_client, escalate_case, "approve", reason="ok")
    client.force_login(senior_reviewer)
    accepted = act(client, escalate_case, "approve", reason="Human review is in place.")

    assert refused.status_code == 409 and "senior reviewer" in refused.text
    assert accepted.status_code == 302


def test_it_escalates_and_only_another_senior_approves(
    reviewer_client, client, approvable, senior_reviewer
):
    act(reviewer_client, approvable, "escalate", note="Unsure about the gallery.")
    approvable.refresh_from_db()
    assert approvable.status == Application.Status.ESCALATED
    assert (
        act(
            reviewer_client,
            approvable,
            "deny",
            reason="x",
            reason_codes=[ReasonCode.objects.first().pk],
        ).status_code
        == 409
    )

    client.force_login(senior_reviewer)
    act(client, approvable, "approve", reason="Fine after all.")

    approvable.refresh_from_db()
    assert approvable.status == Application.Status.APPROVED
    escalated = AuditEvent.objects.get(verb="application.escalated")
    assert escalated.payload["internal_note"] == "Unsure about the gallery."


def test_it_does_not_let_a_senior_approve_their_own_escalation_alone(
    client, senior_reviewer, approvable
):
    client.force_login(senior_reviewer)
    act(client, approvable, "escalate", note="Second opinion please.")

    response = act(client, approvable, "approve", reason="Myself.")

    assert response.status_code == 409
    assert "You escalated this application" in response.text
    page = client.get(reverse("reviews:review_detail", args=[approvable.pk]))
    assert "application.escalated</strong>: <em>Second opinion please.</em>" in page.text


def test_it_needs_two_different_reviewers_for_a_high_risk_approval(
    client, senior_reviewer, high_risk, db
):
    assert high_risk.assessments.get().score >= 60
    other_senior = staff("stella@gatehouse.example", "Senior reviewers")
    client.force_login(senior_reviewer)

    first = act(client, high_risk, "approve", reason="Safeguards documented.")
    again = act(client, high_risk, "approve", reason="Still fine.")
    high_risk.refresh_from_db()
    assert high_risk.status == Application.Status.IN_REVIEW
    client.force_login(other_senior)
    act(client, high_risk, "approve", reason="Agreed.")

    assert first.status_code == 302 and again.status_code == 409
    assert "a second, different reviewer must approve" in again.text
    high_risk.refresh_from_db()
    assert high_risk.status == Application.Status.APPROVED
    assert list(ReviewAction.objects.values_list("kind", flat=True)) == ["approval_vote", "approve"]


def test_it_hides_an_application_from_a_reviewer_of_its_organization(
    reviewer_client, reviewer, applicant, organization, approvable
):
    membership_add(actor=applicant, organization=organization, user=reviewer, role=Role.MEMBER)

    assert (
        reviewer_client.get(reverse("reviews:review_detail", args=[approvable.pk])).status_code
        == 404
    )
    assert act(reviewer_client, approvable, "approve", reason="mine").status_code == 404
    assert (
        reviewer_client.post(reverse("reviews:review_claim", args=[approvable.pk])).status_code
        == 404
    )
    assert approvable not in reviewer_client.get(reverse("reviews:queue")).context["applications"]


@pytest.mark.parametrize(
    "kind", ["approve", "deny", "escalate", "request_info", "claim", "release", "assign"]
)
def test_it_answers_404_to_customers_and_for_missing_applications(
    client, reviewer, applicant, outsider, approvable, kind
):
    url = reverse(f"reviews:review_{kind}", args=[approvable.pk])
    for user in (applicant, outsider):
        client.force_login(user)
        assert client.post(url, {}).status_code == 404
    client.force_login(reviewer)
    assert client.post(reverse(f"reviews:review_{kind}", args=[999999]), {}).status_code == 404
    assert not ReviewAction.objects.exists()


def test_it_accepts_actions_only_by_post(reviewer_client, approvable):
    assert (
        reviewer_client.get(reverse("reviews:review_approve", args=[approvable.pk])).status_code
        == 405
    )
