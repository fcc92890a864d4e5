"""Read accounts data; the chokepoints that decide who belongs where."""

from django.http import Http404

from .models import Membership, Organization, StaffGroup

SESSION_ORG_KEY = "current_organization_id"


def memberships_for_user(user) -> list[Membership]:
    """Return the user's memberships with their organizations."""
    if not user.is_authenticated:
        return []
    return list(user.memberships.select_related("organization"))


def membership_for_request(request) -> Membership | None:
    """Return the membership the user is acting in: the one chosen this session, else the first."""
    memberships = memberships_for_user(request.user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_ORG_KEY)
    for membership in memberships:
        if membership.organization_id == chosen:
            return membership
    return memberships[0]


def organization_for_request(request) -> Organization:
    """Return the organization the user acts for, or 404 if they belong to none."""
    membership = membership_for_request(request)
    if membership is None:
        raise Http404("You are not a member of any organization.")
    return membership.organization


def _group_names(user) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_gatehouse_groups", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=StaffGroup.ALL).values_list("name", flat=True))
        user._gatehouse_groups = cached
    return cached


def user_is_reviewer(user) -> bool:
    """Return whether the user may work the review queue (reviewers and senior reviewers)."""
    return bool(_group_names(user) & {StaffGroup.REVIEWER, StaffGroup.SENIOR_REVIEWER})


def user_is_senior_reviewer(user) -> bool:
    return StaffGroup.SENIOR_REVIEWER in _group_names(user)


def user_organization_ids(user) -> set[int]:
    """Return the ids of the organizations the user belongs to (for conflict-of-interest checks)."""
    if not user.is_authenticated:
        return set()
    return set(user.memberships.values_list("organization_id", flat=True))
