"""Benchmark: intake under load, through gunicorn, against a bare one-row insert.

Run by hand from the repository root, never by the test suite, after `bench/seed.py`:

    .venv/bin/python bench/intake.py                          # 50 clients, 60 s each phase
    .venv/bin/python bench/intake.py --clients 10 --seconds 10  # a quick try
    .venv/bin/python bench/intake.py --write                  # also update docs/performance.md

It copies the seeded database (`--source-url`, default gatehouse_bench_scale) into its own
(`--database-url`, default postgres://postgres@127.0.0.1:5432/gatehouse_bench_intake;
the name must contain "bench"), starts gunicorn (`--gunicorn-workers`, default 4, sync
workers) on 127.0.0.1 with DEBUG off and Celery on Redis, and 2 Celery workers that
assess what is submitted. Then, in one run, `--rounds` rounds (default 2) of two phases
each `--seconds` long, interleaved (intake then ceiling, then ceiling then intake, ...) so
that this shared machine's drift weighs on both alike; the rates pool every round:

1. intake: `--clients` threads, each signed in as the owner of its own seeded
   organization (a session made with the test client's `force_login`), file applications
   as the portal's pages do: POST applications/new/, POST every step of the draft, POST
   submit; a submission is accepted when submit redirects to the application's page.
2. ceiling: the same clients POST to a bare view (defined here, URLconf `bench.intake`,
   never in the app) that inserts one row into a table of the bench's own, through the
   same gunicorn and middleware.

Afterwards it waits (with a deadline) until every accepted submission is assessed, and
checks that each is stored with its facts and an assessment. Requests are sent over
keep-alive connections on the loopback interface only, bounded in count and time.
Target: intake at least 40% of the ceiling's throughput (requests per second), zero errors.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reassess import clone, start_workers, stop_workers  # noqa: E402
from bench.seed import write_doc_section  # noqa: E402

SECTION = "## Intake under load"
SOURCE_URL = "postgres://postgres@127.0.0.1:5432/gatehouse_bench_scale"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gatehouse_bench_intake"
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"
HOST, PORT = "127.0.0.1", 8765
TARGET = 0.4
MAX_REQUESTS_PER_CLIENT = 100_000  # a bound besides time
ROUNDS = 2


# --- The ceiling and the WSGI application gunicorn serves ---------------------------------


def ceiling(request):
    """Insert one row and answer 201: the least a write through Django can cost."""
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_ceiling (body, created_at) VALUES (%s, now())",
            [request.POST.get("body", "")],
        )
    return HttpResponse(status=201)


def _urlpatterns():
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    from config.urls import urlpatterns

    return [path("bench/insert/", csrf_exempt(ceiling)), *urlpatterns]


def __getattr__(name):  # `urlpatterns` and `application`, built once Django is set up
    if name == "urlpatterns":
        return _urlpatterns()
    if name == "application":
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        wsgi = get_wsgi_application()
        settings.ROOT_URLCONF = "bench.intake"
        return wsgi
    raise AttributeError(name)


# --- Setup ----------------------------------------------------------------------------------


def environment(url: str, broker: str) -> dict:
    return os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": "gatehouse_bench_intake",
        "DATABASE_CONN_MAX_AGE": "60",
    }


def setup(url: str, broker: str) -> None:
    os.environ.update(environment(url, broker))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_ceiling "
            "(id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL)"
        )


def sessions(count: int) -> list[tuple[int, str]]:
    """Sign in the owners of `count` organizations; return (user id, session cookie)."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    owners = list(User.objects.filter(email__startswith="owner@").order_by("pk")[:count])
    if len(owners) < count:
        raise SystemExit(f"only {len(owners)} owners seeded; run bench/seed.py")
    result = []
    for user in owners:
        client = Client()
        client.force_login(user)
        result.append((user.pk, client.cookies[settings.SESSION_COOKIE_NAME].value))
    return result


