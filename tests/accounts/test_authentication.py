"""Password reset by email.

Lockout: test_lockout.py; sessions: test_sessions.py; password policy and hashing:
test_passwords.py.
"""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

NEW_PASSWORD = "a-completely-new-passphrase"


def _login(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


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
