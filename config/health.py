"""`/healthz` for load balancers and monitoring: the database answers, the broker answers, and
a worker is alive (a heartbeat fresher than WORKER_HEARTBEAT_STALE_AFTER); 503 says which not."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker() -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True  # tasks run in-process: there is no broker to reach
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def _worker() -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True  # tasks run in-process: this process is the worker
    from operations.selectors import worker_alive

    try:
        return worker_alive(now=timezone.now())
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "broker": _broker(), "worker": _worker()}
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
