"""Applications, assessments and decisions are read here, never written."""

from django.contrib import admin

from config.admin import ReadOnlyAdmin

from ..models import Application, Assessment, ReviewAction


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "organization", "status", "needs_rereview", "submitted_at"]
    list_filter = ["status", "needs_rereview"]
    list_select_related = ["organization"]
    search_fields = ["title", "organization__name"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["application", "outcome", "score", "policy_version", "assessed_at"]
    list_filter = ["outcome"]
    list_select_related = ["application", "policy_version__policy"]


@admin.register(ReviewAction)
class ReviewActionAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "actor", "created_at"]
    list_select_related = ["application", "actor"]
