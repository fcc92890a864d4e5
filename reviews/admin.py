from django.contrib import admin

from .models import Application, Assessment, Policy, PolicyVersion, ReviewAction, Rule


class RuleInline(admin.StackedInline):
    model = Rule
    extra = 0
    fields = [
        "order",
        "rule_id",
        "title",
        "outcome",
        "weight",
        "active",
        "clause",
        "source",
        "explanation",
        "condition",
    ]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["key", "title"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["policy", "version", "status", "published_at", "content_hash"]
    list_filter = ["status"]
    list_select_related = ["policy"]
    inlines = [RuleInline]

    def get_readonly_fields(self, request, obj=None):
        # A published version is immutable.
        if obj is not None and obj.status != PolicyVersion.Status.DRAFT:
            return [f.name for f in self.model._meta.fields]
        return ["content_hash", "published_at"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "organization", "status", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["organization"]
    search_fields = ["title", "organization__name"]
    readonly_fields = [
        "organization",
        "created_by",
        "facts",
        "status",
        "submitted_at",
        "decided_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["application", "outcome", "score", "policy_version", "assessed_at"]
    list_filter = ["outcome"]
    list_select_related = ["application", "policy_version__policy"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReviewAction)
class ReviewActionAdmin(admin.ModelAdmin):
    list_display = ["application", "kind", "actor", "created_at"]
    list_select_related = ["application", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
