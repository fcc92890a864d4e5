"""Keep signed-in pages out of shared and browser caches."""

from django.utils.cache import add_never_cache_headers


class PrivatePagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class CleanHeadersMiddleware:
    """Drop control characters from headers the app stores (PostgreSQL text refuses NUL)."""

    _STORED = ("HTTP_USER_AGENT", "HTTP_X_REQUEST_ID")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in self._STORED:
            value = request.META.get(name)
            if value:
                request.META[name] = "".join(ch for ch in value if ch >= " ")[:512]
        return self.get_response(request)
