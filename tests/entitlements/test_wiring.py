"""The review workflow drives the entitlements: approval grants them, expiry ends them, and a
re-review flag (an organization change or a policy that now prohibits the use) marks them,
each audited and visible on the API's next call."""

import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from entitlements.models import Entitlement
from reviews.models import Application
from reviews.services import (
    application_decide,
    applications_flag_for_rereview,
    policy_version_publish,
    process_approval_expiry,
)

from ..reviews.test_policy_lifecycle import _forbid_selfies
from .conftest import SUB_A, SUB_A2

CHECK = "api:entitlement_check"


def _filed(submit, applicant, subscriptions=(SUB_A, SUB_A2)) -> Application:
    application = submit(applicant)
    Application.objects.filter(pk=application.pk).update(subscriptions=list(subscriptions))
    return application


def _check(api, secret, capability="face_verification"):
    return api(reverse(CHECK), secret, subscription=SUB_A, capability=capability).json()


def test_approving_on_the_review_page_grants_the_entitlements_at_once(
    client, api, applicant, reviewer, submit, key_a, django_capture_on_commit_callbacks
):
    application = _filed(submit, applicant)
    assert _check(api, key_a)["reason"] == "no_entitlement"
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:review_approve", args=[application.pk]),
            {
                "idempotency_key": str(uuid.uuid4()),
                "version": Application.objects.get(pk=application.pk).version,
                "reason": "Meets the policy.",
                "conditions": "Human review of every match.",
                "expires_on": "",
            },
        )

    assert response.status_code == 302
    rows = Entitlement.objects.filter(application=application)
    assert sorted(rows.values_list("subscription", "capability")) == [
        (SUB_A, "face_liveness"),
        (SUB_A, "face_verification"),
        (SUB_A2, "face_liveness"),
        (SUB_A2, "face_verification"),
    ]
    assert set(rows.values_list("conditions", flat=True)) == {"Human review of every match."}
    assert AuditEvent.objects.filter(verb="entitlement.granted").count() == 1
    check = _check(api, key_a)
    assert (check["allowed"], check["reason"]) == (True, "active")
    application.refresh_from_db()
    assert check["expires_at"].startswith(application.expires_at.date().isoformat())


def test_a_denial_grants_nothing(applicant, reviewer, submit, key_a, api):
    application = _filed(submit, applicant)

    application_decide(
        actor=reviewer, application_id=application.pk, kind="deny", reason="No.", now=timezone.now()
    )

    assert not Entitlement.objects.exists()
    assert _check(api, key_a)["allowed"] is False


def test_an_expired_approval_ends_its_entitlements(applicant, reviewer, submit, key_a, api):
    application = _filed(submit, applicant)
    application_decide(
        actor=reviewer, application_id=application.pk, kind="approve", reason="ok",
        now=timezone.now(),
    )  # fmt: skip
    application.refresh_from_db()

    process_approval_expiry(now=application.expires_at + timedelta(minutes=1))

    assert set(Entitlement.objects.values_list("status", flat=True)) == {"expired"}
    assert AuditEvent.objects.filter(verb="entitlement.expired").count() == 1
    check = _check(api, key_a)
    assert (check["allowed"], check["reason"]) == (False, "expired")


def test_an_organization_sent_back_for_re_review_flags_its_entitlements(
    applicant, reviewer, submit, key_a, api, organization
):
    application = _filed(submit, applicant)
    application_decide(
        actor=reviewer, application_id=application.pk, kind="approve", reason="ok",
        now=timezone.now(),
    )  # fmt: skip

    applications_flag_for_rereview(
        organization=organization, reason="The organization became a police force.",
        now=timezone.now(),
    )  # fmt: skip

    assert set(Entitlement.objects.values_list("needs_rereview", flat=True)) == {True}
    assert AuditEvent.objects.filter(verb="entitlement.flagged_for_rereview").count() == 1
    check = _check(api, key_a)
    assert (check["allowed"], check["reason"]) == (True, "active_under_rereview")
    assert check["under_rereview"] is True


def test_a_policy_that_now_prohibits_the_use_flags_its_entitlements(
    draft,
    policy_staff, applicant, reviewer, submit, key_a, api, django_capture_on_commit_callbacks,
):  # fmt: skip
    application = _filed(submit, applicant)
    application_decide(
        actor=reviewer, application_id=application.pk, kind="approve", reason="ok",
        now=timezone.now(),
    )  # fmt: skip
    _forbid_selfies(draft)

    with django_capture_on_commit_callbacks(execute=True):
        policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    rows = Entitlement.objects.filter(application=application)
    assert set(rows.values_list("needs_rereview", flat=True)) == {True}
    assert "NO-LIVENESS" in rows.first().rereview_reason
    assert _check(api, key_a)["reason"] == "active_under_rereview"
