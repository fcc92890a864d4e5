"""The reviewer dashboard: the queue, an application's full picture, and the actions."""

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import user_is_policy_staff, user_is_reviewer, user_is_senior_reviewer
from audit.selectors import audit_events_for_object

from .. import selectors, services, workflow
from ..charts import bar_chart, line_chart
from ..forms import ApproveForm, DenyForm, EscalateForm, QueueFilterForm, RequestInfoForm
from ..metrics import review_metrics
from ..models import Application, Outcome
from .portal import send_document

PAGE_SIZE = 50
FORMS = {
    "approve": ApproveForm,
    "deny": DenyForm,
    "escalate": EscalateForm,
    "request_info": RequestInfoForm,
}


def _reviewer_or_404(request):
    if not user_is_reviewer(request.user):
        raise Http404("No such page.")


@login_required
@require_GET
def queue(request):
    _reviewer_or_404(request)
    form = QueueFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    page = selectors.review_queue_page(request.user, filters, request.GET.get("page"), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "applications": page.object_list,
        "counts": selectors.queue_counts(request.user),
        "filters": filters,
        "query": query.urlencode(),
        "now": timezone.now(),
        "reviewers": selectors.reviewers() if user_is_senior_reviewer(request.user) else [],
    }
    return render(request, "reviews/queue.html", context)


def _forms(application, bound_kind=None, data=None):
    return {
        kind: form_class(
            data if kind == bound_kind else None,
            application=application,
            action=reverse(f"reviews:review_{kind}", args=[application.pk]),
            kind=kind,
        )
        for kind, form_class in FORMS.items()
    }


def _render_review(request, application, forms, status=200):
    assessment = selectors.latest_assessment(application)
    state = application.status
    senior = user_is_senior_reviewer(request.user)
    context = {
        "application": application,
        "assessment": assessment,
        "changes": selectors.assessment_changes(application),
        "decision": selectors.decision_for(application),
        "votes": selectors.approval_votes(application, assessment),
        "forms": forms,
        "can_approve": workflow.allowed(state, "approve")
        and assessment is not None
        and assessment.outcome != Outcome.PROHIBITED
        and (senior or (state != "escalated" and assessment.outcome != Outcome.ESCALATE)),
        "can_deny": workflow.allowed(state, "deny") and assessment is not None,
        "can_escalate": workflow.allowed(state, "escalate"),
        "can_request_info": workflow.allowed(state, "request_info"),
        "is_senior": senior,
        "is_open": state in Application.OPEN,
        "events": audit_events_for_object(application),
        "requests": application.information_requests.select_related("asked_by", "answered_by"),
        "documents": selectors.documents_for(application),
        "other_applications": selectors.other_applications(application),
        "reviewers": selectors.reviewers() if user_is_senior_reviewer(request.user) else [],
    }
    return render(request, "reviews/review_detail.html", context, status=status)


@login_required
@require_GET
def review_detail(request, pk: int):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    return _render_review(request, application, _forms(application))


def _act(request, pk: int, kind: str, **fields):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    forms = _forms(application, kind, request.POST)
    form = forms[kind]
    if not form.is_valid():
        return _render_review(request, application, forms, status=400)
    data = form.cleaned_data
    try:
        result = services.review_act(
            actor=request.user,
            application_id=application.pk,
            kind=kind,
            now=timezone.now(),
            idempotency_key=data["idempotency_key"],
            version=data["version"],
            **{name: extract(data) for name, extract in fields.items()},
        )
    except services.ReviewError as error:
        messages.error(request, str(error))
        application.refresh_from_db()
        return _render_review(request, application, _forms(application), status=409)
    messages.success(request, f"{application.reference} {result.message}.")
    return redirect("reviews:queue")


def _end_of_day(day):
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


@login_required
@require_POST
def review_approve(request, pk: int):
    return _act(
        request,
        pk,
        "approve",
        reason=lambda d: d["reason"].strip(),
        conditions=lambda d: d["conditions"].strip(),
        expires_at=lambda d: _end_of_day(d["expires_on"]),
    )


@login_required
@require_POST
def review_deny(request, pk: int):
    return _act(
        request,
        pk,
        "deny",
        reason=lambda d: d["reason"].strip(),
        reason_codes=lambda d: list(d["reason_codes"]),
    )


@login_required
@require_POST
def review_escalate(request, pk: int):
    return _act(
        request,
        pk,
        "escalate",
        reason=lambda d: "Escalated to a senior reviewer.",
        internal_note=lambda d: d["note"].strip(),
    )


@login_required
@require_POST
def review_request_info(request, pk: int):
    return _act(request, pk, "request_info", reason=lambda d: d["questions"].strip())


def _assignment(request, pk: int, act, message: str):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    try:
        act(application)
    except services.ReviewError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, message.format(reference=application.reference))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("reviews:review_detail", args=[pk])
    return HttpResponseRedirect(target)


@login_required
@require_POST
def review_claim(request, pk: int):
    return _assignment(
        request,
        pk,
        lambda a: services.review_claim(
            actor=request.user, application_id=a.pk, now=timezone.now()
        ),
        "You work on {reference} now.",
    )


@login_required
@require_POST
def review_release(request, pk: int):
    return _assignment(
        request,
        pk,
        lambda a: services.review_release(
            actor=request.user, application_id=a.pk, now=timezone.now()
        ),
        "{reference} is back in the unassigned pile.",
    )


@login_required
@require_POST
def review_assign(request, pk: int):
    assignee = selectors.reviewer_get(request.POST.get("assignee"))

    def act(application):
        if assignee is None:
            raise services.ReviewError("Choose a reviewer.")
        services.review_assign(
            actor=request.user,
            application_id=application.pk,
            assignee=assignee,
            now=timezone.now(),
        )

    return _assignment(request, pk, act, "{reference} is assigned.")


@login_required
@require_GET
def review_document_download(request, pk: int, document_pk: int):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    document = selectors.document_get(application=application, pk=document_pk)
    return send_document(request, document, role="reviewer")


@login_required
@require_GET
def metrics(request):
    """Show senior reviewers and policy staff how the queue and the decisions go."""
    if not (user_is_senior_reviewer(request.user) or user_is_policy_staff(request.user)):
        raise Http404("No such page.")
    figures = review_metrics(now=timezone.now(), rule_outcomes=selectors.published_rule_outcomes())
    context = {
        "figures": figures,
        "queue_chart": line_chart(
            figures["queue"], title="Open applications per day, last 30 days"
        ),
        "outcome_chart": bar_chart(
            [(label.title(), count) for label, count in figures["outcomes"]],
            title="Decisions in the last 30 days",
        ),
        "rule_chart": bar_chart(figures["rule_hits"], title="Top rule hits, last 30 days"),
    }
    return render(request, "reviews/metrics.html", context)
