"""Senior reviewers suspend, revoke or reinstate an approval's entitlements, with a reason."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import user_is_senior_reviewer
from entitlements import services as entitlement_services

from .. import selectors

ACTIONS = {
    "suspend": entitlement_services.suspend,
    "revoke": entitlement_services.revoke,
    "reinstate": entitlement_services.reinstate,
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="The applicant reads this.",
    )


def _application_for_senior(request, pk: int):
    # Everyone else gets the same 404 as for a missing application.
    if not user_is_senior_reviewer(request.user):
        raise Http404("No such application.")
    return selectors.application_get_for_reviewer(user=request.user, pk=pk)


def _render(request, application, form=None, status=200):
    context = {
        "application": application,
        "entitlements": application.entitlements.order_by("subscription", "capability"),
        "form": form or ReasonForm(),
    }
    return render(request, "reviews/revoke.html", context, status=status)


@login_required
@require_GET
def entitlements_manage(request, pk: int):
    application = _application_for_senior(request, pk)
    return _render(request, application)


def _act(request, pk: int, action: str):
    application = _application_for_senior(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _render(request, application, form, status=400)
    try:
        ACTIONS[action](
            actor=request.user,
            application_id=application.pk,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except entitlement_services.EntitlementError as error:
        messages.error(request, str(error))
        return _render(request, application, form, status=409)
    done = {"suspend": "suspended", "revoke": "revoked", "reinstate": "reinstated"}[action]
    messages.success(request, f"{application.reference}: entitlements {done}.")
    return redirect("reviews:review_entitlements", pk=application.pk)


@login_required
@require_POST
def entitlements_suspend(request, pk: int):
    return _act(request, pk, "suspend")


@login_required
@require_POST
def entitlements_revoke(request, pk: int):
    return _act(request, pk, "revoke")


@login_required
@require_POST
def entitlements_reinstate(request, pk: int):
    return _act(request, pk, "reinstate")
