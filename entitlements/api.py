"""The entitlements API: a bearer-key JSON API for customers and the provider's systems.

Thin handlers: parse (ninja validates the parameters), call one selector, return a schema.
Authentication, the per-key rate limit and the 400 answers are set up once, here.
"""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from accounts.models import SUBSCRIPTION_ID
from config.ratelimit import over_limit
from reviews.decision import vocabulary
from reviews.models import Application

from . import selectors
from .models import Entitlement

MAX_ID = 2**63 - 1  # ids are bigint: a larger one is a 400, never a database error
Capability = Literal[tuple(vocabulary.CAPABILITIES)]  # type: ignore[valid-type]
EntitlementStatus = Literal[tuple(Entitlement.Status.values)]  # type: ignore[valid-type]
ApplicationStatus = Literal[tuple(Application.Status.values)]  # type: ignore[valid-type]
SUBSCRIPTION_HELP = "A subscription or tenant ID: a lowercase GUID."
# What a bad parameter's 400 says, by parameter; others get pydantic's message.
MESSAGES = {
    "subscription": "subscription must be a lowercase GUID, "
    "such as 0f8fad5b-d9cb-469f-a165-70867728950e.",
    "capability": "capability must be one of: " + ", ".join(sorted(vocabulary.CAPABILITIES)) + ".",
}


class KeyAuth(HttpBearer):
    """`Authorization: Bearer gk_…` (an organization's key) or `gs_…` (a service token)."""

    def authenticate(self, request, token: str):
        principal = selectors.principal_for_secret(token, now=timezone.now())
        if principal is not None:
            request.api_principal = principal
        return principal


class PerKeyRateLimit(BaseThrottle):
    """A fixed window per key (config/ratelimit.py), ENTITLEMENTS_API_RATE_LIMIT calls a period."""

    def allow_request(self, request) -> bool:
        limit, period = getattr(settings, "ENTITLEMENTS_API_RATE_LIMIT", (1200, 60))
        self._wait = over_limit("api", request.auth.label(), limit, period)
        return self._wait == 0

    def wait(self) -> float | None:
        return self._wait or None


api = NinjaAPI(
    title="Gatehouse entitlements API",
    version="1",
    description="Which approved use cases are enabled where. Read-only; see docs/api.md.",
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url=None,  # Swagger UI loads scripts from a CDN, which the CSP refuses
    auth=KeyAuth(),
    throttle=PerKeyRateLimit(),
)


@api.exception_handler(ValidationError)
def bad_parameters(request, exc: ValidationError):
    messages = []
    for error in exc.errors:
        name = str(error.get("loc", ["", ""])[-1])
        messages.append(MESSAGES.get(name) or f"{name}: {error.get('msg', 'invalid value')}")
    detail = " ".join(dict.fromkeys(messages)) or "Invalid request."
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    response = api.create_response(
        request, {"detail": "A valid API key is required: Authorization: Bearer <key>."}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="gatehouse"'
    return response


class Error(Schema):
    detail: str


ERRORS = {400: Error, 401: Error, 404: Error, 429: Error}


class CheckOut(Schema):
    allowed: bool
    reason: str = Field(
        description="active, active_under_rereview, no_entitlement, not_yet_valid, "
        "suspended, revoked, expired, withdrawn or under_rereview."
    )
    expires_at: datetime | None
    entitlement_id: int | None
    under_rereview: bool
    conditions: str


class EntitlementOut(Schema):
    id: int
    application_id: int
    approval_id: int
    subscription: str
    capability: str
    use_case: str
    conditions: str
    valid_from: datetime
    valid_until: datetime
    status: str
    status_reason: str
    needs_rereview: bool


class EntitlementPage(Schema):
    count: int
    items: list[EntitlementOut]
    decision: CheckOut | None = Field(
        None,
        description="Given both subscription and capability: the check's answer, "
        "as /v1/entitlements/check gives it.",
    )


class ApplicationOut(Schema):
    id: int
    reference: str
    title: str
    status: str
    submitted_at: datetime | None
    decided_at: datetime | None
    expires_at: datetime | None
    needs_rereview: bool


class ApplicationPage(Schema):
    count: int
    items: list[ApplicationOut]


def _only(request, *names: str) -> None:
    """Refuse parameters the operation does not take: a typo should not pass unnoticed."""
    unknown = sorted(set(request.GET) - set(names))
    if unknown:
        raise HttpError(400, f"Unknown parameter: {', '.join(unknown) or '(empty name)'}.")


def _page(query, limit: int, offset: int) -> dict:
    return {"count": query.count(), "items": list(query[offset : offset + limit])}


Subscription = Query(..., pattern=SUBSCRIPTION_ID.pattern, description=SUBSCRIPTION_HELP)
Required = Query(...)
SubscriptionFilter = Query(
    "", pattern=f"^$|{SUBSCRIPTION_ID.pattern}", description=SUBSCRIPTION_HELP
)
Omittable = Query(None)  # optional, and not nullable in the schema
Limit = Query(100, ge=1, le=500)
Offset = Query(0, ge=0, le=1_000_000)


@api.get(
    "/v1/entitlements/check",
    response={200: CheckOut, **ERRORS},
    url_name="entitlement_check",
    summary="Is the capability enabled on the subscription now?",
)
def entitlement_check(request, subscription: str = Subscription, capability: Capability = Required):
    _only(request, "subscription", "capability")
    result = selectors.check(
        request.auth, subscription=subscription, capability=capability, now=timezone.now()
    )
    return result.__dict__


@api.get(
    "/v1/entitlements",
    response={200: EntitlementPage, **ERRORS},
    url_name="entitlement_list",
    summary="The caller's entitlements",
)
def entitlement_list(
    request,
    subscription: str = SubscriptionFilter,
    capability: Capability = Omittable,
    status: EntitlementStatus = Omittable,
    limit: int = Limit,
    offset: int = Offset,
):
    _only(request, "subscription", "capability", "status", "limit", "offset")
    query = selectors.entitlements_for(
        request.auth, subscription=subscription, capability=capability or "", status=status or ""
    )
    page = _page(query, limit, offset)
    if subscription and capability:
        decision = selectors.check(
            request.auth, subscription=subscription, capability=capability, now=timezone.now()
        )
        page["decision"] = decision.__dict__
    return page


@api.get(
    "/v1/entitlements/{entitlement_id}",
    response={200: EntitlementOut, **ERRORS},
    url_name="entitlement_detail",
    summary="One of the caller's entitlements",
)
def entitlement_detail(request, entitlement_id: int = Path(..., ge=1, le=MAX_ID)):
    _only(request)
    return selectors.entitlement_get_for(request.auth, pk=entitlement_id)


@api.get(
    "/v1/applications",
    response={200: ApplicationPage, **ERRORS},
    url_name="application_list",
    summary="The organization's applications and their status",
)
def application_list(
    request,
    status: ApplicationStatus = Omittable,
    limit: int = Limit,
    offset: int = Offset,
):
    _only(request, "status", "limit", "offset")
    return _page(selectors.applications_for(request.auth, status=status or ""), limit, offset)


@api.get(
    "/v1/applications/{application_id}",
    response={200: ApplicationOut, **ERRORS},
    url_name="application_detail",
    summary="One of the organization's applications",
)
def application_detail(request, application_id: int = Path(..., ge=1, le=MAX_ID)):
    _only(request)
    return selectors.application_get_for(request.auth, pk=application_id)
