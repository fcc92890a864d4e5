"""Two-factor sign-in with an authenticator app (TOTP).

Anyone may turn it on; policy staff must. Once a person has a confirmed device, every
page asks for a code after the password until the session is verified.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from .selectors import second_factor_standing, user_is_policy_staff

# Pages reachable before the second factor: the two-factor pages themselves and sign-out.
_OPEN = ("accounts:two_factor", "accounts:two_factor_verify", "accounts:logout")


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def two_factor_required(user) -> bool:
    return user_is_policy_staff(user)


class TwoFactorMiddleware:
    """Send a signed-in person to the code page until their session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            open_paths = {reverse(name) for name in _OPEN}
            if request.path not in open_paths and not request.path.startswith("/static/"):
                has_device, required = second_factor_standing(user)
                if has_device:
                    return redirect(f"{reverse('accounts:two_factor_verify')}?next={request.path}")
                if required:
                    return redirect("accounts:two_factor")
        return self.get_response(request)
