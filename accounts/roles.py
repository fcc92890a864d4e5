"""What each role in an organization may do: the one table the portal consults."""

from enum import StrEnum

from .models import Role


class Action(StrEnum):
    VIEW_APPLICATIONS = "view_applications"
    FILE_APPLICATIONS = "file_applications"
    EDIT_PROFILE = "edit_profile"
    INVITE = "invite"
    MANAGE_MEMBERS = "manage_members"
    GRANT_OWNER = "grant_owner"


PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(
        {
            Action.VIEW_APPLICATIONS,
            Action.FILE_APPLICATIONS,
            Action.EDIT_PROFILE,
            Action.INVITE,
            Action.MANAGE_MEMBERS,
        }
    ),
    Role.MEMBER: frozenset({Action.VIEW_APPLICATIONS, Action.FILE_APPLICATIONS}),
}


def role_may(role: str, action: Action) -> bool:
    """Return whether a member holding `role` may take `action`."""
    return action in PERMISSIONS.get(role, frozenset())


def may_manage(actor_role: str, target_role: str) -> bool:
    """Return whether `actor_role` may change or remove a member holding `target_role`."""
    if not role_may(actor_role, Action.MANAGE_MEMBERS):
        return False
    return actor_role == Role.OWNER or target_role == Role.MEMBER
