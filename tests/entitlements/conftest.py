"""Fixtures for the entitlements API: an approved application with subscriptions, keys."""

import pytest
from django.utils import timezone

SUB_A = "0f8fad5b-d9cb-469f-a165-70867728950e"
SUB_A2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
SUB_B = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
UNUSED_SUB = "00000000-0000-4000-8000-000000000000"


def approve(reviewer, application, subscriptions, *, conditions="Human review of every match."):
    """Approve the application for the subscriptions, through the review service."""
    from reviews.models import Application
    from reviews.services import review_act

    # The intake form records the chosen subscriptions; `submit` files facts only.
    Application.objects.filter(pk=application.pk).update(subscriptions=list(subscriptions))
    review_act(
        actor=reviewer,
        application_id=application.pk,
        kind="approve",
        reason="Meets the policy.",
        conditions=conditions,
        now=timezone.now(),
    )
    application.refresh_from_db()
    assert application.status == "approved"
    return application


@pytest.fixture
def approved(reviewer, applicant, submit, django_capture_on_commit_callbacks):
    """Acme's approved selfie check on two subscriptions, with its entitlements granted."""
    from entitlements.services import grant_for_approval

    application = approve(reviewer, submit(applicant), [SUB_A, SUB_A2])
    with django_capture_on_commit_callbacks(execute=True):
        grant_for_approval(application_id=application.pk)
    return application


@pytest.fixture
def approved_b(reviewer, outsider, submit, django_capture_on_commit_callbacks):
    """Other Org's approval on its own subscription."""
    from entitlements.services import grant_for_approval

    application = approve(reviewer, submit(outsider, "Other check"), [SUB_B])
    with django_capture_on_commit_callbacks(execute=True):
        grant_for_approval(application_id=application.pk)
    return application


def _key(user) -> str:
    from entitlements.credentials import api_key_create

    membership = user.memberships.select_related("organization").get()
    return api_key_create(actor=user, membership=membership, name="CI", now=timezone.now())[1]


@pytest.fixture
def key_a(applicant) -> str:
    """Acme's read-only API key (the secret, as shown once)."""
    return _key(applicant)


@pytest.fixture
def key_b(outsider) -> str:
    """Other Org's key: it must never see Acme's entitlements."""
    return _key(outsider)


@pytest.fixture
def service_token(db) -> str:
    from entitlements.credentials import service_token_create

    return service_token_create(actor=None, name="face-api", now=timezone.now())[1]


@pytest.fixture
def api(client):
    """Return a function that GETs an API URL with a bearer secret."""

    def get(path: str, secret: str | None = None, **params):
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return client.get(path, params, headers=headers)

    return get
