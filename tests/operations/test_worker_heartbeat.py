"""/healthz knows whether a real worker is alive, from the heartbeats it records."""

import time

import pytest

from operations.models import WorkerHeartbeat

from ..services import REDIS_URL, redis_reachable, unavailable
from .support import celery_conf, start_worker, wait_for


@pytest.mark.celery_worker
def test_it_reports_a_running_worker_alive_and_a_stopped_one_dead(
    client, postgresql, transactional_db, settings
):
    if not redis_reachable():
        unavailable("Redis", "start redis-server on 127.0.0.1:6379 (apt-get install redis-server)")
    settings.WORKER_HEARTBEAT_STALE_AFTER = 4
    queue = f"test-heartbeat-{time.monotonic_ns()}"
    with celery_conf(settings, task_always_eager=False, broker_url=REDIS_URL):
        before = client.get("/healthz")
        worker = start_worker(broker_url=REDIS_URL, queue=queue, WORKER_HEARTBEAT_INTERVAL=1)
        try:
            running = wait_for(
                lambda: (response := client.get("/healthz")).status_code == 200 and response,
                seconds=30,
                what="/healthz answers 200 once the worker beats",
                on_timeout=worker.output,
            )
            beat = WorkerHeartbeat.objects.get()
        finally:
            worker.stop()
        stopped = time.monotonic()
        after = wait_for(
            lambda: (response := client.get("/healthz")).status_code == 503 and response,
            seconds=20,
            what="/healthz answers 503 once the heartbeat is stale",
        )

    assert before.status_code == 503
    assert before.json()["checks"] == {"database": True, "broker": True, "worker": False}
    assert running.json() == {
        "status": "ok",
        "checks": {"database": True, "broker": True, "worker": True},
    }
    assert beat.hostname.startswith("worker-") and beat.pid == worker.pid
    assert after.json() == {
        "status": "unavailable",
        "checks": {"database": True, "broker": True, "worker": False},
    }
    # Stale only after the threshold: the last beat (≤ 1 s before the stop) plus 4 s.
    assert time.monotonic() - stopped >= 2
