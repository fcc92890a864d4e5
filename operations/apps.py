from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from .signals import connect

        # Celery's own signals are the seam: a task's final failure and a worker's life cycle
        # happen inside Celery, not in any code of ours.
        connect()
