from django.urls import path

from .views import intake, portal, reviewer, revocation

app_name = "reviews"
urlpatterns = [
    path("applications/", portal.application_list, name="application_list"),
    path("applications/new/", intake.application_new, name="application_new"),
    path("applications/<int:pk>/", portal.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/edit/<slug:step>/", intake.application_step, name="application_step"
    ),
    path("applications/<int:pk>/summary/", intake.application_summary, name="application_summary"),
    path("applications/<int:pk>/submit/", intake.application_submit, name="application_submit"),
    path("applications/<int:pk>/answer/", portal.application_answer, name="application_answer"),
    path(
        "applications/<int:pk>/withdraw/", portal.application_withdraw, name="application_withdraw"
    ),
    path("applications/<int:pk>/copy/", portal.application_copy, name="application_copy"),
    path(
        "applications/<int:pk>/reattest/", portal.application_reattest, name="application_reattest"
    ),
    path("applications/<int:pk>/documents/", portal.document_upload, name="document_upload"),
    path(
        "applications/<int:pk>/documents/<int:document_pk>/",
        portal.document_download,
        name="document_download",
    ),
    path("review/", reviewer.queue, name="queue"),
    path("review/metrics/", reviewer.metrics, name="metrics"),
    path("review/<int:pk>/", reviewer.review_detail, name="review_detail"),
    path("review/<int:pk>/approve/", reviewer.review_approve, name="review_approve"),
    path("review/<int:pk>/deny/", reviewer.review_deny, name="review_deny"),
    path("review/<int:pk>/escalate/", reviewer.review_escalate, name="review_escalate"),
    path("review/<int:pk>/request-info/", reviewer.review_request_info, name="review_request_info"),
    path("review/<int:pk>/claim/", reviewer.review_claim, name="review_claim"),
    path("review/<int:pk>/release/", reviewer.review_release, name="review_release"),
    path("review/<int:pk>/assign/", reviewer.review_assign, name="review_assign"),
    path(
        "review/<int:pk>/documents/<int:document_pk>/",
        reviewer.review_document_download,
        name="review_document_download",
    ),
    # Senior reviewers suspend, revoke or reinstate an approval's entitlements.
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
