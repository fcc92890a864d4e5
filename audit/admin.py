from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin):
    list_display = ["seq", "events", "hash", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
