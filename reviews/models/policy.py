"""The restriction policy as data: policies, their versions and rules, and runs over them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Outcome(models.TextChoices):
    PROHIBITED = "prohibited", "Prohibited"
    ESCALATE = "escalate", "Escalate"
    APPROVABLE = "approvable", "Approvable"


class Policy(models.Model):
    """A named restriction policy; its rules live in versions."""

    key = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title


class PolicyVersion(models.Model):
    """One version of a policy. Drafts are edited; published and retired ones never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(
        max_length=32, help_text="A name for this version, such as 2024.05.2."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True, help_text="What changed in this version, and why.")
    content_hash = models.CharField(max_length=64, blank=True)
    golden_cases = models.JSONField(
        default=list,
        blank=True,
        help_text="Worked cases (facts, expected outcome, rules that must fire) that the "
        "version must decide correctly before it can be published.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-created_at", "-id"]
        permissions = [("publish_policyversion", "Can publish a policy version")]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policyversion_unique"),
            models.UniqueConstraint(
                fields=["policy"],
                condition=models.Q(status="published"),
                name="policyversion_one_published",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="policyversion_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.key} {self.version} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class Rule(models.Model):
    """One rule of a policy version: a condition over the facts and the outcome it gives."""

    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="rules"
    )
    order = models.PositiveIntegerField(default=0, help_text="Rules are evaluated in this order.")
    rule_id = models.CharField(
        "rule id", max_length=64, help_text="Capitals, digits and hyphens, e.g. US-POLICE-FR."
    )
    title = models.CharField(max_length=200)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    weight = models.PositiveSmallIntegerField(
        default=0, help_text="0 to 100; the score adds the weights of the rules that fire."
    )
    clause = models.TextField(help_text="The policy text the rule enforces.")
    source = models.CharField(max_length=300, help_text="Where the clause comes from.")
    explanation = models.TextField(
        help_text="One sentence; placeholders such as {party} or {capabilities} name the facts "
        "that triggered the rule."
    )
    condition = models.JSONField(help_text="The condition, in the policy condition language.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["policy_version", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy_version", "rule_id"], name="rule_unique_id"),
            models.CheckConstraint(condition=models.Q(weight__lte=100), name="rule_weight_max"),
        ]

    def __str__(self) -> str:
        return self.rule_id


class RunStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PolicyRun(models.Model):
    """Progress of a chunked pass of a policy version over the applications."""

    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    last_application_id = models.BigIntegerField(default=0)
    transitions = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.processed / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {RunStatus.DONE, RunStatus.FAILED}

    @property
    def changed_count(self) -> int:
        return sum(count for key, count in self.transitions.items() if not _unchanged(key))


def _unchanged(transition: str) -> bool:
    # A first assessment is not a change of outcome.
    was, _, would_be = transition.partition("→")
    return was in (would_be, "unassessed")


class PolicySimulation(PolicyRun):
    """How the outcome of every application would change under a draft version."""

    def __str__(self) -> str:
        return f"Simulation of {self.policy_version} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("admin:reviews_policysimulation_change", args=[self.pk])


class Reassessment(PolicyRun):
    """The re-assessment of open and approved applications after a version is published."""

    flagged = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Re-assessment under {self.policy_version} ({self.status})"


class ReassessmentPart(models.Model):
    """One primary-key range of a re-assessment, worked by one task at a time.

    A run is cut into REASSESSMENT_PARTS ranges so that several workers share it; each part
    keeps its own cursor, so a part whose worker died resumes where its last chunk committed.
    """

    run = models.ForeignKey(Reassessment, on_delete=models.CASCADE, related_name="parts")
    after_id = models.BigIntegerField(help_text="The range starts after this application id.")
    until_id = models.BigIntegerField(
        null=True, blank=True, help_text="The range ends at this id (none: no end)."
    )
    cursor = models.BigIntegerField(help_text="The last application id re-assessed.")
    processed = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "after_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "after_id"], name="reassessment_part_unique")
        ]

    def __str__(self) -> str:
        return f"Part ({self.after_id}, {self.until_id or '∞'}] of {self.run}"
