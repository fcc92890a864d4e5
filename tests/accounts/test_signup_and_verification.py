"""Signing up, verifying the address, and creating an organization."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, Organization, Role, User
from audit.models import AuditEvent

from ..conftest import PASSWORD

SIGNUP = {"full_name": "Nora New", "email": "Nora@NewCo.example", "password": PASSWORD}
ORGANIZATION = {
    "name": "NewCo Verification Ltd",
    "country": "GB",
    "org_type": "commercial",
    "website": "https://newco.example",
    "email_domain": "NewCo.example",
}


def _link(message) -> str:
    return re.search(r"https?://\S+(/accounts/\S+/)", message.body).group(1)


@pytest.fixture
def signed_up(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), SIGNUP)
    return User.objects.get(email="nora@newco.example")


def test_it_creates_an_unverified_account_and_emails_a_link(signed_up, client):
    assert not signed_up.email_verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nora@newco.example"]
    assert mail.outbox[0].subject == "Confirm your email address for Gatehouse"
    assert client.get(reverse("home")).url == reverse("accounts:verify_email_sent")
    event = AuditEvent.objects.get(verb="user.signed_up")
    assert event.actor == signed_up


def test_it_verifies_the_address_from_the_emailed_link(signed_up, client):
    response = client.get(_link(mail.outbox[0]))

    assert response.status_code == 302
    signed_up.refresh_from_db()
    assert signed_up.email_verified
    assert AuditEvent.objects.filter(verb="user.email_verified", actor=signed_up).count() == 1
    assert client.get(reverse("home")).url == reverse("accounts:organization_new")


def test_it_refuses_a_tampered_or_stale_link(signed_up, client):
    link = _link(mail.outbox[0])
    tampered = client.get(link[:-3] + "xx/")
    signed_up.email = "other@newco.example"
    signed_up.save()
    stale = client.get(link)

    assert tampered.status_code == stale.status_code == 400
    assert "invalid or has expired" in stale.text
    signed_up.refresh_from_db()
    assert not signed_up.email_verified


def test_it_refuses_an_expired_link(signed_up, client, settings):
    settings.EMAIL_VERIFICATION_MAX_AGE = -1

    assert client.get(_link(mail.outbox[0])).status_code == 400


def test_it_resends_the_link(signed_up, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:verify_email_resend"))

    assert response.status_code == 302
    assert len(mail.outbox) == 2


def test_it_keeps_the_input_and_explains_a_taken_email(client, applicant):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "email": applicant.email})

    assert "An account with this email already exists" in response.text
    assert 'value="Nora New"' in response.text
    assert User.objects.count() == 1


def test_it_refuses_a_weak_password_next_to_the_field(client, db):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password": "password123"})

    assert response.context["form"].errors["password"]
    assert not User.objects.exists()


def test_it_creates_the_organization_with_its_owner(signed_up, client):
    client.get(_link(mail.outbox[0]))

    response = client.post(reverse("accounts:organization_new"), ORGANIZATION)

    assert response.url == reverse("accounts:members")
    organization = Organization.objects.get()
    assert (organization.country.code, organization.email_domain) == ("GB", "newco.example")
    assert Membership.objects.get(user=signed_up).role == Role.OWNER
    created = AuditEvent.objects.get(verb="organization.created")
    assert created.organization == organization and created.actor == signed_up
    assert created.payload["after"]["type"] == "commercial"


def test_it_refuses_an_organization_before_verification(signed_up, client):
    response = client.post(reverse("accounts:organization_new"), ORGANIZATION)

    assert "Verify your email address" in response.text
    assert not Organization.objects.exists()


def test_it_refuses_an_organization_for_a_personal_address(client, db):
    user = User.objects.create_user(
        email="nora@gmail.com", password=PASSWORD, email_verified_at="2026-01-01T00:00Z"
    )
    client.force_login(user)

    response = client.post(reverse("accounts:organization_new"), ORGANIZATION)

    assert "gmail.com is a personal email provider" in response.text
    assert response.context["form"].non_field_errors()
    assert 'value="NewCo Verification Ltd"' in response.text
    assert not Organization.objects.exists()


def test_it_refuses_an_unknown_country_next_to_the_field(client, applicant):
    client.force_login(applicant)

    response = client.post(reverse("accounts:organization_new"), {**ORGANIZATION, "country": "XX"})

    assert "country" in response.context["form"].errors
    assert Organization.objects.count() == 1


def test_it_signs_in_with_email_and_records_it(client, applicant):
    response = client.post(
        reverse("accounts:login"), {"username": "ALICE@acme.example", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="user.logged_in", actor=applicant).count() == 1


def test_it_records_a_failed_sign_in_without_the_password(client, applicant):
    response = client.post(
        reverse("accounts:login"), {"username": applicant.email, "password": "not-the-password"}
    )

    assert "Please enter a correct email address and password" in response.text
    event = AuditEvent.objects.get(verb="user.login_failed")
    assert event.payload == {"email": applicant.email}
    assert "not-the-password" not in str(event.payload)
