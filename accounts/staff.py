"""Keep the staff groups and their admin permissions as the code defines them."""

from django.contrib.auth.models import Group, Permission

from .models import StaffGroup

# Policy staff edit the policy and its catalogues, and read everything else they need.
_POLICY_STAFF_PERMISSIONS = {
    "reviews": {
        "policy": ("add", "change", "view"),
        # Deleting is offered for drafts only; publishing is a permission of its own.
        "policyversion": ("add", "change", "delete", "view", "publish"),
        "rule": ("add", "change", "delete", "view"),
        "capability": ("add", "change", "view"),
        "reasoncode": ("add", "change", "view"),
        "policysimulation": ("view",),
        "reassessment": ("view",),
        "application": ("view",),
        "assessment": ("view",),
    },
    "audit": {"auditevent": ("view",)},
}


def sync_staff_groups(**kwargs) -> None:
    """Create the staff groups and give policy staff exactly their permissions."""
    for name in StaffGroup.ALL:
        Group.objects.get_or_create(name=name)
    wanted = [
        (app, f"{verb}_{model}")
        for app, models in _POLICY_STAFF_PERMISSIONS.items()
        for model, verbs in models.items()
        for verb in verbs
    ]
    permissions = [
        permission
        for permission in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=_POLICY_STAFF_PERMISSIONS
        )
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    Group.objects.get(name=StaffGroup.POLICY_STAFF).permissions.set(permissions)
