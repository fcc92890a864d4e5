from django.contrib import admin

from ..models import Capability, ReasonCode
from .audited import AuditedAdminMixin


@admin.register(Capability)
class CapabilityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "label", "active", "order"]
    list_editable = ["order"]
    list_filter = ["active"]
    search_fields = ["code", "label"]

    def get_readonly_fields(self, request, obj=None):
        # The code ties the entry to the facts format; only its presentation changes here.
        return ["code"] if obj is not None else []


@admin.register(ReasonCode)
class ReasonCodeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "active"]
    list_filter = ["active"]
    search_fields = ["code", "title", "customer_text"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []
