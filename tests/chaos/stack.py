"""A whole Gatehouse of the drill's own: PostgreSQL cluster, Redis, web server, worker and
beat, all on loopback ports, started and stopped by the test. Nothing shared is touched."""

import contextlib
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import psycopg

from ..operations.support import (
    ROOT,
    RedisServer,
    celery_env,
    free_port,
    log_summary,
    start_beat,
    start_worker,
    wait_for,
)


def postgres_bindir() -> Path | None:
    """Return the directory of initdb and pg_ctl (Debian keeps them off PATH)."""
    found = shutil.which("pg_ctl") or shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


class PostgresServer:
    """A throwaway PostgreSQL cluster (initdb in a temporary directory, its own port)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gh-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, *extra
        )

    def start(self) -> "PostgresServer":
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._ctl("start")
        return self

    def restart(self) -> None:
        """Restart the server as an operator would (fast: sessions are cut, work rolls back)."""
        self._ctl("restart", "-m", "fast")

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.dir, ignore_errors=True)


# kombu 5.7 on a Redis connection lost with unacknowledged tasks (see Supervisor).
KNOWN_WORKER_EXIT = "AttributeError(\"'NoneType' object has no attribute 'hostname'\")"


def assert_known_exits(supervisor: "Supervisor") -> None:
    """Fail unless every exit of the supervised worker was the known kombu error."""
    for log in supervisor.exits:
        crashes = [line for line in log.splitlines() if "Unrecoverable error" in line]
        assert crashes and all(KNOWN_WORKER_EXIT in line for line in crashes), log[-6000:]


class Supervisor:
    """Start a worker again whenever it exits, as systemd's Restart=always does in production.

    A worker can exit on a broker outage: kombu 5.7 raises AttributeError ("'NoneType' object
    has no attribute 'hostname'") when Redis drops the connection while the worker holds
    unacknowledged tasks, and Celery calls that unrecoverable. The drill counts such exits."""

    def __init__(self, start):
        self._start = start
        self.workers = [start()]
        self.exits: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            current = self.workers[-1]
            if current.process.poll() is not None:
                self.exits.append(current.output())
                current.stop()
                self.workers.append(self._start())

    def summary(self, tail: int = 4000) -> str:
        return "\n".join(worker.summary(tail) for worker in self.workers)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)
        for worker in self.workers:
            worker.stop()


class Stack:
    """Gatehouse on a PostgreSQL cluster and a Redis of its own."""

    DATABASE = "gatehouse_drill"

    def __init__(self, bindir: Path):
        self.postgres = PostgresServer(bindir)
        self.redis = RedisServer()
        self.queue = f"drill-{uuid.uuid4().hex[:8]}"
        self.web_port = free_port()
        self.processes = []
        self.web = None
        self.worker: Supervisor | None = None
        self._web_log = None

    @property
    def database_url(self) -> str:
        return self.postgres.url(self.DATABASE)

    def env(self, **extra) -> dict[str, str]:
        return celery_env(
            broker_url=self.redis.url(0),
            queue=self.queue,
            database=self.database_url,
            DJANGO_DEBUG="0",
            **extra,
        )

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )

    def start(self, *, drafts: int) -> dict:
        """Start every service, migrate, make the drill's data; return it (see drill_setup)."""
        self.postgres.start()
        with self.postgres.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {self.DATABASE}")
        self.redis.start()
        self.manage("migrate", "--noinput", "-v0")
        made = self.manage(
            "shell", "-c", f"from tests.chaos.drill_setup import main; main({drafts})"
        )
        data = json.loads(made.stdout.strip().splitlines()[-1])
        common = {"broker_url": self.redis.url(0), "queue": self.queue}
        self.worker = Supervisor(
            lambda: start_worker(
                database=self.database_url,
                concurrency=2,
                WORKER_HEARTBEAT_INTERVAL=2,
                DJANGO_DEBUG="0",
                **common,
            )
        )
        self.processes.append(self.worker)
        self.processes.append(
            start_beat(database=self.database_url, SWEEP_INTERVAL=5, DJANGO_DEBUG="0", **common)
        )
        self._web_log = (self.postgres.dir / "web.log").open("w")
        self.web = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.web_port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self._web_log,
            stderr=subprocess.STDOUT,
        )
        return data

    def outputs(self) -> str:
        parts = [process.summary() for process in self.processes]
        if self._web_log is not None:
            self._web_log.flush()
            web = (self.postgres.dir / "web.log").read_text(errors="replace")
            parts.append(log_summary("web", web, 2000))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.web is not None:
            self.web.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.web.wait(timeout=20)
            if self.web.poll() is None:
                self.web.kill()
        for process in self.processes:
            process.stop()
        if self._web_log is not None:
            self._web_log.close()
        self.redis.remove()
        self.postgres.stop()


__all__ = ["PostgresServer", "Stack", "postgres_bindir", "wait_for"]
