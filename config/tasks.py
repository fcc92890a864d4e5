"""Schedule Celery tasks after the transaction commits, without letting a broker outage fail
a write that already committed: a failed publish is logged, and sweepers catch up."""

import logging

from django.db import transaction

logger = logging.getLogger("gatehouse.tasks")


def enqueue_after_commit(task, *args) -> None:
    """Publish `task(*args)` once the current transaction commits (never if it rolls back)."""

    def publish() -> None:
        try:
            task.delay(*args)
        except Exception:
            logger.exception("Could not publish %s%r; a sweeper will retry it.", task.name, args)

    transaction.on_commit(publish)
