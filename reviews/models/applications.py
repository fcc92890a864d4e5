"""Applications, their assessments and the review actions taken on them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .policy import Outcome, PolicyVersion


class Application(models.Model):
    """A customer's use-case application: the facts it states and where it stands."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted, awaiting assessment"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    title = models.CharField(max_length=200)
    facts = models.JSONField(help_text="Facts in the interchange format (facts.schema.json v1).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    needs_rereview = models.BooleanField(
        default=False,
        help_text="Set when a policy change makes an approved application's outcome stricter.",
    )
    rereview_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["organization", "-submitted_at"], name="application_org_idx"),
            models.Index(fields=["status", "submitted_at"], name="application_queue_idx"),
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(needs_rereview=True),
                name="application_rereview_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["submitted", "in_review", "approved", "denied"]),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["approved", "denied"], decided_at__isnull=False)
                | models.Q(status__in=["submitted", "in_review"], decided_at__isnull=True),
                name="application_decided_at_iff_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:application_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"APP-{self.pk:06d}"

    @property
    def is_decided(self) -> bool:
        return self.status in {self.Status.APPROVED, self.Status.DENIED}


class Assessment(models.Model):
    """The decision module's recommendation for an application under one policy version."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assessments"
    )
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    facts_hash = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    score = models.PositiveSmallIntegerField()
    result = models.JSONField(help_text="The engine's assessment, as it returned it.")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_at", "-id"]
        constraints = [
            # The same facts under the same policy version are assessed once (idempotent task).
            models.UniqueConstraint(
                fields=["application", "policy_version", "facts_hash"], name="assessment_once"
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="assessment_score_max"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.score}) for {self.application_id}"

    @property
    def hits(self) -> list[dict]:
        return self.result.get("hits", [])


class ReviewAction(models.Model):
    """A reviewer's decision on an application, with the reason they gave."""

    class Kind(models.TextChoices):
        APPROVE = "approve", "Approved"
        DENY = "deny", "Denied"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A decision is final: one approve-or-deny per application.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(kind__in=["approve", "deny"]),
                name="reviewaction_one_decision",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="reviewaction_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id} by {self.actor_id}"
