from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from .auth_events import connect

        # Sign-ins happen inside Django's auth views, so Django's auth signals are the seam.
        connect()
