"""Navigation flags for the base template."""

from .selectors import membership_for_request, user_is_reviewer


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = membership_for_request(request)
    return {
        "nav_membership": membership,
        "nav_is_reviewer": user_is_reviewer(user),
    }
