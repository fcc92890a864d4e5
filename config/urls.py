from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from accounts.security import one_attempt_at_a_time
from config.health import healthz

admin.site.site_header = "Gatehouse policy administration"
admin.site.site_title = "Gatehouse admin"
# Sign-in attempts for one address and client take turns, so a burst cannot outrun the lockout.
admin.site.login = one_attempt_at_a_time(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("accounts/organization/api/", include("entitlements.portal_urls")),
    path("", include("reviews.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("entitlements.urls")),
]

# A database outage met before any view (in a middleware) gets the friendly 503 too.
handler500 = "config.errors.server_error"
