"""Schedule Celery tasks after the transaction commits, without letting a broker outage fail
a write that already committed: a failed publish is logged, and sweepers catch up.

`RETRY_TRANSIENT` is the retry policy every project task uses: errors that pass by themselves
(the database restarting, the broker or the mail server unreachable) are retried with
exponential backoff; anything else fails at once and is kept as an `operations.FailedTask`.
"""

import logging

from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerOperationalError

logger = logging.getLogger("gatehouse.tasks")

# ConnectionError also covers redis-py's and smtplib's connection failures' OS-level causes.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,
    DatabaseInterfaceError,
    BrokerOperationalError,
    ConnectionError,
    TimeoutError,
)

# Countdowns of about 2, 4, 8 … 300 s (full jitter): nine tries span several minutes, which
# outlasts a database restart or a failover; every countdown stays far below the broker's
# visibility timeout, so a waiting retry is never delivered twice.
RETRY_TRANSIENT = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
# Mail also fails with OSError (SMTP refused the connection, DNS), which passes by itself too.
RETRY_MAIL = {**RETRY_TRANSIENT, "autoretry_for": (*TRANSIENT_ERRORS, OSError)}


def enqueue_after_commit(
    task, *args, task_id: str | None = None, task_kwargs: dict | None = None
) -> None:
    """Publish `task(*args)` once the current transaction commits (never if it rolls back)."""

    def publish() -> None:
        try:
            task.apply_async(args, task_kwargs or None, task_id=task_id)
        except Exception:
            logger.exception("Could not publish %s%r; a sweeper will retry it.", task.name, args)

    transaction.on_commit(publish)
