"""End signed-in sessions after a spell of inactivity and after a fixed lifetime.

Django's session cookie age alone cannot do either: the server-side expiry moves forward
whenever the session is saved. The middleware keeps two timestamps in the session, when it
was first seen signed in and when it was last active, and signs the person out when
SESSION_IDLE_TIMEOUT (default 30 minutes) or SESSION_ABSOLUTE_TIMEOUT (default 12 hours)
has passed. The next page then asks them to sign in, keeping where they were going as
`next`, and the sign-in page says why.

The clocks start at sign-in (`start_clocks`, on Django's user_logged_in signal; `connect()`
is called from AccountsConfig.ready), so the first pages after it cost no extra write. A
signed-in session without them (one from before this middleware) gets them on its next
request. The last-active stamp is refreshed at most once a minute, so that reading pages does
not write the session on every request; an idle timeout can therefore end up to a minute
early.
"""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.utils import timezone

from . import services

STARTED_KEY = "_gatehouse_session_started"
SEEN_KEY = "_gatehouse_session_seen"
EXPIRED_KEY = "_gatehouse_session_expired"
SEEN_RESOLUTION = 60  # seconds between refreshes of the last-active stamp

IDLE, ABSOLUTE = "idle", "absolute"


def idle_timeout() -> int:
    return getattr(settings, "SESSION_IDLE_TIMEOUT", 30 * 60)


def absolute_timeout() -> int:
    return getattr(settings, "SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)


def expiry_reason(session, now: float) -> str | None:
    """Return why the signed-in session has expired (IDLE or ABSOLUTE), or None."""
    started, seen = session.get(STARTED_KEY), session.get(SEEN_KEY)
    if started is None or seen is None:
        return None
    if now - started >= absolute_timeout():
        return ABSOLUTE
    if now - seen >= idle_timeout():
        return IDLE
    return None


def pop_expiry_notice(request) -> str:
    """Return, once, the sentence telling the person why they were signed out, or ""."""
    reason = request.session.pop(EXPIRED_KEY, None)
    if reason == IDLE:
        minutes = max(1, idle_timeout() // 60)
        return f"Your session expired after {minutes} minutes without activity. Sign in again."
    if reason == ABSOLUTE:
        hours = max(1, absolute_timeout() // 3600)
        return f"Your session expired: sessions last at most {hours} hours. Sign in again."
    return ""


class SessionTimeoutMiddleware:
    """Sign out a session that has been idle or alive too long; stamp the others.

    Goes right after AuthenticationMiddleware, so that nothing after it (the two-factor
    check, the views) sees the expired user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = timezone.now().timestamp()
        if request.user.is_authenticated:
            reason = expiry_reason(request.session, now)
            if reason is not None:
                services.session_expired(user=request.user, reason=reason)
                # logout() flushes the session (the old key is dead) and records the sign-out.
                logout(request)
                request.session[EXPIRED_KEY] = reason
        response = self.get_response(request)
        # After the view too: a session signed in before the clocks existed gets them now.
        if request.user.is_authenticated:
            _stamp(request.session, now)
        return response


def _stamp(session, now: float) -> None:
    session.setdefault(STARTED_KEY, now)
    if now - session.get(SEEN_KEY, 0) >= SEEN_RESOLUTION:
        session[SEEN_KEY] = now


def start_clocks(sender, request, user, **kwargs) -> None:
    """Start a new sign-in's clocks in the session that login() is about to save."""
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[STARTED_KEY] = now
        request.session[SEEN_KEY] = now


def connect() -> None:
    user_logged_in.connect(start_clocks, dispatch_uid="gatehouse_session_clocks")


def disconnect() -> None:
    user_logged_in.disconnect(dispatch_uid="gatehouse_session_clocks")
