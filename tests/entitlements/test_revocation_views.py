"""The senior reviewer's page to suspend, revoke or reinstate an approval's entitlements."""

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from entitlements.models import Entitlement

from .conftest import SUB_A


def test_it_shows_a_senior_reviewer_the_entitlements(client, approved, senior_reviewer):
    client.force_login(senior_reviewer)

    response = client.get(reverse("reviews:review_entitlements", args=[approved.pk]))

    assert response.status_code == 200
    assert SUB_A in response.text
    assert "face_verification" in response.text


@pytest.mark.parametrize("persona", ["reviewer", "applicant", "outsider", "policy_staff"])
def test_it_hides_the_page_from_everyone_else(request, client, approved, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("reviews:review_entitlements", args=[approved.pk]))
    post = client.post(
        reverse("reviews:review_entitlements_revoke", args=[approved.pk]), {"reason": "x"}
    )

    assert (page.status_code, post.status_code) == (404, 404)
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"active"}


def test_it_answers_404_for_a_missing_application(client, senior_reviewer, db):
    client.force_login(senior_reviewer)

    response = client.get(reverse("reviews:review_entitlements", args=[999_999]))

    assert response.status_code == 404


def test_it_revokes_with_a_reason_and_tells_the_applicant(
    client, approved, senior_reviewer, django_capture_on_commit_callbacks
):
    client.force_login(senior_reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:review_entitlements_revoke", args=[approved.pk]),
            {"reason": "Deployed on a street camera."},
        )

    assert response.status_code == 302
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"revoked"}
    assert AuditEvent.objects.filter(verb="entitlement.revoked").count() == 1
    assert mail.outbox[-1].to == [approved.created_by.email]
    assert "street camera" in mail.outbox[-1].body


def test_it_refuses_an_empty_reason(client, approved, senior_reviewer):
    client.force_login(senior_reviewer)

    response = client.post(
        reverse("reviews:review_entitlements_suspend", args=[approved.pk]), {"reason": ""}
    )

    assert response.status_code == 400
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"active"}


def test_it_explains_a_refused_change(client, approved, senior_reviewer):
    client.force_login(senior_reviewer)

    response = client.post(
        reverse("reviews:review_entitlements_reinstate", args=[approved.pk]), {"reason": "ok"}
    )

    assert response.status_code == 409
    assert "no suspended entitlements" in response.text


def test_it_links_the_page_from_an_approved_application_for_senior_reviewers_only(
    client, approved, senior_reviewer, reviewer
):
    page = reverse("reviews:review_entitlements", args=[approved.pk])
    client.force_login(senior_reviewer)
    senior_view = client.get(reverse("reviews:review_detail", args=[approved.pk])).text
    client.force_login(reviewer)
    junior_view = client.get(reverse("reviews:review_detail", args=[approved.pk])).text

    assert f'href="{page}"' in senior_view
    assert page not in junior_view
