"""Write accounts data: sign-up, verification, organizations, invitations and memberships.

Each service checks its rule, writes in one transaction with its audit event, and sends
email after commit through a Celery task.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from audit.services import audit_record
from config.tasks import enqueue_after_commit

from .models import EndCustomer, Invitation, Membership, Organization, Role, Subscription, User
from .roles import Action, may_manage, role_may
from .tokens import invitation_reference, verification_user_id


class OnboardingError(Exception):
    """A refused onboarding action; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _tasks():
    from . import tasks  # the tasks module imports this one's models

    return tasks


def is_personal_domain(domain: str) -> bool:
    return domain.lower() in {d.lower() for d in settings.PERSONAL_EMAIL_DOMAINS}


@transaction.atomic
def user_signup(*, email: str, full_name: str, password: str, verified_at=None) -> User:
    """Create an account and email a verification link after commit."""
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name, email_verified_at=verified_at
    )
    audit_record(actor=user, verb="user.signed_up", obj=user, payload={"email": user.email})
    if verified_at is None:
        enqueue_after_commit(_tasks().send_verification_email, user.pk)
    return user


def user_resend_verification(*, user: User) -> None:
    """Email the verification link again, unless the address is verified already."""
    if not user.email_verified:
        enqueue_after_commit(_tasks().send_verification_email, user.pk)


@transaction.atomic
def user_verify_email(*, token: str, now: datetime) -> User:
    """Mark the address the token proves as verified; refuse a bad or expired token."""
    user_id = verification_user_id(
        token, lambda pk: User.objects.filter(pk=pk).values_list("email", flat=True).first()
    )
    user = User.objects.select_for_update().filter(pk=user_id).first() if user_id else None
    if user is None:
        raise OnboardingError("This verification link is invalid or has expired.")
    if not user.email_verified:
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
        audit_record(
            actor=user, verb="user.email_verified", obj=user, payload={"email": user.email}
        )
    return user


def _organization_payload(organization: Organization) -> dict:
    return {
        **organization.as_party(),
        "website": organization.website,
        "email_domain": organization.email_domain,
        "acts_for_end_customers": organization.acts_for_end_customers,
        "end_customers": [c.as_party() for c in organization.end_customers.all()],
        "subscriptions": [s.identifier for s in organization.subscriptions.all()],
    }


@transaction.atomic
def organization_create(*, actor: User, now: datetime, **profile) -> Organization:
    """Create an organization owned by the actor; refuse unverified or personal addresses."""
    if not actor.email_verified:
        raise OnboardingError("Verify your email address before you create an organization.")
    if is_personal_domain(actor.email_domain):
        raise OnboardingError(
            f"Organizations are created with a work email address; {actor.email_domain} is a "
            "personal email provider. Sign up with your work address, or ask a colleague to "
            "invite you.",
        )
    organization = Organization.objects.create(created_at=now, updated_at=now, **profile)
    Membership.objects.create(
        user=actor, organization=organization, role=Role.OWNER, created_at=now
    )
    audit_record(
        actor=actor,
        actor_role=Role.OWNER,
        verb="organization.created",
        obj=organization,
        organization=organization,
        payload={"after": _organization_payload(organization)},
    )
    return organization


POLICY_RELEVANT = ("country", "org_type", "end_customers")


@transaction.atomic
def organization_update(
    *,
    actor: User,
    membership: Membership,
    profile: dict,
    end_customers: list[dict],
    subscriptions: list[dict],
    now: datetime,
) -> Organization:
    """Change the profile, end customers and subscriptions; flag approvals the change affects."""
    if not role_may(membership.role, Action.EDIT_PROFILE):
        raise OnboardingError("Only owners and admins can change the organization's profile.")
    organization = Organization.objects.select_for_update().get(pk=membership.organization_id)
    before = _organization_payload(organization)
    for field, value in profile.items():
        setattr(organization, field, value)
    organization.updated_at = now
    organization.save()
    organization.end_customers.all().delete()
    EndCustomer.objects.bulk_create(
        EndCustomer(organization=organization, **customer) for customer in end_customers
    )
    organization.subscriptions.all().delete()
    Subscription.objects.bulk_create(
        Subscription(organization=organization, **subscription) for subscription in subscriptions
    )
    after = _organization_payload(organization)
    changed = sorted(key for key in after if after[key] != before[key])
    if not changed:
        return organization
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="organization.changed",
        obj=organization,
        organization=organization,
        payload={"changed": changed, "before": before, "after": after},
    )
    relevant = [key for key in ("country", "type", "end_customers") if key in changed]
    if relevant:
        from reviews.services import applications_flag_for_rereview

        applications_flag_for_rereview(
            organization=organization,
            reason=f"The organization's {', '.join(k.replace('_', ' ') for k in relevant)} "
            "changed after approval.",
            now=now,
        )
    return organization


