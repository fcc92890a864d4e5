"""Give every request an id that its audit events and its response carry; record refusals."""

import logging
import re
import time
import uuid

from django.core.cache import cache

from .context import RequestContext, reset_context, set_context

logger = logging.getLogger("gatehouse.audit")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_context(
            RequestContext(request_id=request_id, ip=request.META.get("REMOTE_ADDR"))
        )
        try:
            response = self.get_response(request)
        finally:
            reset_context(token)
        response["X-Request-ID"] = request_id
        return response


# Refusals (403) and "not found or not yours" (404) answered to signed-in people.
DENIED_STATUSES = frozenset({403, 404})
# At most this many `authz_denied` events per user per window; the first refusal over the
# limit writes one `authz_denied_suppressed` event, the rest of the window writes nothing.
DENIALS_PER_WINDOW = 60
DENIAL_WINDOW_SECONDS = 60
# Browsers ask for these on their own; a missing icon is not somebody probing.
_BROWSER_PROBES = re.compile(r"^/(?:favicon\.ico|apple-touch-icon[\w.-]*\.png)$")
# URL parts that carry secrets (emailed links): the path keeps their place, not their value.
_SECRET_KWARG = re.compile(r"token|uid|key|secret|signature", re.IGNORECASE)
_MAX_PATH = 512


class DenialAuditMiddleware:
    """Record each 403 and 404 answered to a signed-in user as an `authz_denied` event.

    It runs after the view has returned, outside any transaction the view used (even
    ATOMIC_REQUESTS wraps only the view), so the event is written, in its own
    transaction, when the view's work was rolled back. Anonymous visitors are not
    recorded: scanners asking for missing pages would flood the trail. Put it inside
    `RequestContextMiddleware`, so the event carries the request's id and address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in DENIED_STATUSES:
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and not _BROWSER_PROBES.match(request.path)
            ):
                try:
                    _record_denial(request, user, response.status_code)
                except Exception:
                    # A refusal must stay a refusal: never turn it into a server error.
                    logger.exception("Could not record authz_denied for user %s", user.pk)
        return response


def _record_denial(request, user, status: int) -> None:
    from accounts.selectors import membership_for_request

    from .services import audit_record

    count, window = _count_denial(user.pk)
    if count > DENIALS_PER_WINDOW + 1:
        return
    membership = membership_for_request(request)
    payload = {
        "method": request.method,
        "path": _recorded_path(request),
        "status": status,
        "view": request.resolver_match.view_name if request.resolver_match else "",
    }
    verb = "authz_denied"
    if count == DENIALS_PER_WINDOW + 1:
        verb = "authz_denied_suppressed"
        payload |= {
            "limit": DENIALS_PER_WINDOW,
            "window_seconds": DENIAL_WINDOW_SECONDS,
            "window_ends": (window + 1) * DENIAL_WINDOW_SECONDS,
        }
    audit_record(
        actor=user,
        actor_role=membership.role if membership else "",
        verb=verb,
        object_type="http",
        object_id="",
        organization=membership.organization if membership else None,
        payload=payload,
    )


def _count_denial(user_id: int) -> tuple[int, int]:
    """Count one denial in the user's current window; return (count, window)."""
    window = int(time.time()) // DENIAL_WINDOW_SECONDS
    key = f"authz_denied:{user_id}:{window}"
    try:
        cache.add(key, 0, timeout=2 * DENIAL_WINDOW_SECONDS)
        try:
            return cache.incr(key), window
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=2 * DENIAL_WINDOW_SECONDS)
            return 1, window
    except Exception:
        # Without the cache, record every denial rather than none.
        logger.exception("Denial counter unavailable; recording without a limit")
        return 1, window


def _recorded_path(request) -> str:
    """Return the path without its query string, secrets in it masked, printable only."""
    path = request.path
    match = request.resolver_match
    if match is not None:
        for name, value in match.kwargs.items():
            if _SECRET_KWARG.search(name) and isinstance(value, str) and value:
                path = path.replace(value, f"<{name}>")
    path = "".join(ch for ch in path if ch.isprintable())
    return path[:_MAX_PATH]
