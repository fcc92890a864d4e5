"""Personas and helpers shared by the whole suite."""

import copy

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from accounts.models import Organization, Role, StaffGroup, User
from accounts.services import membership_add, organization_create, user_signup
from reviews.models import PolicyVersion
from reviews.services import application_submit, policy_version_create_draft

from .services import unavailable

PASSWORD = "correct-horse-battery-staple"

FACTS = {
    "acting_for": [],
    "capabilities": ["face_liveness", "face_verification"],
    "use_case": "identity_verification",
    "deployment": {
        "real_time": True,
        "camera": "user_device",
        "environment": "not_applicable",
        "countries": ["GB"],
    },
    "gallery": "identity_documents",
    "data_subjects": ["customers"],
    "consent": "opt_in_with_alternative",
    "human_review": True,
    "consequential_decisions": [],
    "description": "Customers take a selfie that we compare 1:1 with their own passport photo.",
}


def make_facts(organization: Organization, **overrides) -> dict:
    """Return valid facts for the organization, with some keys replaced."""
    facts = copy.deepcopy(FACTS)
    facts.update(overrides)
    return {"organization": organization.as_party(), **facts}


def signup(email: str, org_name: str, *, country: str = "GB", org_type: str = "software_vendor"):
    """Create a verified user who owns a new organization, through the services."""
    user = user_signup(
        email=email,
        full_name=email.split("@")[0].title(),
        password=PASSWORD,
        verified_at=timezone.now(),
    )
    organization_create(
        actor=user, now=timezone.now(), name=org_name, country=country, org_type=org_type
    )
    return user


def staff(email: str, *groups: str, is_staff: bool = False) -> User:
    user = User.objects.create_user(
        email=email, password=PASSWORD, full_name=email.split("@")[0].title(), is_staff=is_staff
    )
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def applicant(db) -> User:
    """The owner of Acme Identity, a British software vendor."""
    return signup("alice@acme.example", "Acme Identity")


@pytest.fixture
def organization(applicant) -> Organization:
    return applicant.memberships.get().organization


@pytest.fixture
def colleague(applicant, organization) -> User:
    """A member of the applicant's organization."""
    user = User.objects.create_user(
        email="colin@acme.example", password=PASSWORD, full_name="Colin"
    )
    membership_add(actor=applicant, organization=organization, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def outsider(db) -> User:
    """The owner of another tenant, who must never see Acme's objects."""
    return signup("olga@other.example", "Other Org", country="FR", org_type="commercial")


@pytest.fixture
def reviewer(db) -> User:
    return staff("riley@gatehouse.example", StaffGroup.REVIEWER)


@pytest.fixture
def senior_reviewer(db) -> User:
    return staff("sam@gatehouse.example", StaffGroup.SENIOR_REVIEWER)


@pytest.fixture
def policy_staff(db) -> User:
    """Policy staff must sign in with two factors: this one has an authenticator, and
    `client.force_login(policy_staff)` starts a verified session (django-otp persists the
    device it finds on the user at login)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = staff("pat@gatehouse.example", StaffGroup.POLICY_STAFF, is_staff=True)
    user.otp_device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Return a function that files an application and runs its assessment task."""

    def _submit(user: User, title: str = "Selfie check", **overrides):
        membership = user.memberships.select_related("organization").get()
        with django_capture_on_commit_callbacks(execute=True):
            application = application_submit(
                actor=user,
                organization=membership.organization,
                role=membership.role,
                title=title,
                facts=make_facts(membership.organization, **overrides),
            )
        application.refresh_from_db()
        return application

    return _submit


@pytest.fixture
def postgresql(db):
    """Require the tests' database to be PostgreSQL."""
    if connection.vendor != "postgresql":
        unavailable(
            "PostgreSQL",
            "apt-get install postgresql, then set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/gatehouse",
        )


@pytest.fixture
def seed_policy(transactional_db):
    """Reinstall the seed policy, which transactional tests' flushes remove."""
    from reviews.models import Policy, PolicyVersion, Rule
    from reviews.seed import install_policy_document, load_seed_document

    if not PolicyVersion.objects.filter(status="published").exists():
        install_policy_document(
            load_seed_document(), models=(Policy, PolicyVersion, Rule), publish=True
        )


@pytest.fixture(autouse=True, scope="session")
def _let_the_test_runner_empty_the_audit_tables():
    """Test setup only: transactional tests empty tables with TRUNCATE, which the audit
    triggers refuse in production. Wrap the runner's flush in disabling those triggers."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = [t for t in ("audit_auditevent", "audit_auditcheckpoint") if t in tables]
        before = [f"ALTER TABLE {t} DISABLE TRIGGER USER;" for t in guarded]
        after = [f"ALTER TABLE {t} ENABLE TRIGGER USER;" for t in guarded]
        return before + statements + after

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True, scope="session")
def _force_login_keeps_the_second_factor():
    """Test setup only: `force_login` skips the sign-in views, so a user carrying an
    `otp_device` (like `policy_staff`) gets a session verified with that device."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        device = getattr(user, "otp_device", None)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    Client.force_login = force_login
    yield
    Client.force_login = original


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with empty rate-limit counters (they live in the cache)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def published(db) -> PolicyVersion:
    """The seed policy's published version."""
    return PolicyVersion.objects.get(status=PolicyVersion.Status.PUBLISHED)


@pytest.fixture
def draft(published, policy_staff) -> PolicyVersion:
    """A draft copy of the published version (tests/reviews/test_intake.py's `draft` is an
    application draft)."""
    return policy_version_create_draft(
        actor=policy_staff, source_version_id=published.pk, version="2024.06", now=timezone.now()
    )


@pytest.fixture
def reviewer_client(client, reviewer):
    """The test client, signed in as the reviewer."""
    client.force_login(reviewer)
    return client
