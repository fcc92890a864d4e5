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

from .. import selectors, services, workflow
from ..forms import DecisionForm, RequestInfoForm
from ..models import Outcome, ReviewAction
from .portal import send_document


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


def _render_review(request, application, forms, status=200, info_form=None):
    assessment = selectors.latest_assessment(application)
    info_action = reverse("reviews:review_request_info", args=[application.pk])
    context = {
        "application": application,
        "assessment": assessment,
        "decision": selectors.decision_for(application),
        "approve_form": forms[ReviewAction.Kind.APPROVE],
        "deny_form": forms[ReviewAction.Kind.DENY],
        "can_decide": assessment is not None and workflow.allowed(application.status, "approve"),
        "can_approve": assessment is not None and assessment.outcome != Outcome.PROHIBITED,
        "events": audit_events_for_object(application),
        "info_form": info_form or RequestInfoForm(action=info_action),
        "can_request_info": workflow.allowed(application.status, "request_info"),
        "requests": application.information_requests.select_related("asked_by", "answered_by"),
        "documents": selectors.documents_for(application),
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


@login_required
@require_POST
def review_request_info(request, pk: int):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    form = RequestInfoForm(request.POST, action=request.path)
    if not form.is_valid():
        return _render_review(request, application, _decision_forms(application), 400, form)
    try:
        services.information_request_create(
            actor=request.user,
            application_id=application.pk,
            questions=form.cleaned_data["questions"],
            now=timezone.now(),
        )
    except services.ReviewError as error:
        messages.error(request, str(error))
        application.refresh_from_db()
        return _render_review(request, application, _decision_forms(application), 409, form)
    messages.success(request, f"The questions on {application.reference} were sent.")
    return redirect("reviews:queue")


@login_required
@require_GET
def review_document_download(request, pk: int, document_pk: int):
    application = selectors.application_get_for_reviewer(user=request.user, pk=pk)
    document = selectors.document_get(application=application, pk=document_pk)
    return send_document(request, document, role="reviewer")
