"""Log every API call as one structured line (logger `gatehouse.api`).

A log line rather than a database row: the check endpoint is on the hot path of the
provider's services, and a write per read would cost the primary database more than the
read itself. State changes are audited (audit_record); calls are operational records, kept
by the log pipeline. Each line: request id, method, path, query parameter names, status,
duration, principal (key prefix and organization, never the secret) and client address.
"""

import functools
import json
import logging
import time

from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("gatehouse.api")


def logged(view):
    """Wrap an API view: log the call, and keep its answer out of shared caches."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        principal = getattr(request, "api_principal", None)
        logger.info(
            json.dumps(
                {
                    "event": "api_call",
                    "request_id": getattr(request, "request_id", ""),
                    "method": request.method,
                    "path": request.path,
                    "params": sorted(request.GET.keys()),
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "principal": principal.label() if principal else None,
                    "ip": request.META.get("REMOTE_ADDR"),
                },
                separators=(",", ":"),
            )
        )
        return response

    return wrapped
