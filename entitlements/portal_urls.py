"""The customer portal's API access page: include under accounts/organization/api/."""

from django.urls import path

from . import views

app_name = "api_access"
urlpatterns = [
    path("", views.api_access, name="index"),
    path("keys/", views.key_create, name="key_create"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("webhooks/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/disable/", views.webhook_disable, name="webhook_disable"),
]
