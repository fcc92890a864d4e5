"""Two-factor sign-in: optional for everyone, required for policy staff."""

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import StaffGroup
from audit.models import AuditEvent

from ..conftest import PASSWORD, staff


def code_for(key_hex: str, offset: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.t0 = offset * -30  # a code from another 30-second window
    return f"{totp.token():06d}"


def sign_in(client, user):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})


@pytest.fixture
def new_policy_staff(db):
    """Policy staff who have not set up an authenticator yet."""
    return staff("penny@gatehouse.example", StaffGroup.POLICY_STAFF, is_staff=True)


def test_it_makes_policy_staff_set_up_two_factor_before_anything_else(client, new_policy_staff):
    sign_in(client, new_policy_staff)

    admin = client.get("/admin/")
    page = client.get(reverse("accounts:two_factor"))

    assert admin.url == reverse("accounts:two_factor")
    assert "Policy staff must use two-factor sign-in" in page.text
    assert "<svg" in page.text
    assert not TOTPDevice.objects.exists()  # nothing is stored until a code proves the scan


def test_it_turns_two_factor_on_with_a_code_from_the_scanned_key(client, new_policy_staff):
    sign_in(client, new_policy_staff)
    client.get(reverse("accounts:two_factor"))
    key = client.session["otp_setup_key"]

    wrong = client.post(reverse("accounts:two_factor"), {"token": "000000"})
    right = client.post(reverse("accounts:two_factor"), {"token": code_for(key)})

    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    assert right.url == reverse("home")
    assert TOTPDevice.objects.get(user=new_policy_staff).confirmed
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(verb="user.two_factor_enabled").count() == 1


def test_it_asks_for_the_code_after_the_password(client, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="Phone", confirmed=True)
    sign_in(client, reviewer)

    blocked = client.get(reverse("reviews:queue"))
    wrong = client.post(reverse("accounts:two_factor_verify"), {"token": "12345"})
    right = client.post(
        reverse("accounts:two_factor_verify") + "?next=/review/", {"token": code_for(device.key)}
    )

    assert blocked.url == reverse("accounts:two_factor_verify") + "?next=/review/"
    assert wrong.status_code == 400 and "Enter the 6 digits" in wrong.text
    assert right.url == "/review/"
    assert client.get(reverse("reviews:queue")).status_code == 200


def test_it_refuses_an_offsite_next_after_the_code(client, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="Phone", confirmed=True)
    sign_in(client, reviewer)

    response = client.post(
        reverse("accounts:two_factor_verify") + "?next=https://evil.example/",
        {"token": code_for(device.key)},
    )

    assert response.url == reverse("home")


def test_it_lets_others_turn_it_off_but_not_policy_staff(client, reviewer, policy_staff):
    TOTPDevice.objects.create(user=reviewer, name="Phone", confirmed=True)
    client.force_login(policy_staff)
    kept = client.post(reverse("accounts:two_factor"), {"action": "disable"}, follow=True)
    assert "must keep two-factor sign-in on" in kept.text
    assert TOTPDevice.objects.filter(user=policy_staff).exists()

    reviewer.otp_device = TOTPDevice.objects.get(user=reviewer)
    client.force_login(reviewer)
    client.post(reverse("accounts:two_factor"), {"action": "disable"})

    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert AuditEvent.objects.filter(verb="user.two_factor_disabled", actor=reviewer).count() == 1


def test_a_reviewer_without_a_confirmed_authenticator_works_the_queue_on_the_password(
    client, reviewer
):
    TOTPDevice.objects.create(user=reviewer, name="Half set up", confirmed=False)
    sign_in(client, reviewer)

    assert client.get(reverse("reviews:queue")).status_code == 200


def test_a_session_is_asked_for_the_code_once_the_person_confirms_a_device_elsewhere(
    client, applicant
):
    sign_in(client, applicant)
    assert client.get(reverse("reviews:application_list")).status_code == 200

    TOTPDevice.objects.create(user=applicant, name="Phone", confirmed=True)  # another browser

    assert client.get(reverse("reviews:application_list")).url.startswith(
        reverse("accounts:two_factor_verify")
    )
