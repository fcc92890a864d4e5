"""The organization profile: end customers, subscriptions, and re-review on relevant changes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from audit.models import AuditEvent
from reviews.models import Application
from reviews.services import application_decide

SUB = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def profile(**changes) -> dict:
    data = {
        "name": "Acme Identity",
        "country": "GB",
        "org_type": "software_vendor",
        "website": "",
        "email_domain": "acme.example",
        "customers-TOTAL_FORMS": "2",
        "customers-INITIAL_FORMS": "0",
        "subscriptions-TOTAL_FORMS": "2",
        "subscriptions-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.fixture
def owner_client(client, applicant):
    client.force_login(applicant)
    return client


def test_it_saves_end_customers_and_subscriptions(owner_client, organization):
    response = owner_client.post(
        reverse("accounts:organization"),
        profile(
            **{
                "acts_for_end_customers": "on",
                "customers-0-name": "Northbank",
                "customers-0-country": "IE",
                "customers-0-org_type": "commercial",
                "subscriptions-0-identifier": SUB.upper(),
                "subscriptions-0-label": "prod",
            }
        ),
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert [c.as_party() for c in organization.end_customers.all()] == [
        {"name": "Northbank", "country": "IE", "type": "commercial"}
    ]
    assert list(organization.subscriptions.values_list("identifier", flat=True)) == [SUB]
    event = AuditEvent.objects.get(verb="organization.changed")
    assert set(event.payload["changed"]) == {
        "acts_for_end_customers",
        "email_domain",
        "end_customers",
        "subscriptions",
    }


def test_it_prefills_new_applications_with_the_end_customers(owner_client, organization):
    organization.end_customers.create(name="Northbank", country="IE", org_type="commercial")

    owner_client.post(reverse("reviews:application_new"))
    draft = organization.applications.get()

    page = owner_client.get(reverse("reviews:application_step", args=[draft.pk, "parties"]))

    assert 'value="Northbank"' in page.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subscriptions-0-identifier", "not-a-guid", "Enter an ID in the form"),
        ("customers-0-name", "Half filled", "Give the end customer&#x27;s name, country and type."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("email_domain", "not a domain", "Enter a domain such as example.com."),
    ],
)
def test_it_rejects_bad_input_next_to_the_field_and_keeps_it(
    owner_client, organization, field, value, message
):
    response = owner_client.post(reverse("accounts:organization"), profile(**{field: value}))

    assert response.status_code == 400
    assert message in response.text
    assert value.replace("'", "&#x27;") in response.text or value in response.text
    assert not AuditEvent.objects.filter(verb="organization.changed").exists()


def test_it_refuses_the_same_subscription_twice(owner_client):
    response = owner_client.post(
        reverse("accounts:organization"),
        profile(**{"subscriptions-0-identifier": SUB, "subscriptions-1-identifier": SUB}),
    )

    assert "Each subscription ID can be listed once." in response.text


def test_it_sends_approvals_back_for_review_when_the_type_changes(
    owner_client, applicant, reviewer, submit
):
    application = submit(applicant)
    application_decide(
        actor=reviewer,
        application_id=application.pk,
        kind="approve",
        reason="ok",
        now=timezone.now(),
    )

    owner_client.post(reverse("accounts:organization"), profile(org_type="police", country="US"))

    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.needs_rereview
    assert "country, type" in application.rereview_reason
    assert AuditEvent.objects.filter(verb="application.flagged_for_rereview").count() == 1


def test_it_leaves_approvals_alone_when_only_the_website_changes(
    owner_client, applicant, reviewer, submit
):
    application = submit(applicant)
    application_decide(
        actor=reviewer,
        application_id=application.pk,
        kind="approve",
        reason="ok",
        now=timezone.now(),
    )

    owner_client.post(reverse("accounts:organization"), profile(website="https://acme.example"))

    application.refresh_from_db()
    assert not application.needs_rereview


def test_it_shows_members_the_profile_read_only(client, colleague, organization):
    client.force_login(colleague)

    page = client.get(reverse("accounts:organization"))
    client.post(reverse("accounts:organization"), profile(name="Hijacked"))

    assert "Only owners and admins can change the profile." in page.text
    assert Organization.objects.get(pk=organization.pk).name == "Acme Identity"
