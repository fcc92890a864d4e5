"""Webhooks: signed, retried with backoff, logged, and never sent to internal addresses."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from accounts.models import Role
from entitlements import services, ssrf, webhooks
from entitlements.credentials import CredentialError, webhook_endpoint_create
from entitlements.models import WebhookDelivery, WebhookEndpoint

PUBLIC = "93.184.215.14"


def resolver(*addresses):
    """Return a resolver that answers with the given addresses (no real DNS in tests)."""
    return lambda host, port: list(addresses)


# Signatures.


def test_it_signs_the_body_with_a_timestamp_a_receiver_can_check():
    body = b'{"event":"entitlement.revoked"}'
    header = webhooks.sign("s3cret", body, 1_700_000_000)

    assert header.startswith("t=1700000000,v1=")
    assert webhooks.verify("s3cret", body, header, now=1_700_000_010)
    assert not webhooks.verify("s3cret", body + b" ", header, now=1_700_000_010), "tampered"
    assert not webhooks.verify("other", body, header, now=1_700_000_010), "wrong secret"
    assert not webhooks.verify("s3cret", body, header, now=1_700_000_000 + 301), "replayed late"
    assert not webhooks.verify("s3cret", body, "garbage", now=1_700_000_010)


# Server-side request forgery.


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://hooks.example/x", ["10.0.0.5"]),
        ("https://hooks.example/x", ["172.16.3.4"]),
        ("https://hooks.example/x", ["192.168.1.1"]),
        ("https://hooks.example/x", ["127.0.0.1"]),
        ("https://hooks.example/x", ["::1"]),
        ("https://hooks.example/x", ["169.254.169.254"]),  # cloud metadata
        ("https://hooks.example/x", ["fe80::1"]),
        ("https://hooks.example/x", ["fd00:ec2::254"]),  # AWS metadata over IPv6
        ("https://hooks.example/x", ["100.64.0.1"]),  # carrier-grade NAT
        ("https://hooks.example/x", ["0.0.0.0"]),  # noqa: S104 (refused, not bound)
        ("https://hooks.example/x", ["::ffff:127.0.0.1"]),  # IPv4-mapped loopback
        ("https://hooks.example/x", ["224.0.0.1"]),
        ("https://hooks.example/x", [PUBLIC, "10.0.0.5"]),  # one bad answer is enough
        ("https://169.254.169.254/latest/meta-data/", ["169.254.169.254"]),
        ("https://[::1]/x", ["::1"]),
    ],
)
def test_it_refuses_addresses_that_are_not_public(settings, url, addresses):
    settings.ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK = False

    with pytest.raises(ssrf.UnsafeURL, match="not a public address"):
        ssrf.validate_webhook_url(url, resolver=resolver(*addresses))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example/x", "must use https"),
        ("ftp://hooks.example/x", "must use https"),
        ("https:///x", "no host"),
        ("https://user:pw@hooks.example/x", "user name or password"),
        ("https://hooks.example:99999/x", "not a valid URL"),
    ],
)
def test_it_refuses_malformed_or_plain_http_addresses(url, message):
    with pytest.raises(ssrf.UnsafeURL, match=message):
        ssrf.validate_webhook_url(url, resolver=resolver(PUBLIC))


def test_it_accepts_a_public_https_address():
    target = ssrf.safe_target("https://hooks.example/in?x=1", resolver=resolver(PUBLIC))

    assert (target.host, target.port, target.address, target.path) == (
        "hooks.example",
        443,
        PUBLIC,
        "/in?x=1",
    )


def test_it_allows_loopback_only_when_the_setting_says_so(settings):
    settings.ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK = True

    ssrf.validate_webhook_url("https://localhost/x", resolver=resolver("127.0.0.1", "::1"))
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.validate_webhook_url("https://hooks.example/x", resolver=resolver("10.1.1.1"))


def test_it_refuses_to_register_an_internal_endpoint(applicant, organization, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", resolver("169.254.169.254"))

    with pytest.raises(CredentialError, match="not a public address"):
        webhook_endpoint_create(
            actor=applicant, organization=organization, url="https://x.example/",
            now=timezone.now(), role=Role.OWNER,
        )  # fmt: skip
    assert not WebhookEndpoint.objects.exists()


# Deliveries against a real HTTP server on loopback.


class Receiver:
    """A local HTTP endpoint that answers with the queued statuses, then 200."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.ENTITLEMENTS_WEBHOOK_ALLOW_HTTP = True
    settings.ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK = True
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(receiver, applicant, organization):
    endpoint, _secret = webhook_endpoint_create(
        actor=applicant, organization=organization, url=receiver.url, now=timezone.now(),
        role=Role.OWNER,
    )  # fmt: skip
    return endpoint


def _revoke(approved, senior_reviewer, capture):
    with capture(execute=True):
        services.revoke(
            actor=senior_reviewer, application_id=approved.pk, reason="No.", now=timezone.now()
        )


