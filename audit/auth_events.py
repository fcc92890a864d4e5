"""Record sign-ins, sign-outs and failed sign-ins in the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .services import audit_record


def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, verb="user.logged_in", obj=user)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, verb="user.logged_out", obj=user)


def _login_failed(sender, credentials, request=None, **kwargs):
    # Never the password: only the address that was tried, cut to the field's length.
    attempted = str(credentials.get("username", ""))[:254]
    audit_record(
        actor=None,
        verb="user.login_failed",
        object_type="accounts.user",
        object_id="",
        payload={"email": attempted},
    )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="audit_login_failed")
