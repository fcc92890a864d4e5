"""The reviewer dashboard: the queue, an application's full picture, and the decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import user_is_reviewer
from audit.selectors import audit_events_for_object

from .. import selectors, services
from ..forms import DecisionForm
from ..models import Outcome, ReviewAction


def _decision_forms(application, data=None, kind=None):
    forms = {}
    buttons = {
        ReviewAction.Kind.APPROVE: ("Approve", "btn-success"),
        ReviewAction.Kind.DENY: ("Deny", "btn-danger"),
    }
    for each, (label, css) in buttons.items():
        action = reverse(f"reviews:review_{each}", args=[application.pk])
        forms[each] = DecisionForm(
            data if each == kind else None,
            prefix=each,
            submit_label=label,
            submit_class=css,
            action=action,
        )
    return forms


def _render_review(request, application, forms, status=200):
    assessment = selectors.latest_assessment(application)
    context = {
        "application": application,
        "assessment": assessment,
        "decision": selectors.decision_for(application),
        "approve_form": forms[ReviewAction.Kind.APPROVE],
        "deny_form": forms[ReviewAction.Kind.DENY],
        "can_decide": assessment is not None and not application.is_decided,
        "can_approve": assessment is not None and assessment.outcome != Outcome.PROHIBITED,
        "events": audit_events_for_object(application),
    }
    return render(request, "reviews/review_detail.html", context, status=status)


@login_required
@require_GET
def queue(request):
    if not user_is_reviewer(request.user):
        raise Http404("No such page.")
    return render(
        request, "reviews/queue.html", {"applications": selectors.review_queue(request.user)}
    )


@login_required
@require_GET
def review_detail(request, pk: int):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    return _render_review(request, application, _decision_forms(application))


def _decide(request, pk: int, kind: str):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    forms = _decision_forms(application, request.POST, kind)
    if not forms[kind].is_valid():
        return _render_review(request, application, forms, status=400)
    try:
        services.application_decide(
            actor=request.user,
            application_id=application.pk,
            kind=kind,
            reason=forms[kind].cleaned_data["reason"],
            now=timezone.now(),
        )
    except services.ReviewError as error:
        messages.error(request, str(error))
        application.refresh_from_db()
        return _render_review(request, application, forms, status=409)
    messages.success(
        request, f"{application.reference} was {'approved' if kind == 'approve' else 'denied'}."
    )
    return redirect("reviews:queue")


@login_required
@require_POST
def review_approve(request, pk: int):
    return _decide(request, pk, ReviewAction.Kind.APPROVE)


@login_required
@require_POST
def review_deny(request, pk: int):
    return _decide(request, pk, ReviewAction.Kind.DENY)
