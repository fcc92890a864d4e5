"""Read applications; the access chokepoints for customers and reviewers."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from accounts.selectors import user_is_reviewer, user_organization_ids

from .models import Application, Assessment


def _with_latest_assessment(queryset: QuerySet[Application]) -> QuerySet[Application]:
    latest = Assessment.objects.filter(application=OuterRef("pk")).order_by("-assessed_at", "-id")
    return queryset.annotate(
        latest_outcome=Subquery(latest.values("outcome")[:1]),
        latest_score=Subquery(latest.values("score")[:1]),
    )


def applications_for_organization(organization) -> QuerySet[Application]:
    """Return the organization's applications, newest first, with their latest outcome."""
    queryset = Application.objects.filter(organization=organization).select_related("created_by")
    return _with_latest_assessment(queryset).order_by("-submitted_at", "-id")


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
            status__in=[Application.Status.SUBMITTED, Application.Status.IN_REVIEW]
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


def decision_for(application: Application):
    """Return the approve-or-deny action on the application, if decided."""
    return application.actions.select_related("actor").filter(kind__in=["approve", "deny"]).first()
