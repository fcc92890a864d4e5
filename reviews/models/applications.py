"""Applications, their assessments and the review actions taken on them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .policy import Outcome, PolicyVersion

# Application.OPEN, for the indexes in its Meta (a nested class cannot see the outer body).
_OPEN = ["submitted", "in_review", "info_requested", "escalated"]


class Application(models.Model):
    """A customer's use-case application: the facts it states and where it stands."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted, awaiting assessment"
        IN_REVIEW = "in_review", "In review"
        INFO_REQUESTED = "info_requested", "Information requested"
        ESCALATED = "escalated", "Escalated to a senior reviewer"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Approval expired"

    DECIDED = ("approved", "denied", "expired")
    OPEN = ("submitted", "in_review", "info_requested", "escalated")
    EDITABLE_STATUSES = ("draft", "info_requested")  # a draft, or answering questions

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    title = models.CharField(max_length=200)
    facts = models.JSONField(
        null=True, blank=True, help_text="Facts in the interchange format (facts.schema.json v1)."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Drafts: what the applicant typed, step by step, and where they were.
    draft_data = models.JSONField(default=dict, blank=True)
    current_step = models.CharField(max_length=32, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by every save, so concurrent edits are noticed."
    )
    subscriptions = models.JSONField(
        default=list, blank=True, help_text="Subscription IDs to enable the use case on."
    )
    attestations = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When an approval lapses.")
    reminded_30_at = models.DateTimeField(null=True, blank=True)
    reminded_7_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    renews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    # The reviewer side: who works on it, by when, and the latest assessment for the queue.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    latest_outcome = models.CharField(max_length=16, blank=True)
    latest_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # ",RULE-A,RULE-B," and ",cap_a,cap_b,": searchable the same way on SQLite and PostgreSQL.
    latest_rules = models.CharField(max_length=1000, blank=True)
    capability_codes = models.CharField(max_length=500, blank=True)
    needs_rereview = models.BooleanField(
        default=False,
        help_text="Set when a policy or profile change may affect an approved application.",
    )
    rereview_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="application_org_idx"),
            models.Index(fields=["status", "submitted_at"], name="application_queue_idx"),
            models.Index(fields=["status", "-latest_score"], name="application_risk_idx"),
            models.Index(fields=["status", "sla_due_at"], name="application_sla_idx"),
            models.Index(fields=["assignee", "status"], name="application_assignee_idx"),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="approved"),
                name="application_expiry_idx",
            ),
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(needs_rereview=True),
                name="application_rereview_idx",
            ),
            # The review queue: open applications only (a third of the table), one index per
            # sort with its tie-breakers, so a page is the first 50 entries of an index scan;
            # status and organization ride along, so that deep pages and counts are read
            # from the index alone (an index-only scan), never from the table.
            models.Index(
                fields=["-latest_score", "sla_due_at", "id"],
                condition=models.Q(status__in=_OPEN),
                include=["status", "organization"],
                name="application_queue_risk_idx",
            ),
            models.Index(
                fields=["sla_due_at", "-latest_score", "id"],
                condition=models.Q(status__in=_OPEN),
                include=["status", "organization"],
                name="application_queue_sla_idx",
            ),
            models.Index(
                fields=["submitted_at", "id"],
                condition=models.Q(status__in=_OPEN),
                include=["status", "organization"],
                name="application_queue_age_idx",
            ),
            models.Index(
                fields=["latest_outcome", "-latest_score", "sla_due_at", "id"],
                condition=models.Q(status__in=_OPEN),
                include=["status", "organization"],
                name="application_queue_outcome_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "draft",
                        "submitted",
                        "in_review",
                        "info_requested",
                        "escalated",
                        "approved",
                        "denied",
                        "withdrawn",
                        "expired",
                    ]
                ),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["approved", "denied", "expired"], decided_at__isnull=False
                )
                | (
                    ~models.Q(status__in=["approved", "denied", "expired"])
                    & models.Q(decided_at__isnull=True)
                ),
                name="application_decided_at_iff_decided",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "withdrawn"])
                | models.Q(facts__isnull=False, submitted_at__isnull=False),
                name="application_facts_once_submitted",
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
        return self.status in self.DECIDED

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_editable(self) -> bool:
        """Whether the applicant may change the facts: in a draft, or to answer questions."""
        return self.status in self.EDITABLE_STATUSES


class Assessment(models.Model):
    """The decision module's recommendation for an application under one policy version."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="assessments",
        # "assessment_once" below starts with the application: a second index on it would
        # only slow every insert down (a re-assessment writes one row per application).
        db_index=False,
    )
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    facts_hash = models.CharField(max_length=64)
    facts = models.JSONField(null=True, blank=True, help_text="The facts that were assessed.")
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
        APPROVAL_VOTE = "approval_vote", "First of two approvals"
        DENY = "deny", "Denied"
        REQUEST_INFO = "request_info", "Information requested"
        ESCALATE = "escalate", "Escalated"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField(help_text="What the applicant reads.")
    internal_note = models.TextField(blank=True, help_text="Seen by reviewers only.")
    reason_codes = models.ManyToManyField("reviews.ReasonCode", blank=True, related_name="+")
    conditions = models.TextField(blank=True, help_text="Conditions attached to an approval.")
    assessment = models.ForeignKey(
        "reviews.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The form's token: a replayed POST finds its action instead of making a second one.
    idempotency_key = models.UUIDField(null=True, blank=True)
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
            models.UniqueConstraint(
                fields=["idempotency_key"], name="reviewaction_idempotency_key_unique"
            ),
            # Four eyes: one first approval per reviewer and assessment.
            models.UniqueConstraint(
                fields=["application", "assessment", "actor"],
                condition=models.Q(kind="approval_vote"),
                name="reviewaction_one_vote_per_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id} by {self.actor_id}"
