"""Read applications; the access chokepoints for customers and reviewers."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.selectors import user_is_reviewer, user_organization_ids
from audit.models import AuditEvent
from reviews.decision import evaluate, parse_facts

from .models import Application, Assessment, Document, InformationRequest, ReviewAction
from .policy import published_policy


def _with_latest_assessment(queryset: QuerySet[Application]) -> QuerySet[Application]:
    latest = Assessment.objects.filter(application=OuterRef("pk")).order_by("-assessed_at", "-id")
    return queryset.annotate(
        latest_outcome=Subquery(latest.values("outcome")[:1]),
        latest_score=Subquery(latest.values("score")[:1]),
    )


def applications_for_organization(organization, *, status: str = "") -> QuerySet[Application]:
    """Return the organization's applications, newest first, optionally of one status."""
    queryset = Application.objects.filter(organization=organization).select_related("created_by")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def status_counts(organization) -> dict[str, int]:
    """Return how many of the organization's applications are in each status."""
    rows = (
        Application.objects.filter(organization=organization)
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    return dict(rows)


def application_version(pk: int) -> int:
    return Application.objects.values_list("version", flat=True).get(pk=pk)


def application_get_for_member(*, organization, pk: int) -> Application:
    """Return the organization's application, or 404 for one that is missing or not theirs."""
    try:
        return Application.objects.select_related("organization", "created_by").get(
            pk=pk, organization=organization
        )
    except Application.DoesNotExist:
        raise Http404("No such application.") from None


def review_queue(user) -> QuerySet[Application]:
    """Return the undecided applications the reviewer may act on, riskiest first."""
    queryset = (
        Application.objects.filter(
            status__in=[
                Application.Status.SUBMITTED,
                Application.Status.IN_REVIEW,
                Application.Status.ESCALATED,
            ]
        )
        .exclude(organization_id__in=user_organization_ids(user))
        .select_related("organization")
    )
    return _with_latest_assessment(queryset).order_by("-latest_score", "submitted_at", "id")


def application_get_for_reviewer(*, user, pk: int) -> Application:
    """Return an application a reviewer may see, or 404 for missing, forbidden or conflicted."""
    if not user_is_reviewer(user):
        raise Http404("No such application.")
    try:
        return (
            Application.objects.select_related("organization", "created_by")
            .exclude(organization_id__in=user_organization_ids(user))
            .get(pk=pk)
        )
    except Application.DoesNotExist:
        raise Http404("No such application.") from None


def latest_assessment(application: Application) -> Assessment | None:
    """Return the application's most recent assessment, if it has been assessed."""
    return (
        application.assessments.select_related("policy_version__policy")
        .order_by("-assessed_at", "-id")
        .first()
    )


def decision_for(application: Application) -> ReviewAction | None:
    """Return the approve-or-deny action on the application, if decided."""
    return (
        application.actions.select_related("actor")
        .prefetch_related("reason_codes")
        .filter(kind__in=["approve", "deny"])
        .first()
    )


def preview_assessment(facts: dict):
    """Evaluate facts under the published policy, storing nothing (the applicant's own check)."""
    _version, policy = published_policy()
    return evaluate(policy, parse_facts(facts), now=timezone.now())


def open_information_request(application: Application) -> InformationRequest | None:
    return application.information_requests.filter(answered_at__isnull=True).first()


def documents_for(application: Application) -> QuerySet[Document]:
    return application.documents.select_related("uploaded_by")


def document_get(*, application: Application, pk: int) -> Document:
    """Return a document of an application the caller may already see, or 404."""
    try:
        return application.documents.get(pk=pk)
    except Document.DoesNotExist:
        raise Http404("No such document.") from None


# What customers see of an application's history: these events, labelled; never notes.
CUSTOMER_EVENTS = {
    "application.draft_created": "Draft started",
    "application.submitted": "Submitted",
    "application.assessed": "Assessed against the policy",
    "application.reassessed": "Assessed again under a new policy version",
    "application.information_requested": "Information requested",
    "application.information_provided": "Information provided",
    "application.escalated": "Escalated to a senior reviewer",
    "application.approved": "Approved",
    "application.denied": "Denied",
    "application.withdrawn": "Withdrawn",
    "application.expired": "Approval expired",
    "application.flagged_for_rereview": "Sent back for re-review",
    "document.uploaded": "Document added",
}


def customer_timeline(application: Application) -> list[dict]:
    """Return the customer-visible history of the application, oldest first."""
    events = AuditEvent.objects.filter(
        object_type=application._meta.label_lower,
        object_id=str(application.pk),
        verb__in=list(CUSTOMER_EVENTS),
    ).only("verb", "occurred_at", "payload")
    return [
        {
            "label": CUSTOMER_EVENTS[event.verb],
            "at": event.occurred_at,
            "detail": event.payload.get("name", "") if event.verb == "document.uploaded" else "",
        }
        for event in events.order_by("seq")
    ]
