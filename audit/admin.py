from django.contrib import admin

from config.admin import ReadOnlyAdmin

from .models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Show the trail read-only: nobody adds, changes or deletes events here."""

    list_display = [
        "seq",
        "occurred_at",
        "verb",
        "object_type",
        "object_id",
        "actor_label",
        "organization",
    ]
    list_filter = ["verb", "object_type", "actor_role", "organization"]
    date_hierarchy = "occurred_at"
    search_fields = ["object_id", "actor_label", "request_id", "hash"]
    list_select_related = ["organization"]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["seq", "events", "hash", "created_at"]
