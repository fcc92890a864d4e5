"""Test support for background work: point this process's Celery app elsewhere, and run real
Celery workers, beat, and throwaway Redis servers as subprocesses owned by the test."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _forget_connections() -> None:
    # The app caches its connection and producer pools for the broker URL it first used.
    celery_app._after_fork()


@contextlib.contextmanager
def celery_conf(settings, **conf):
    """Apply Celery `conf` (e.g. task_always_eager=False, broker_url=...) and restore it after,
    keeping Django's CELERY_TASK_ALWAYS_EAGER in step (the health check reads it)."""
    saved = {key: celery_app.conf[key] for key in conf}
    celery_app.conf.update(conf)
    if "task_always_eager" in conf:
        settings.CELERY_TASK_ALWAYS_EAGER = conf["task_always_eager"]
    _forget_connections()
    try:
        yield celery_app
    finally:
        celery_app.conf.update(saved)
        _forget_connections()


def database_url() -> str:
    """Return a URL of the database this test process uses (the test database)."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, seconds: float, what: str, interval: float = 0.1, on_timeout=None):
    """Poll `predicate` until it returns something truthy; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            details = on_timeout() if on_timeout else ""
            raise AssertionError(f"Not within {seconds} s: {what}\n{details}")
        time.sleep(interval)


def child_pids(pid: int) -> list[int]:
    """Return the pids of the direct children of `pid` (from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so cut after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return line.lower()
    except OSError:
        return "gone"
    return ""


def log_summary(name: str, text: str, tail: int = 4000) -> str:
    """Return a process log's first traceback (where trouble started) and its tail."""
    parts = []
    first = text.find("Traceback")
    if first >= 0:
        parts.append(f"--- {name}, first error\n{text[max(0, first - 1500) : first + 6000]}")
    parts.append(f"--- {name}, last lines\n{text[-tail:]}")
    return "\n".join(parts)


class RedisServer:
    """A redis-server on its own port, started and stopped by the test (never the shared one)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="gh-redis-")
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, seconds=10, what=f"redis-server on port {self.port} answers PING")
        return self

    def stop(self) -> None:
        """Stop the server outright (its data is gone, as after a crash without persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def remove(self) -> None:
        """Stop the server for good and delete its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, db: int = 0):
        import redis

        return redis.Redis.from_url(self.url(db), decode_responses=True)


class CeleryProcess:
    """A Celery worker or beat in its own process group, logging to a file."""

    def __init__(
        self, args: list[str], env: dict[str, str], name: str, scratch: Path | None = None
    ):
        self.name = name
        self.scratch = scratch
        self.log_path = Path(tempfile.mkstemp(prefix=f"gh-{name}-", suffix=".log")[1])
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches every child
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def summary(self, tail: int = 4000) -> str:
        """Return the first error in the log, if any, and the log's last lines."""
        return log_summary(self.name, self.output(), tail)

    def kill_all(self) -> None:
        """kill -9 the whole process group: the main process and every pool child."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_all()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pool children left behind, if any
        self._log.close()
        self.log_path.unlink(missing_ok=True)  # a failing test quoted it already
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def celery_env(
    *, broker_url: str, queue: str, database: str | None = None, **extra: str
) -> dict[str, str]:
    """Return the environment of a Celery process using this test's database (or `database`)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database or database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        **{key: str(value) for key, value in extra.items()},
    }


def start_worker(
    *,
    broker_url: str,
    queue: str,
    pool: str = "prefork",
    concurrency: int = 1,
    include: tuple[str, ...] = (),
    ready_within: float = 60,
    database: str | None = None,
    **env: str,
) -> CeleryProcess:
    """Start a worker consuming `queue`, and wait until it says it is ready."""
    name = f"worker-{uuid.uuid4().hex[:8]}"
    args = [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "-Q",
        queue,
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    for module in include:
        args += ["-I", module]
    environment = celery_env(broker_url=broker_url, queue=queue, database=database, **env)
    worker = CeleryProcess(args, environment, name)
    try:
        wait_for(
            lambda: " ready." in worker.output() or worker.process.poll() is not None,
            seconds=ready_within,
            what=f"{name} is ready",
            on_timeout=worker.output,
        )
    except AssertionError:
        worker.stop()
        raise
    if worker.process.poll() is not None:
        raise AssertionError(f"{name} exited at start:\n{worker.output()}")
    return worker


def start_beat(
    *, broker_url: str, queue: str, database: str | None = None, **env: str
) -> CeleryProcess:
    """Start Celery beat (its schedule file in a temporary directory)."""
    scratch = Path(tempfile.mkdtemp(prefix="gh-beat-"))
    return CeleryProcess(
        ["beat", "--loglevel=INFO", "-s", str(scratch / "schedule")],
        celery_env(broker_url=broker_url, queue=queue, database=database, **env),
        "beat",
        scratch,
    )
