"""Filing an application: start a draft, walk its steps, review the summary, submit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Action
from accounts.selectors import membership_required

from .. import selectors, services
from ..forms import STEP_KEYS, STEPS, bound_form, context_for, facts_from_steps, step_named
from ..forms.steps import stored_input


def _editable(request, pk: int):
    membership, application = selectors.application_get_for_member(
        request, pk, Action.FILE_APPLICATIONS
    )
    if not application.is_editable:
        messages.info(request, "This application is no longer a draft.")
        return membership, application, redirect(application)
    return membership, application, None


def _steps_for(application):
    context = context_for(application.organization, application.draft_data)
    return [step for step in STEPS if step.applies(context)]


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request):
    membership = membership_required(request, Action.FILE_APPLICATIONS)
    if request.method == "GET":
        return render(request, "reviews/application_start.html")
    try:
        application = services.application_create_draft(
            actor=request.user, membership=membership, now=timezone.now()
        )
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect("reviews:application_list")
    return redirect("reviews:application_step", application.pk, STEP_KEYS[0])


@login_required
@require_http_methods(["GET", "POST"])
def application_step(request, pk: int, step: str):
    membership, application, leave = _editable(request, pk)
    if leave:
        return leave
    current = step_named(step)
    if current is None:
        raise Http404("No such step.")
    steps = _steps_for(application)
    initial = None
    if step == "parties" and "parties" not in application.draft_data:
        initial = [c.as_party() for c in application.organization.end_customers.all()]
    data = request.POST if request.method == "POST" else None
    form = bound_form(current, application.draft_data, application.organization, data, initial)
    version = application.version
    if request.method == "POST":
        title = form.cleaned_data.get("title") if step == "use_case" and form.is_valid() else None
        try:
            application = services.application_save_step(
                actor=request.user,
                membership=membership,
                application=application,
                step=step,
                raw=stored_input(request.POST, current),
                now=timezone.now(),
                version=_int(request.POST.get("version")),
                title=title,
            )
        except services.StaleDraftError as error:
            messages.error(request, str(error))
            version = selectors.application_version(application.pk)
        except services.ReviewError as error:  # a colleague submitted it a moment ago
            messages.info(request, str(error))
            return redirect(application)
        else:
            if form.is_valid():
                return redirect(_next_url(application, step, request.POST.get("nav")))
            version = application.version
            messages.warning(request, "Saved as a draft. Correct the fields marked below.")
    context = {
        "application": application,
        "form": form,
        "step": current,
        "steps": steps,
        "position": next((i for i, s in enumerate(steps, 1) if s.key == step), 1),
        "version": version,
        "previous": _neighbour(steps, step, -1),
    }
    return render(
        request,
        "reviews/application_step.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _neighbour(steps, key: str, offset: int):
    keys = [step.key for step in steps]
    index = keys.index(key) + offset if key in keys else -1
    return steps[index] if 0 <= index < len(steps) else None


def _next_url(application, step: str, nav: str | None) -> str:
    steps = _steps_for(application)
    if nav == "back" and (previous := _neighbour(steps, step, -1)):
        return reverse("reviews:application_step", args=[application.pk, previous.key])
    if nav == "save":
        return reverse("reviews:application_list")
    following = _neighbour(steps, step, +1)
    if following is None:
        return reverse("reviews:application_summary", args=[application.pk])
    return reverse("reviews:application_step", args=[application.pk, following.key])


@login_required
@require_GET
def application_summary(request, pk: int):
    _membership, application, leave = _editable(request, pk)
    if leave:
        return leave
    facts, forms, invalid = facts_from_steps(application.organization, application.draft_data)
    preview = None
    if facts is not None and request.GET.get("preview"):
        preview = selectors.preview_assessment(facts)
    context = {
        "application": application,
        "facts": facts,
        "invalid": [step for step in STEPS if step.key in invalid],
        "preview": preview,
        "steps": _steps_for(application),
        "declarations": forms.get("declarations"),
    }
    return render(request, "reviews/application_summary.html", context)


@login_required
@require_POST
def application_submit(request, pk: int):
    membership, application, leave = _editable(request, pk)
    if leave:  # already submitted: a double click lands on the same page
        return leave
    facts, forms, invalid = facts_from_steps(application.organization, application.draft_data)
    if invalid:
        messages.error(request, "Some steps are incomplete; they are marked below.")
        return redirect("reviews:application_summary", application.pk)
    try:
        application = services.application_submit_draft(
            actor=request.user,
            membership=membership,
            application_id=application.pk,
            facts=facts,
            subscriptions=forms["declarations"].cleaned_data["subscriptions"],
            attestations=forms["declarations"].attested(),
            version=_int(request.POST.get("version")),
            now=timezone.now(),
        )
    except (services.StaleDraftError, services.ReviewError) as error:
        messages.error(request, str(error))
        return redirect("reviews:application_summary", application.pk)
    messages.success(request, f"{application.reference} was submitted for review.")
    return redirect(application)
