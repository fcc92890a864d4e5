"""Records that keep background work observable: dead letters, delivery receipts, heartbeats."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FailedTask(models.Model):
    """A task that failed for good (retries exhausted or an error retrying cannot fix)."""

    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=64, unique=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    exception_type = models.CharField(max_length=200)
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField(db_index=True)
    last_failed_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retried_as = models.CharField(
        max_length=64, blank=True, help_text="The task id the retry was published under."
    )

    class Meta:
        ordering = ["-first_failed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | Q(resolved_at__isnull=False),
                name="failedtask_resolver_only_when_resolved",
            ),
            models.CheckConstraint(condition=Q(attempts__gte=1), name="failedtask_attempts_min_1"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}] {self.exception_type}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class TaskReceipt(models.Model):
    """A delivered message whose task completed: a redelivery of the same id is skipped."""

    task_id = models.CharField(max_length=64, primary_key=True)
    task_name = models.CharField(max_length=200)
    completed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}]"


class WorkerHeartbeat(models.Model):
    """The last sign of life of one Celery worker (its node name, e.g. celery@host)."""

    hostname = models.CharField(max_length=200, unique=True)
    pid = models.PositiveIntegerField()
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
