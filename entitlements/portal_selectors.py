"""Reads for the customer portal's API access page, scoped to the member's organization.

Another tenant's key or endpoint answers exactly like a missing one: 404.
"""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership, Organization

from . import credentials
from .models import ApiKey, Entitlement, WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_SIZE = 20


def may_manage_api_access(membership: Membership) -> bool:
    """Return whether the member may create and revoke keys and webhook endpoints."""
    # The services enforce the same rule; asking them keeps it in one place.
    return credentials.may_manage(membership.role)


def entitlements_of(organization: Organization) -> list[Entitlement]:
    """Return the organization's entitlements, each with `subscription_label` set."""
    labels = dict(organization.subscriptions.values_list("identifier", "label"))
    rows = list(Entitlement.objects.filter(organization=organization).select_related("application"))
    for row in rows:
        row.subscription_label = labels.get(row.subscription, "")
    return rows


def api_keys_of(organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related(
        "created_by", "revoked_by"
    )


def webhook_endpoints_of(organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization).order_by("-created_at", "-id")


def webhook_deliveries_of(organization: Organization) -> list[WebhookDelivery]:
    """Return the organization's latest deliveries, newest first."""
    query = WebhookDelivery.objects.filter(endpoint__organization=organization)
    return list(
        query.select_related("endpoint")
        .defer("payload")
        .order_by("-created_at", "-id")[:DELIVERY_LOG_SIZE]
    )


def api_key_get_for_member(*, organization: Organization, pk: int) -> ApiKey:
    """Return one of the organization's keys, or 404 for one that is missing or elsewhere."""
    try:
        return ApiKey.objects.get(pk=pk, organization=organization)
    except ApiKey.DoesNotExist:
        raise Http404("No such API key.") from None


def webhook_endpoint_get_for_member(*, organization: Organization, pk: int) -> WebhookEndpoint:
    """Return one of the organization's endpoints, or 404 for one that is missing or elsewhere."""
    try:
        return WebhookEndpoint.objects.get(pk=pk, organization=organization)
    except WebhookEndpoint.DoesNotExist:
        raise Http404("No such webhook endpoint.") from None
