"""T34: PostgreSQL restarts, then Redis restarts, while applicants submit applications.

Every request is answered with success or the friendly 503; no audit event is lost (the chain
verifies and every submission has exactly one event); the app recovers without a restart
within 30 s of the database returning; and every submission is assessed in the end.

The drill runs on a stack of its own (stack.py): a throwaway PostgreSQL cluster and Redis,
a web server, a worker and beat. It never restarts the shared PostgreSQL or Redis."""

import http.client
import secrets
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass

import pytest

from ..services import unavailable
from .stack import Stack, assert_known_exits, postgres_bindir, wait_for

pytestmark = [pytest.mark.nightly, pytest.mark.celery_worker]

DRAFTS = 300
SUBMITTERS = 2
RECOVERY = 30  # seconds from the database's return to a healthy app (the T34 figure)
FRIENDLY = b"Nothing you submitted is lost"
SWEEP_AGE = 120  # reviews.tasks.sweep_unassessed takes submissions untouched for 2 minutes


@dataclass
class Answer:
    at: float
    draft: int
    status: int
    friendly: bool
    location: str


class Submitter(threading.Thread):
    """Press "Submit" on each draft, as an applicant would, until it goes through."""

    def __init__(self, port: int, session: str, drafts: list[dict]):
        super().__init__(daemon=True)
        self.port = port
        self.csrf = secrets.token_hex(16)  # a 32-character secret: cookie and form agree
        self.cookie = f"sessionid={session}; csrftoken={self.csrf}"
        self.pending = deque(drafts)
        self.answers: list[Answer] = []
        self.submitted: set[int] = set()

    def post(self, draft: dict) -> Answer:
        body = f"csrfmiddlewaretoken={self.csrf}&version={draft['version']}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                "POST",
                f"/applications/{draft['id']}/submit/",
                body=body,
                headers={
                    "Cookie": self.cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = conn.getresponse()
            content = response.read()
            return Answer(
                time.monotonic(),
                draft["id"],
                response.status,
                FRIENDLY in content,
                response.getheader("Location") or "",
            )
        finally:
            conn.close()

    def run(self) -> None:
        while self.pending:
            draft = self.pending.popleft()
            answer = self.post(draft)
            self.answers.append(answer)
            if answer.status == 302 and answer.location.rstrip("/").endswith(f"/{draft['id']}"):
                self.submitted.add(draft["id"])
            else:
                self.pending.append(draft)  # try again later, as a person would


def _health(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


@pytest.fixture
def stack():
    bindir = postgres_bindir()
    if bindir is None or subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        unavailable(
            "PostgreSQL server binaries and redis-server", "apt-get install postgresql redis-server"
        )
    stack = Stack(bindir)
    try:
        yield stack
    finally:
        stack.stop()


def test_t34_database_and_broker_restarts_during_submissions(stack):
    data = stack.start(drafts=DRAFTS)
    port = stack.web_port
    wait_for(
        lambda: _health(port) == 200,
        seconds=60,
        what="the stack is healthy",
        on_timeout=stack.outputs,
    )
    drafts = data["drafts"]
    submitters = [
        Submitter(port, data["session"], drafts[n::SUBMITTERS]) for n in range(SUBMITTERS)
    ]
    submitted = lambda: sum(len(s.submitted) for s in submitters)  # noqa: E731
    for submitter in submitters:
        submitter.start()

    wait_for(lambda: submitted() >= DRAFTS // 5, seconds=60, what="submissions are under way")
    before_restart = submitted()
    stack.postgres.restart()
    database_back = time.monotonic()
    healthy_again = wait_for(
        lambda: _health(port) == 200 and time.monotonic(),
        seconds=RECOVERY,
        what="/healthz is 200 again",
        on_timeout=stack.outputs,
    )
    wait_for(
        lambda: submitted() > before_restart,
        seconds=RECOVERY,
        what="a submission goes through after the restart",
        on_timeout=stack.outputs,
    )
    submission_back = time.monotonic()

    wait_for(lambda: submitted() >= DRAFTS * 3 // 5, seconds=120, what="more submissions")
    stack.redis.stop()
    wait_for(
        lambda: submitted() >= DRAFTS * 4 // 5,
        seconds=120,
        what="submissions go on without the broker",
        on_timeout=stack.outputs,
    )
    stack.redis.start()
    for submitter in submitters:
        submitter.join(timeout=120)
    assert not any(s.is_alive() for s in submitters), "every draft was submitted in the end"

    answers = [a for s in submitters for a in s.answers]
    unfriendly = [a for a in answers if a.status not in (302, 503)]
    unfriendly += [a for a in answers if a.status == 503 and not a.friendly]
    assert unfriendly == [], (
        f"{len(unfriendly)} answers neither success nor the friendly 503, e.g. {unfriendly[:3]}\n"
        + stack.outputs()
    )
    assert submitted() == DRAFTS
    assert healthy_again - database_back <= RECOVERY
    assert submission_back - database_back <= RECOVERY

    with stack.postgres.connect(stack.DATABASE) as conn:
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM reviews_application GROUP BY status"
            ).fetchall()
        )
        events = conn.execute(
            "SELECT object_id, count(*) FROM audit_auditevent "
            "WHERE verb = 'application.submitted' GROUP BY object_id"
        ).fetchall()
    assert statuses.get("draft", 0) == 0
    assert sorted(int(object_id) for object_id, _ in events) == sorted(d["id"] for d in drafts)
    assert {count for _, count in events} == {1}, "exactly one submission event each"
    verified = stack.manage("verify_audit", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    def unscored() -> int:
        with stack.postgres.connect(stack.DATABASE) as conn:
            return conn.execute(
                "SELECT count(*) FROM reviews_application WHERE status = 'submitted'"
            ).fetchone()[0]

    wait_for(
        lambda: unscored() == 0,
        seconds=SWEEP_AGE + 60,
        interval=1,
        what="every submission is assessed",
        on_timeout=stack.outputs,
    )
    assert_known_exits(stack.worker)  # then its supervisor started it again
    refused = sum(1 for a in answers if a.status == 503)
    print(
        f"T34: {DRAFTS} submissions, {refused} friendly 503s; healthy "
        f"{healthy_again - database_back:.1f} s and submitting "
        f"{submission_back - database_back:.1f} s after PostgreSQL returned; "
        f"worker restarts by its supervisor: {len(stack.worker.exits)}; {verified.stdout.strip()}"
    )
