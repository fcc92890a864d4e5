"""Read applications; the access chokepoints for customers and reviewers."""

from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, prefetch_related_objects
from django.db.models.fields.json import KT
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Organization
from accounts.selectors import (
    MEMBERSHIP_COLUMNS,
    membership_required,
    memberships_known,
    memberships_remember,
    memberships_sql,
    user_is_reviewer,
    user_organization_ids,
)
from audit.models import AuditEvent
from audit.selectors import audit_events_for_object
from config.rows import ID_RANGE, Columns, fetch, for_update
from reviews.decision import evaluate, parse_facts

from .models import Application, Assessment, Document, InformationRequest, ReviewAction
from .policy import published_policy


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


# Every customer page of an application, and every draft step (the busiest customer write),
# reads it: fixed SQL, not the ORM (config/rows.py says why). Usually together with the
# user's memberships, the current organization's row carrying the application's columns;
# alone when the request has read the memberships already, or for a service's lock.
APPLICATION_COLUMNS = Columns(Application, "a")
_MEMBER_APPLICATION_SQL = memberships_sql(
    also=f", {APPLICATION_COLUMNS.sql}",
    join=f"LEFT JOIN {APPLICATION_COLUMNS.table} "
    "ON a.organization_id = m.organization_id AND a.id = %s",
)
_APPLICATION_SQL = (
    f"SELECT {APPLICATION_COLUMNS.sql} FROM {APPLICATION_COLUMNS.table} "  # noqa: S608
    "WHERE a.id = %s AND a.organization_id = %s"
)


def application_get_for_member(request, pk: int, action=None) -> tuple[Membership, Application]:
    """Return the current membership (see `membership_required`: 404 without one, 403 when its
    role may not do `action`) and its organization's application, or 404 for one that is
    missing or not theirs: the customer's one way to an application.

    The application comes with the membership's organization as its organization (every
    customer page of it reads it), not with its author (no page shows it)."""
    user = request.user
    if pk not in ID_RANGE or not user.is_authenticated or memberships_known(user):
        membership = membership_required(request, action)
        try:
            return membership, application_in(membership.organization, pk)
        except Application.DoesNotExist:
            raise Http404("No such application.") from None
    rows = fetch(_MEMBER_APPLICATION_SQL, [pk, user.pk])
    memberships = memberships_remember(user, rows)
    membership = membership_required(request, action)
    row = next(row for row, member in zip(rows, memberships, strict=True) if member is membership)
    if row[MEMBERSHIP_COLUMNS] is None:
        raise Http404("No such application.")
    return membership, _of(membership.organization, row[MEMBERSHIP_COLUMNS:])


def application_in(organization, pk: int, *, lock: bool = False) -> Application:
    """Return the organization's application, or raise Application.DoesNotExist for one that is
    missing or not theirs; `lock` locks its row for the caller's transaction (a service's
    write). Customers' pages go through `application_get_for_member`."""
    sql = _APPLICATION_SQL + (for_update() if lock else "")
    rows = fetch(sql, [pk, organization.pk]) if pk in ID_RANGE else []
    if not rows:
        raise Application.DoesNotExist("Application matching query does not exist.")
    return _of(organization, rows[0])


def _of(organization, values) -> Application:
    application = APPLICATION_COLUMNS.load(values)
    Application.organization.field.set_cached_value(application, organization)
    return application


QUEUE_STATUSES = ("submitted", "in_review", "escalated", "info_requested")
# What a queue row shows, and nothing else: each column loaded is converted for 50 rows.
QUEUE_COLUMNS = (
    "title",
    "status",
    "latest_outcome",
    "latest_score",
    "sla_due_at",
    "organization__name",
    "organization__country",
    "assignee__full_name",
    "assignee__email",
)
# Below this OFFSET, whole rows along the index cost less than ids first, then rows.
QUEUE_SHALLOW_OFFSET = 200
QUEUE_SORTS = {
    "risk": ("-latest_score", "sla_due_at", "id"),
    "sla": ("sla_due_at", "-latest_score", "id"),
    "submitted": ("submitted_at", "id"),
    "newest": ("-submitted_at", "-id"),
}


