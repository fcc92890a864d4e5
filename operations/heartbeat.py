"""Worker heartbeats: a thread in each worker's main process records a sign of life.

The thread starts when the worker is ready to consume and writes `WorkerHeartbeat` every
WORKER_HEARTBEAT_INTERVAL seconds, whatever the tasks are doing; `/healthz` calls the worker
dead once no heartbeat is fresher than WORKER_HEARTBEAT_STALE_AFTER seconds.
"""

import logging
import os
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger("gatehouse.worker")

_stop = threading.Event()
_thread: threading.Thread | None = None


def beat(hostname: str) -> None:
    """Record one heartbeat; a database outage is logged, never raised."""
    from .services import worker_heartbeat_record

    try:
        worker_heartbeat_record(hostname=hostname, pid=os.getpid(), now=timezone.now())
    except Exception as error:
        logger.warning("Could not record the heartbeat of %s: %s", hostname, error)
    finally:
        connection.close()  # this thread's own connection: hold nothing between beats


def _run(hostname: str, interval: float) -> None:
    while True:
        beat(hostname)
        if _stop.wait(interval):
            return


def start(hostname: str) -> None:
    """Start the heartbeat thread of this worker (once)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    _stop.clear()
    _thread = threading.Thread(
        target=_run,
        args=(hostname, settings.WORKER_HEARTBEAT_INTERVAL),
        name="gatehouse-heartbeat",
        daemon=True,
    )
    _thread.start()


def stop() -> None:
    _stop.set()
