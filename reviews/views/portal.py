"""The customer portal: an organization's members file and follow their applications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Action
from accounts.selectors import membership_required

from .. import selectors, services
from ..forms import ApplicationForm, EndCustomerFormSet, end_customer_helper
from ..models import ReviewAction


def _membership_or_404(request, action=None):
    return membership_required(request, action)


@login_required
@require_GET
def application_list(request):
    membership = _membership_or_404(request)
    applications = selectors.applications_for_organization(membership.organization)
    return render(
        request,
        "reviews/application_list.html",
        {"organization": membership.organization, "applications": applications},
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request):
    membership = _membership_or_404(request, Action.FILE_APPLICATIONS)
    data = request.POST if request.method == "POST" else None
    known = [customer.as_party() for customer in membership.organization.end_customers.all()]
    end_customers = EndCustomerFormSet(data, initial=known, prefix="acting_for")
    acting_for = end_customers.parties() if data is not None and end_customers.is_valid() else []
    form = ApplicationForm(data, organization=membership.organization, acting_for=acting_for)
    if data is not None and end_customers.is_valid() and form.is_valid():
        try:
            application = services.application_submit(
                actor=request.user,
                organization=membership.organization,
                role=membership.role,
                title=form.cleaned_data["title"],
                facts=form.facts,
            )
        except services.ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{application.reference} was submitted for review.")
            return redirect(application)
    context = {
        "form": form,
        "end_customers": end_customers,
        "end_customer_helper": end_customer_helper(),
    }
    return render(request, "reviews/application_new.html", context)


@login_required
@require_GET
def application_detail(request, pk: int):
    membership = _membership_or_404(request)
    application = selectors.application_get_for_member(organization=membership.organization, pk=pk)
    decision = selectors.decision_for(application)
    return render(
        request,
        "reviews/application_detail.html",
        {
            "application": application,
            "decision": decision,
            "approved": decision is not None and decision.kind == ReviewAction.Kind.APPROVE,
        },
    )
