"""Entitlements, credentials and webhooks are read here; changes go through the services."""

from django.contrib import admin, messages
from django.utils import timezone

from config.admin import ReadOnlyAdmin

from . import credentials
from .models import ApiKey, Entitlement, ServiceToken, WebhookDelivery, WebhookEndpoint


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "subscription", "capability", "status", "valid_until"]
    list_filter = ["status", "needs_rereview", "capability"]
    list_select_related = ["organization"]
    search_fields = ["subscription", "organization__name"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "organization", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["organization"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        from accounts.models import Membership

        now = timezone.now()
        for key in queryset.filter(revoked_at__isnull=True):
            # Staff act as an owner of the key's organization would, audited as staff.
            membership = Membership(organization=key.organization, role="owner")
            credentials.api_key_revoke(
                actor=request.user, membership=membership, key_id=key.pk, now=now
            )
        messages.success(request, "Revoked.")


@admin.register(ServiceToken)
class ServiceTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        now = timezone.now()
        for token in queryset.filter(revoked_at__isnull=True):
            credentials.service_token_revoke(actor=request.user, token_id=token.pk, now=now)
        messages.success(request, "Revoked.")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "organization", "active", "created_at"]
    list_select_related = ["organization"]
    exclude = ["secret"]
    actions = ["disable"]

    @admin.action(description="Disable the selected endpoints")
    def disable(self, request, queryset):
        for endpoint in queryset.filter(active=True):
            credentials.webhook_endpoint_disable(
                actor=request.user,
                endpoint_id=endpoint.pk,
                organization=endpoint.organization,
                role="staff",
            )
        messages.success(request, "Disabled.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
