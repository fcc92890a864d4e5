"""Sign and send one webhook delivery, and record how it went.

Each POST carries `X-Gatehouse-Signature: t=<unix time>,v1=<hex>`, where the hex is
HMAC-SHA256 over `<t>.<body>` with the endpoint's secret. Receivers recompute it and refuse
a timestamp older than a few minutes, so a captured request cannot be replayed later.
"""

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from datetime import datetime
from enum import StrEnum

from django.db import transaction

from . import ssrf
from .models import WebhookDelivery

SIGNATURE_HEADER = "X-Gatehouse-Signature"
TIMEOUT_SECONDS = 10
REPLAY_TOLERANCE_SECONDS = 300


class Outcome(StrEnum):
    DONE = "done"  # delivered, refused, failed for good, or nothing left to do
    RETRY = "retry"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Return the signature header's value for the body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = REPLAY_TOLERANCE_SECONDS,
) -> bool:
    """Return whether the header signs the body and is recent (what a receiver does)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(expected, fields.get("v1", ""))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connect to the address that was checked, whatever the name resolves to now."""

    def __init__(self, target: ssrf.Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: ssrf.Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: ssrf.Target, body: bytes, headers: dict[str, str]) -> int:
    """POST the body to the checked target; return the status code (no redirects followed)."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the receiver's answer is not kept
        return response.status
    finally:
        connection.close()


def delivery_attempt(*, delivery_id: int, final: bool, now: datetime) -> Outcome:
    """Try one delivery; record the attempt; say whether to retry it later."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return Outcome.DONE  # a replayed task: delivered or given up already
    endpoint = delivery.endpoint
    if not endpoint.active:  # disabled after the event was queued: send nothing more
        _record(
            delivery_id, WebhookDelivery.Status.REFUSED, None, "The endpoint was disabled.", now
        )
        return Outcome.DONE
    status_code, error = None, ""
    try:
        target = ssrf.safe_target(endpoint.url)
    except ssrf.UnsafeURL as refused:
        _record(delivery_id, WebhookDelivery.Status.REFUSED, None, str(refused), now)
        return Outcome.DONE
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Gatehouse-Webhooks/1",
        "X-Gatehouse-Event": delivery.event,
        "X-Gatehouse-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(endpoint.secret, body, int(now.timestamp())),
    }
    try:
        status_code = post(target, body, headers)
    except (OSError, http.client.HTTPException) as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    if status_code is not None and 200 <= status_code < 300:
        _record(delivery_id, WebhookDelivery.Status.DELIVERED, status_code, "", now)
        return Outcome.DONE
    error = error or f"The endpoint answered {status_code}."
    if final:
        _record(delivery_id, WebhookDelivery.Status.FAILED, status_code, error, now)
        return Outcome.DONE
    _record(delivery_id, WebhookDelivery.Status.PENDING, status_code, error, now)
    return Outcome.RETRY


@transaction.atomic
def _record(delivery_id: int, status: str, status_code, error: str, now: datetime) -> None:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.attempts += 1
    delivery.status = status
    delivery.last_status_code = status_code
    delivery.last_error = error
    delivery.last_attempt_at = now
    if status == WebhookDelivery.Status.DELIVERED:
        delivery.delivered_at = now
    delivery.save()
