from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from config.health import healthz

admin.site.site_header = "Gatehouse policy administration"
admin.site.site_title = "Gatehouse admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("reviews.urls")),
    path("admin/", admin.site.urls),
]
