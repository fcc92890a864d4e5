"""The request context (request id, client IP) that audit events carry."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_EMPTY = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("audit_request_context", default=None)


def current_context() -> RequestContext:
    """Return the context of the request being served, or an empty one outside requests."""
    return _current.get() or _EMPTY


def set_context(context: RequestContext):
    """Set the context for the current request; return a token to reset it."""
    return _current.set(context)


def reset_context(token) -> None:
    _current.reset(token)
