"""The nightly drills' stage: a throwaway Redis per drill, workers that load the drill hooks,
and this process's Celery app publishing to that Redis."""

import json
import shutil
import uuid

import pytest

from ..operations.support import RedisServer, celery_conf, start_beat, start_worker
from ..services import unavailable
from .stack import Supervisor

HOOKS = "tests.chaos.drill_hooks"


@pytest.fixture
def redis_server():
    """A redis-server of this drill's own (never the shared one on 6379), stopped after."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server", "apt-get install redis-server")
    server = RedisServer().start()
    yield server
    server.remove()


class Stage:
    """Workers and beat of one drill, publishing and consuming through one throwaway Redis."""

    def __init__(self, redis: RedisServer):
        self.redis = redis
        self.queue = f"drill-{uuid.uuid4().hex[:8]}"
        self.processes = []
        self.log = redis.client(db=1)  # the drill hooks' bookkeeping

    @property
    def broker_url(self) -> str:
        return self.redis.url(0)

    def worker(self, *, supervised: bool = False, **env):
        """Start a drill worker; `supervised`: start it again whenever it exits."""

        def start():
            return start_worker(
                broker_url=self.broker_url,
                queue=self.queue,
                include=(HOOKS,),
                DRILL_REDIS_URL=self.redis.url(1),
                WORKER_HEARTBEAT_INTERVAL=2,
                **env,
            )

        worker = Supervisor(start) if supervised else start()
        self.processes.append(worker)
        return worker

    def beat(self, **env):
        beat = start_beat(broker_url=self.broker_url, queue=self.queue, **env)
        self.processes.append(beat)
        return beat

    def events(self, **match) -> list[dict]:
        events = [json.loads(item) for item in self.log.lrange("drill:events", 0, -1)]
        return [e for e in events if all(e.get(k) == v for k, v in match.items())]

    def paused(self) -> dict | None:
        raw = self.log.get("drill:paused")
        return json.loads(raw) if raw else None

    def outputs(self) -> str:
        return "\n".join(process.summary() for process in self.processes)

    def stop(self):
        for process in self.processes:
            process.stop()


@pytest.fixture
def stage(redis_server, settings, postgresql, seed_policy):
    """Point this process's Celery app at the drill's Redis; stop every process after."""
    stage = Stage(redis_server)
    with celery_conf(
        settings,
        task_always_eager=False,
        broker_url=stage.broker_url,
        task_default_queue=stage.queue,
    ):
        try:
            yield stage
        finally:
            stage.stop()
