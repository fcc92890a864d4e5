"""Signed links: email verification (expiring) and invitations (single use, by nonce)."""

from django.conf import settings
from django.core import signing

_VERIFY_SALT = "gatehouse.accounts.verify-email"
_INVITE_SALT = "gatehouse.accounts.invitation"


def verification_token(user) -> str:
    """Return a token that proves control of the user's current email address."""
    return signing.TimestampSigner(salt=_VERIFY_SALT).sign_object({"u": user.pk, "e": user.email})


def verification_user_id(token: str, email_of) -> int | None:
    """Return the user id the token verifies, or None if it is forged, expired or stale."""
    try:
        value = signing.TimestampSigner(salt=_VERIFY_SALT).unsign_object(
            token, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(value, dict) or email_of(value.get("u")) != value.get("e"):
        return None
    return value["u"]


def invitation_token(invitation) -> str:
    return signing.Signer(salt=_INVITE_SALT).sign_object(
        {"i": invitation.pk, "n": invitation.nonce}
    )


def invitation_reference(token: str) -> tuple[int, str] | None:
    """Return (invitation id, nonce) from a token, or None when the signature is wrong."""
    try:
        value = signing.Signer(salt=_INVITE_SALT).unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("i"), int):
        return None
    return value["i"], str(value.get("n", ""))
