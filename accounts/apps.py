from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from .sessions import connect as connect_session_clocks
        from .staff import sync_staff_groups

        connect_session_clocks()  # the idle and absolute session clocks start at sign-in

        # Permissions exist only after migrate, so the groups are kept in step then.
        post_migrate.connect(sync_staff_groups, dispatch_uid="gatehouse_sync_staff_groups")
