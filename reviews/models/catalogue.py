"""Catalogues that policy staff keep: capabilities and the reason codes reviewers cite."""

from django.db import models

from reviews.decision import vocabulary


class Capability(models.Model):
    """How a capability of the facts format is named and explained to customers."""

    code = models.CharField(
        max_length=64, unique=True, help_text="A capability of the facts format."
    )
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Shown as help in the application form.")
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(
        default=True, help_text="Inactive capabilities are not offered in new applications."
    )

    class Meta:
        ordering = ["order", "code"]
        verbose_name_plural = "capabilities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__in=list(vocabulary.CAPABILITIES)),
                name="capability_code_known",
            )
        ]

    def __str__(self) -> str:
        return self.label


class ReasonCode(models.Model):
    """A reason a reviewer can cite, with the explanation the customer sees."""

    code = models.CharField(max_length=32, unique=True, help_text="e.g. US-POLICE-FR")
    title = models.CharField(max_length=200)
    customer_text = models.TextField(
        help_text="What the applicant reads. Keep it plain and factual."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"