def _organization_lookup(value) -> dict:
    """Return the lookup for an organization filter: the id if all digits, else part of the name.

    URLs made for the old list of organizations carry an id; reviewers type part of a name.
    """
    text = str(value).strip()
    if text.isascii() and text.isdigit() and int(text) < 2**63:  # beyond any bigint: a name
        return {"pk": int(text)}
    return {"name__icontains": text}


def _queue_organizations(user, value) -> QuerySet[Organization]:
    """Return the organizations a queue filter names, the reviewer's own left out."""
    return Organization.objects.exclude(pk__in=user_organization_ids(user)).filter(
        **_organization_lookup(value)
    )


def queue_organization_exists(user, value) -> bool:
    """Return whether the queue's organization filter names an organization the user may review."""
    return _queue_organizations(user, value).exists()


def _queue_statuses(filters: dict) -> list[str]:
    if filters.get("status") in QUEUE_STATUSES:
        return [filters["status"]]
    return [s for s in QUEUE_STATUSES if s != "info_requested"]  # what a reviewer can act on


def review_queue(user, filters: dict | None = None) -> QuerySet[Application]:
    """Return the open applications the reviewer may act on, filtered and sorted.

    `filters` keys: status, outcome, rule, capability, country, organization (an id, or
    part of a name), assignee ("me", "none" or a user id), older_than (days), sort (a key
    of QUEUE_SORTS).
    """
    filters = filters or {}
    # One plain status condition (not IN-then-exclude), so that PostgreSQL can prove it
    # implies the open-applications predicate of the queue's partial indexes.
    queryset = (
        Application.objects.filter(status__in=_queue_statuses(filters))
        .exclude(organization_id__in=user_organization_ids(user))
        .select_related("organization", "assignee")
        .only(*QUEUE_COLUMNS)
    )
    if filters.get("outcome"):
        queryset = queryset.filter(latest_outcome=filters["outcome"])
    if filters.get("rule"):
        queryset = queryset.filter(latest_rules__contains=f",{filters['rule']},")
    if filters.get("capability"):
        queryset = queryset.filter(capability_codes__contains=f",{filters['capability']},")
    if filters.get("country"):
        queryset = queryset.filter(organization__country=filters["country"])
    if filters.get("organization"):
        # The ids first: PostgreSQL cannot tell how many names match a pattern, and for a
        # common word it sorted thousands of joined rows (40 ms); with the list it knows.
        organizations = _queue_organizations(user, filters["organization"])
        queryset = queryset.filter(
            organization_id__in=list(organizations.values_list("pk", flat=True))
        )
    assignee = filters.get("assignee")
    if assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee_id=assignee)
    if filters.get("older_than"):
        queryset = queryset.filter(
            submitted_at__lte=timezone.now() - timedelta(days=int(filters["older_than"]))
        )
    return queryset.order_by(*QUEUE_SORTS.get(filters.get("sort", ""), QUEUE_SORTS["risk"]))


def review_queue_page(
    user, filters: dict | None, number, per_page: int = 50, counts: dict | None = None
):
    """Return one page of the queue, cheap at any depth.

    The first pages are read whole in one query along the sort's index. Deeper, the
    page's ids come from the sort's covering index alone (OFFSET over an index-only scan
    reads index entries, not rows), then only those rows are loaded, in that order.
    `counts` (from `queue_counts`) spares the paginator its COUNT when the page is filtered
    by status at most.
    """
    filters = filters or {}
    queryset = review_queue(user, filters)
    paginator = Paginator(queryset.values_list("pk", flat=True), per_page)
    # The code as stored: the field's descriptor builds a Country object per access.
    queryset = queryset.annotate(country_code=F("organization__country"))
    if counts is not None and set(filters) <= {"status", "sort"}:
        paginator.count = sum(counts.get(status, 0) for status in _queue_statuses(filters))
    page = paginator.get_page(number)
    offset = (page.number - 1) * per_page
    if offset < QUEUE_SHALLOW_OFFSET:
        page.object_list = list(queryset[offset : offset + per_page])
    else:
        ids = list(page.object_list)
        rows = queryset.order_by().in_bulk(ids)
        page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


def queue_counts(user) -> dict[str, int]:
    """Return how many applications the reviewer may see are in each open status."""
    rows = (
        Application.objects.filter(status__in=QUEUE_STATUSES)
        .exclude(organization_id__in=user_organization_ids(user))
        .values("status")
        .annotate(count=Count("*"))  # not Count("id"): PostgreSQL reads no column to count
        .values_list("status", "count")
    )
    return dict(rows)


