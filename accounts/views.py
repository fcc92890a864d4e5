"""Sign-up, sign-in and the landing page that sends each person to their work."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import services
from .forms import EmailAuthenticationForm, SignupForm
from .selectors import membership_for_request, user_is_reviewer


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(**form.cleaned_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome to Gatehouse. {form.cleaned_data['organization_name']} is set up."
        )
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request):
    """Send reviewers to the queue and customers to their applications."""
    if user_is_reviewer(request.user):
        return redirect("reviews:queue")
    if membership_for_request(request) is not None:
        return redirect("reviews:application_list")
    return render(request, "accounts/no_organization.html")
