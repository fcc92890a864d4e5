"""Every list page costs the same number of queries for one row as for fifty.

Each page is rendered twice, over 1 and over 50 rows of what it lists, under the SAME
`django_assert_max_num_queries` bound: a query per row (an N+1) fails at 50 rows.
"""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import invitation_create, membership_add
from reviews.models import Application
from reviews.services import (
    application_submit,
    document_add,
    information_request_answer,
    review_act,
    review_claim,
)

from .conftest import PASSWORD, make_facts, staff

ROWS = [1, 50]
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def file_applications(user, count: int, *, assess=True, capture=None, **overrides):
    """File `count` applications for the user's organization through the service."""
    membership = user.memberships.select_related("organization").get()
    applications = []
    for index in range(count):
        with capture(execute=assess):
            applications.append(
                application_submit(
                    actor=user,
                    organization=membership.organization,
                    role=membership.role,
                    title=f"Use case {index}",
                    facts=make_facts(membership.organization, **overrides),
                )
            )
    return applications


@pytest.fixture
def file(applicant, django_capture_on_commit_callbacks):
    def _file(count: int, **overrides):
        return file_applications(
            applicant, count, capture=django_capture_on_commit_callbacks, **overrides
        )

    return _file


@pytest.fixture
def superuser(db) -> User:
    """A superuser with an authenticator, so the admin's second-factor check passes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = staff("root@gatehouse.example", is_staff=True)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    user.otp_device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


# The customer portal


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("status", ["", "in_review"])
def test_it_lists_an_organizations_applications_in_constant_queries(
    client, applicant, file, rows, status, django_assert_max_num_queries
):
    file(rows)
    client.force_login(applicant)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("reviews:application_list"), {"status": status})

    assert response.status_code == 200
    assert len(response.context["applications"]) == min(rows, 25)  # one page
    assert "Use case 0" in response.text or rows > 25


@pytest.mark.parametrize("rows", ROWS)
def test_it_shows_a_customer_application_with_many_documents_in_constant_queries(
    client,
    applicant,
    file,
    reviewer,
    rows,
    settings,
    tmp_path,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    (application,) = file(1)
    history = _busy_history(
        application, applicant, reviewer, rows, django_capture_on_commit_callbacks
    )
    client.force_login(applicant)

    with django_assert_max_num_queries(13):
        response = client.get(reverse("reviews:application_detail", args=[application.pk]))

    assert response.status_code == 200
    assert len(response.context["documents"]) == rows
    assert "evidence-0.pdf" in response.text
    assert len(response.context["requests"]) == rows
    assert len(response.context["timeline"]) >= history


# The reviewer side


def _busy_history(application, applicant, reviewer, rows: int, capture) -> int:
    """Give the application `rows` documents and `rows` answered questions; return events."""
    membership = applicant.memberships.get()
    now = timezone.now()
    for index in range(rows):
        document_add(
            actor=applicant,
            role=membership.role,
            application=application,
            upload=SimpleUploadedFile(f"evidence-{index}.pdf", PDF, "application/pdf"),
            now=now,
        )
    for index in range(rows):
        review_act(
            actor=reviewer,
            application_id=application.pk,
            kind="request_info",
            reason=f"Question {index}?",
            now=now,
        )
        application.refresh_from_db()
        with capture(execute=True):  # the answer is assessed again after commit
            information_request_answer(
                actor=applicant,
                membership=membership,
                application_id=application.pk,
                answer=f"Answer {index}.",
                facts=application.facts,
                now=now,
            )
    return 2 * rows + 1


# (query string, facts overrides, what the reviewer does first, rows expected shown)
QUEUE_VIEWS = [
    ("", {}, None),
    ("status=in_review", {}, None),
    ("status=submitted", {"assess": False}, None),
    ("status=info_requested", {}, "request_info"),
    ("outcome=prohibited", {"capabilities": ["emotion_recognition"]}, None),
    ("rule=EMOTION", {"capabilities": ["emotion_recognition"]}, None),
    ("capability=face_verification", {}, None),
    ("country=GB", {}, None),
    ("organization={organization}", {}, None),
    ("assignee=me", {}, "claim"),
    ("assignee={reviewer}", {}, "claim"),
    ("assignee=none", {}, None),
    ("older_than=0", {}, None),
    ("sort=risk", {}, None),
    ("sort=sla", {}, None),
    ("sort=submitted", {}, None),
    ("sort=newest", {}, None),
    ("status=in_review&outcome=approvable&country=GB&sort=sla&assignee=none", {}, None),
]


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(
    ("query", "overrides", "first"), QUEUE_VIEWS, ids=[view[0] or "default" for view in QUEUE_VIEWS]
)
def test_it_shows_the_queue_with_every_filter_and_sort_in_constant_queries(
    client,
    senior_reviewer,
    organization,
    file,
    rows,
    query,
    overrides,
    first,
    django_assert_max_num_queries,
):
    applications = file(rows, **overrides)
    now = timezone.now()
    for application in applications:
        if first == "claim":
            review_claim(actor=senior_reviewer, application_id=application.pk, now=now)
        elif first == "request_info":
            review_act(
                actor=senior_reviewer,
                application_id=application.pk,
                kind="request_info",
                reason="Which cameras?",
                now=now,
            )
    client.force_login(senior_reviewer)  # a senior also gets the assignment menu
    url = (
        reverse("reviews:queue")
        + "?"
        + query.format(organization=organization.pk, reviewer=senior_reviewer.pk)
    )

    with django_assert_max_num_queries(12):
        response = client.get(url)

    assert response.status_code == 200
    assert not response.context["form"].errors
    assert len(response.context["applications"]) == rows
    assert response.text.count(reverse("reviews:review_detail", args=[applications[0].pk])) >= 1


@pytest.mark.parametrize("rows", ROWS)
def test_it_shows_a_review_with_many_documents_requests_and_events_in_constant_queries(
    client,
    applicant,
    file,
    reviewer,
    senior_reviewer,
    rows,
    settings,
    tmp_path,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    application, *others = file(1 + min(rows, 25))  # "other applications" lists up to 20
    _busy_history(application, applicant, reviewer, rows, django_capture_on_commit_callbacks)
    client.force_login(senior_reviewer)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("reviews:review_detail", args=[application.pk]))

    assert response.status_code == 200
    assert response.text.count("evidence-") >= rows
    assert len(response.context["requests"]) == rows
    assert len(response.context["events"]) > 3 * rows
    assert len(response.context["other_applications"]) == min(len(others), 20)


@pytest.mark.parametrize("rows", ROWS)
def test_it_shows_the_metrics_in_constant_queries(
    client, policy_staff, file, reviewer, rows, django_assert_max_num_queries
):
    applications = file(rows)
    now = timezone.now()
    for application in applications[::2]:
        review_act(
            actor=reviewer,
            application_id=application.pk,
            kind="approve",
            reason="Fine.",
            now=now,
            idempotency_key=uuid.uuid4(),
        )
    client.force_login(policy_staff)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("reviews:metrics"))

    assert response.status_code == 200
    assert response.context["figures"]["outcomes"]


# Accounts


@pytest.mark.parametrize("rows", ROWS)
def test_it_lists_members_and_invitations_in_constant_queries(
    client, applicant, organization, rows, django_assert_max_num_queries
):
    membership = applicant.memberships.get()
    now = timezone.now()
    for index in range(rows - 1):  # the owner is the first member
        user = User.objects.create_user(
            email=f"member{index}@acme.example", password=PASSWORD, full_name=f"Member {index}"
        )
        membership_add(actor=applicant, organization=organization, user=user, role=Role.MEMBER)
    for index in range(rows):
        invitation_create(
            actor=applicant,
            membership=membership,
            now=now,
            email=f"invitee{index}@acme.example",
            role=Role.MEMBER,
        )
    client.force_login(applicant)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:members"))

    assert response.status_code == 200
    assert len(response.context["rows"]) == rows
    assert len(response.context["invitations"]) == rows


# The admin


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(
    ("changelist", "bound"),
    [
        ("admin:reviews_application_changelist", 10),
        ("admin:reviews_assessment_changelist", 10),
        ("admin:reviews_reviewaction_changelist", 10),
        ("admin:audit_auditevent_changelist", 16),  # counts per verb/object type/role filter
    ],
)
def test_it_shows_admin_changelists_in_constant_queries(
    client, superuser, file, reviewer, rows, changelist, bound, django_assert_max_num_queries
):
    now = timezone.now()
    for application in file(rows):
        review_act(
            actor=reviewer, application_id=application.pk, kind="deny", reason="No.", now=now
        )
    client.force_login(superuser)

    with django_assert_max_num_queries(bound):
        response = client.get(reverse(changelist))

    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert len(shown) >= rows
    assert Application.objects.count() == rows
