"""The customer portal's API access page: entitlements, API keys and webhook endpoints.

Every member of the organization may read the page; owners and admins may change it
(others get 403 for a change, as on the invitation URLs). A secret is shown once, in the
answer to the POST that made it, which no cache may keep.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import membership_required
from config.ratelimit import rate_limit

from . import credentials, portal_selectors
from .forms import ApiKeyForm, WebhookEndpointForm

EXAMPLE_SUBSCRIPTION = "0f8fad5b-d9cb-469f-a165-70867728950e"
EXAMPLE_CAPABILITY = "face_verification"


def _manager(request):
    """Return the current membership if it may change keys and webhooks; 403 otherwise."""
    membership = membership_required(request)
    if not portal_selectors.may_manage_api_access(membership):
        raise PermissionDenied("Only owners and admins can manage API keys and webhooks.")
    return membership


def _example(request, entitlements) -> dict:
    sample = next((e for e in entitlements if e.status == "active"), None) or next(
        iter(entitlements), None
    )
    return {
        "url": request.build_absolute_uri(reverse("api:entitlement_list")),
        "subscription": sample.subscription if sample else EXAMPLE_SUBSCRIPTION,
        "capability": sample.capability if sample else EXAMPLE_CAPABILITY,
    }


def _page(request, membership, *, status=200, **context):
    organization = membership.organization
    can_manage = portal_selectors.may_manage_api_access(membership)
    entitlements = portal_selectors.entitlements_of(organization)
    now = timezone.now()
    for entitlement in entitlements:
        entitlement.allowed_now = entitlement.is_allowed(now)
    key_form = context.pop("key_form", None) or ApiKeyForm()
    webhook_form = context.pop("webhook_form", None) or WebhookEndpointForm()
    context = {
        "organization": organization,
        "membership": membership,
        "can_manage": can_manage,
        "entitlements": entitlements,
        "api_keys": portal_selectors.api_keys_of(organization),
        "endpoints": portal_selectors.webhook_endpoints_of(organization),
        "deliveries": portal_selectors.webhook_deliveries_of(organization),
        "delivery_log_size": portal_selectors.DELIVERY_LOG_SIZE,
        "key_form": key_form if can_manage else None,
        "webhook_form": webhook_form if can_manage else None,
        "example": _example(request, entitlements),
        **context,
    }
    return render(request, "entitlements/api_access.html", context, status=status)


@login_required
@require_GET
@never_cache
def api_access(request):
    return _page(request, membership_required(request))


@login_required
@require_POST
@never_cache
@rate_limit("api-key-create", limit=30, period=3600)
def key_create(request):
    membership = _manager(request)
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            key, secret = credentials.api_key_create(
                actor=request.user,
                membership=membership,
                name=form.cleaned_data["name"],
                now=timezone.now(),
            )
        except credentials.CredentialError as error:
            form.add_error("name", str(error))
        else:
            return _page(request, membership, new_key=key, new_key_secret=secret)
    return _page(request, membership, key_form=form, status=400)


@login_required
@require_POST
@never_cache
def key_revoke(request, pk: int):
    membership = _manager(request)
    key = portal_selectors.api_key_get_for_member(organization=membership.organization, pk=pk)
    credentials.api_key_revoke(
        actor=request.user, membership=membership, key_id=key.pk, now=timezone.now()
    )
    messages.success(request, f"The key “{key.name}” is revoked: calls with it now get 401.")
    return redirect("api_access:index")


@login_required
@require_POST
@never_cache
# Each attempt resolves a host name: a limit keeps the form from being a DNS probe.
@rate_limit("webhook-create", limit=30, period=3600)
def webhook_create(request):
    membership = _manager(request)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = credentials.webhook_endpoint_create(
                actor=request.user,
                organization=membership.organization,
                url=form.cleaned_data["url"],
                now=timezone.now(),
                role=membership.role,
            )
        except credentials.CredentialError as error:
            form.add_error("url", str(error))
        else:
            return _page(request, membership, new_endpoint=endpoint, new_endpoint_secret=secret)
    return _page(request, membership, webhook_form=form, status=400)


@login_required
@require_POST
@never_cache
def webhook_disable(request, pk: int):
    membership = _manager(request)
    endpoint = portal_selectors.webhook_endpoint_get_for_member(
        organization=membership.organization, pk=pk
    )
    credentials.webhook_endpoint_disable(
        actor=request.user,
        endpoint_id=endpoint.pk,
        organization=membership.organization,
        role=membership.role,
    )
    messages.success(request, f"{endpoint.url} is disabled: new events are no longer sent to it.")
    return redirect("api_access:index")
