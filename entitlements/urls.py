"""The API's URLs: include with `path("api/", include("entitlements.urls"))` in config/urls.py.

Gives /api/schema/ (the OpenAPI document) and /api/v1/…, in the `api` namespace.
"""

from django.http import Http404
from django.views.decorators.http import require_GET

from .api import api
from .calls import logged

patterns, _app, _namespace = api.urls


def _no_page(request):
    raise Http404("The API's documentation is docs/api.md and /api/schema/.")


app_name = "api"  # the namespace: reverse("api:entitlement_check")
for pattern in patterns:
    if pattern.name == "api-root":  # the docs' home, and the docs are off (api.py): no page
        pattern.callback = require_GET(_no_page)
    elif pattern.name == "openapi-json":  # Ninja serves the schema to every method
        pattern.callback = require_GET(pattern.callback)
    pattern.callback = logged(pattern.callback)

urlpatterns = patterns
