"""Users, organizations (the tenants) and memberships with a role."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. US, GB.")
    org_type = models.CharField(
        "organization type", max_length=32, choices=OrganizationType.choices
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="organization_country_iso2"
            ),
            models.CheckConstraint(
                condition=models.Q(org_type__in=OrganizationType.values),
                name="organization_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_party(self) -> dict[str, str]:
        """Return the organization as a party of the facts format."""
        return {"name": self.name, "country": self.country, "type": self.org_type}


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


class StaffGroup:
    """Names of the Django groups that hold the provider's staff roles."""

    REVIEWER = "Reviewers"
    SENIOR_REVIEWER = "Senior reviewers"
    POLICY_STAFF = "Policy staff"
    ALL = (REVIEWER, SENIOR_REVIEWER, POLICY_STAFF)
