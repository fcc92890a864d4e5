"""Background work for entitlements: webhook deliveries, expiry, the applicant's mail."""

from celery import shared_task
from django.utils import timezone

from accounts.emails import send_templated
from config.tasks import RETRY_MAIL, RETRY_TRANSIENT, TRANSIENT_ERRORS

from . import services, webhooks


class DeliveryFailed(Exception):
    """The endpoint did not take the delivery; try again later."""


# Ten retries, each after a pause drawn between 0 and 2, 4, 8 … 512, then 600 s (full
# jitter): an endpoint that is down gets about 27 minutes at most to come back.
WEBHOOK_RETRY = {
    **RETRY_TRANSIENT,
    "autoretry_for": (DeliveryFailed, *TRANSIENT_ERRORS),
    "retry_backoff_max": 600,
    "max_retries": 10,
}


@shared_task(bind=True, **WEBHOOK_RETRY)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one signed delivery; retried with backoff until it lands or the retries run out."""
    final = self.request.retries >= self.max_retries
    outcome = webhooks.delivery_attempt(delivery_id=delivery_id, final=final, now=timezone.now())
    if outcome == webhooks.Outcome.RETRY:
        raise DeliveryFailed(f"Delivery {delivery_id} not accepted yet.")
    return outcome


@shared_task(**RETRY_TRANSIENT)
def expire_entitlements() -> int:
    """Expire entitlements past their end (Celery beat; the API is exact without it)."""
    return services.expire_due(now=timezone.now())


@shared_task(**RETRY_MAIL)
def send_entitlement_email(application_id: int, change: str) -> None:
    """Tell the applicant their approval was suspended, revoked or reinstated, and why."""
    from reviews.models import Application

    application = Application.objects.select_related("created_by").filter(pk=application_id).first()
    if application is None or change not in ("suspended", "revoked", "reinstated"):
        return
    entitlement = application.entitlements.order_by("-status_changed_at", "-pk").first()
    send_templated(
        f"entitlement-{change}",
        application.created_by.email,
        {
            "application": application,
            "reason": entitlement.status_reason if entitlement else "",
            "path": application.get_absolute_url(),
        },
    )
