"""Benchmark: the entitlement check under load, against a bare Django view as the ceiling.

Run by hand from the repository root, never by the test suite:

    .venv/bin/python bench/entitlements.py                # 2 rounds of 15 s per endpoint
    .venv/bin/python bench/entitlements.py --seconds 30 --rounds 3 --write

It drops and recreates its own PostgreSQL database (`--database-url`, default
postgres://postgres@127.0.0.1:5432/gatehouse_bench_entitlements; the name must contain
"bench"), seeds an approved application through the services plus 20,000 other
entitlements, creates an organization API key, then starts gunicorn (sync workers, this
module as settings and URL configuration) and drives it with 50 concurrent clients. Two
endpoints, interleaved round by round, through the same middleware:

- **check**: `GET /api/v1/entitlements/check` with `Authorization: Bearer <key>`: key
  lookup, the per-key rate limit, the check query, the call log line;
- **ceiling**: `GET /bench/ceiling`: a bare view answering one indexed query on the same
  table, no authentication.

Target: check throughput at least 60% of the ceiling's, zero errors. `--write` replaces the
"## Entitlements API" section of docs/performance.md with the table.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gatehouse_bench_entitlements"
if __name__ == "__main__":
    # The settings below are read once, now: point them at the benchmark's database first.
    _args = sys.argv[1:]
    _at = _args.index("--database-url") + 1 if "--database-url" in _args else 0
    os.environ["DATABASE_URL"] = _args[_at] if _at else DEFAULT_DATABASE_URL

# This module is also the Django settings and the URL configuration gunicorn serves.
from config.settings.base import *  # noqa: E402, F403

ROOT_URLCONF = "bench.entitlements"
DEBUG = False
ENTITLEMENTS_API_RATE_LIMIT = (10**9, 60)  # the limiter runs, and never refuses
SUBSCRIPTION = "0f8fad5b-d9cb-469f-a165-70867728950e"
CAPABILITY = "face_verification"
CLIENTS = 50
TARGET_RATIO = 0.60
PORT = 8765


def ceiling(request):
    """Answer one indexed query, with no authentication: the most a request can cost less."""
    from django.http import JsonResponse

    from entitlements.models import Entitlement

    row = (
        Entitlement.objects.filter(subscription=SUBSCRIPTION, capability=CAPABILITY)
        .values_list("status", "valid_until")
        .first()
    )
    return JsonResponse({"allowed": bool(row and row[0] == "active")})


def _urlpatterns():
    from django.urls import path

    from config.urls import urlpatterns

    return [
        *urlpatterns,
        path("bench/ceiling", ceiling, name="bench_ceiling"),
    ]


def __getattr__(name):  # the URL configuration, built when Django first asks for it
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def seed(url: str) -> str:
    """Create the data through the services; return the API key."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.entitlements"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL only (--database-url)")
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import StaffGroup, User
    from accounts.services import organization_create, user_signup
    from entitlements.credentials import api_key_create
    from entitlements.models import Entitlement
    from entitlements.services import grant_for_approval
    from reviews.models import Application
    from reviews.services import application_submit, review_act
    from reviews.services.applications import application_assess

    now = timezone.now()
    owner = user_signup(
        email="bench@acme.example", full_name="Bench", password=None, verified_at=now
    )
    organization = organization_create(
        actor=owner, now=now, name="Acme", country="GB", org_type="software_vendor"
    )
    reviewer = User.objects.create_user(email="rev@gatehouse.example", full_name="Rev")
    reviewer.groups.set(Group.objects.filter(name=StaffGroup.REVIEWER))
    facts = {
        "organization": organization.as_party(),
        "acting_for": [],
        "capabilities": ["face_liveness", CAPABILITY],
        "use_case": "identity_verification",
        "deployment": {
            "real_time": True,
            "camera": "user_device",
            "environment": "not_applicable",
            "countries": ["GB"],
        },
        "gallery": "identity_documents",
        "data_subjects": ["customers"],
        "consent": "opt_in_with_alternative",
        "human_review": True,
        "consequential_decisions": [],
        "description": "Customers compare a selfie with their own passport photo.",
    }
    application = application_submit(
        actor=owner, organization=organization, role="owner", title="Selfie", facts=facts
    )
    application_assess(application_id=application.pk, now=now)
    Application.objects.filter(pk=application.pk).update(subscriptions=[SUBSCRIPTION])
    review_act(actor=reviewer, application_id=application.pk, kind="approve", reason="ok", now=now)
    grant_for_approval(application_id=application.pk, now=now)
    template = Entitlement.objects.filter(application=application).first()
    noise = [
        Entitlement(
            organization_id=template.organization_id,
            application_id=template.application_id,
            approval_id=template.approval_id,
            subscription=f"{i:08x}-0000-4000-8000-000000000000",
            capability=capability,
            use_case=template.use_case,
            valid_from=template.valid_from,
            valid_until=template.valid_until,
        )
        for i in range(10_000)
        for capability in ("face_liveness", CAPABILITY)
    ]
    Entitlement.objects.bulk_create(noise, batch_size=5000)
    membership = owner.memberships.get()
    return api_key_create(actor=owner, membership=membership, name="bench", now=now)[1]


