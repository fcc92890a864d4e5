"""T22: what starts, ends and protects a signed-in session."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

from ..conftest import PASSWORD
from .conftest import AUTHENTICATION_MIDDLEWARE, SESSION_TIMEOUT_MIDDLEWARE, sign_in

NEW_PASSWORD = "a-completely-new-passphrase"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _login_redirect(path: str) -> str:
    return f"{reverse('accounts:login')}?{urlencode({'next': path}, safe='/')}"


def test_it_changes_the_session_key_on_login(client, applicant):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key

    sign_in(client, applicant.email, PASSWORD)

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_it_ends_the_session_on_logout_so_a_replayed_cookie_is_refused(client, applicant):
    sign_in(client, applicant.email, PASSWORD)
    old = _session_key(client)
    client.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old

    response = replay.get(reverse("reviews:application_list"))

    assert response.status_code == 302
    assert response.url == _login_redirect(reverse("reviews:application_list"))
    assert not Session.objects.filter(session_key=old).exists()


def test_it_ends_other_sessions_when_the_password_changes(applicant):
    here, elsewhere = Client(), Client()
    sign_in(here, applicant.email, PASSWORD)
    sign_in(elsewhere, applicant.email, PASSWORD)

    here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert here.get(reverse("reviews:application_list")).status_code == 200
    response = elsewhere.get(reverse("reviews:application_list"))
    assert response.url == _login_redirect(reverse("reviews:application_list"))


def test_it_treats_a_deactivated_user_as_signed_out_on_the_next_request(client, applicant):
    sign_in(client, applicant.email, PASSWORD)
    applicant.is_active = False
    applicant.save()

    response = client.get(reverse("reviews:application_list"))

    assert response.wsgi_request.user.is_anonymous
    assert response.url == _login_redirect(reverse("reviews:application_list"))


# Idle timeout and absolute lifetime (accounts.sessions.SessionTimeoutMiddleware).

PAGE = "/applications/"


def test_it_runs_the_session_timeout_middleware_right_after_authentication():
    middleware = list(settings.MIDDLEWARE)

    assert SESSION_TIMEOUT_MIDDLEWARE in middleware
    assert middleware.index(SESSION_TIMEOUT_MIDDLEWARE) == (
        middleware.index(AUTHENTICATION_MIDDLEWARE) + 1
    )


def test_it_keeps_a_session_alive_while_it_is_used(client, applicant, session_timeouts):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, applicant.email, PASSWORD)
        statuses = []
        for _ in range(4):  # two hours of activity, never 30 minutes apart
            clock.shift(IDLE - timedelta(seconds=1))
            statuses.append(client.get(PAGE).status_code)

    assert statuses == [200] * 4


def test_it_signs_out_a_session_idle_for_30_minutes(client, applicant, session_timeouts):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, applicant.email, PASSWORD)
        clock.shift(timedelta(minutes=10))
        assert client.get(PAGE).status_code == 200
        old = _session_key(client)
        clock.shift(IDLE)

        response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url == _login_redirect(PAGE)
    assert not Session.objects.filter(session_key=old).exists()
    event = AuditEvent.objects.get(verb="user.session_expired")
    assert (event.actor_id, event.payload) == (applicant.pk, {"reason": "idle"})


def _stay_busy(client, clock, until: datetime) -> list[int]:
    """Open a page every 20 minutes until just before `until`; return the statuses."""
    statuses = []
    while datetime.now(UTC) + timedelta(minutes=20) < until:
        clock.shift(timedelta(minutes=20))
        statuses.append(client.get(PAGE).status_code)
    return statuses


def test_it_signs_out_a_session_after_12_hours_however_busy(client, applicant, session_timeouts):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, applicant.email, PASSWORD)
        busy = _stay_busy(client, clock, START + LIFETIME)
        clock.move_to(START + LIFETIME - timedelta(seconds=1))
        last_second = client.get(PAGE)
        clock.move_to(START + LIFETIME)

        response = client.get(PAGE)

    assert busy == [200] * 35  # every 20 minutes up to 11 h 40 min
    assert last_second.status_code == 200
    assert response.url == _login_redirect(PAGE)
    event = AuditEvent.objects.get(verb="user.session_expired")
    assert event.payload == {"reason": "absolute"}


@pytest.mark.parametrize(
    ("busy", "wait", "says"),
    [
        (False, IDLE, "Your session expired after 30 minutes without activity."),
        (True, LIFETIME, "sessions last at most 12 hours"),
    ],
    ids=["idle", "lifetime"],
)
def test_it_says_why_on_the_sign_in_page_and_returns_to_the_page_after(
    client, applicant, session_timeouts, busy, wait, says
):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, applicant.email, PASSWORD)
        if busy:
            _stay_busy(client, clock, START + wait)
        clock.move_to(START + wait)
        login_page = client.get(PAGE, follow=True)
        shown_once = client.get(_login_redirect(PAGE))
        # The sign-in form has no action: the browser posts it back to the page's own URL.
        again = sign_in(client, applicant.email, PASSWORD, path=_login_redirect(PAGE))

    assert login_page.redirect_chain == [(_login_redirect(PAGE), 302)]
    assert says in login_page.text
    assert says not in shown_once.text
    assert again.status_code == 302
    assert again.url == PAGE


# Cookie attributes, with the production settings.


def test_it_sets_host_only_secure_cookies_in_production(
    client, applicant, production_settings, settings
):
    for name, value in production_settings.items():
        if name.startswith(("SESSION_COOKIE_", "CSRF_COOKIE_")):
            setattr(settings, name, value)
    login = reverse("accounts:login")

    page = client.get(login, secure=True)
    signed_in = client.post(login, {"username": applicant.email, "password": PASSWORD}, secure=True)

    assert signed_in.status_code == 302
    for response, name in ((signed_in, "__Host-sessionid"), (page, "__Host-csrftoken")):
        cookie = response.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["path"] == "/", name  # __Host-: path /, no Domain, Secure
        assert cookie["domain"] == "", name
        assert cookie["samesite"] == "Lax", name
    session = signed_in.cookies["__Host-sessionid"]
    assert session["httponly"] is True
    assert session["max-age"] == "" and session["expires"] == "", "ends with the browser"
