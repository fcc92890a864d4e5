"""The project's URLs plus the API and the revocation pages, until config/urls.py and
reviews/urls.py list them (the exact lines are in docs/api.md's integration notes)."""

from django.urls import URLResolver, include, path

from config.urls import urlpatterns as project_urlpatterns
from reviews.urls import urlpatterns as review_urlpatterns
from reviews.views import revocation

REVOCATION = [
    path(
        "review/<int:pk>/entitlements/",
        revocation.entitlements_manage,
        name="review_entitlements",
    ),
    path(
        "review/<int:pk>/entitlements/suspend/",
        revocation.entitlements_suspend,
        name="review_entitlements_suspend",
    ),
    path(
        "review/<int:pk>/entitlements/revoke/",
        revocation.entitlements_revoke,
        name="review_entitlements_revoke",
    ),
    path(
        "review/<int:pk>/entitlements/reinstate/",
        revocation.entitlements_reinstate,
        name="review_entitlements_reinstate",
    ),
]


def _is_reviews(entry) -> bool:
    return isinstance(entry, URLResolver) and entry.namespace == "reviews"


urlpatterns = [
    path("", include(([*review_urlpatterns, *REVOCATION], "reviews"))) if _is_reviews(e) else e
    for e in project_urlpatterns
] + [path("api/", include("entitlements.urls"))]