def _client(path: str, headers: dict, seconds: float, results, threads: int) -> None:
    """One load process: `threads` clients in a loop until the time is up."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def loop():
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                connection.close()
                ok = response.status == 200
            except OSError:
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put((latencies, errors[0]))


def run_load(path: str, headers: dict, seconds: float) -> dict:
    processes = 5  # 5 x 10 threads = 50 concurrent clients, without one GIL for all
    results = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_client, args=(path, headers, seconds, results, CLIENTS // processes)
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    latencies, errors = [], 0
    for _ in workers:
        got, failed = results.get()
        latencies.extend(got)
        errors += failed
    for worker in workers:
        worker.join()
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "rps": len(latencies) / seconds,
        "p50": quantiles[49] * 1000,
        "p95": quantiles[94] * 1000,
        "errors": errors,
    }


def serve(url: str, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.entitlements"}
    env["DATABASE_CONN_MAX_AGE"] = "60"  # persistent connections, as production runs
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{PORT}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            connection.request("GET", "/bench/ceiling")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)  # the server is starting; poll until the deadline
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not answer within 30 s")


def table(results: dict[str, list[dict]], workers: int, seconds: float, rounds: int) -> str:
    def median(name, field):
        return statistics.median(r[field] for r in results[name])

    ratio = median("check", "rps") / median("ceiling", "rps")
    errors = sum(r["errors"] for rows in results.values() for r in rows)
    verdict = "meets" if ratio >= TARGET_RATIO and errors == 0 else "MISSES"
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    command = " ".join(["bench/entitlements.py", *sys.argv[1:]])
    lines = [
        "## Entitlements API",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load} (1 / 5 / 15 min) "
        "at the end",
        f"- Command (from the repository root): `.venv/bin/python {command}`",
        "",
        f"`bench/entitlements.py`: gunicorn ({workers} sync workers), PostgreSQL, {CLIENTS} "
        f"concurrent clients, {rounds} interleaved rounds of {seconds:g} s per endpoint "
        f"(medians), on {os.cpu_count()} CPUs shared with the load generator.",
        "",
        "| endpoint | requests/s | p50 ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in (("ceiling", "bare view, one indexed query"), ("check", "check, API key")):
        lines.append(
            f"| {label} | {median(name, 'rps'):,.0f} | {median(name, 'p50'):.1f} | "
            f"{median(name, 'p95'):.1f} | {sum(r['errors'] for r in results[name])} |"
        )
    lines += [
        "",
        f"Ratio check/ceiling: **{ratio:.0%}** (target at least {TARGET_RATIO:.0%}, zero "
        f"errors): {verdict} the target.",
        "",
        *NOTES,
        "",
    ]
    return "\n".join(lines)


NOTES = [
    "- Where a call's time went (cProfile of 300 checks through the test client, "
    "2026-11-24): building the two ORM queries (key lookup, check) took more than running "
    "them. They are fixed SQL now (`entitlements/selectors.py`), which cut the server's "
    "time per call by 43%.",
    "- Before that change the same command gave 66% on a quiet machine (load average 0.3) "
    "and 51 to 55% while other test suites ran; after it, 82% with the machine loaded as "
    "above. The machine is shared: absolute figures move by half between runs, the ratio "
    "much less, since the rounds interleave.",
]


def write(section: str) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(r"^## Entitlements API\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)

    from bench.audit import recreate_database

    recreate_database(args.database_url)
    key = seed(args.database_url)
    server = serve(args.database_url, args.workers)
    check = f"/api/v1/entitlements/check?subscription={SUBSCRIPTION}&capability={CAPABILITY}"
    endpoints = {
        "ceiling": ("/bench/ceiling", {}),
        "check": (check, {"Authorization": f"Bearer {key}"}),
    }
    results: dict[str, list[dict]] = {name: [] for name in endpoints}
    try:
        for path, headers in endpoints.values():
            run_load(path, headers, 2)  # warm-up: connections, caches, imports
        for _ in range(args.rounds):
            for name, (path, headers) in endpoints.items():
                results[name].append(run_load(path, headers, args.seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    section = table(results, args.workers, args.seconds, args.rounds)
    print(section)
    if args.write:
        write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