def step_posts(facts: dict, title: str) -> list[tuple[str, dict]]:
    """Return (step key, POST data) for each step that states these facts, in order."""
    from reviews.forms.steps import STEPS, StepContext, draft_data_from_facts

    data = draft_data_from_facts(facts, title)
    context = StepContext(organization=None, capabilities=frozenset(facts["capabilities"]))
    data["declarations"] = {f"attest_{key}": ["on"] for key in context.attestations()}
    return [(step.key, data[step.key]) for step in STEPS if step.applies(context)]


def start_gunicorn(workers: int, env: dict) -> subprocess.Popen:
    log = open(Path(env["BENCH_LOGS"]) / "gunicorn.log", "w")  # noqa: SIM115 - with the process
    server = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.intake:application",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{PORT}",
            "--access-logfile",
            "-" if env.get("BENCH_ACCESS_LOG") else "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": "localhost"})
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start")


# --- The clients ----------------------------------------------------------------------------


class Client:
    """One simulated person: a keep-alive connection, a session and a CSRF cookie."""

    def __init__(self, session: str, cookie_name: str):
        self.connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        self.cookies = {cookie_name: session}
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def request(self, method: str, path: str, data: dict | None = None):
        body = urlencode(data or {}, doseq=True) if method == "POST" else None
        headers = {
            "Host": "localhost",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        self.latencies.append(time.perf_counter() - started)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";")[0]
        return response.status, response.getheader("Location", "")


def file_one(client: Client, posts, title: str) -> int | None:
    """File one application through the steps; return its id when submit accepted it."""
    status, location = client.request("POST", "/applications/new/")
    if status != 302 or "/edit/" not in location:
        client.errors.append(f"new: {status} {location}")
        return None
    pk = int(location.split("/applications/")[1].split("/")[0])
    version = 1
    for key, data in posts:
        status, location = client.request(
            "POST",
            f"/applications/{pk}/edit/{key}/",
            {**data, "version": version, "nav": "next"},
        )
        if status != 302:
            client.errors.append(f"step {key}: {status}")
            return None
        version += 1
    status, location = client.request("POST", f"/applications/{pk}/submit/", {"version": version})
    if status != 302 or not location.rstrip("/").endswith(f"/applications/{pk}"):
        client.errors.append(f"submit: {status} {location}")
        return None
    return pk


# Where a phase's CPU goes, by process command line (first match wins); the clients are
# this process's threads.
CPU_GROUPS = ("gunicorn", "celery", "postgres", "bench/intake.py")


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) used so far by each group's processes, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(CPU_GROUPS, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        group = next((g for g in CPU_GROUPS if g in command), None)
        if group is not None:
            # Its own time and its finished children's: a PostgreSQL backend that ends
            # during a phase leaves its time with the postmaster, so none is lost.
            used[group] += sum(int(field) for field in fields[11:15]) / tick
    return used


