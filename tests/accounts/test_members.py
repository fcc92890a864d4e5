"""Inviting colleagues, accepting, roles, leaving and removal."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from accounts.services import invitation_create
from audit.models import AuditEvent

from ..conftest import PASSWORD, signup


def _accept_path(message) -> str:
    return re.search(r"https?://\S+(/accounts/invitations/\S+/)", message.body).group(1)


@pytest.fixture
def owner_client(client, applicant):
    client.force_login(applicant)
    return client


@pytest.fixture
def invite(owner_client, django_capture_on_commit_callbacks):
    """Invite an address as the owner, through the members page; return the invitation."""

    def _invite(email="nina@acme.example", role=Role.MEMBER):
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("accounts:members"), {"email": email, "role": role})
        return Invitation.objects.get(email=email)

    return _invite


def test_it_emails_a_single_use_invitation(invite, applicant, organization):
    invitation = invite()

    assert invitation.role == Role.MEMBER and invitation.invited_by == applicant
    assert mail.outbox[-1].to == ["nina@acme.example"]
    assert "Acme Identity" in mail.outbox[-1].subject
    event = AuditEvent.objects.get(verb="invitation.sent")
    assert (event.organization, event.payload["email"]) == (organization, "nina@acme.example")


def test_it_lets_the_invitee_create_an_account_and_join(invite, client, organization):
    invite()
    path = _accept_path(mail.outbox[-1])
    client.logout()

    page = client.get(path)
    response = client.post(path, {"full_name": "Nina New", "password": PASSWORD})

    assert "Join Acme Identity" in page.text
    assert response.url == reverse("home")
    nina = User.objects.get(email="nina@acme.example")
    assert nina.email_verified
    assert Membership.objects.get(user=nina).organization == organization
    assert client.get(reverse("reviews:application_list")).status_code == 200
    assert AuditEvent.objects.filter(verb="invitation.accepted", actor=nina).count() == 1
    second = client.post(path, {})
    assert second.status_code == 400 and "has been accepted" in second.text


def test_it_lets_an_existing_user_join_a_second_organization_and_switch(
    invite, client, outsider, organization
):
    invite(email=outsider.email)
    path = _accept_path(mail.outbox[-1])
    client.force_login(outsider)

    client.post(path)
    switched = client.post(reverse("accounts:organization_switch", args=[organization.pk]))

    assert outsider.memberships.count() == 2
    assert switched.status_code == 302
    page = client.get(reverse("reviews:application_list"))
    assert page.context["organization"] == organization


def test_it_refuses_an_invitation_accepted_as_someone_else(invite, client, outsider):
    invite()
    path = _accept_path(mail.outbox[-1])
    client.force_login(outsider)

    response = client.post(path)

    assert response.status_code == 409
    assert "This invitation is for nina@acme.example" in response.text
    assert outsider.memberships.count() == 1


def test_it_resends_with_a_new_link_and_revokes(
    invite, owner_client, client, django_capture_on_commit_callbacks
):
    first = invite()
    old_path = _accept_path(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("accounts:invitation_resend", args=[first.pk]))
    new_path = _accept_path(mail.outbox[-1])
    client.logout()

    assert new_path != old_path
    assert client.get(old_path).status_code == 400
    assert client.get(new_path).status_code == 200
    owner_client.force_login(first.invited_by)
    owner_client.post(reverse("accounts:invitation_revoke", args=[first.pk]))
    client.logout()
    revoked = client.get(new_path)
    assert revoked.status_code == 400 and "has been revoked" in revoked.text
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"invitation.resent", "invitation.revoked"} <= verbs


def test_it_refuses_an_expired_invitation(invite, client):
    invitation = invite()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client.logout()

    response = client.get(_accept_path(mail.outbox[-1]))

    assert response.status_code == 400
    assert "has been expired" in response.text


def test_it_explains_a_duplicate_invitation_and_an_existing_member(invite, owner_client, colleague):
    invite()

    again = owner_client.post(
        reverse("accounts:members"), {"email": "NINA@acme.example", "role": "member"}
    )
    member = owner_client.post(
        reverse("accounts:members"), {"email": colleague.email, "role": "member"}
    )

    assert "already has an open invitation" in again.text
    assert "is already a member" in member.text
    assert Invitation.objects.count() == 1


def test_it_keeps_members_from_inviting(client, colleague, organization):
    client.force_login(colleague)

    page = client.get(reverse("accounts:members"))
    response = client.post(
        reverse("accounts:members"), {"email": "x@acme.example", "role": "member"}
    )

    assert "Invite a colleague" not in page.text
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_it_lets_only_owners_invite_owners(client, applicant, organization, db):
    admin = User.objects.create_user(email="adam@acme.example", password=PASSWORD)
    Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
    membership = Membership.objects.get(user=admin)

    with pytest.raises(Exception, match="Only owners can invite another owner"):
        invitation_create(
            actor=admin,
            membership=membership,
            email="o@acme.example",
            role="owner",
            now=timezone.now(),
        )


def test_it_changes_a_role_and_records_it(owner_client, colleague):
    membership = colleague.memberships.get()

    owner_client.post(reverse("accounts:member_role", args=[membership.pk]), {"role": "admin"})

    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    event = AuditEvent.objects.get(verb="membership.role_changed")
    assert event.payload == {"user": colleague.email, "before": "member", "after": "admin"}


def test_it_never_leaves_an_organization_without_an_owner(owner_client, applicant):
    own = applicant.memberships.get()

    demote = owner_client.post(
        reverse("accounts:member_role", args=[own.pk]), {"role": "member"}, follow=True
    )
    leave = owner_client.post(reverse("accounts:member_remove", args=[own.pk]), follow=True)

    assert "An organization needs an owner" in demote.text
    assert "An organization needs an owner" in leave.text
    own.refresh_from_db()
    assert own.role == Role.OWNER


def test_it_ends_access_at_once_when_a_member_is_removed(
    owner_client, client, colleague, submit, applicant
):
    application = submit(applicant)
    from django.test import Client

    colleague_client = Client()
    colleague_client.force_login(colleague)
    assert colleague_client.get(application.get_absolute_url()).status_code == 200

    owner_client.post(reverse("accounts:member_remove", args=[colleague.memberships.get().pk]))

    assert colleague_client.get(application.get_absolute_url()).status_code == 404
    assert AuditEvent.objects.filter(verb="membership.removed").count() == 1


def test_it_lets_a_member_leave(client, colleague):
    client.force_login(colleague)

    client.post(reverse("accounts:member_remove", args=[colleague.memberships.get().pk]))

    assert not colleague.memberships.exists()
    assert AuditEvent.objects.filter(verb="membership.left", actor=colleague).count() == 1


def test_it_keeps_members_from_managing_others(client, colleague, applicant):
    client.force_login(colleague)
    owner = applicant.memberships.get()

    client.post(reverse("accounts:member_role", args=[owner.pk]), {"role": "member"})
    client.post(reverse("accounts:member_remove", args=[owner.pk]))

    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_it_answers_404_for_another_organizations_member_or_invitation(owner_client, outsider):
    other = outsider.memberships.get()
    signup("ivy@other.example", "Ivy Org")

    role = owner_client.post(reverse("accounts:member_role", args=[other.pk]), {"role": "member"})
    remove = owner_client.post(reverse("accounts:member_remove", args=[other.pk]))

    assert role.status_code == remove.status_code == 404
    assert Membership.objects.filter(pk=other.pk, role=Role.OWNER).exists()
