from django.contrib import admin, messages
from django.utils import timezone

from accounts.selectors import user_is_policy_staff
from config.admin import ReadOnlyAdmin

from .models import FailedTask
from .services import FailedTaskError, failed_task_resolve, failed_task_retry


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(FailedTask)
class FailedTaskAdmin(ReadOnlyAdmin):
    """Tasks that failed for good, read-only; staff retry them or mark them resolved."""

    list_display = [
        "task_name",
        "exception_type",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "resolved_at",
        "resolved_by",
    ]
    list_filter = [StatusFilter, "task_name", "exception_type", "first_failed_at"]
    search_fields = ["task_id", "task_name", "exception_message", "retried_as"]
    date_hierarchy = "first_failed_at"
    list_select_related = ["resolved_by"]
    readonly_fields = [
        "task_name",
        "task_id",
        "args",
        "kwargs",
        "exception_type",
        "exception_message",
        "traceback",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "resolved_at",
        "resolved_by",
        "retried_as",
    ]
    actions = ["retry", "mark_resolved"]

    # Policy staff look after the system's health too; superusers may as always.
    def has_module_permission(self, request):
        return self._may_see(request)

    def has_view_permission(self, request, obj=None):
        return self._may_see(request)

    def has_resolve_permission(self, request):
        return self._may_see(request)

    def _may_see(self, request) -> bool:
        user = request.user
        return (
            user.is_active and user.is_staff and (user.is_superuser or user_is_policy_staff(user))
        )

    @admin.action(description="Retry the selected tasks", permissions=["resolve"])
    def retry(self, request, queryset):
        done = 0
        for row in queryset.filter(resolved_at__isnull=True):
            try:
                failed_task_retry(actor=request.user, failed_task_id=row.pk, now=timezone.now())
            except FailedTaskError as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            done += 1
        self.message_user(request, f"{done} task(s) published again.", messages.SUCCESS)

    @admin.action(description="Mark the selected tasks resolved", permissions=["resolve"])
    def mark_resolved(self, request, queryset):
        done = 0
        for row in queryset.filter(resolved_at__isnull=True):
            failed_task_resolve(actor=request.user, failed_task_id=row.pk, now=timezone.now())
            done += 1
        self.message_user(request, f"{done} task(s) marked resolved.", messages.SUCCESS)
