"""Writes for the API's credentials and webhook endpoints; each is audited.

A secret is returned once, at creation: only its SHA-256 hash is stored (webhook signing
secrets excepted, which the signer needs).
"""

import hashlib
import hmac
import secrets
from datetime import datetime

from django.db import transaction

from accounts.models import Membership, Role
from audit.services import audit_record

from . import ssrf
from .models import ApiKey, ServiceToken, WebhookEndpoint

ORG_KEY = "gk"  # organization API keys: gk_<prefix>_<secret>
SERVICE_TOKEN = "gs"  # noqa: S105 (a prefix, not a secret): the provider's service tokens: gs_<prefix>_<secret>


class CredentialError(Exception):
    """A credential change the rules refuse."""


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new(kind: str) -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"


def split(value: str) -> tuple[str, str] | None:
    """Return (kind, prefix) of a presented secret, or None if it is not shaped like one."""
    parts = value.split("_", 2)
    if len(parts) != 3 or parts[0] not in (ORG_KEY, SERVICE_TOKEN) or len(parts[1]) != 12:
        return None
    return parts[0], parts[1]


def matches(credential, value: str) -> bool:
    return hmac.compare_digest(credential.key_hash, hash_secret(value))


NAME_MAX = 100  # ApiKey.name and ServiceToken.name


def may_manage(role: str) -> bool:
    """Whether an organization role may create and revoke keys and webhooks."""
    return role in (Role.OWNER, Role.ADMIN)


@transaction.atomic
def api_key_create(*, actor, membership: Membership, name: str, now: datetime):
    """Make a read-only key for the member's organization; return (key, secret shown once)."""
    if not may_manage(membership.role):
        raise CredentialError("Only owners and admins can create API keys.")
    name = name.strip()
    if not name:
        raise CredentialError("Name the key, so you can tell it apart later.")
    if len(name) > NAME_MAX:
        raise CredentialError(f"Use at most {NAME_MAX} characters for the name.")
    prefix, secret = _new(ORG_KEY)
    key = ApiKey.objects.create(
        organization=membership.organization,
        name=name,
        prefix=prefix,
        key_hash=hash_secret(secret),
        created_by=actor,
        created_at=now,
    )
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="api_key.created",
        obj=key,
        organization=membership.organization,
        payload={"name": key.name, "prefix": prefix, "scope": key.scope},
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, actor, membership: Membership, key_id: int, now: datetime) -> ApiKey:
    """Revoke one of the organization's keys; the next call with it gets 401."""
    if not may_manage(membership.role):
        raise CredentialError("Only owners and admins can revoke API keys.")
    key = ApiKey.objects.select_for_update().get(
        pk=key_id, organization_id=membership.organization_id
    )
    if key.revoked_at is None:
        key.revoked_at = now
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            actor_role=membership.role,
            verb="api_key.revoked",
            obj=key,
            organization=key.organization,
            payload={"prefix": key.prefix},
        )
    return key


@transaction.atomic
def service_token_create(*, actor, name: str, now: datetime):
    """Make a token for one of the provider's systems; return (token, secret shown once)."""
    name = name.strip() or "service"
    if len(name) > NAME_MAX:
        raise CredentialError(f"Use at most {NAME_MAX} characters for the name.")
    prefix, secret = _new(SERVICE_TOKEN)
    token = ServiceToken.objects.create(
        name=name,
        prefix=prefix,
        key_hash=hash_secret(secret),
        created_by=actor,
        created_at=now,
    )
    audit_record(
        actor=actor,
        actor_role="staff" if actor is not None else "system",
        verb="service_token.created",
        obj=token,
        payload={"name": token.name, "prefix": prefix},
    )
    return token, secret


@transaction.atomic
def service_token_revoke(*, actor, token_id: int, now: datetime) -> ServiceToken:
    token = ServiceToken.objects.select_for_update().get(pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            actor_role="staff" if actor is not None else "system",
            verb="service_token.revoked",
            obj=token,
            payload={"prefix": token.prefix},
        )
    return token


def _refuse_unless_manager(organization, role: str, verb: str) -> None:
    if organization is not None and not may_manage(role):
        raise CredentialError(f"Only owners and admins can {verb} webhooks.")


def webhook_endpoint_create(*, actor, organization, url: str, now: datetime, role: str = ""):
    """Register an endpoint (organization None: a provider system); return it and its secret.

    `role` is the actor's role in the organization (owners and admins only). The address is
    checked against server-side request forgery now and before every delivery; the check
    resolves the host, so it runs before the transaction, not inside it.
    """
    _refuse_unless_manager(organization, role, "add")
    try:
        ssrf.validate_webhook_url(url)
    except ssrf.UnsafeURL as error:
        raise CredentialError(str(error)) from error
    secret = secrets.token_hex(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=organization, url=url, secret=secret, created_at=now
        )
        audit_record(
            actor=actor,
            actor_role=role or "staff",
            verb="webhook_endpoint.created",
            obj=endpoint,
            organization=organization,
            payload={"url": url},
        )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_disable(*, actor, endpoint_id: int, organization=None, role: str = ""):
    """Stop sending events to the endpoint, those already queued included."""
    _refuse_unless_manager(organization, role, "disable")
    query = WebhookEndpoint.objects.select_for_update()
    endpoint = query.get(pk=endpoint_id, organization=organization)
    if endpoint.active:
        endpoint.active = False
        endpoint.save(update_fields=["active"])
        audit_record(
            actor=actor,
            actor_role=role,
            verb="webhook_endpoint.disabled",
            obj=endpoint,
            organization=organization,
            payload={"url": endpoint.url},
        )
    return endpoint
