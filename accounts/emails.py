"""Render and send the account emails from templates/emails/<name>-{subject,body}.txt."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_templated(name: str, to: str, context: dict) -> None:
    """Send one email rendered from the named templates."""
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    body = render_to_string(f"emails/{name}-body.txt", context)
    send_mail(subject, body, None, [to])
