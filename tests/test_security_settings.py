"""Production settings pass Django's deployment checks; every page carries the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DATABASE_URL": "sqlite:////tmp/gatehouse-deploy-check.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "AUDIT_CHECKPOINT_KEY": "k",
    "SITE_URL": "https://gatehouse.example",
    "EMAIL_HOST": "smtp.example",
    "DJANGO_ALLOWED_HOSTS": "gatehouse.example",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_passes_the_deployment_checks_in_production():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("key", ["", "short", "insecure-" + "x" * 60, "ab" * 40])
def test_it_refuses_to_start_with_a_weak_or_missing_secret_key(key):
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": key} if key else PRODUCTION_ENV

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("persona", [None, "applicant", "reviewer"])
def test_it_sends_the_security_headers(client, request, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    else:
        request.getfixturevalue("db")

    response = client.get(
        reverse("accounts:login") if persona is None else reverse("home"), follow=True
    )

    csp = response["Content-Security-Policy"]
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    if persona:
        assert "no-store" in response["Cache-Control"]
