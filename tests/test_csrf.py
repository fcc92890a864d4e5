"""T23: every POST without a valid CSRF token is refused, and no view is exempt.

The URLs come from the resolver: the project's through the tables of tests/test_url_matrix.py
(whose meta-test keeps them equal to the resolver's), the admin's by walking its patterns.
Each is POSTed by a signed-in person with a browser that enforces CSRF (and by an anonymous
visitor): without a CSRF cookie, with a cookie but no token, and with a token of another
cookie. All must get 403 from the CSRF check itself (its log says why). As a positive
control, the same request with a valid token must get what the role matrix expects.
"""

import logging

import pytest
from django.conf import settings
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.views.decorators.csrf import csrf_exempt

from . import test_url_matrix
from .test_url_matrix import PERSONAS, POST, ROLE_MATRIX, URLS, World, rolled_back

world = test_url_matrix.world

# Views allowed to skip the CSRF check, each with the reason it is safe: a view added here
# needs another defence against cross-site requests (a signature, a bearer token) and a line
# in docs/security.md.
_BEARER_ONLY = "the API reads only Authorization: Bearer credentials, never cookies, and only GET"
CSRF_EXEMPT_ALLOWLIST: dict[str, str] = {
    "api:openapi-json": "the public schema: no credentials, GET only",
    "api:entitlement_check": _BEARER_ONLY,
    "api:entitlement_list": _BEARER_ONLY,
    "api:entitlement_detail": _BEARER_ONLY,
    "api:application_list": _BEARER_ONLY,
    "api:application_detail": _BEARER_ONLY,
}

REFUSED = 403
SKIPPED_STATUSES = (403, 404, 405)  # cells where a valid token would prove nothing


def _csrf_pair() -> tuple[str, str]:
    """Return a fresh (cookie secret, masked form token) pair, as a page would hand out."""
    request = RequestFactory().get("/")
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


def _client(w: World, persona: str, cookie: str | None) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if persona != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[persona]
    if cookie is not None:
        client.cookies[settings.CSRF_COOKIE_NAME] = cookie
    return client


def _attempts() -> dict[str, tuple[bool, bool, str]]:
    """Name -> (send a CSRF cookie, send the cookie's own token, the refusal's reason)."""
    return {
        "no cookie, no token": (False, False, "CSRF cookie not set."),
        "cookie, no token": (True, False, "CSRF token missing."),
        "cookie, another cookie's token": (True, True, "CSRF token from POST incorrect."),
    }


def forged_post_problems(w: World, persona: str, path_: str, data: dict, caplog) -> list[str]:
    """POST without a valid token in each way; return every answer that is not CSRF's 403."""
    wrong = []
    for attempt, (with_cookie, with_token, reason) in _attempts().items():
        secret, _ = _csrf_pair()
        _, foreign_token = _csrf_pair()
        payload = {**data, "csrfmiddlewaretoken": foreign_token} if with_token else dict(data)
        caplog.clear()
        with rolled_back():
            response = _client(w, persona, secret if with_cookie else None).post(path_, payload)
        logged = [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"]
        if response.status_code != REFUSED or not any(reason in m for m in logged):
            wrong.append(
                f"{path_} as {persona}, {attempt}: {response.status_code}, csrf log {logged}"
            )
    return wrong


def _persona_for(name: str) -> tuple[str, object]:
    """Return the first signed-in persona whose POST the matrix expects to get through."""
    cells = ROLE_MATRIX[name][POST]
    for persona, expected in zip(PERSONAS, cells, strict=True):
        if persona != "anon" and expected not in SKIPPED_STATUSES:
            return persona, expected
    return "owner", cells[PERSONAS.index("owner")]


@pytest.fixture
def csrf_log(caplog):
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    return caplog


def test_it_refuses_every_project_post_without_a_valid_token(world, csrf_log):
    wrong = []
    for name, spec in sorted(URLS.items()):
        if name in CSRF_EXEMPT_ALLOWLIST:
            continue  # test_it_exempts_no_view_from_csrf_but_the_allowlist
        kwargs = spec.kwargs(world)
        path_ = reverse(name, kwargs=kwargs)
        persona, expected = _persona_for(name)
        for who in ("anon", persona):
            wrong += forged_post_problems(world, who, path_, spec.data(world, kwargs), csrf_log)
        # Positive control: the same POST with a valid token passes the CSRF check.
        secret, token = _csrf_pair()
        data = {**spec.data(world, kwargs), "csrfmiddlewaretoken": token}
        with rolled_back():
            response = _client(world, persona, secret).post(path_, data)
        if response.status_code != expected:
            wrong.append(f"{path_} as {persona}, valid token: {response.status_code} != {expected}")

    assert not wrong, "\n".join(wrong)


# The admin site, as policy staff (staff, second factor verified).

ADMIN_SAMPLES = {
    "app_label": "accounts",
    "id": "1",
    "content_type_id": "1",
    "object_id": "1",
    "pk": "1",
}


def admin_paths() -> list[str]:
    """Return a path for every named pattern of the admin site."""
    (admin_resolver,) = [
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "admin"
    ]
    return sorted(
        reverse(
            f"admin:{pattern.name}",
            kwargs={key: ADMIN_SAMPLES[key] for key in pattern.pattern.regex.groupindex},
        )
        for pattern in _patterns(admin_resolver)
        if pattern.name
    )


def _patterns(resolver) -> list[URLPattern]:
    found = []
    for entry in resolver.url_patterns:
        found += _patterns(entry) if isinstance(entry, URLResolver) else [entry]
    return found


def test_it_refuses_every_admin_post_without_a_valid_token(world, csrf_log):
    paths = admin_paths()

    wrong = [
        problem
        for path_ in paths
        for problem in forged_post_problems(world, "policy", path_, {}, csrf_log)
    ]

    assert len(paths) > 50, paths  # index, login, and each model's list, add, change, delete
    assert not wrong, "\n".join(wrong)


# No view opts out of the check, but those on the documented allowlist.


def exempt_views(resolver, namespace: str = "") -> dict[str, str]:
    """Return {name or route: callback} for every csrf_exempt view under the resolver."""
    found = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            found |= exempt_views(entry, inner)
        elif getattr(entry.callback, "csrf_exempt", False):
            label = f"{namespace}:{entry.name}" if namespace else entry.name
            found[label or str(entry.pattern)] = entry.lookup_str
    return found


def test_it_exempts_no_view_from_csrf_but_the_allowlist():
    assert exempt_views(get_resolver()).keys() <= CSRF_EXEMPT_ALLOWLIST.keys()


def test_it_notices_an_exempt_view():
    """Negative control: a csrf_exempt view anywhere, even nested, is reported."""

    def hook(request):
        raise AssertionError("never called")

    nested = URLResolver(
        get_resolver().pattern, [path("hooks/", csrf_exempt(hook), name="hook")], namespace="x"
    )
    resolver = URLResolver(get_resolver().pattern, [nested])

    assert set(exempt_views(resolver)) == {"x:hook"}


def test_the_forged_post_harness_notices_a_missing_csrf_check(world, csrf_log, settings):
    """Negative control: without CsrfViewMiddleware, forged POSTs get through and are reported."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CsrfViewMiddleware")]
    name = "accounts:organization_switch"
    kwargs = URLS[name].kwargs(world)

    wrong = forged_post_problems(world, "owner", reverse(name, kwargs=kwargs), {}, csrf_log)

    assert len(wrong) == len(_attempts())
    assert all(": 302, csrf log []" in problem for problem in wrong)
