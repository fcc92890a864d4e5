"""Write accounts data: sign-up creates a user, their organization and an owner membership."""

from django.db import transaction

from audit.services import audit_record

from .models import Membership, Organization, Role, User


@transaction.atomic
def user_signup(
    *,
    email: str,
    full_name: str,
    password: str,
    organization_name: str,
    country: str,
    org_type: str,
) -> User:
    """Create a user with a new organization they own, and record both in the audit trail."""
    user = User.objects.create_user(email=email, password=password, full_name=full_name)
    organization = Organization.objects.create(
        name=organization_name, country=country, org_type=org_type
    )
    Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    audit_record(actor=user, verb="user.signed_up", obj=user, organization=organization)
    audit_record(
        actor=user,
        verb="organization.created",
        obj=organization,
        organization=organization,
        actor_role=Role.OWNER,
        payload={"after": organization.as_party()},
    )
    return user


@transaction.atomic
def membership_add(*, actor, organization: Organization, user: User, role: str) -> Membership:
    """Add a user to the organization with a role, and record it."""
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    audit_record(
        actor=actor,
        verb="membership.added",
        obj=membership,
        organization=organization,
        payload={"user": user.email, "role": role},
    )
    return membership
