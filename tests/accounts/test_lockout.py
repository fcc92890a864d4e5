"""T21: failed sign-ins lock an address out for one client, sequentially and in a burst.

django-axes counts failures per (address, client IP); the attempt that makes the count reach
AXES_FAILURE_LIMIT (N) and every later one get 429 until the cool-off passes. The burst tests
need PostgreSQL and open 50 connections at once.
"""

import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

from ..conftest import PASSWORD
from .conftest import sign_in

WRONG = "not-the-password-at-all"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _comparable(response, email: str) -> tuple:
    """Return status, headers and body, with what differs by design (the address typed back
    into the form, the per-response CSRF token, the request id) blanked."""
    body = _CSRF.sub(r"\1-\2", response.content.decode().replace(email, "EMAIL"))
    headers = {
        k: v for k, v in response.headers.items() if k not in ("X-Request-ID", "Content-Length")
    }
    return response.status_code, headers, body


def _fail(client: Client, email: str, times: int) -> list[int]:
    return [sign_in(client, email, WRONG).status_code for _ in range(times)]


def test_it_locks_out_at_the_nth_failure_however_the_address_is_typed(client, applicant):
    limit = settings.AXES_FAILURE_LIMIT
    typed = ["alice@acme.example", "ALICE@acme.example", " Alice@Acme.example"]

    before = [sign_in(client, typed[i % 3], WRONG).status_code for i in range(limit - 1)]
    nth = sign_in(client, applicant.email, WRONG)
    right_password = sign_in(client, applicant.email, PASSWORD)

    assert before == [200] * (limit - 1)
    assert nth.status_code == 429
    assert right_password.status_code == 429
    assert "Too many failed sign-in attempts" in right_password.text
    assert not right_password.wsgi_request.user.is_authenticated


@time_machine.travel(START, tick=False)
def test_it_answers_existing_and_unknown_addresses_identically(client, applicant):
    limit = settings.AXES_FAILURE_LIMIT
    known = [sign_in(client, applicant.email, WRONG) for _ in range(limit + 1)]
    unknown = [sign_in(client, "nobody@acme.example", WRONG) for _ in range(limit + 1)]

    for attempt, (a, b) in enumerate(zip(known, unknown, strict=True), start=1):
        assert _comparable(a, applicant.email) == _comparable(b, "nobody@acme.example"), (
            f"attempt {attempt} differs"
        )
    assert [r.status_code for r in known] == [200] * (limit - 1) + [429, 429]
    assert known[-1].content == unknown[-1].content  # the lockout page echoes nothing


def test_it_starts_counting_again_after_a_successful_sign_in(client, applicant):
    limit = settings.AXES_FAILURE_LIMIT

    first = _fail(client, applicant.email, limit - 1)
    assert sign_in(client, applicant.email, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    second = _fail(client, applicant.email, limit - 1)

    assert first == second == [200] * (limit - 1)


def test_it_locks_one_client_out_not_the_address_everywhere(client, applicant):
    _fail(client, applicant.email, settings.AXES_FAILURE_LIMIT)
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")

    assert sign_in(client, applicant.email, PASSWORD).status_code == 429
    assert sign_in(elsewhere, applicant.email, PASSWORD).status_code == 302


def test_it_audits_every_failure_and_the_lockout(client, applicant):
    limit = settings.AXES_FAILURE_LIMIT

    _fail(client, applicant.email, limit + 2)  # N failures, then 2 attempts while locked out
    _fail(client, "nobody@acme.example", limit)

    failed = AuditEvent.objects.filter(verb="user.login_failed").order_by("seq")
    locked = AuditEvent.objects.filter(verb="user.locked_out").order_by("seq")
    assert [e.payload["email"] for e in failed] == [applicant.email] * (limit + 2) + [
        "nobody@acme.example"
    ] * limit
    assert [e.payload["email"] for e in locked] == [applicant.email, "nobody@acme.example"]
    # The lockout is recorded with the failure that caused it, not with the refused ones.
    nth_failure = failed[limit - 1]
    assert locked[0].seq == nth_failure.seq + 1
    assert locked[0].request_id == nth_failure.request_id != ""
    assert all(WRONG not in str(e.payload) for e in [*failed, *locked])


# The cool-off: AXES_COOLOFF_TIME after the last failure, the address may try again.


def _lock_out(client, email):
    assert _fail(client, email, settings.AXES_FAILURE_LIMIT)[-1] == 429


def test_it_keeps_the_lock_until_the_cool_off_ends(client, applicant):
    with time_machine.travel(START, tick=False) as clock:
        _lock_out(client, applicant.email)
        clock.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

        response = sign_in(client, applicant.email, PASSWORD)

    assert response.status_code == 429


def test_it_lets_the_right_password_in_once_the_cool_off_has_passed(client, applicant):
    with time_machine.travel(START, tick=False) as clock:
        _lock_out(client, applicant.email)
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))

        response = sign_in(client, applicant.email, PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_it_restarts_the_cool_off_when_a_locked_out_client_keeps_guessing(client, applicant):
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(START, tick=False) as clock:
        _lock_out(client, applicant.email)
        clock.shift(cool_off / 2)
        assert sign_in(client, applicant.email, WRONG).status_code == 429
        clock.shift(cool_off / 2 + timedelta(seconds=1))
        still_locked = sign_in(client, applicant.email, PASSWORD)  # restarts it again
        clock.shift(cool_off + timedelta(seconds=1))
        let_in = sign_in(client, applicant.email, PASSWORD)

    assert still_locked.status_code == 429
    assert let_in.status_code == 302


# A burst: 50 guesses released together from one client (threads, real transactions).


def burst(workers: int, email: str, password: str) -> list:
    """POST the sign-in form from `workers` threads released together; return the statuses."""
    barrier = threading.Barrier(workers)
    statuses: list = [None] * workers

    def attempt(index: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            statuses[index] = sign_in(client, email, password).status_code
        except Exception as error:  # every outcome is a result here
            statuses[index] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


BURST = 50


def test_it_evaluates_at_most_n_plus_2_guesses_of_a_burst_of_50(
    transactional_db, postgresql, applicant, guesses
):
    limit = settings.AXES_FAILURE_LIMIT

    statuses = burst(BURST, applicant.email, WRONG)

    assert guesses.count <= limit + 2, f"{guesses.count} of {BURST} guesses were evaluated"
    assert sorted(statuses, key=str) == [200] * (limit - 1) + [429] * (BURST - limit + 1)
    assert AuditEvent.objects.filter(verb="user.login_failed").count() == BURST
    assert AuditEvent.objects.filter(verb="user.locked_out").count() == 1
    evaluated = guesses.count
    assert sign_in(Client(), applicant.email, PASSWORD).status_code == 429
    assert guesses.count == evaluated, "the right password was checked during the lockout"


@contextmanager
def _no_lock(request):
    from accounts.security import axes_username

    with transaction.atomic():
        yield axes_username(request, None)


def test_the_burst_harness_catches_a_sign_in_without_the_lock(
    transactional_db, postgresql, applicant, guesses, monkeypatch
):
    """Negative control: without the per-client lock, axes alone lets most of the burst in."""
    monkeypatch.setattr("accounts.security.sign_in_lock", _no_lock)

    burst(BURST, applicant.email, WRONG)

    assert guesses.count > settings.AXES_FAILURE_LIMIT + 2
