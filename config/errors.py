"""Answer a database outage with a friendly 503 page instead of an error trace."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("gatehouse.errors")


def database_unavailable() -> HttpResponse:
    """The friendly 503 page: the database is away, nothing submitted is lost."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request) -> HttpResponse:
    """handler500: a database outage met outside any view (in a middleware) still gets the 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        logger.error("Database unavailable: %s", exception)
        return database_unavailable()
    return HttpResponse(render_to_string("500.html"), status=500)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable: %s", exception)
            return database_unavailable()
        return None
