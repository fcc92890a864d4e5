"""Users, organizations (the tenants) and memberships with a role."""

import re

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.db.models.lookups import Regex
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Designates whether the user can sign in to the admin site."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


class OrganizationType(models.TextChoices):
    """Party types from the facts schema (facts.schema.json, $defs.party.type)."""

    POLICE = "police", "Police department or force"
    FEDERAL_LAW_ENFORCEMENT = "federal_law_enforcement", "Federal law enforcement agency"
    OTHER_LAW_ENFORCEMENT = "other_law_enforcement", "Prosecutors, corrections or courts"
    MILITARY = "military", "Military"
    GOVERNMENT = "government", "Government (other)"
    COMMERCIAL = "commercial", "Commercial company"
    SOFTWARE_VENDOR = "software_vendor", "Software vendor"
    NONPROFIT = "nonprofit", "Nonprofit"
    ACADEMIC = "academic", "Academic or research institution"
    HEALTHCARE = "healthcare", "Healthcare provider"
    SCHOOL = "school", "School"


class Organization(models.Model):
    """A customer organization: the tenant every portal object belongs to."""

    name = models.CharField("legal name", max_length=200)
    country = CountryField(help_text="Where the organization is established.")
    org_type = models.CharField(
        "organization type", max_length=32, choices=OrganizationType.choices
    )
    website = models.URLField(blank=True, max_length=300)
    email_domain = models.CharField(
        max_length=253,
        blank=True,
        validators=[
            RegexValidator(r"^[a-z0-9.-]+\.[a-z]{2,}$", "Enter a domain such as example.com.")
        ],
        help_text="The domain your colleagues' work email addresses use.",
    )
    acts_for_end_customers = models.BooleanField(
        default=False, help_text="You build or operate systems for other organizations."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            # CountryField would prepare the pattern as a country code, so compare raw values.
            models.CheckConstraint(
                condition=Regex(models.F("country"), models.Value(r"^[A-Z]{2}$")),
                name="organization_country_iso2",
            ),
            models.CheckConstraint(
                condition=models.Q(org_type__in=OrganizationType.values),
                name="organization_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:organization")

    def as_party(self) -> dict[str, str]:
        """Return the organization as a party of the facts format."""
        return {"name": self.name, "country": str(self.country), "type": self.org_type}


class EndCustomer(models.Model):
    """An organization the tenant builds or operates systems for ("acting for")."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="end_customers"
    )
    name = models.CharField(max_length=200)
    country = CountryField()
    org_type = models.CharField("type", max_length=32, choices=OrganizationType.choices)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), "country", name="endcustomer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def as_party(self) -> dict[str, str]:
        return {"name": self.name, "country": str(self.country), "type": self.org_type}


SUBSCRIPTION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Subscription(models.Model):
    """A cloud subscription or tenant identifier the organization wants features enabled on."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="subscriptions"
    )
    identifier = models.CharField(
        max_length=36,
        validators=[
            RegexValidator(
                SUBSCRIPTION_ID.pattern,
                "Enter a subscription or tenant ID in the form "
                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (lowercase hexadecimal).",
            )
        ],
    )
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "identifier"], name="subscription_unique_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(identifier__regex=SUBSCRIPTION_ID.pattern),
                name="subscription_identifier_format",
            ),
        ]

    def __str__(self) -> str:
        return self.identifier


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    """A user's place in an organization, with the role they hold there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Invitation(models.Model):
    """A single-use, expiring invitation for someone to join an organization with a role."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # The link carries a signature over (id, nonce); a new nonce voids older links.
    nonce = models.CharField(max_length=64)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} as {self.role}"

    def state(self, now) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"


class StaffGroup:
    """Names of the Django groups that hold the provider's staff roles."""

    REVIEWER = "Reviewers"
    SENIOR_REVIEWER = "Senior reviewers"
    POLICY_STAFF = "Policy staff"
    ALL = (REVIEWER, SENIOR_REVIEWER, POLICY_STAFF)
