from django.urls import path

from .views import portal, reviewer

app_name = "reviews"
urlpatterns = [
    path("applications/", portal.application_list, name="application_list"),
    path("applications/new/", portal.application_new, name="application_new"),
    path("applications/<int:pk>/", portal.application_detail, name="application_detail"),
    path("review/", reviewer.queue, name="queue"),
    path("review/<int:pk>/", reviewer.review_detail, name="review_detail"),
    path("review/<int:pk>/approve/", reviewer.review_approve, name="review_approve"),
    path("review/<int:pk>/deny/", reviewer.review_deny, name="review_deny"),
]
