"""Fixed-window rate limits for endpoints that send mail or store files.

Counters live in the Django cache (Redis in production through CACHE_URL; per process in
local development). A POST over the limit gets a 429 page with Retry-After.
"""

import functools
import time

from django.core.cache import cache
from django.shortcuts import render


def _client(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def over_limit(scope: str, ident: str, limit: int, period: int) -> int:
    """Count one attempt; return 0 if allowed, else the seconds until the window ends."""
    now = int(time.time())
    window = now // period
    key = f"ratelimit:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=period)
        count = 1
    return 0 if count <= limit else (window + 1) * period - now


def rate_limit(scope: str, *, limit: int, period: int):
    """Limit POSTs to the view to `limit` per `period` seconds per user (or per IP)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = over_limit(scope, _client(request), limit, period)
                if wait:
                    response = render(
                        request, "429.html", {"wait_minutes": max(1, wait // 60)}, status=429
                    )
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
