"""Read accounts data: the chokepoints that decide who belongs where and may do what."""

from functools import cache

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from config.rows import Columns, fetch

from .models import Invitation, Membership, Organization, StaffGroup
from .roles import Action, role_may

SESSION_ORG_KEY = "current_organization_id"

_MEMBERSHIP = Columns(Membership, "m")
_ORGANIZATION = Columns(Organization, "o")
MEMBERSHIP_COLUMNS = len(_MEMBERSHIP) + len(_ORGANIZATION)


def memberships_sql(*, also: str = "", join: str = "") -> str:
    """The SELECT of a user's memberships with their organizations, by organization name, whose
    rows `memberships_remember` reads: fixed SQL, not the ORM (config/rows.py says why), as
    every portal request reads it. `also` adds columns after the first MEMBERSHIP_COLUMNS and
    `join` their tables (its parameters come before the user's id)."""
    return (
        f"SELECT {_MEMBERSHIP.sql}, {_ORGANIZATION.sql}{also} "  # noqa: S608
        f"FROM {_MEMBERSHIP.table} JOIN {_ORGANIZATION.table} ON o.id = m.organization_id "
        f"{join} WHERE m.user_id = %s ORDER BY o.name, m.id"
    )


_MEMBERSHIPS_SQL = memberships_sql()


def memberships_remember(user, rows) -> list[Membership]:
    """Build the user's memberships from rows of `memberships_sql` and keep them on the user for
    the rest of the request."""
    memberships = []
    for row in rows:
        membership = _MEMBERSHIP.load_with(row, "organization", _ORGANIZATION)
        Membership.user.field.set_cached_value(membership, user)
        memberships.append(membership)
    user._gatehouse_memberships = memberships
    return memberships


def memberships_known(user) -> bool:
    """Whether this request has read the user's memberships already."""
    return getattr(user, "_gatehouse_memberships", None) is not None


def memberships_for_user(user) -> list[Membership]:
    """Return the user's memberships with their organizations, by organization name (cached
    on the user for the rest of the request)."""
    if not user.is_authenticated:
        return []
    if memberships_known(user):
        return user._gatehouse_memberships
    return memberships_remember(user, fetch(_MEMBERSHIPS_SQL, [user.pk]))


def membership_for_request(request) -> Membership | None:
    """Return the membership the user acts in: the one chosen this session, else the first."""
    memberships = memberships_for_user(request.user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_ORG_KEY)
    for membership in memberships:
        if membership.organization_id == chosen:
            return membership
    return memberships[0]


def membership_required(request, action: Action | None = None) -> Membership:
    """Return the current membership; 404 without one, 403 when its role may not act."""
    membership = membership_for_request(request)
    if membership is None:
        raise Http404("You are not a member of any organization.")
    if action is not None and not role_may(membership.role, action):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) may not do this.")
    return membership


def organization_get_for_user(*, user, pk: int) -> Organization:
    """Return an organization the user belongs to, or 404 for any other."""
    for membership in memberships_for_user(user):
        if membership.organization_id == pk:
            return membership.organization
    raise Http404("No such organization.")


def membership_get_for_user(*, organization: Organization, pk: int) -> Membership:
    """Return a membership of the organization, or 404 for one that is missing or elsewhere."""
    try:
        return Membership.objects.select_related("user").get(pk=pk, organization=organization)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


def invitation_get_for_user(*, organization: Organization, pk: int) -> Invitation:
    """Return an invitation of the organization, or 404 for one that is missing or elsewhere."""
    try:
        return Invitation.objects.get(pk=pk, organization=organization)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None


def members_of(organization: Organization):
    return organization.memberships.select_related("user").order_by("user__email")


def open_invitations_of(organization: Organization):
    return organization.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def owner_count(organization: Organization) -> int:
    return organization.memberships.filter(role="owner").count()


def _group_names(user, names=None) -> set[str]:
    """Return the user's staff groups, cached on the user for the request; `names`, when
    given, are all the user's group names, already read (by `second_factor_standing`)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_gatehouse_groups", None)
    if cached is None:
        if names is None:
            names = user.groups.filter(name__in=StaffGroup.ALL).values_list("name", flat=True)
        cached = user._gatehouse_groups = {name for name in names if name in StaffGroup.ALL}
    return cached


@cache  # written once: every page of a session not yet verified runs it
def _standing_sql() -> str:
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .models import User

    through = User.groups.through._meta
    return (
        f"SELECT g.name FROM {Group._meta.db_table} g "  # noqa: S608 - the models' own tables
        f"JOIN {through.db_table} ug ON ug.group_id = g.id WHERE ug.user_id = %s "
        f"UNION ALL SELECT NULL WHERE EXISTS (SELECT 1 FROM {TOTPDevice._meta.db_table} "
        "WHERE user_id = %s AND confirmed)"
    )


def second_factor_standing(user) -> tuple[bool, bool]:
    """Return (has a confirmed authenticator, must have one) for a signed-in user.

    Every page asks this of a session not yet verified, so it is one fixed query (it was two
    ORM queries, a sixth of a customer's request); the staff groups it reads stay cached on
    the user for the rest of the request."""
    names = [name for (name,) in fetch(_standing_sql(), [user.pk, user.pk])]
    return None in names, StaffGroup.POLICY_STAFF in _group_names(user, names)


def user_is_reviewer(user) -> bool:
    """Return whether the user may work the review queue (reviewers and senior reviewers)."""
    return bool(_group_names(user) & {StaffGroup.REVIEWER, StaffGroup.SENIOR_REVIEWER})


def user_is_senior_reviewer(user) -> bool:
    return StaffGroup.SENIOR_REVIEWER in _group_names(user)


def user_is_policy_staff(user) -> bool:
    return StaffGroup.POLICY_STAFF in _group_names(user)


def user_is_provider_staff(user) -> bool:
    """Return whether the user holds any of the provider's staff roles."""
    return bool(_group_names(user))


def user_organization_ids(user) -> set[int]:
    """Return the ids of the organizations the user belongs to."""
    return {membership.organization_id for membership in memberships_for_user(user)}


def has_conflict_of_interest(user, organization_id: int) -> bool:
    """Return whether provider staff would act for an organization they belong to.

    This is the one place the rule lives: staff never review, and never file, for their own
    organization.
    """
    return user_is_provider_staff(user) and organization_id in user_organization_ids(user)


def invitation_state(invitation: Invitation) -> str:
    return invitation.state(timezone.now())
