"""The API's URLs: include with `path("api/", include("entitlements.urls"))` in config/urls.py.

Gives /api/schema/ (the OpenAPI document) and /api/v1/…, in the `api` namespace.
"""

from .api import api
from .calls import logged

patterns, _app, _namespace = api.urls
app_name = "api"  # the namespace: reverse("api:entitlement_check")
for pattern in patterns:
    pattern.callback = logged(pattern.callback)

urlpatterns = patterns