def _new_nonce() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def invitation_create(
    *, actor: User, membership: Membership, email: str, role: str, now: datetime
) -> Invitation:
    """Invite someone by email with a role, and send the link after commit."""
    if not role_may(membership.role, Action.INVITE):
        raise OnboardingError("Only owners and admins can invite colleagues.")
    if role == Role.OWNER and not role_may(membership.role, Action.GRANT_OWNER):
        raise OnboardingError("Only owners can invite another owner.", field="role")
    organization = membership.organization
    email = email.strip().lower()
    if organization.memberships.filter(user__email__iexact=email).exists():
        raise OnboardingError(f"{email} is already a member.", field="email")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                role=role,
                nonce=_new_nonce(),
                invited_by=actor,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.INVITATION_MAX_AGE),
            )
    except IntegrityError:
        raise OnboardingError(
            f"{email} already has an open invitation; resend it instead.", field="email"
        ) from None
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="invitation.sent",
        obj=invitation,
        organization=organization,
        payload={"email": email, "role": role},
    )
    enqueue_after_commit(_tasks().send_invitation_email, invitation.pk)
    return invitation


def _lock_open_invitation(invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise OnboardingError("This invitation was already accepted or revoked.")
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User, membership: Membership, invitation: Invitation, now):
    """Send a fresh link with a new expiry; the previous link stops working."""
    if not role_may(membership.role, Action.INVITE):
        raise OnboardingError("Only owners and admins can resend invitations.")
    invitation = _lock_open_invitation(invitation)
    invitation.nonce = _new_nonce()
    invitation.expires_at = now + timedelta(seconds=settings.INVITATION_MAX_AGE)
    invitation.save(update_fields=["nonce", "expires_at"])
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="invitation.resent",
        obj=invitation,
        organization=invitation.organization,
        payload={"email": invitation.email},
    )
    enqueue_after_commit(_tasks().send_invitation_email, invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, membership: Membership, invitation: Invitation, now):
    """Revoke an open invitation so its link no longer works."""
    if not role_may(membership.role, Action.INVITE):
        raise OnboardingError("Only owners and admins can revoke invitations.")
    invitation = _lock_open_invitation(invitation)
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="invitation.revoked",
        obj=invitation,
        organization=invitation.organization,
        payload={"email": invitation.email},
    )
    return invitation


def invitation_for_token(token: str, *, now: datetime) -> Invitation:
    """Return the open invitation a link points to, or refuse with the reason."""
    reference = invitation_reference(token)
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=reference[0], nonce=reference[1])
        .first()
        if reference
        else None
    )
    if invitation is None:
        raise OnboardingError("This invitation link is not valid. Ask for a new invitation.")
    state = invitation.state(now)
    if state != "pending":
        raise OnboardingError(f"This invitation has been {state}. Ask for a new invitation.")
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str, now: datetime) -> Membership:
    """Join the organization the invitation is for, once, as the invited address."""
    invitation = _lock_open_invitation(invitation_for_token(token, now=now))
    if invitation.email.lower() != user.email.lower():
        raise OnboardingError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    if invitation.expires_at <= now:
        raise OnboardingError("This invitation has expired. Ask for a new invitation.")
    membership, _ = Membership.objects.get_or_create(
        user=user,
        organization=invitation.organization,
        defaults={"role": invitation.role, "created_at": now},
    )
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if not user.email_verified:  # the link reached this address, which verifies it
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
    audit_record(
        actor=user,
        actor_role=membership.role,
        verb="invitation.accepted",
        obj=invitation,
        organization=invitation.organization,
        payload={"email": user.email, "role": membership.role},
    )
    return membership


