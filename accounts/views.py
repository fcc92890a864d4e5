"""Sign-up and verification, organizations, members and invitations."""

import io
from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from config.ratelimit import rate_limit

from . import security, selectors, services, sessions
from . import two_factor as two_factor_mod
from .forms import (
    EmailAuthenticationForm,
    EndCustomerFormSet,
    InvitedSignupForm,
    InviteForm,
    OrganizationForm,
    RoleForm,
    SignupForm,
    SubscriptionFormSet,
    TokenForm,
    rows_helper,
)
from .roles import Action, may_manage, role_may

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
@rate_limit("signup", limit=10, period=3600)
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(**form.cleaned_data)
        login(request, user, backend=MODEL_BACKEND)
        return redirect("accounts:verify_email_sent")
    return render(request, "accounts/signup.html", {"form": form})


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    @method_decorator(security.one_attempt_at_a_time)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session_expired"] = sessions.pop_expiry_notice(self.request)
        return context


@login_required
@require_GET
def home(request):
    """Send each person to their work: the queue, the applications, or the next onboarding step."""
    if selectors.user_is_reviewer(request.user):
        return redirect("reviews:queue")
    if selectors.membership_for_request(request) is not None:
        return redirect("reviews:application_list")
    if not request.user.email_verified:
        return redirect("accounts:verify_email_sent")
    return redirect("accounts:organization_new")


@login_required
@require_GET
def verify_email_sent(request):
    if request.user.email_verified:
        return redirect("home")
    return render(request, "accounts/verify_email_sent.html")


@login_required
@require_POST
@rate_limit("verify-resend", limit=5, period=3600)
def verify_email_resend(request):
    services.user_resend_verification(user=request.user)
    messages.info(request, f"We sent a new link to {request.user.email}.")
    return redirect("accounts:verify_email_sent")


@require_GET
def verify_email(request, token: str):
    try:
        user = services.user_verify_email(token=token, now=timezone.now())
    except services.OnboardingError as error:
        return render(request, "accounts/link_invalid.html", {"message": str(error)}, status=400)
    if request.user.is_authenticated and request.user.pk != user.pk:
        return redirect("home")
    messages.success(request, "Your email address is verified.")
    return redirect("home" if request.user.is_authenticated else "accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                actor=request.user, now=timezone.now(), **form.cleaned_data
            )
        except services.OnboardingError as error:
            form.add_error(error.field, str(error))
        else:
            request.session[selectors.SESSION_ORG_KEY] = organization.pk
            messages.success(request, f"{organization.name} is set up. Invite your colleagues.")
            return redirect("accounts:members")
    personal = services.is_personal_domain(request.user.email_domain)
    context = {"form": form, "personal_domain": request.user.email_domain if personal else ""}
    return render(request, "accounts/organization_new.html", context)


@login_required
@require_POST
def organization_switch(request, pk: int):
    organization = selectors.organization_get_for_user(user=request.user, pk=pk)
    request.session[selectors.SESSION_ORG_KEY] = organization.pk
    messages.info(request, f"You are now working in {organization.name}.")
    return redirect("home")


def _profile_forms(organization, data=None):
    customers = [
        {"name": c.name, "country": c.country.code, "org_type": c.org_type}
        for c in organization.end_customers.all()
    ]
    subscriptions = [
        {"identifier": s.identifier, "label": s.label} for s in organization.subscriptions.all()
    ]
    return (
        OrganizationForm(data, instance=organization, submit=None),
        EndCustomerFormSet(data, initial=customers, prefix="customers"),
        SubscriptionFormSet(data, initial=subscriptions, prefix="subscriptions"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_profile(request):
    membership = selectors.membership_required(request)
    organization = membership.organization
    can_edit = role_may(membership.role, Action.EDIT_PROFILE)
    data = request.POST if request.method == "POST" and can_edit else None
    form, customers, subscriptions = _profile_forms(organization, data)
    if data is not None and all(f.is_valid() for f in (form, customers, subscriptions)):
        profile = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.organization_update(
            actor=request.user,
            membership=membership,
            profile=profile,
            end_customers=customers.rows(),
            subscriptions=subscriptions.rows(),
            now=timezone.now(),
        )
        messages.success(request, "The organization's profile is saved.")
        return redirect("accounts:organization")
    if request.method == "POST" and not can_edit:
        messages.error(request, "Only owners and admins can change the profile.")
    context = {
        "organization": organization,
        "membership": membership,
        "can_edit": can_edit,
        "form": form,
        "customers": customers,
        "subscriptions": subscriptions,
        "rows_helper": rows_helper(),
    }
    status = 400 if data is not None else 200
    return render(request, "accounts/organization.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("invite", limit=30, period=3600)
def members(request):
    membership = selectors.membership_required(request)
    organization = membership.organization
    can_invite = role_may(membership.role, Action.INVITE)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        can_grant_owner=role_may(membership.role, Action.GRANT_OWNER),
    )
    if request.method == "POST" and can_invite and form.is_valid():
        try:
            invitation = services.invitation_create(
                actor=request.user, membership=membership, now=timezone.now(), **form.cleaned_data
            )
        except services.OnboardingError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, f"An invitation is on its way to {invitation.email}.")
            return redirect("accounts:members")
    members = list(selectors.members_of(organization))
    sole_owner = sum(m.role == "owner" for m in members) == 1
    rows = [
        {
            "member": m,
            "can_manage": m.user_id != request.user.pk and may_manage(membership.role, m.role),
            "can_leave": m.user_id == request.user.pk and not (sole_owner and m.role == "owner"),
        }
        for m in members
    ]
    context = {
        "organization": organization,
        "membership": membership,
        "rows": rows,
        "invitations": selectors.open_invitations_of(organization),
        "now": timezone.now(),
        "form": form if can_invite else None,
        "role_choices": RoleForm.base_fields["role"].choices,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/members.html", context, status=status)


def _member_action(request, pk: int, act):
    membership = selectors.membership_required(request)
    target = selectors.membership_get_for_user(organization=membership.organization, pk=pk)
    try:
        message = act(membership, target)
    except services.OnboardingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, message)
    return redirect("accounts:members" if selectors.membership_for_request(request) else "home")


@login_required
@require_POST
def member_role(request, pk: int):
    form = RoleForm(request.POST)

    def act(membership, target):
        if not form.is_valid():
            raise services.OnboardingError("Choose a role.")
        role = form.cleaned_data["role"]
        services.membership_change_role(
            actor=request.user, membership=membership, target=target, role=role
        )
        return f"{target.user.email} is now {target.get_role_display().lower()}."

    return _member_action(request, pk, act)


@login_required
@require_POST
def member_remove(request, pk: int):
    def act(membership, target):
        services.membership_remove(actor=request.user, membership=membership, target=target)
        request.user._gatehouse_memberships = None
        if target.user_id == request.user.pk:
            request.session.pop(selectors.SESSION_ORG_KEY, None)
            return f"You left {membership.organization.name}."
        return f"{target.user.email} no longer has access to {membership.organization.name}."

    return _member_action(request, pk, act)


def _invitation_action(request, pk: int, service, message: str):
    membership = selectors.membership_required(request, Action.INVITE)
    invitation = selectors.invitation_get_for_user(organization=membership.organization, pk=pk)
    try:
        service(
            actor=request.user, membership=membership, invitation=invitation, now=timezone.now()
        )
    except services.OnboardingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, message.format(email=invitation.email))
    return redirect("accounts:members")


