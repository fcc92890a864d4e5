"""Fixtures for the sign-in, lockout, password and session tests."""

import json
import secrets
import threading

import pytest
from django.contrib.auth.hashers import get_hashers
from django.test import Client
from django.urls import reverse

from accounts.models import User

from ..test_security_settings import PRODUCTION_ENV, manage

SESSION_TIMEOUT_MIDDLEWARE = "accounts.sessions.SessionTimeoutMiddleware"
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def sign_in(client: Client, email: str, password: str, *, path: str | None = None):
    """POST the sign-in form, as a browser does, to the page it was shown on."""
    return client.post(path or reverse("accounts:login"), {"username": email, "password": password})


@pytest.fixture(scope="session")
def production_settings() -> dict:
    """Return the security settings that `config.settings.production` resolves to."""
    names = [
        "PASSWORD_HASHERS",
        "AUTH_PASSWORD_VALIDATORS",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_COOKIE_PATH",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE",
        "CSRF_COOKIE_DOMAIN",
        "CSRF_COOKIE_PATH",
        "AXES_FAILURE_LIMIT",
    ]
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def production_hashers(settings, production_settings):
    """Hash with the production hashers (the test settings use fast MD5)."""
    settings.PASSWORD_HASHERS = production_settings["PASSWORD_HASHERS"]
    get_hashers.cache_clear()
    yield get_hashers()
    get_hashers.cache_clear()


@pytest.fixture
def session_timeouts(settings):
    """Pin the session timeouts to the defaults the tests assume (30 minutes, 12 hours)."""
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 12 * 3600


class GuessCounter:
    """Count the passwords checked against stored hashes: the guesses an attacker gets."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


@pytest.fixture
def guesses(monkeypatch) -> GuessCounter:
    counter = GuessCounter()
    check_password = User.check_password

    def counted(user, raw_password):
        counter.add()
        return check_password(user, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    return counter