def _refuse_last_owner(target: Membership, new_role: str | None) -> None:
    if target.role != Role.OWNER or new_role == Role.OWNER:
        return
    owners = Membership.objects.select_for_update().filter(
        organization_id=target.organization_id, role=Role.OWNER
    )
    if owners.count() <= 1:
        raise OnboardingError(
            "An organization needs an owner: make someone else owner first.", field="role"
        )


@transaction.atomic
def membership_change_role(
    *, actor: User, membership: Membership, target: Membership, role: str
) -> Membership:
    """Give a member another role; never leave the organization without an owner."""
    target = Membership.objects.select_for_update().select_related("user").get(pk=target.pk)
    stepping_down = target.user_id == actor.pk and target.role == Role.OWNER
    if not stepping_down and not may_manage(membership.role, target.role):
        raise OnboardingError("Your role may not change this member's role.")
    if role == Role.OWNER and not role_may(membership.role, Action.GRANT_OWNER):
        raise OnboardingError("Only owners can make someone an owner.", field="role")
    _refuse_last_owner(target, role)
    old_role = target.role
    target.role = role
    target.save(update_fields=["role"])
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="membership.role_changed",
        obj=target,
        organization=target.organization,
        payload={"user": target.user.email, "before": old_role, "after": role},
    )
    return target


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership, target: Membership) -> None:
    """Remove a member (or leave, when the target is oneself); access ends at once."""
    target = Membership.objects.select_for_update().select_related("user").get(pk=target.pk)
    leaving = target.user_id == actor.pk
    if not leaving and not may_manage(membership.role, target.role):
        raise OnboardingError("Your role may not remove this member.")
    _refuse_last_owner(target, None)
    payload = {"user": target.user.email, "role": target.role}
    organization = target.organization
    target_pk = target.pk
    target.delete()
    audit_record(
        actor=actor,
        actor_role=membership.role,
        verb="membership.left" if leaving else "membership.removed",
        object_type="accounts.membership",
        object_id=target_pk,
        organization=organization,
        payload=payload,
    )


@transaction.atomic
def membership_add(*, actor, organization: Organization, user: User, role: str) -> Membership:
    """Add a user to the organization with a role directly (demo data and staff tooling)."""
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    audit_record(
        actor=actor,
        verb="membership.added",
        obj=membership,
        organization=organization,
        payload={"user": user.email, "role": role},
    )
    return membership


def user_admin_changed(
    *, actor, user: User, created: bool, changed_fields: list[str], groups_before, groups_after
) -> None:
    """Record a change made to an account in the Django admin (staff roles above all)."""
    if not created and not changed_fields and groups_before == groups_after:
        return
    audit_record(
        actor=actor,
        actor_role="admin",
        verb="user.created_by_admin" if created else "user.changed_by_admin",
        obj=user,
        payload={
            "email": user.email,
            "changed": changed_fields,
            "groups": {"before": list(groups_before), "after": list(groups_after)},
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
        },
    )


@transaction.atomic
def two_factor_confirm(*, user: User, key_hex: str, token: str) -> bool:
    """Turn on two-factor sign-in with the key the user scanned, if their code matches it."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTP(bytes.fromhex(key_hex)).verify(int(token), tolerance=1):
        return False
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="Authenticator app", key=key_hex, confirmed=True)
    audit_record(actor=user, verb="user.two_factor_enabled", obj=user)
    return True


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .two_factor import two_factor_required

    if two_factor_required(user):
        raise OnboardingError("Policy staff must keep two-factor sign-in on.")
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, verb="user.two_factor_disabled", obj=user)


# Sign-in and sessions: the sign-in view and the session middleware record what they end.


def user_locked_out(*, email: str) -> None:
    """Record that failed sign-ins for the address from one client have locked it out."""
    audit_record(
        actor=None, verb="user.locked_out", object_type="accounts.user", payload={"email": email}
    )


def session_expired(*, user: User, reason: str) -> None:
    """Record that a session ended because it sat idle or reached its lifetime."""
    audit_record(actor=user, verb="user.session_expired", obj=user, payload={"reason": reason})
