"""Hooks for django-axes, and the lock that makes its failure count hold under concurrency.

django-axes checks the failure count before a password is evaluated and records the failure
after. Concurrent attempts all pass the check before any failure is recorded, so a burst of
50 simultaneous guesses had 26 to 50 of them evaluated (tests/accounts/test_lockout.py). The
sign-in view therefore runs each POST in a transaction holding a PostgreSQL advisory lock on
the same (address, client IP) pair that axes counts: attempts for one pair take turns, each
sees the failures recorded before it, and no more than AXES_FAILURE_LIMIT guesses are
evaluated per cool-off.
"""

import functools
import hashlib
from contextlib import contextmanager

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.db import connection, transaction

from . import services

# Two-int advisory locks live in their own key space, apart from the audit chain's bigint lock.
_SIGN_IN_LOCK_CLASS = 0x6C6F67  # "log"


def axes_username(request, credentials) -> str:
    """Count failures per address however it is typed (ALICE@ and alice@ are one account)."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower().replace("\x00", "")[:254]


def _attempt_key(request) -> tuple[str, int]:
    username = axes_username(request, None)
    digest = hashlib.blake2b(
        f"{username}\n{get_client_ip_address(request) or ''}".encode(), digest_size=4
    ).digest()
    return username, int.from_bytes(digest, "big", signed=True)


@contextmanager
def sign_in_lock(request):
    """Hold a transaction and the lock of the request's (address, client IP) pair."""
    username, key = _attempt_key(request)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_SIGN_IN_LOCK_CLASS, key])
        yield username


def one_attempt_at_a_time(view):
    """Serialize sign-in POSTs per (address, client IP); audit the lockout one of them causes."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with sign_in_lock(request) as username:
            locked_before = AxesProxyHandler.is_locked(request, {"username": username})
            response = view(request, *args, **kwargs)
            if getattr(request, "axes_locked_out", False) and not locked_before:
                services.user_locked_out(email=username)
        return response

    return wrapped
