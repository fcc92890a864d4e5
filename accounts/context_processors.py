"""Navigation for the base template."""

from .selectors import (
    membership_for_request,
    memberships_for_user,
    user_is_policy_staff,
    user_is_reviewer,
    user_is_senior_reviewer,
)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_membership": membership_for_request(request),
        "nav_memberships": memberships_for_user(user),
        "nav_is_reviewer": user_is_reviewer(user),
        "nav_sees_metrics": user_is_senior_reviewer(user) or user_is_policy_staff(user),
    }
