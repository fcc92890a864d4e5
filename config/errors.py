"""Answer a database outage with a friendly 503 page instead of an error trace."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("gatehouse.errors")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable: %s", exception)
            body = render_to_string("503.html")
            response = HttpResponse(body, status=503)
            response["Retry-After"] = "30"
            return response
        return None
