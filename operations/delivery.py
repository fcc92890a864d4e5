"""Run a task's body once per task id, however often the broker delivers its message.

Brokers deliver at least once: a message comes again after a worker is lost, when a task
outlives the visibility timeout, or when it was published twice. Every project task is an
`OnceTask` (config/celery.py): before the body runs, the worker takes a PostgreSQL advisory
lock named after the task id (so a concurrent copy waits) and looks for a receipt of that id;
with a receipt the copy is acknowledged without running, and after a successful run the
receipt is written. A worker killed mid-task holds no lock once its connection drops, and
wrote no receipt, so the redelivered message runs again: effects inside the database stay
exactly-once through the services' own idempotency, and mail is sent at least once, never
twice for a completed task.
"""

import logging
import threading

from celery import Task
from celery.exceptions import Ignore
from celery.utils.time import get_exponential_backoff_interval
from django.db import connection
from django.utils import timezone

logger = logging.getLogger("gatehouse.tasks")

# Two-int advisory-lock keys never collide with single-bigint keys (the audit chain's lock).
_LOCK_SPACE = 0x6F7073  # "ops"
_held = threading.local()


def _lock(task_id: str) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: one process, nothing runs concurrently
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [_LOCK_SPACE, task_id])
    _held.task_ids = {*getattr(_held, "task_ids", set()), task_id}


def release(task_id: str) -> None:
    """Release the task id's lock if this thread holds it (called when the task has ended)."""
    held = getattr(_held, "task_ids", set())
    if task_id not in held:
        return
    held.discard(task_id)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [_LOCK_SPACE, task_id])
    except Exception:  # the connection is gone, and the lock with it
        logger.debug("Lock of task %s released with its connection.", task_id, exc_info=True)


def _transient(task, exc: BaseException) -> bool:
    return isinstance(exc, tuple(getattr(task, "autoretry_for", ()) or ()))


class OnceTask(Task):
    """A task whose body runs at most once per task id once it has succeeded.

    A task whose body is idempotent by itself (it checks, under a row lock, whether its work
    is done) sets `once=False` in its decorator and skips the lock and the receipt: four
    queries and a commit fewer per run."""

    once = True

    def before_start(self, task_id, args, kwargs):
        from .services import task_receipt_exists

        if not self.once:
            return
        try:
            _lock(task_id)
            done = task_receipt_exists(task_id)
        except Exception as exc:
            release(task_id)
            if not _transient(self, exc):
                raise
            countdown = get_exponential_backoff_interval(
                factor=int(max(1.0, float(self.retry_backoff or 1))),
                retries=self.request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        if done:
            release(task_id)
            logger.info("Task %s[%s] already completed: redelivery skipped.", self.name, task_id)
            raise Ignore()

    def on_success(self, retval, task_id, args, kwargs):
        from .services import task_receipt_record

        if not self.once:
            return
        try:
            task_receipt_record(task_id=task_id, task_name=self.name, now=timezone.now())
        except Exception:
            # The work is done; without a receipt a redelivery runs the idempotent task again.
            logger.warning("Could not record the receipt of %s[%s].", self.name, task_id)
