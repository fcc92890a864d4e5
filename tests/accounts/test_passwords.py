"""T20: which passwords are accepted, and how they are stored.

The policy (NIST 800-63B, ASVS 6.2): at least 12 characters, long passphrases welcome, the
20,000 most common passwords refused, no composition rules. Storage: Argon2id first, with
older hashes upgraded at the next successful sign-in. Sign-in time is measured by
bench/login.py, not here.
"""

import re

import pytest
from argon2 import Type
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from accounts.models import User

from ..conftest import PASSWORD
from .conftest import sign_in

MIB = 1024  # Argon2's memory cost is in KiB


def _sign_up(client: Client, password: str):
    data = {"full_name": "Nora New", "email": "nora@newco.example", "password": password}
    return client.post(reverse("accounts:signup"), data)


def _errors(response) -> list[str]:
    form = response.context["form"] if response.context else None
    return form.errors.get("password", []) if form is not None else []


def test_it_applies_the_production_policy_in_these_tests(production_settings):
    assert production_settings["AUTH_PASSWORD_VALIDATORS"] == settings.AUTH_PASSWORD_VALIDATORS


@pytest.mark.parametrize(
    "password",
    [
        "plumtreeowls",  # 12 characters, the minimum
        "lanterns drift over quiet harbours",  # all lower case, no digit, no symbol
        "winter-" * 9 + "x",  # 64 characters
        "a long passphrase " * 7 + "is fine",  # 133 characters
    ],
    ids=["12-chars", "lowercase-passphrase", "64-chars", "133-chars"],
)
def test_it_accepts_long_passwords_without_composition_rules(client, db, password):
    response = _sign_up(client, password)

    assert response.status_code == 302, _errors(response)
    assert User.objects.get(email="nora@newco.example").check_password(password)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("plumtreeowl", "This password is too short. It must contain at least 12 characters."),
        ("qazwsxedcrfv", "This password is too common."),  # 12 characters, but a top-20k one
        ("q1w2e3r4t5y6", "This password is too common."),
        ("482910573618", "This password is entirely numeric."),
    ],
    ids=["11-chars", "common", "common-mixed", "numeric"],
)
def test_it_refuses_short_and_common_passwords(client, db, password, says):
    response = _sign_up(client, password)

    assert response.status_code == 200
    assert says in _errors(response)
    assert not User.objects.filter(email="nora@newco.example").exists()


def test_it_refuses_a_common_password_on_change_too(client, applicant):
    sign_in(client, applicant.email, PASSWORD)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "qazwsxedcrfv",
            "new_password2": "qazwsxedcrfv",
        },
    )

    assert "This password is too common." in response.context["form"].errors["new_password2"]
    applicant.refresh_from_db()
    assert applicant.check_password(PASSWORD)


def test_it_signs_in_with_every_character_of_a_128_character_password(
    client, db, production_hashers
):
    password = "".join(chr(ord("a") + i % 26) for i in range(127)) + "!"
    User.objects.create_user(email="long@acme.example", password=password, full_name="Long")

    one_short = sign_in(Client(), "long@acme.example", password[:-1])
    whole = sign_in(client, "long@acme.example", password)

    assert one_short.status_code == 200
    assert whole.status_code == 302


# Hashing, with the production hashers.


def test_it_hashes_with_argon2id_first_in_production(production_settings, production_hashers):
    first = production_hashers[0]
    encoded = make_password("lanterns drift over quiet harbours")
    m, t, p = map(
        int, re.fullmatch(r"argon2\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$.+", encoded).groups()
    )

    assert production_settings["PASSWORD_HASHERS"][0].endswith(".Argon2PasswordHasher")
    assert first.algorithm == "argon2"
    assert first.params().type == Type.ID
    assert first.time_cost >= 2 and t == first.time_cost
    assert first.memory_cost >= 19 * MIB and m == first.memory_cost
    assert p == first.parallelism


def test_it_upgrades_a_legacy_pbkdf2_hash_at_the_first_sign_in(client, db, production_hashers):
    legacy = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user = User.objects.create_user(email="old@acme.example", password=None, full_name="Old")
    User.objects.filter(pk=user.pk).update(password=legacy)

    response = sign_in(client, user.email, PASSWORD)

    user.refresh_from_db()
    assert response.status_code == 302
    assert legacy.startswith("pbkdf2_sha256$")
    assert user.password.startswith("argon2$argon2id$")
    assert sign_in(Client(), user.email, PASSWORD).status_code == 302