def test_it_posts_a_signed_event_on_revocation(
    approved, endpoint, receiver, senior_reviewer, django_capture_on_commit_callbacks
):
    _revoke(approved, senior_reviewer, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["X-Gatehouse-Event"] == "entitlement.revoked"
    assert webhooks.verify(endpoint.secret, body, headers["X-Gatehouse-Signature"])
    payload = json.loads(body)
    assert payload["application_id"] == approved.pk
    assert {e["status"] for e in payload["entitlements"]} == {"revoked"}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_it_sends_other_tenants_events_only_to_their_own_endpoints(
    approved, approved_b, endpoint, receiver, outsider, senior_reviewer,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(
            actor=senior_reviewer, application_id=approved_b.pk, reason="No.", now=timezone.now()
        )

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_it_tells_provider_systems_about_every_organization(
    approved_b, receiver, senior_reviewer, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(actor=None, organization=None, url=receiver.url, now=timezone.now())

    _revoke(approved_b, senior_reviewer, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1


def test_it_retries_a_failing_endpoint_until_it_answers(
    approved, endpoint, receiver, senior_reviewer, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503]

    _revoke(approved, senior_reviewer, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 3
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert len({body for _, body in receiver.requests}) == 1, "the same event every time"
    assert all(
        webhooks.verify(endpoint.secret, body, headers["X-Gatehouse-Signature"])
        for headers, body in receiver.requests
    ), "each attempt is signed"


def test_it_gives_up_after_the_last_retry_and_logs_it(
    approved, endpoint, receiver, senior_reviewer, django_capture_on_commit_callbacks
):
    from entitlements.tasks import deliver_webhook

    receiver.statuses = [500] * 50

    _revoke(approved, senior_reviewer, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == deliver_webhook.max_retries + 1 == len(receiver.requests)
    assert "answered 500" in delivery.last_error


def test_it_checks_the_address_again_at_delivery_time(
    approved, endpoint, receiver, senior_reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    # The name now resolves to the metadata service (DNS rebinding): nothing is sent.
    monkeypatch.setattr(ssrf, "resolve", resolver("169.254.169.254"))
    endpoint.url = "http://hooks.example/x"
    endpoint.save()

    _revoke(approved, senior_reviewer, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("refused", 1)
    assert "not a public address" in delivery.last_error
    assert receiver.requests == []


def test_it_does_not_deliver_twice_when_the_task_runs_again(
    approved, endpoint, receiver, senior_reviewer, django_capture_on_commit_callbacks
):
    from entitlements.tasks import deliver_webhook

    _revoke(approved, senior_reviewer, django_capture_on_commit_callbacks)
    # In-process and synchronous: a second POST would have been received before this returns.
    deliver_webhook.apply(args=[WebhookDelivery.objects.get().pk])

    assert len(receiver.requests) == 1


def test_it_sends_nothing_when_the_change_rolls_back(
    approved, endpoint, receiver, senior_reviewer, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.revoke(
            actor=senior_reviewer, application_id=approved.pk, reason="No.", now=timezone.now()
        )
        raise RuntimeError("the surrounding work failed")

    assert callbacks == []
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_it_sends_nothing_queued_for_an_endpoint_disabled_meanwhile(
    approved, endpoint, receiver, senior_reviewer, applicant, organization,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from entitlements.credentials import webhook_endpoint_disable
    from entitlements.tasks import deliver_webhook

    with django_capture_on_commit_callbacks(execute=False) as queued:  # the task not run yet
        services.revoke(
            actor=senior_reviewer, application_id=approved.pk, reason="No.", now=timezone.now()
        )
    webhook_endpoint_disable(
        actor=applicant, endpoint_id=endpoint.pk, organization=organization, role=Role.OWNER
    )
    for callback in queued:
        callback()

    deliver_webhook.apply(args=[WebhookDelivery.objects.get().pk])
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("refused", "The endpoint was disabled.")


def test_it_lets_only_owners_and_admins_manage_webhooks(colleague, organization, endpoint):
    from entitlements.credentials import webhook_endpoint_disable

    with pytest.raises(CredentialError, match="Only owners and admins"):
        webhook_endpoint_create(
            actor=colleague, organization=organization, url="https://93.184.215.14/",
            now=timezone.now(), role=Role.MEMBER,
        )  # fmt: skip
    with pytest.raises(CredentialError, match="Only owners and admins"):
        webhook_endpoint_disable(
            actor=colleague, endpoint_id=endpoint.pk, organization=organization, role=Role.MEMBER
        )
    endpoint.refresh_from_db()
    assert endpoint.active
    assert WebhookEndpoint.objects.count() == 1


def test_it_tells_the_customer_no_internal_address(applicant, organization, monkeypatch, caplog):
    monkeypatch.setattr(ssrf, "resolve", resolver("10.0.3.4"))

    with pytest.raises(CredentialError) as refused:
        webhook_endpoint_create(
            actor=applicant, organization=organization, url="https://db.internal.example/",
            now=timezone.now(), role=Role.OWNER,
        )  # fmt: skip

    assert "10.0.3.4" not in str(refused.value)
    assert "10.0.3.4" in caplog.text  # the operator still sees it
