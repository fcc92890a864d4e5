"""The append-only, hash-chained audit trail and its signed checkpoints."""

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise PermissionError("Audit events are append-only; they cannot be deleted.")


class AuditEvent(models.Model):
    """One thing that happened: who, in which organization, did what to which object."""

    seq = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="Email or 'system', kept verbatim.")
    actor_role = models.CharField(max_length=32, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    content = models.TextField(
        editable=False,
        help_text="The canonical JSON the hash covers, byte for byte; on PostgreSQL a check "
        "constraint holds every column above equal to it.",
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            models.Index(fields=["organization", "seq"], name="audit_org_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.object_type}:{self.object_id} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only; they cannot be deleted.")

    def chain_fields(self) -> dict:
        """Return the fields the hash covers, as they were recorded."""
        return {
            "occurred_at": self.occurred_at,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "actor_role": self.actor_role,
            "organization_id": self.organization_id,
            "verb": self.verb,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "payload": self.payload,
            "request_id": self.request_id,
            "ip": self.ip,
        }


class AuditCheckpoint(models.Model):
    """The chain head at a moment, signed with a key the database does not hold."""

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    events = models.BigIntegerField(help_text="How many events the chain held.")
    created_at = models.DateTimeField()
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq", "-id"]
        get_latest_by = "seq"

    def __str__(self) -> str:
        return f"checkpoint at #{self.seq} ({self.created_at:%Y-%m-%d %H:%M})"
