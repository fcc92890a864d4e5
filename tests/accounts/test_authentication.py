"""Lockout, password reset and change, and what ends a session."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

from ..conftest import PASSWORD

NEW_PASSWORD = "a-completely-new-passphrase"


def _login(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_it_locks_out_at_the_fifth_failure_the_same_for_unknown_addresses(client, applicant):
    for attempt in (
        "alice@acme.example",
        "ALICE@acme.example",
        " Alice@Acme.example",
        "alice@acme.example",
    ):
        assert _login(client, attempt, "wrong").status_code == 200
    fifth = _login(client, applicant.email, "wrong")
    locked = _login(client, applicant.email, PASSWORD)
    for _ in range(5):
        _login(client, "nobody@acme.example", "wrong")
    unknown = _login(client, "nobody@acme.example", "wrong")

    assert fifth.status_code == 429

    assert locked.status_code == unknown.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text
    assert locked.content == unknown.content
    assert AuditEvent.objects.filter(verb="user.login_failed").count() >= 10


def test_it_resets_a_forgotten_password_by_email(
    client, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": applicant.email})
    path = re.search(r"https?://\S+(/accounts/password/reset/\S+/)", mail.outbox[-1].body).group(1)

    form = client.get(path, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert _login(Client(), applicant.email, NEW_PASSWORD).status_code == 302
    assert client.get(path, follow=True).context["validlink"] is False


def test_it_says_the_same_for_an_unknown_address(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "no@one.example"})

    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_it_ends_other_sessions_when_the_password_changes(applicant):
    here, elsewhere = Client(), Client()
    _login(here, applicant.email, PASSWORD)
    _login(elsewhere, applicant.email, PASSWORD)

    here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert here.get(reverse("reviews:application_list")).status_code == 200
    assert elsewhere.get(reverse("reviews:application_list")).status_code == 302


def test_it_ends_the_session_on_logout_and_for_a_deactivated_user(client, applicant):
    _login(client, applicant.email, PASSWORD)
    old_session = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies["sessionid"] = old_session

    assert replay.get(reverse("reviews:application_list")).status_code == 302

    _login(client, applicant.email, PASSWORD)
    applicant.is_active = False
    applicant.save()
    assert client.get(reverse("reviews:application_list")).status_code == 302


def test_it_changes_the_session_key_on_login(client, applicant):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key

    _login(client, applicant.email, PASSWORD)

    assert client.session.session_key != before
