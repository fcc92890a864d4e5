"""Reads for the API: who is calling, the check, and the lists scoped to the caller.

An organization's key sees its own organization's rows only; another tenant's row answers
exactly like a missing one (404 in a detail, absent from a list, "no_entitlement" in the
check). Service tokens (the provider's systems) see every organization's entitlements.
Nothing here is cached: a revocation shows on the very next call.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from reviews.models import Application

from . import credentials
from .models import ApiKey, Entitlement, ServiceToken

S = Entitlement.Status
LAST_USED_PRECISION = timedelta(minutes=1)

# Fixed SQL on the hot path (every call authenticates, most check): building these queries
# with the ORM cost more than running them (tests/entitlements/test_api.py checks the names).
_CREDENTIAL_SQL = {
    ApiKey: "SELECT id, key_hash, last_used_at, organization_id FROM entitlements_apikey "
    "WHERE prefix = %s AND revoked_at IS NULL LIMIT 1",
    ServiceToken: "SELECT id, key_hash, last_used_at FROM entitlements_servicetoken "
    "WHERE prefix = %s AND revoked_at IS NULL LIMIT 1",
}
_CHECK_SQL = (
    "SELECT id, status, valid_from, valid_until, needs_rereview, conditions, updated_at "
    "FROM entitlements_entitlement WHERE subscription = %s AND capability = %s"
)


@dataclass(frozen=True)
class Principal:
    """Who an API call acts for."""

    kind: str  # "organization" or "service"
    credential_id: int
    prefix: str
    organization_id: int | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    def label(self) -> str:
        owner = "service" if self.is_service else f"org:{self.organization_id}"
        return f"{owner}:{self.prefix}"


def principal_for_secret(value: str, *, now: datetime) -> Principal | None:
    """Return the principal a presented secret stands for, or None (unknown or revoked)."""
    shape = credentials.split(value)
    if shape is None:
        return None
    kind, prefix = shape
    model = ApiKey if kind == credentials.ORG_KEY else ServiceToken
    credential = next(iter(model.objects.raw(_CREDENTIAL_SQL[model], [prefix])), None)
    if credential is None or not credentials.matches(credential, value):
        return None
    if credential.last_used_at is None or credential.last_used_at < now - LAST_USED_PRECISION:
        # At most one write per key per minute: a read API should not write on every call.
        model.objects.filter(pk=credential.pk).update(last_used_at=now)
    if model is ApiKey:
        return Principal("organization", credential.pk, prefix, credential.organization_id)
    return Principal("service", credential.pk, prefix)


def _scoped(principal: Principal) -> QuerySet[Entitlement]:
    query = Entitlement.objects.all()
    if not principal.is_service:
        query = query.filter(organization_id=principal.organization_id)
    return query


@dataclass(frozen=True)
class CheckResult:
    allowed: bool
    reason: str
    expires_at: datetime | None
    entitlement_id: int | None
    under_rereview: bool
    conditions: str


def _reason(entitlement: Entitlement, now: datetime) -> str:
    if entitlement.status == S.ACTIVE:
        if now >= entitlement.valid_until:
            return "expired"
        if now < entitlement.valid_from:
            return "not_yet_valid"
        return "active_under_rereview" if entitlement.needs_rereview else "active"
    return entitlement.status


def check(
    principal: Principal, *, subscription: str, capability: str, now: datetime
) -> CheckResult:
    """Answer whether the capability may be used on the subscription now, and why."""
    sql = _CHECK_SQL
    params: list = [subscription, capability]
    if not principal.is_service:  # the same scope as _scoped, in the check's fixed SQL
        sql += " AND organization_id = %s"
        params.append(principal.organization_id)
    rows = list(Entitlement.objects.raw(sql, params))
    if not rows:
        return CheckResult(False, "no_entitlement", None, None, False, "")
    blocks = getattr(settings, "ENTITLEMENTS_REREVIEW_BLOCKS", False)
    allowed = [row for row in rows if row.is_allowed(now) and not (blocks and row.needs_rereview)]
    if allowed:
        best = max(allowed, key=lambda row: (row.valid_until, row.pk))
        return CheckResult(
            True,
            _reason(best, now),
            best.valid_until,
            best.pk,
            best.needs_rereview,
            best.conditions,
        )
    latest = max(rows, key=lambda row: (row.updated_at, row.pk))
    reason = _reason(latest, now)
    if reason == "active_under_rereview":
        reason = "under_rereview"  # blocked by ENTITLEMENTS_REREVIEW_BLOCKS
    return CheckResult(False, reason, latest.valid_until, latest.pk, latest.needs_rereview, "")


def entitlements_for(
    principal: Principal,
    *,
    subscription: str = "",
    capability: str = "",
    status: str = "",
) -> QuerySet[Entitlement]:
    query = _scoped(principal)
    if subscription:
        query = query.filter(subscription=subscription)
    if capability:
        query = query.filter(capability=capability)
    if status:
        query = query.filter(status=status)
    return query.order_by("pk")


def entitlement_get_for(principal: Principal, *, pk: int) -> Entitlement:
    """Return the entitlement, or 404 alike for missing and another tenant's."""
    entitlement = _scoped(principal).filter(pk=pk).first()
    if entitlement is None:
        raise Http404("No such entitlement.")
    return entitlement


def applications_for(principal: Principal, *, status: str = "") -> QuerySet[Application]:
    """Return the organization's filed applications (drafts are not an API concern)."""
    if principal.is_service:
        return Application.objects.none()
    query = Application.objects.filter(organization_id=principal.organization_id).exclude(
        status=Application.Status.DRAFT
    )
    if status:
        query = query.filter(status=status)
    return query.order_by("pk")


def application_get_for(principal: Principal, *, pk: int) -> Application:
    application = applications_for(principal).filter(pk=pk).first()
    if application is None:
        raise Http404("No such application.")
    return application