@login_required
@require_POST
@rate_limit("invite", limit=30, period=3600)
def invitation_resend(request, pk: int):
    return _invitation_action(
        request, pk, services.invitation_resend, "A new link is on its way to {email}."
    )


@login_required
@require_POST
def invitation_revoke(request, pk: int):
    return _invitation_action(
        request, pk, services.invitation_revoke, "The invitation to {email} is revoked."
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """Show an invitation and accept it: signed in as the invitee, or by creating the account."""
    now = timezone.now()
    try:
        invitation = services.invitation_for_token(token, now=now)
    except services.OnboardingError as error:
        return render(request, "accounts/link_invalid.html", {"message": str(error)}, status=400)
    signup_form = None
    if not request.user.is_authenticated:
        signup_form = InvitedSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST":
        if signup_form is not None:
            if not signup_form.is_valid():
                return _render_invitation(request, invitation, signup_form, status=400)
            user = services.user_signup(
                email=invitation.email, verified_at=now, **signup_form.cleaned_data
            )
            login(request, user, backend=MODEL_BACKEND)
        try:
            membership = services.invitation_accept(user=request.user, token=token, now=now)
        except services.OnboardingError as error:
            messages.error(request, str(error))
            return _render_invitation(request, invitation, signup_form, status=409)
        request.session[selectors.SESSION_ORG_KEY] = membership.organization_id
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect("home")
    return _render_invitation(request, invitation, signup_form)


def _render_invitation(request, invitation, signup_form, status=200):
    context = {"invitation": invitation, "signup_form": signup_form}
    return render(request, "accounts/invitation.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Turn two-factor sign-in on (scan, then confirm with a code) or off."""
    device = two_factor_mod.confirmed_device(request.user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and request.POST.get("action") == "disable":
        try:
            services.two_factor_disable(user=request.user)
        except services.OnboardingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Two-factor sign-in is off.")
        return redirect("accounts:two_factor")
    # The key waits in the session until a code proves the app has it: no write on GET.
    key_hex = request.session.get("otp_setup_key") or random_hex(20)
    request.session["otp_setup_key"] = key_hex
    if request.method == "POST" and device is None and form.is_valid():
        token = form.cleaned_data["token"]
        if services.two_factor_confirm(user=request.user, key_hex=key_hex, token=token):
            del request.session["otp_setup_key"]
            otp_login(request, two_factor_mod.confirmed_device(request.user))
            messages.success(request, "Two-factor sign-in is on.")
            return redirect("home")
        form.add_error(
            "token", "That code is not right. Check the time on your phone and try again."
        )
    pending = None if device else TOTPDevice(user=request.user, key=key_hex)
    context = {
        "device": device,
        "form": form,
        "required": two_factor_mod.two_factor_required(request.user),
        "qr_svg": _qr_svg(pending.config_url) if pending else "",
        "secret": b32encode(pending.bin_key).decode() if pending else "",
    }
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)


def _qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """Ask for the code from the authenticator app after the password."""
    device = two_factor_mod.confirmed_device(request.user)
    if device is None or request.user.is_verified():
        return redirect("home")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("home")
            return HttpResponseRedirect(target)
        form.add_error("token", "That code is not right. Try the current one.")
    status = 400 if form.errors else 200
    return render(request, "accounts/two_factor_verify.html", {"form": form}, status=status)
