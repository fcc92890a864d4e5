"""The customer portal: an organization's members follow and act on their applications."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Action
from accounts.selectors import membership_required
from config.ratelimit import rate_limit

from .. import documents, selectors, services
from ..forms import STEP_KEYS, AnswerForm, DocumentForm, facts_from_steps
from ..models import Application

PAGE_SIZE = 25
REATTEST_WINDOW_DAYS = 30


@login_required
@require_GET
def application_list(request):
    membership = membership_required(request)
    status = request.GET.get("status", "")
    if status not in Application.Status.values:
        status = ""
    applications = selectors.applications_for_organization(membership.organization, status=status)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "organization": membership.organization,
        "page": page,
        "applications": page.object_list,
        "status": status,
        "statuses": Application.Status.choices,
        "counts": selectors.status_counts(membership.organization),
    }
    return render(request, "reviews/application_list.html", context)


def _member_application(request, pk: int, action=None):
    return selectors.application_get_for_member(request, pk, action)


def _detail_context(application, membership, answer_form=None) -> dict:
    answer_url = reverse("reviews:application_answer", args=[application.pk])
    upload_url = reverse("reviews:document_upload", args=[application.pk])
    return {
        "application": application,
        "membership": membership,
        "timeline": selectors.customer_timeline(application),
        "decision": selectors.decision_for(application),
        "open_request": selectors.open_information_request(application),
        "requests": application.information_requests.all(),
        "documents": selectors.documents_for(application),
        "answer_form": answer_form or AnswerForm(action=answer_url),
        "document_form": DocumentForm(action=upload_url),
        "can_withdraw": application.status in Application.OPEN,
        "can_reattest": application.status == "expired"
        or (
            application.status == "approved"
            and application.expires_at is not None
            and application.expires_at - timezone.now() <= timedelta(days=REATTEST_WINDOW_DAYS)
        ),
    }


@login_required
@require_GET
def application_detail(request, pk: int):
    membership, application = _member_application(request, pk)
    if application.is_draft:
        step = application.current_step or STEP_KEYS[0]
        return redirect("reviews:application_step", application.pk, step)
    context = _detail_context(application, membership)
    return render(request, "reviews/application_detail.html", context)


@login_required
@require_POST
def application_answer(request, pk: int):
    membership, application = _member_application(request, pk, Action.FILE_APPLICATIONS)
    form = AnswerForm(request.POST, action=request.path)
    # Declarations were made at submission; an answer only revisits the facts.
    facts, _forms, invalid = facts_from_steps(
        application.organization, application.draft_data, skip=("declarations",)
    )
    if form.is_valid() and not invalid:
        try:
            services.information_request_answer(
                actor=request.user,
                membership=membership,
                application_id=application.pk,
                answer=form.cleaned_data["answer"],
                facts=facts,
                now=timezone.now(),
            )
        except services.ReviewError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your answer was sent; the application is assessed again.")
        return redirect(application)
    if invalid:
        messages.error(request, "Some steps of the application are incomplete; correct them first.")
    context = _detail_context(application, membership, answer_form=form)
    return render(request, "reviews/application_detail.html", context, status=400)


def _lifecycle(request, pk: int, act, message: str):
    membership, application = _member_application(request, pk, Action.FILE_APPLICATIONS)
    try:
        result = act(actor=request.user, membership=membership, application=application)
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(application)
    messages.success(request, message.format(reference=result.reference))
    return redirect(result)


@login_required
@require_POST
def application_withdraw(request, pk: int):
    def act(actor, membership, application):
        return services.application_withdraw(
            actor=actor, membership=membership, application_id=application.pk, now=timezone.now()
        )

    return _lifecycle(request, pk, act, "{reference} was withdrawn.")


@login_required
@require_POST
def application_copy(request, pk: int):
    def act(actor, membership, application):
        return services.application_copy(
            actor=actor, membership=membership, source=application, now=timezone.now()
        )

    return _lifecycle(request, pk, act, "{reference} is a new draft with the same facts.")


@login_required
@require_POST
def application_reattest(request, pk: int):
    def act(actor, membership, application):
        return services.application_copy(
            actor=actor, membership=membership, source=application, now=timezone.now(), renew=True
        )

    return _lifecycle(
        request, pk, act, "{reference} renews the approval: check the facts, then submit."
    )


@login_required
@require_POST
@rate_limit("upload", limit=30, period=3600)
def document_upload(request, pk: int):
    membership, application = _member_application(request, pk, Action.FILE_APPLICATIONS)
    form = DocumentForm(request.POST, request.FILES, action=request.path)
    if form.is_valid():
        try:
            services.document_add(
                actor=request.user,
                role=membership.role,
                application=application,
                upload=form.cleaned_data["file"],
                now=timezone.now(),
            )
        except (services.ReviewError, documents.DocumentRejected) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The document was added.")
    else:
        for error in form.errors.get("file", []):
            messages.error(request, error)
    return redirect(application)


@login_required
@require_GET
def document_download(request, pk: int, document_pk: int):
    membership, application = _member_application(request, pk)
    document = selectors.document_get(application=application, pk=document_pk)
    return send_document(request, document, role=membership.role)


def send_document(request, document, *, role: str):
    """Serve a stored document as a download, never rendered inline, and record it."""
    try:
        handle = documents.open_stored(document.stored_name)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    services.document_record_download(actor=request.user, role=role, document=document)
    response = FileResponse(
        handle, as_attachment=True, filename=document.name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
