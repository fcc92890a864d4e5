"""Production settings pass Django's deployment checks; every page carries the security headers.

T26: `test_it_sends_the_security_headers_on_every_page` crawls every GET URL of the URL matrix
(tests/test_url_matrix.py) as each persona, plus the admin as policy staff, over HTTPS with the
production HSTS settings, and checks the headers of every HTML response.
"""

import contextlib
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from . import test_url_matrix
from .test_url_matrix import GET, PERSONAS, URLS, World, rolled_back

ROOT = Path(__file__).resolve().parents[1]
world = test_url_matrix.world
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    # Production runs on PostgreSQL (model checks differ by backend); nothing connects to it.
    "DATABASE_URL": "postgres://gatehouse@127.0.0.1:5432/gatehouse_deploy_check",
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


# T26: the headers of every HTML page, for every persona.

ONE_YEAR = 31536000
SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
PRODUCTION_HEADERS_SETTINGS = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP",
    "X_FRAME_OPTIONS",
)


def production_settings() -> dict:
    """Return the header settings as config/settings/production.py computes them."""
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {PRODUCTION_HEADERS_SETTINGS!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives.setdefault(name.lower(), sources)
    return directives


def header_problems(response, *, signed_in: bool) -> list[str]:
    """Return what the HTML response's security headers lack."""
    problems = []
    csp = csp_directives(response.get("Content-Security-Policy", ""))
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if csp.get(directive) != ["'none'"]:
            problems.append(f"CSP {directive} is {csp.get(directive)}, not 'none'")
    scripts = csp.get("script-src", csp.get("default-src"))
    if not scripts:
        problems.append("CSP has neither script-src nor default-src")
    elif any(not (s == "'self'" or s.startswith("'nonce-")) for s in scripts):
        problems.append(f"CSP script-src allows more than 'self' and nonces: {scripts}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {response.get('Referrer-Policy')!r}")
    if response.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append("no Cross-Origin-Opener-Policy: same-origin")
    if response.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    hsts = [part.strip() for part in response.get("Strict-Transport-Security", "").split(";")]
    max_age = next((int(p[8:]) for p in hsts if p.startswith("max-age=")), 0)
    if max_age < ONE_YEAR or "includeSubDomains" not in hsts:
        problems.append(f"HSTS is {response.get('Strict-Transport-Security')!r}")
    if signed_in and "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"Cache-Control is {response.get('Cache-Control')!r} on a signed-in page")
    return problems


@dataclass(frozen=True)
class Page:
    persona: str
    path: str


def pages_to_crawl(w: World) -> list[Page]:
    """Return every GET URL of the matrix for every persona, a missing page and a foreign
    object for each, and the admin's index, lists, add forms and a change form for staff."""
    pages = []
    for persona in PERSONAS:
        for name, spec in sorted(URLS.items()):
            if GET in spec.methods:
                pages.append(Page(persona, reverse(name, kwargs=spec.kwargs(w))))
        pages.append(Page(persona, "/no-such-page/"))
        pages.append(Page(persona, reverse("reviews:application_detail", args=[w.app_b.pk])))
    admin_pages = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        for view in ("changelist", "add"):
            with contextlib.suppress(NoReverseMatch):
                admin_pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            admin_pages.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
    pages += [Page(persona, path) for path in admin_pages for persona in ("policy", "owner")]
    return pages


def test_it_sends_the_security_headers_on_every_page(world, settings):
    production = production_settings()
    for name in PRODUCTION_HEADERS_SETTINGS:
        setattr(settings, name, production[name])
    assert apps.is_installed("django.contrib.admin")

    checked, wrong = {}, []
    for page in pages_to_crawl(world):
        client = Client(raise_request_exception=False)
        if page.persona != "anon":
            client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[page.persona]
        with rolled_back():
            response = client.get(page.path, secure=True)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        checked[response.status_code] = checked.get(response.status_code, 0) + 1
        for problem in header_problems(response, signed_in=page.persona != "anon"):
            wrong.append(f"{page.path} as {page.persona} ({response.status_code}): {problem}")

    assert not wrong, f"{len(wrong)} problems:\n" + "\n".join(wrong[:40])
    assert sum(checked.values()) >= 250 and {200, 302, 404} <= set(checked), checked


def test_it_takes_the_headers_crawl_seriously(world, settings):
    """A page without HSTS, with an inline-script CSP, and cacheable is reported."""
    settings.SECURE_HSTS_SECONDS = 0
    settings.SECURE_CSP = {**settings.SECURE_CSP, "script-src": ["'self'", "'unsafe-inline'"]}
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions["owner"]

    response = client.get(reverse("reviews:application_list"), secure=True)
    del response["Cache-Control"]

    found = "\n".join(header_problems(response, signed_in=True))
    assert "HSTS is" in found
    assert "script-src allows more" in found
    assert "Cache-Control" in found
