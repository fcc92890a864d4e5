from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from .staff import sync_staff_groups

        # Permissions exist only after migrate, so the groups are kept in step then.
        post_migrate.connect(sync_staff_groups, dispatch_uid="gatehouse_sync_staff_groups")
