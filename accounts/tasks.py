"""Account emails, sent after commit by a worker; each task takes ids and re-reads."""

from celery import shared_task
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.tasks import RETRY_MAIL

from .emails import send_templated
from .models import Invitation, User
from .tokens import invitation_token, verification_token

_RETRY = RETRY_MAIL


@shared_task(**_RETRY)
def send_verification_email(user_id: int) -> None:
    """Email the user a link that verifies their address (skipped once verified)."""
    user = User.objects.filter(pk=user_id, email_verified_at__isnull=True).first()
    if user is None:
        return
    path = reverse("accounts:verify_email", args=[verification_token(user)])
    send_templated("verify-email", user.email, {"user": user, "path": path})


@shared_task(**_RETRY)
def send_invitation_email(invitation_id: int) -> None:
    """Email an open invitation's link (skipped once accepted or revoked)."""
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        return
    path = reverse("accounts:invitation_accept", args=[invitation_token(invitation)])
    send_templated("invitation", invitation.email, {"invitation": invitation, "path": path})


@shared_task(**_RETRY)
def send_password_reset_email(user_id: int) -> None:
    """Email a password-reset link; the token dies when the password changes."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
    )
    send_templated("password-reset", user.email, {"user": user, "path": path})
