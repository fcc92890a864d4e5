"""Writes for operations: dead letters and what staff do with them, receipts, heartbeats."""

import json
import uuid
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from accounts.selectors import user_is_policy_staff
from audit.services import audit_record
from config.tasks import enqueue_after_commit

from .models import FailedTask, TaskReceipt, WorkerHeartbeat

TRACEBACK_MAX_CHARS = 20_000
MESSAGE_MAX_CHARS = 4_000
RECEIPT_RETENTION = timedelta(days=7)
HEARTBEAT_RETENTION = timedelta(days=1)


class FailedTaskError(Exception):
    """The failed task cannot be retried (it is no longer a task the workers know)."""


def truncate(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, its head and tail kept around an
    explicit "…truncated" marker (a traceback's last lines name the error)."""
    if len(text) <= limit:
        return text
    marker = f"\n…truncated {len(text) - limit:,} characters…\n"
    room = max(limit - len(marker), 0)
    head = room // 4
    tail = room - head
    return text[:head] + marker + (text[-tail:] if tail else "")


def _json_safe(value):
    """Return `value` as JSON would carry it; anything JSON cannot hold becomes its repr."""
    try:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        return repr(value)


def _exception_type(exception: BaseException) -> str:
    kind = type(exception)
    return f"{kind.__module__}.{kind.__qualname__}"


@transaction.atomic
def failed_task_record(
    *,
    task_name: str,
    task_id: str,
    args,
    kwargs,
    exception: BaseException,
    traceback_text: str,
    attempts: int,
    now: datetime,
) -> FailedTask:
    """Keep a task that failed for good, once per task id (a repeat updates the same row)."""
    details = {
        "task_name": task_name[:200],
        "args": _json_safe(list(args or ())),
        "kwargs": _json_safe(dict(kwargs or {})),
        "exception_type": _exception_type(exception)[:200],
        "exception_message": truncate(str(exception), MESSAGE_MAX_CHARS),
        "traceback": truncate(traceback_text or "", TRACEBACK_MAX_CHARS),
        "last_failed_at": now,
    }
    row = FailedTask.objects.select_for_update().filter(task_id=task_id).first()
    if row is None:
        try:
            with transaction.atomic():
                return FailedTask.objects.create(
                    task_id=task_id, attempts=max(attempts, 1), first_failed_at=now, **details
                )
        except IntegrityError:  # another process recorded the same delivery meanwhile
            row = FailedTask.objects.select_for_update().get(task_id=task_id)
    # The same message failed again (delivered twice): one row, reopened, attempts summed.
    for field, value in details.items():
        setattr(row, field, value)
    row.attempts += max(attempts, 1)
    row.resolved_at = None
    row.resolved_by = None
    row.save()
    return row


def _role(actor) -> str:
    return "policy_staff" if user_is_policy_staff(actor) else "admin"


@transaction.atomic
def failed_task_retry(*, actor, failed_task_id: int, now: datetime) -> FailedTask:
    """Publish the task again after commit, under a new id, and mark the failure resolved."""
    from config.celery import app

    row = FailedTask.objects.select_for_update().get(pk=failed_task_id)
    if row.is_resolved:
        return row  # retried or resolved by someone else already: nothing twice
    task = app.tasks.get(row.task_name)
    if task is None:
        raise FailedTaskError(f"No task named {row.task_name} exists any more; resolve it instead.")
    row.retried_as = str(uuid.uuid4())
    row.resolved_at = now
    row.resolved_by = actor
    row.save(update_fields=["retried_as", "resolved_at", "resolved_by"])
    audit_record(
        actor=actor,
        actor_role=_role(actor),
        verb="failed_task.retried",
        obj=row,
        payload={
            "task": row.task_name,
            "task_id": row.task_id,
            "retried_as": row.retried_as,
            "args": row.args,
            "exception_type": row.exception_type,
        },
    )
    enqueue_after_commit(task, *row.args, task_id=row.retried_as, task_kwargs=row.kwargs)
    return row


@transaction.atomic
def failed_task_resolve(*, actor, failed_task_id: int, now: datetime) -> FailedTask:
    """Mark a failure dealt with, without running the task again."""
    row = FailedTask.objects.select_for_update().get(pk=failed_task_id)
    if row.is_resolved:
        return row
    row.resolved_at = now
    row.resolved_by = actor
    row.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(
        actor=actor,
        actor_role=_role(actor),
        verb="failed_task.resolved",
        obj=row,
        payload={
            "task": row.task_name,
            "task_id": row.task_id,
            "exception_type": row.exception_type,
        },
    )
    return row


def task_receipt_exists(task_id: str) -> bool:
    return TaskReceipt.objects.filter(task_id=task_id).exists()


def task_receipt_record(*, task_id: str, task_name: str, now: datetime) -> None:
    """Note that the task with this id completed (a second note for the same id is a no-op)."""
    TaskReceipt.objects.bulk_create(
        [TaskReceipt(task_id=task_id, task_name=task_name[:200], completed_at=now)],
        ignore_conflicts=True,
    )


def worker_heartbeat_record(*, hostname: str, pid: int, now: datetime) -> None:
    """Note that the worker `hostname` is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname[:200], defaults={"pid": pid, "last_seen_at": now}
    )


def task_records_prune(*, now: datetime) -> dict[str, int]:
    """Delete receipts past any redelivery and heartbeats of workers long gone."""
    receipts, _ = TaskReceipt.objects.filter(completed_at__lt=now - RECEIPT_RETENTION).delete()
    beats, _ = WorkerHeartbeat.objects.filter(last_seen_at__lt=now - HEARTBEAT_RETENTION).delete()
    return {"receipts": receipts, "heartbeats": beats}
