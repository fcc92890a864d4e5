from django.urls import reverse

from accounts.models import Membership, Organization, Role, User
from audit.models import AuditEvent

from ..conftest import PASSWORD

SIGNUP = {
    "full_name": "Nora New",
    "email": "Nora@NewCo.example",
    "password": PASSWORD,
    "organization_name": "NewCo Verification Ltd",
    "country": "gb",
    "org_type": "commercial",
}


def test_it_creates_the_user_their_organization_and_owner_membership(client, db):
    response = client.post(reverse("accounts:signup"), SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(email="nora@newco.example")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "NewCo Verification Ltd"
    assert membership.organization.country == "GB"
    assert client.get(reverse("home")).url == reverse("reviews:application_list")


def test_it_records_signup_and_organization_in_the_audit_trail(client, db):
    client.post(reverse("accounts:signup"), SIGNUP)

    user = User.objects.get(email="nora@newco.example")
    verbs = list(AuditEvent.objects.filter(actor=user).values_list("verb", flat=True))
    assert verbs == ["user.signed_up", "organization.created"]
    created = AuditEvent.objects.get(verb="organization.created")
    assert created.organization == Organization.objects.get()
    assert created.payload["after"]["type"] == "commercial"


def test_it_keeps_the_input_and_explains_a_taken_email(client, applicant):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "email": applicant.email})

    assert response.status_code == 200
    assert "An account with this email already exists" in response.text
    assert "NewCo Verification Ltd" in response.text
    assert Organization.objects.count() == 1


def test_it_refuses_a_short_password_next_to_the_field(client, db):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password": "short"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert "at least 12 characters" in response.text
    assert not User.objects.exists()


def test_it_refuses_a_country_that_is_not_a_two_letter_code(client, db):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "country": "U1"})

    assert "Enter a two-letter country code" in response.text
    assert not Organization.objects.exists()


def test_it_signs_in_with_email_and_password(client, applicant):
    response = client.post(
        reverse("accounts:login"), {"username": "alice@acme.example", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.get(reverse("reviews:application_list")).status_code == 200


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(client, applicant):
    response = client.post(
        reverse("accounts:login"), {"username": applicant.email, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.text


def test_it_sends_reviewers_to_the_queue(client, reviewer):
    client.force_login(reviewer)

    assert client.get(reverse("home")).url == reverse("reviews:queue")


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("reviews:application_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