def run_phase(clients, seconds: float, work) -> tuple[float, list]:
    """Run `work(client, index)` in a loop on every client for `seconds`; return elapsed."""
    stop = time.perf_counter() + seconds
    results: list = [[] for _ in clients]

    def loop(index: int, client: Client) -> None:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= stop:
                return
            try:
                results[index].append(work(client, index))
            except (OSError, http.client.HTTPException) as error:
                client.errors.append(repr(error))
                client.connection.close()

    threads = [threading.Thread(target=loop, args=(i, c)) for i, c in enumerate(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def wait_assessed(ids: list[int], deadline_seconds: float = 600) -> dict:
    """Wait until every accepted application is assessed; return what was found."""
    from reviews.models import Application, Assessment

    deadline = time.monotonic() + deadline_seconds
    while True:
        waiting = Application.objects.filter(pk__in=ids, status="submitted").count()
        if waiting == 0 or time.monotonic() > deadline:
            break
        print(f"\r  waiting for {waiting:,} assessments", end="", flush=True)
        time.sleep(0.5)
    print()
    stored = Application.objects.filter(pk__in=ids, facts__isnull=False).count()
    assessed = Assessment.objects.filter(application_id__in=ids).values("application").distinct()
    return {"accepted": len(ids), "stored": stored, "assessed": assessed.count()}


# --- Main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--source-url", default=SOURCE_URL)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--broker", default=DEFAULT_BROKER)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    import tempfile

    load = os.getloadavg()
    print(f"copying {urlsplit(args.source_url).path.lstrip('/')}", flush=True)
    clone(args.source_url, args.database_url)
    setup(args.database_url, args.broker)
    from django.conf import settings

    from bench.seed import random_facts
    from reviews.decision import parse_facts

    env = environment(args.database_url, args.broker) | {
        "BENCH_LOGS": tempfile.mkdtemp(prefix="gatehouse_bench_intake_")
    }
    cookies = sessions(args.clients)
    import random

    rng = random.Random(11)  # noqa: S311 - test data
    party = {"name": "Bench", "country": "GB", "type": "commercial"}
    plans = []
    for index in range(args.clients):
        facts = parse_facts(random_facts(rng, party)).to_dict()
        plans.append(step_posts(facts, f"Load test {index}"))
    workers = start_workers(2, queue=env["CELERY_QUEUE"], env=env)
    server = None
    try:
        server = start_gunicorn(args.gunicorn_workers, env)
        when = datetime.now(UTC)
        intake_clients = [Client(c, settings.SESSION_COOKIE_NAME) for _u, c in cookies]
        for client in intake_clients:  # a CSRF cookie, as the start page gives a person
            client.request("GET", "/applications/new/")
            client.latencies.clear()
        ceiling_clients = [Client(c, settings.SESSION_COOKIE_NAME) for _u, c in cookies]

        def insert(client, index):
            status, _ = client.request("POST", "/bench/insert/", {"body": f"client {index}"})
            if status != 201:
                client.errors.append(f"insert: {status}")

        phases = {
            "intake": (
                intake_clients,
                lambda c, i: file_one(c, plans[i], f"Load {i}"),
            ),
            "ceiling": (ceiling_clients, insert),
        }
        seconds = {"intake": 0.0, "ceiling": 0.0}
        cpu = {name: dict.fromkeys(CPU_GROUPS, 0.0) for name in phases}
        rounds, filed = [], []
        for number in range(args.rounds):
            # Interleaved, the order swapped every round: the machine's drift hits both alike.
            order = ["intake", "ceiling"] if number % 2 == 0 else ["ceiling", "intake"]
            counts = {}
            for name in order:
                clients, work = phases[name]
                before = sum(len(c.latencies) for c in clients)
                print(
                    f"round {number + 1}: {name}, {args.clients} clients for {args.seconds:.0f} s",
                    flush=True,
                )
                cpu_before = cpu_seconds()
                elapsed, results = run_phase(clients, args.seconds, work)
                cpu_after = cpu_seconds()
                seconds[name] += elapsed
                for group in CPU_GROUPS:
                    cpu[name][group] += cpu_after[group] - cpu_before[group]
                counts[name] = (sum(len(c.latencies) for c in clients) - before) / elapsed
                if name == "intake":
                    filed += results
            rounds.append((order, counts["intake"], counts["ceiling"]))
        accepted = [pk for per in filed for pk in per if pk is not None]
        check = wait_assessed(accepted)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        stop_workers(workers)
    report = summarize(
        intake_clients, ceiling_clients, seconds["intake"], seconds["ceiling"], check, rounds
    ) + cpu_table(cpu, seconds, intake_clients, ceiling_clients)
    for line in report:
        print(line)
    if args.write:
        command = ".venv/bin/python bench/intake.py --write"
        if args.clients != 50 or args.seconds != 60 or args.rounds != ROUNDS:
            command = (
                f".venv/bin/python bench/intake.py --clients {args.clients} "
                f"--seconds {args.seconds:.0f} --rounds {args.rounds} --write"
            )
        write_doc_section(SECTION, markdown(report, when, load, command, args))
        print(f"wrote the '{SECTION}' section of docs/performance.md")
    return 0


def summarize(intake, ceiling_, intake_seconds, ceiling_seconds, check, rounds) -> list[str]:
    intake_latencies = [x for c in intake for x in c.latencies]
    ceiling_latencies = [x for c in ceiling_ for x in c.latencies]
    intake_errors = [e for c in intake for e in c.errors]
    ceiling_errors = [e for c in ceiling_ for e in c.errors]
    intake_rate = len(intake_latencies) / intake_seconds
    ceiling_rate = len(ceiling_latencies) / ceiling_seconds
    ratio = intake_rate / ceiling_rate
    ms = 1000
    lines = [
        "| Phase | Requests/s | Submissions/s | p50 ms | p95 ms | Requests | Errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| Intake: new draft, every step, submit | {intake_rate:,.0f} | "
        f"{check['accepted'] / intake_seconds:,.1f} | "
        f"{statistics.median(intake_latencies) * ms:.1f} | "
        f"{percentile(intake_latencies, 0.95) * ms:.1f} | {len(intake_latencies):,} | "
        f"{len(intake_errors)} |",
        f"| Ceiling: bare view inserting one row | {ceiling_rate:,.0f} | - | "
        f"{statistics.median(ceiling_latencies) * ms:.1f} | "
        f"{percentile(ceiling_latencies, 0.95) * ms:.1f} | {len(ceiling_latencies):,} | "
        f"{len(ceiling_errors)} |",
        "",
        "| Ratio | Measured | Target | Met |",
        "|---|---:|---|---|",
        f"| intake / ceiling (requests/s, all rounds) | {ratio:.2f} | >= {TARGET} | "
        f"{'met' if ratio >= TARGET and not intake_errors else 'not met'} |",
        "",
        "- Round by round (requests/s, in the order run): "
        + "; ".join(
            " then ".join(f"{name} {rates[name]:,.0f}" for name in order)
            + f" ({rates['intake'] / rates['ceiling']:.2f})"
            for order, *pair in rounds
            for rates in [dict(zip(("intake", "ceiling"), pair, strict=True))]
        )
        + ".",
        f"- Accepted submissions: {check['accepted']:,}; stored with facts: "
        f"{check['stored']:,}; assessed: {check['assessed']:,}.",
    ]
    if intake_errors or ceiling_errors:
        lines.append(f"- Errors (first 5): {(intake_errors + ceiling_errors)[:5]}")
    return lines


def cpu_table(cpu, seconds, intake, ceiling_) -> list[str]:
    """Cores busy during each phase and CPU milliseconds per request, by process group."""
    requests = {
        "intake": sum(len(c.latencies) for c in intake),
        "ceiling": sum(len(c.latencies) for c in ceiling_),
    }
    labels = {
        "gunicorn": "gunicorn (Django)",
        "celery": "Celery workers",
        "postgres": "PostgreSQL",
        "bench/intake.py": "clients",
    }
    lines = [
        "",
        "Where the CPU went (from /proc, every round): cores busy, and CPU milliseconds per "
        "request",
        "",
        "| Process | Intake: cores | Intake: ms/request | Ceiling: cores | Ceiling: ms/request |",
        "|---|---:|---:|---:|---:|",
    ]
    for group in (*CPU_GROUPS, None):
        cells = []
        for name in ("intake", "ceiling"):
            used = sum(cpu[name].values()) if group is None else cpu[name][group]
            cells += [f"{used / seconds[name]:.2f}", f"{used / requests[name] * 1000:.1f}"]
        lines.append(f"| {'all' if group is None else labels[group]} | {' | '.join(cells)} |")
    return lines


def markdown(report, when, load, command, args) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            f"- Date: {when:%Y-%m-%d %H:%M} UTC",
            f"- Machine: nproc {os.cpu_count()}; PostgreSQL, Redis, gunicorn, 2 Celery "
            "workers and the clients all on the same machine; load average "
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the start",
            f"- Commands (from the repository root): `.venv/bin/python bench/seed.py` then "
            f"`{command}`",
            f"- Workload: gunicorn with {args.gunicorn_workers} sync workers on the seeded "
            f"database copy; {args.clients} client threads over keep-alive connections, "
            f"{args.seconds:.0f} s per phase; latencies are per HTTP request, from the client.",
            "",
            *report,
            "- A submission is 8 requests (new draft, 6 steps, submit; the deployment step only "
            "when vision capabilities are declared), each a write to the application; creating "
            "the draft and submitting it also append to the audit trail.",
            "- The ceiling's clients carry the same signed-in session, so the ceiling pays "
            "the same middleware (session, user, second-factor check, the connection's health "
            "check) and every cut there speeds both and lowers the ratio: the one-query "
            "second-factor check took the ceiling from about 350 to 500 requests/s and the "
            "ratio from 0.35-0.39 to 0.29 (2026-11-24, morning).",
            "- What took intake from 0.29 to its figure above (2026-11-24, evening; 2 rounds "
            "of 20 s after each change, with test-client CPU profiles, `pg_stat_statements` and "
            "`py-spy --gil` on the gunicorn and Celery processes to find them): (1) Celery's "
            "Django fixup closed the worker's database connection after every task, so each "
            "assessment paid a new PostgreSQL backend with cold catalog caches (its UPDATE "
            "took 1.1 ms in PostgreSQL instead of 0.2 ms); workers now keep it as web "
            "processes do (`operations/signals.py`), and PostgreSQL's share fell from 2.7-3.7 "
            "to about 1.8 CPU ms per intake request. (2) What every customer request or "
            "submission runs is fixed SQL (`config/rows.py`: the ORM spent about 0.3 ms of "
            "CPU building each statement): the memberships and the application in one query, "
            "a draft step's conditional UPDATE, the submission's lock, the capabilities and "
            "subscriptions the forms offer, the published version and the earlier-assessment "
            "lookup of an assessment, the audit chain's head and insert; in one process a "
            "draft step went from 3.9 to 2.3 CPU ms and an assessment from 3.5 to 2.1. (3) "
            "Step forms' choice fields share their choices instead of deep-copying them for "
            "every form (40% of validating a submission's steps). (4) The assessment task "
            "skips the delivery lock and receipt (its service is idempotent under a row "
            "lock), audit events are appended without a savepoint, and the assessment no "
            "longer loads the policy version's golden cases. Short runs (2 x 20 s) on this "
            "machine measured 0.36 before the changes (the full run of the morning, on "
            "another machine, 0.29), then 0.35-0.40 (connections, receipts, savepoints, "
            "selectors), 0.39-0.44 (locks and audit inserts), 0.41 (choice fields), 0.43-0.49 "
            "(the assessment's reads), 0.43 (memberships and application in one query, the "
            "forms' lists); the ceiling's own rate moved between 450 and 680 requests/s "
            "from run to run, which moves the ratio with it.",
            "- Where the rest goes (the CPU table): Django still does about twice the "
            "ceiling's work per request (each step's form bound and validated, the draft "
            "written; the submission validates every step again and publishes the assessment "
            "to Redis), PostgreSQL about three times (writes to a table with 19 indexes, "
            "three audit events per submission whose chain lock serializes their commits), "
            "and every submission costs a Celery worker an assessment, which the ceiling has "
            "no counterpart for.",
            "- Tried and not kept: server-side binding with prepared statements "
            "(`server_side_binding` and `prepare_threshold` in the database OPTIONS) made an "
            "intake request 10% faster in one process and the ceiling 8% faster, so the ratio "
            "hardly moves, and prepared statements do not survive a transaction-pooling "
            "PgBouncer. Leaving a fifth of each page of applications free (migration "
            "reviews/0011) took in-place updates from 55% to 68% of the table's updates, "
            "within the noise in throughput.",
            "- The clients run in the same 2-core machine as the server and the database, "
            "and the machine is shared: both phases pay that alike.",
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
