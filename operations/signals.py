"""Receivers of Celery's signals: dead letters, delivery locks, worker heartbeats."""

import logging
import traceback

from celery import signals
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("gatehouse.tasks")


def _on_task_failure(
    sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_
):
    """Keep a task that failed for good: Celery sends this after the last retry, or at once
    for an error the task does not retry."""
    from .services import failed_task_record

    request = getattr(sender, "request", None)
    attempts = (getattr(request, "retries", 0) or 0) + 1
    text = getattr(einfo, "traceback", "") or "".join(
        traceback.format_exception(type(exception), exception, exception.__traceback__)
    )
    try:
        failed_task_record(
            task_name=getattr(sender, "name", "") or "unknown",
            task_id=task_id or "",
            args=args,
            kwargs=kwargs,
            exception=exception,
            traceback_text=text,
            attempts=attempts,
            now=timezone.now(),
        )
    except Exception:
        # The database may be the reason the task failed: the worker's log keeps the failure.
        logger.exception("Could not keep the failure of %s[%s].", sender, task_id)


def _on_task_postrun(task_id=None, **_):
    from .delivery import release

    release(task_id)


def _on_worker_ready(sender=None, **_):
    from . import heartbeat

    heartbeat.start(getattr(sender, "hostname", None) or "celery@unknown")


def _on_worker_shutdown(**_):
    from . import heartbeat

    heartbeat.stop()


def _on_task_boundary(task=None, **_):
    """Before and after a task run by a worker, treat the database connection as Django treats
    it between requests: keep it (CONN_MAX_AGE) unless it broke or aged, and check it before
    its next use (CONN_HEALTH_CHECKS). Celery's own fixup would close it every time
    (CELERY_DB_REUSE_MAX makes it do so only every so many tasks), and a new PostgreSQL
    connection per task cost a worker more than the assessment it runs."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # in-process (tests, `make run`): the caller's connection, maybe in a transaction
    close_old_connections()


def connect() -> None:
    signals.task_failure.connect(_on_task_failure, weak=False, dispatch_uid="gh_failed_task")
    signals.task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="gh_release_lock")
    signals.task_prerun.connect(_on_task_boundary, weak=False, dispatch_uid="gh_db_prerun")
    signals.task_postrun.connect(_on_task_boundary, weak=False, dispatch_uid="gh_db_postrun")
    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="gh_heartbeat")
    signals.worker_shutdown.connect(_on_worker_shutdown, weak=False, dispatch_uid="gh_heartbeat")
