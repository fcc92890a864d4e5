"""Entitlements granted by approvals, the credentials that read them, and webhooks."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from reviews.decision import vocabulary


class Entitlement(models.Model):
    """One capability enabled on one subscription, for one approved use case."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Revoked, expired and withdrawn entitlements never come back; a suspension may end.
    FINAL = ("revoked", "expired", "withdrawn")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="entitlements"
    )
    application = models.ForeignKey(
        "reviews.Application", on_delete=models.PROTECT, related_name="entitlements"
    )
    approval = models.ForeignKey(
        "reviews.ReviewAction",
        on_delete=models.PROTECT,
        related_name="entitlements",
        help_text="The approving review action.",
    )
    # The identifier, not a foreign key: editing the profile recreates Subscription rows.
    subscription = models.CharField(max_length=36)
    capability = models.CharField(max_length=64)
    use_case = models.CharField(max_length=64)
    conditions = models.TextField(blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    needs_rereview = models.BooleanField(default=False)
    rereview_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["subscription", "capability", "-valid_until", "id"]
        indexes = [
            # The check: one organization's (subscription, capability), or any organization's.
            models.Index(
                fields=["organization", "subscription", "capability"], name="entitlement_org_idx"
            ),
            models.Index(fields=["subscription", "capability"], name="entitlement_check_idx"),
            models.Index(
                fields=["valid_until"],
                condition=models.Q(status="active"),
                name="entitlement_expiry_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "subscription", "capability"],
                name="entitlement_once_per_approval",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["active", "suspended", "revoked", "expired", "withdrawn"]
                ),
                name="entitlement_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(capability__in=list(vocabulary.CAPABILITIES)),
                name="entitlement_capability_known",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")),
                name="entitlement_valid_period",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active") | ~models.Q(status_reason=""),
                name="entitlement_reason_unless_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability} on {self.subscription} ({self.status})"

    def is_allowed(self, now) -> bool:
        return self.status == self.Status.ACTIVE and self.valid_from <= now < self.valid_until


class _Credential(models.Model):
    """A bearer secret stored as a SHA-256 hash, found by its public prefix."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    # SHA-256 is enough: the secret is 256 random bits, so there is nothing to guess slowly,
    # and a slow hash would cost every API call its latency.
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiKey(_Credential):
    """An organization's read-only key for its own entitlements and applications."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="api_keys"
    )
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(condition=models.Q(scope="read"), name="apikey_scope_read")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ServiceToken(_Credential):
    """A token for the provider's own systems: checks any organization's subscriptions."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class WebhookEndpoint(models.Model):
    """Where entitlement changes are POSTed; no organization means a provider system."""

    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(max_length=500)
    # Kept readable: every delivery is signed with it. Shown once when the endpoint is made.
    secret = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization_id", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one endpoint, and how its attempts went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed after every retry"
        REFUSED = "refused", "Refused: the address is not allowed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=32)
    entitlement = models.ForeignKey(
        Entitlement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"
