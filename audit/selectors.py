"""Read the audit trail."""

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events_for_object(obj) -> QuerySet[AuditEvent]:
    """Return the events about one object, oldest first."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")