def application_get_for_reviewer(*, user, pk: int) -> Application:
    """Return an application a reviewer may see, or 404 for missing, forbidden or conflicted."""
    if not user_is_reviewer(user):
        raise Http404("No such application.")
    try:
        return (
            Application.objects.select_related("organization", "created_by")
            .exclude(status="draft")  # drafts belong to their organization until submitted
            .exclude(organization_id__in=user_organization_ids(user))
            .get(pk=pk)
        )
    except Application.DoesNotExist:
        raise Http404("No such application.") from None


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


def review_assessments(application: Application) -> tuple[Assessment | None, dict | None]:
    """Return the latest assessment and what changed since the one before, in one query."""
    recent = list(
        application.assessments.select_related("policy_version__policy")
        # The page shows the version's number and hash, not its golden cases (kilobytes).
        .defer("policy_version__golden_cases", "policy_version__notes")
        .order_by("-assessed_at", "-id")[:2]
    )
    latest, previous = [*recent, None, None][:2]
    return latest, _changes(latest, previous)


def review_decision_and_votes(
    application: Application, assessment
) -> tuple[ReviewAction | None, list[ReviewAction]]:
    """Return the approve-or-deny action, if decided, and the first approvals recorded
    under the latest assessment (four eyes), in one query."""
    wanted = Q(kind__in=["approve", "deny"])
    if assessment is not None:
        wanted |= Q(kind="approval_vote", assessment=assessment)
    actions = list(application.actions.filter(wanted).select_related("actor"))
    decision = next((a for a in actions if a.kind in ("approve", "deny")), None)
    if decision is not None:
        prefetch_related_objects([decision], "reason_codes")
    return decision, [a for a in actions if a.kind == "approval_vote"]


def review_events(application: Application) -> QuerySet[AuditEvent]:
    """Return the application's audit events with only what the review page shows: of the
    payload, the reviewer's internal note alone (a submission's payload holds all the facts,
    decoded for nothing before)."""
    return (
        audit_events_for_object(application)
        .select_related(None)
        .only("occurred_at", "actor_label", "verb")
        .annotate(internal_note=KT("payload__internal_note"))
    )


def _changes(latest: Assessment | None, previous: Assessment | None) -> dict | None:
    """Return what changed between two assessments: facts, outcome and rules."""
    if latest is None or previous is None:
        return None
    before, after = previous.facts or {}, latest.facts or {}
    facts = [
        {"fact": key, "before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
    rules_before = {hit["rule"] for hit in previous.hits}
    rules_after = {hit["rule"] for hit in latest.hits}
    return {
        "previous": previous,
        "facts": facts,
        "outcome": (previous.outcome, latest.outcome),
        "added": sorted(rules_after - rules_before),
        "removed": sorted(rules_before - rules_after),
    }


def other_applications(application: Application) -> QuerySet[Application]:
    return (
        Application.objects.filter(organization_id=application.organization_id)
        .exclude(pk=application.pk)
        .exclude(status="draft")
        .only("id", "title", "status", "submitted_at")  # a list of links, not the facts
        .order_by("-submitted_at")[:20]
    )


def reviewers():
    """Return the people who can be assigned applications."""
    from accounts.models import StaffGroup, User

    return (
        User.objects.filter(
            is_active=True, groups__name__in=[StaffGroup.REVIEWER, StaffGroup.SENIOR_REVIEWER]
        )
        .distinct()
        .order_by("email")
    )


def reviewer_get(pk):
    """Return the reviewer with this id, or None."""
    text = str(pk or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:  # beyond any bigint id
        return None
    return reviewers().filter(pk=int(pk)).first()


def published_rule_outcomes() -> dict[str, str]:
    """Return {rule id: outcome} for the published policy version's rules."""
    from .models import Rule

    return dict(
        Rule.objects.filter(policy_version__status="published").values_list("rule_id", "outcome")
    )


def overdue_applications(*, now):
    """Return open applications whose SLA has passed (not those waiting on the applicant)."""
    return (
        Application.objects.filter(
            status__in=("submitted", "in_review", "escalated"), sla_due_at__lt=now
        )
        .select_related("organization", "assignee")
        .order_by("sla_due_at")
    )
