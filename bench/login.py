"""Benchmark: sign-in time through the real view, with Django's default Argon2 parameters.

Run by hand from the repository root, never by the test suite:

    .venv/bin/python bench/login.py                 # 200 timed sign-ins of each kind
    .venv/bin/python bench/login.py --logins 500

It needs the PostgreSQL server of the dev setup and drops and recreates its own database
(`--database-url`, default postgres://postgres@127.0.0.1:5432/gatehouse_bench_login; the
name must contain "bench"). Each sign-in is a POST of the sign-in form with Django's test
client from a fresh browser (no cookies), so it includes everything the server does: the
axes check and lock, one Argon2id verification, the session, the audit event. Three kinds,
interleaved: the right password; a wrong one for an existing address; any password for an
unknown address (Django hashes it anyway, so the two failures should take as long). Failures
come from a different client address each time so that no lockout starts.

Target (T20): the right password's p95 at most 500 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit import recreate_database  # noqa: E402 - the path is set just above

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gatehouse_bench_login"
TARGET_P95_MS = 500
EMAIL = "bench@acme.example"
PASSWORD = "bench-password-not-secret"  # noqa: S105
KINDS = ("right password", "wrong password", "unknown address")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # local settings turn it on; it keeps every query in memory
    call_command("migrate", verbosity=0)
    # One warning per failed sign-in (axes, django.request) would drown the table.
    logging.disable(logging.WARNING)


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def measure(logins: int, warmup: int) -> tuple[dict[str, list[float]], str]:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.services import user_signup

    user = user_signup(
        email=EMAIL, full_name="Bench", password=PASSWORD, verified_at=timezone.now()
    )
    login = reverse("accounts:login")
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i in range(warmup + logins):
        for kind in KINDS:
            address = f"10.{i // 250 % 250}.{i % 250}.{KINDS.index(kind) + 1}"
            client = Client(HTTP_HOST="localhost", REMOTE_ADDR=address)
            email = "nobody@acme.example" if kind == "unknown address" else EMAIL
            password = PASSWORD if kind == "right password" else "wrong-password-guess"
            started = time.perf_counter()
            response = client.post(login, {"username": email, "password": password})
            elapsed = (time.perf_counter() - started) * 1000
            expected = 302 if kind == "right password" else 200
            if response.status_code != expected:
                raise SystemExit(f"{kind}: got {response.status_code}, expected {expected}")
            if i >= warmup:
                times[kind].append(elapsed)
    user.refresh_from_db()
    return times, user.password.rsplit("$", 2)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=200, help="timed sign-ins of each kind")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args(argv)

    recreate_database(args.database_url)
    setup_django(args.database_url)
    load = os.getloadavg()
    times, hasher = measure(args.logins, args.warmup)

    print(f"hash: {hasher}$…   load average before: {load[0]:.2f}   cpus: {os.cpu_count()}")
    print(f"{'sign-in':<18}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, values in times.items():
        p50, p95 = statistics.median(values), percentile(values, 95)
        print(f"{kind:<18}{len(values):>6}{p50:>10.1f}{p95:>10.1f}{max(values):>10.1f}")
    p95 = percentile(times["right password"], 95)
    verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
    print(f"target: right password p95 <= {TARGET_P95_MS} ms: {verdict} ({p95:.1f} ms)")
    return 0 if p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
