"""The reviewer dashboard: the queue, an application's full picture, and the actions."""

import uuid
from datetime import datetime, time

from crispy_forms.utils import render_crispy_form
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import user_is_policy_staff, user_is_reviewer, user_is_senior_reviewer

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


# No application has this id: its digits stand for the id in a URL reversed once per page.
_ANY_ID = 987_654_321_987_654_321


def _prepare_rows(applications) -> list[Application]:
    """Give each listed application its links and status label, worked out once per list.

    Two reverse() per list instead of two per row, and a label from a dict instead of
    get_status_display(): per row, in the template, these were a third of the queue.
    """
    review = reverse("reviews:review_detail", args=[_ANY_ID]).replace(str(_ANY_ID), "{}")
    claim = reverse("reviews:review_claim", args=[_ANY_ID]).replace(str(_ANY_ID), "{}")
    labels = dict(Application.Status.choices)
    for application in applications:
        application.review_url = review.format(application.pk)
        application.claim_url = claim.format(application.pk)
        application.status_label = labels.get(application.status, application.status)
    return applications


def _timeline(application) -> list:
    """Return the application's audit events, each with its time as the page shows it.

    The same as the date filter's "j M Y H:i:s" in the current time zone, which took 30 µs
    an event: the busiest applications have fifty.
    """
    events = list(selectors.review_events(application))
    for event in events:
        at = timezone.localtime(event.occurred_at)
        event.stamp = f"{at.day} {MONTHS_3[at.month].title()} {at.year:04d} {at:%H:%M:%S}"
    return events


@login_required
@require_GET
def queue(request):
    _reviewer_or_404(request)
    form = QueueFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    counts = selectors.queue_counts(request.user)
    page = selectors.review_queue_page(
        request.user, filters, request.GET.get("page"), PAGE_SIZE, counts=counts
    )
    _prepare_rows(page.object_list)
    if (
        not page.object_list
        and "organization" in filters
        and not selectors.queue_organization_exists(request.user, filters["organization"])
    ):
        form.mark_organization_unmatched()
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "applications": page.object_list,
        "counts": counts,
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


# Stand-ins for what differs between two renderings of an unbound action form.
_STAND_IN_KEY = uuid.UUID("5ca1ab1e-0000-4000-8000-000000000000")
_STAND_IN_VERSION = 424_242_424
_STAND_IN_TOKEN = "stand-in-csrf-token"  # noqa: S105 - replaced by the real one
_rendered_forms: dict[tuple[str, str], tuple[tuple, str]] = {}


def _database_part(form) -> tuple:
    """Return what an action form shows from the database: the reason codes of a denial."""
    field = form.fields.get("reason_codes")
    if field is None:
        return ()
    codes = tuple((code.pk, field.label_from_instance(code)) for code in field.queryset)
    return (field.required, field.help_text, codes)


def _form_html(form, kind: str, application, token: str) -> str:
    """Return the action form's HTML, exactly as `{% crispy form %}` renders it.

    Crispy took as long as the rest of the page to render the forms, and an unbound one
    differs from page to page only by its action, idempotency key, version and CSRF token.
    So each renders once per process and language, with stand-ins for those four that
    are then replaced; again when the reason codes change. Bound forms (errors) render
    as they are.
    """
    if form.is_bound:
        return render_crispy_form(form, context={"csrf_token": token})
    stand_in_action = reverse(f"reviews:review_{kind}", args=[_ANY_ID])
    stand_ins = _varying(stand_in_action, _STAND_IN_KEY, _STAND_IN_VERSION, _STAND_IN_TOKEN)
    part, slot = _database_part(form), (kind, get_language())
    cached = _rendered_forms.get(slot)
    if cached is None or cached[0] != part:
        stand_in = FORMS[kind](
            application=application,
            action=stand_in_action,
            kind=kind,
            initial={"idempotency_key": _STAND_IN_KEY, "version": _STAND_IN_VERSION},
        )
        html = render_crispy_form(stand_in, context={"csrf_token": _STAND_IN_TOKEN})
        if not all(fragment in html for fragment in stand_ins):  # crispy changed: play safe
            return render_crispy_form(form, context={"csrf_token": token})
        cached = _rendered_forms[slot] = (part, html)
    html = cached[1]
    values = _varying(
        form.helper.form_action, form.initial["idempotency_key"], form.initial["version"], token
    )
    for stand_in_fragment, fragment in zip(stand_ins, values, strict=True):
        html = html.replace(stand_in_fragment, fragment)
    return mark_safe(html)  # noqa: S308 - crispy's output, and values escaped as it does


def _varying(action, key, version, token) -> list[str]:
    """Return the fragments of a rendered action form that differ from page to page."""
    return [
        f'action="{escape(action)}"',
        f'name="idempotency_key" value="{escape(key)}"',
        f'name="version" value="{escape(version)}"',
        f'name="csrfmiddlewaretoken" value="{escape(token)}"',
    ]


def _render_review(request, application, forms, status=200):
    assessment, changes = selectors.review_assessments(application)
    decision, votes = selectors.review_decision_and_votes(application, assessment)
    state = application.status
    senior = user_is_senior_reviewer(request.user)
    shown = {
        "approve": workflow.allowed(state, "approve")
        and assessment is not None
        and assessment.outcome != Outcome.PROHIBITED
        and (senior or (state != "escalated" and assessment.outcome != Outcome.ESCALATE)),
        "deny": workflow.allowed(state, "deny") and assessment is not None,
        "escalate": workflow.allowed(state, "escalate"),
        "request_info": workflow.allowed(state, "request_info"),
    }
    token = get_token(request)
    context = {
        "application": application,
        "assessment": assessment,
        "changes": changes,
        "decision": decision,
        "votes": votes,
        "forms": forms,
        "form_html": {
            kind: _form_html(forms[kind], kind, application, token)
            for kind, show in shown.items()
            if show
        },
        **{f"can_{kind}": show for kind, show in shown.items()},
        "is_senior": senior,
        "is_open": state in Application.OPEN,
        "events": _timeline(application),
        "requests": application.information_requests.select_related("asked_by", "answered_by"),
        "documents": selectors.documents_for(application),
        "other_applications": _prepare_rows(list(selectors.other_applications(application))),
        "reviewers": selectors.reviewers() if senior else [],
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
