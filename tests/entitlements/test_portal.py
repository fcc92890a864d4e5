"""The customer's API access page: entitlements, API keys and webhook endpoints."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from entitlements import services, ssrf
from entitlements.credentials import api_key_create, hash_secret, webhook_endpoint_create
from entitlements.models import ApiKey, WebhookDelivery, WebhookEndpoint

from .conftest import SUB_A, SUB_B

PAGE = reverse("api_access:index")
KEY_CREATE = reverse("api_access:key_create")
WEBHOOK_CREATE = reverse("api_access:webhook_create")
LIST = reverse("api:entitlement_list")
PUBLIC = "93.184.215.14"
SECRET = re.compile(r"gk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def resolves_to(monkeypatch, *addresses):
    """Answer every host name with the addresses (no real DNS in tests)."""
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: list(addresses))


def field_error(response, field: str) -> str:
    """Return the error crispy renders under the field, or "" when there is none."""
    match = re.search(
        rf'<[^>]+id="error_1_id_{field}"[^>]*>(.*?)</(?:div|span|p)>', response.text, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def field_value(response, field: str) -> str:
    match = re.search(rf'<input[^>]*name="{field}"[^>]*>', response.text)
    value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
    return html.unescape(value.group(1)) if value else ""


def make_key(user, name="CI") -> ApiKey:
    membership = user.memberships.select_related("organization").get()
    return api_key_create(actor=user, membership=membership, name=name, now=timezone.now())[0]


def make_endpoint(user, url="https://hooks.example/in") -> WebhookEndpoint:
    organization = user.memberships.get().organization
    return webhook_endpoint_create(
        actor=user, organization=organization, url=url, now=timezone.now(), role=Role.OWNER
    )[0]


@pytest.fixture(autouse=True)
def _public_internet_only(settings, monkeypatch):
    settings.ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK = False
    settings.ENTITLEMENTS_WEBHOOK_ALLOW_HTTP = False
    resolves_to(monkeypatch, PUBLIC)


# The page.


def test_it_shows_the_owner_their_entitlements_only(
    client, applicant, approved, approved_b, django_assert_max_num_queries
):
    client.force_login(applicant)

    with django_assert_max_num_queries(20):
        response = client.get(PAGE)

    assert response.status_code == 200
    assert SUB_A in response.text
    assert "face_verification" in response.text
    assert "identity_verification" in response.text
    assert approved.reference in response.text
    assert SUB_B not in response.text, "another tenant's entitlement"


def test_it_flags_an_entitlement_sent_back_for_rereview(client, applicant, approved):
    services.flag_for_rereview(
        application_id=approved.pk, reason="The policy changed.", now=timezone.now()
    )
    client.force_login(applicant)

    response = client.get(PAGE)

    assert "Under re-review" in response.text
    assert "The policy changed." in response.text


def test_it_explains_how_to_call_the_api_with_a_working_example(client, applicant, approved):
    client.force_login(applicant)

    response = client.get(PAGE)

    assert "Authorization: Bearer $GATEHOUSE_API_KEY" in html.unescape(response.text)
    assert (
        f"http://testserver{LIST}?subscription={SUB_A}&capability=face_liveness"
        in html.unescape(response.text)
    )


def test_it_keeps_the_query_count_flat_as_rows_grow(
    client, applicant, approved, django_assert_max_num_queries
):
    endpoint = make_endpoint(applicant)
    for number in range(30):
        make_key(applicant, f"Key {number}")
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event="entitlement.changed", payload={})
        for _ in range(30)
    )
    client.force_login(applicant)

    with django_assert_max_num_queries(20):
        response = client.get(PAGE)

    assert response.status_code == 200
    assert response.text.count("Key ") >= 30


def test_it_shows_a_member_the_page_read_only(client, applicant, colleague, approved):
    key = make_key(applicant, "Billing service")
    make_endpoint(applicant)
    client.force_login(colleague)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert "Billing service" in response.text
    assert SUB_A in response.text
    assert "Only owners and admins" in response.text
    assert KEY_CREATE not in response.text
    assert WEBHOOK_CREATE not in response.text
    assert reverse("api_access:key_revoke", args=[key.pk]) not in response.text


def test_it_hides_the_page_from_people_without_an_organization(client, reviewer):
    client.force_login(reviewer)

    assert client.get(PAGE).status_code == 404
    assert client.post(KEY_CREATE, {"name": "Mine"}).status_code == 404
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("url", [PAGE, KEY_CREATE, WEBHOOK_CREATE])
def test_it_sends_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(url) if url == PAGE else client.post(url, {"name": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# API keys.


def test_it_shows_a_new_key_once_and_the_key_works(client, applicant, approved, api):
    client.force_login(applicant)

    response = client.post(KEY_CREATE, {"name": "Billing service"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = SECRET.search(response.text).group(0)
    key = ApiKey.objects.get()
    assert (key.name, key.organization, key.created_by) == (
        "Billing service",
        approved.organization,
        applicant,
    )
    assert key.key_hash == hash_secret(secret)
    assert secret.startswith(f"gk_{key.prefix}_")
    assert AuditEvent.objects.filter(verb="api_key.created", object_id=str(key.pk)).exists()

    again = client.get(PAGE)

    assert secret not in again.text, "shown once"
    assert f"gk_{key.prefix}_" in again.text, "the prefix identifies it"
    assert secret not in str(dict(client.session)), "never kept in the session"

    called = api(LIST, secret, subscription=SUB_A, capability="face_verification")

    assert called.status_code == 200
    assert called.json()["decision"]["allowed"] is True


def test_it_lets_an_admin_create_a_key(client, applicant, colleague):
    colleague.memberships.update(role=Role.ADMIN)
    client.force_login(colleague)

    response = client.post(KEY_CREATE, {"name": "Admin's key"})

    assert response.status_code == 200
    assert ApiKey.objects.get().created_by == colleague


def test_it_refuses_a_name_longer_than_100_characters(client, applicant):
    name = "k" * 101
    client.force_login(applicant)

    response = client.post(KEY_CREATE, {"name": name})

    assert response.status_code == 400
    assert field_error(response, "name") == (
        "Use at most 100 characters for the name (this one has 101)."
    )
    assert field_value(response, "name") == name, "what was typed is kept"
    assert not ApiKey.objects.exists(), "nothing is silently truncated"


def test_it_accepts_a_name_of_exactly_100_characters(client, applicant):
    client.force_login(applicant)

    response = client.post(KEY_CREATE, {"name": "k" * 100})

    assert response.status_code == 200
    assert ApiKey.objects.get().name == "k" * 100


@pytest.mark.parametrize("name", ["", "   "])
def test_it_asks_for_a_name(client, applicant, name):
    client.force_login(applicant)

    response = client.post(KEY_CREATE, {"name": name})

    assert response.status_code == 400
    assert field_error(response, "name") == "Name the key, so you can tell it apart later."
    assert not ApiKey.objects.exists()


def test_it_revokes_a_key_and_the_api_refuses_it_at_once(client, applicant, approved, key_a, api):
    key = ApiKey.objects.get()
    assert api(LIST, key_a).status_code == 200
    client.force_login(applicant)

    response = client.post(reverse("api_access:key_revoke", args=[key.pk]))

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert api(LIST, key_a).status_code == 401
    key.refresh_from_db()
    assert (key.revoked_by, key.revoked_at is not None) == (applicant, True)
    assert AuditEvent.objects.filter(verb="api_key.revoked", object_id=str(key.pk)).exists()
    assert "is revoked" in client.get(PAGE).text


def test_it_refuses_a_member_who_tries_to_create_or_revoke(
    client, applicant, colleague, key_a, api
):
    key = ApiKey.objects.get()
    client.force_login(colleague)

    created = client.post(KEY_CREATE, {"name": "Colin's key"})
    revoked = client.post(reverse("api_access:key_revoke", args=[key.pk]))

    assert (created.status_code, revoked.status_code) == (403, 403)
    assert list(ApiKey.objects.values_list("name", "revoked_at")) == [("CI", None)]
    assert api(LIST, key_a).status_code == 200


def test_it_answers_404_for_another_tenants_key_and_changes_nothing(client, applicant, key_b, api):
    theirs = ApiKey.objects.get()
    client.force_login(applicant)

    foreign = client.post(reverse("api_access:key_revoke", args=[theirs.pk]))
    missing = client.post(reverse("api_access:key_revoke", args=[999_999]))

    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.content == missing.content
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert api(LIST, key_b).status_code == 200
    assert not AuditEvent.objects.filter(verb="api_key.revoked").exists()


def test_it_accepts_only_post_to_revoke(client, applicant, key_a):
    key = ApiKey.objects.get()
    client.force_login(applicant)

    response = client.get(reverse("api_access:key_revoke", args=[key.pk]))

    assert response.status_code == 405
    assert ApiKey.objects.get().revoked_at is None


# Webhook endpoints.


def test_it_registers_a_public_https_endpoint_and_shows_its_secret_once(client, applicant):
    client.force_login(applicant)

    response = client.post(WEBHOOK_CREATE, {"url": "https://hooks.acme.example/gatehouse"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.organization, endpoint.active) == (
        "https://hooks.acme.example/gatehouse",
        applicant.memberships.get().organization,
        True,
    )
    assert endpoint.secret in response.text
    assert AuditEvent.objects.filter(verb="webhook_endpoint.created").exists()
    assert endpoint.secret not in client.get(PAGE).text, "shown once"


@pytest.mark.parametrize(
    ("url", "addresses", "message"),
    [
        ("https://127.0.0.1/hook", ["127.0.0.1"], "not a public address"),
        ("https://localhost/hook", ["127.0.0.1", "::1"], "not a public address"),
        ("https://hooks.acme.example/in", ["10.0.0.5"], "not a public address"),
        ("https://metadata.example/", ["169.254.169.254"], "not a public address"),
        ("http://hooks.acme.example/in", [PUBLIC], "must use https"),
    ],
)
def test_it_refuses_a_webhook_address_that_is_not_public(
    client, applicant, monkeypatch, url, addresses, message
):
    resolves_to(monkeypatch, *addresses)
    client.force_login(applicant)

    response = client.post(WEBHOOK_CREATE, {"url": url})

    assert response.status_code == 400
    assert message in field_error(response, "url")
    assert field_value(response, "url") == url, "what was typed is kept"
    assert not WebhookEndpoint.objects.exists()


def test_it_explains_an_address_that_is_not_a_url(client, applicant):
    client.force_login(applicant)

    response = client.post(WEBHOOK_CREATE, {"url": "https://exa mple/"})

    assert response.status_code == 400
    assert field_error(response, "url").startswith("Enter a full address")
    assert not WebhookEndpoint.objects.exists()


def test_it_disables_an_endpoint(client, applicant):
    endpoint = make_endpoint(applicant)
    client.force_login(applicant)

    response = client.post(reverse("api_access:webhook_disable", args=[endpoint.pk]))

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert AuditEvent.objects.filter(verb="webhook_endpoint.disabled").exists()
    assert "Disabled" in client.get(PAGE).text


def test_it_refuses_a_member_who_tries_to_add_or_disable_an_endpoint(client, applicant, colleague):
    endpoint = make_endpoint(applicant)
    client.force_login(colleague)

    added = client.post(WEBHOOK_CREATE, {"url": "https://hooks.colin.example/"})
    disabled = client.post(reverse("api_access:webhook_disable", args=[endpoint.pk]))

    assert (added.status_code, disabled.status_code) == (403, 403)
    assert list(WebhookEndpoint.objects.values_list("url", "active")) == [
        ("https://hooks.example/in", True)
    ]


def test_it_answers_404_for_another_tenants_endpoint_and_changes_nothing(
    client, applicant, outsider
):
    theirs = make_endpoint(outsider)
    client.force_login(applicant)

    foreign = client.post(reverse("api_access:webhook_disable", args=[theirs.pk]))
    missing = client.post(reverse("api_access:webhook_disable", args=[999_999]))

    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.content == missing.content
    theirs.refresh_from_db()
    assert theirs.active is True


def test_it_logs_the_latest_deliveries_of_the_organization_only(
    client, applicant, outsider, approved, approved_b, senior_reviewer,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    ours, theirs = make_endpoint(applicant), make_endpoint(outsider, "https://other.example/in")
    # The deliveries are queued after commit; nothing runs them, so none leaves the test.
    with django_capture_on_commit_callbacks(execute=False):
        services.revoke(
            actor=senior_reviewer, application_id=approved.pk, reason="No.", now=timezone.now()
        )
        services.revoke(
            actor=senior_reviewer, application_id=approved_b.pk, reason="No.", now=timezone.now()
        )
    WebhookDelivery.objects.filter(endpoint=ours).update(
        status=WebhookDelivery.Status.FAILED, attempts=9, last_status_code=503
    )
    client.force_login(applicant)

    response = client.get(PAGE)

    assert WebhookDelivery.objects.filter(endpoint=theirs).exists()
    assert "entitlement.revoked" in response.text
    assert "Failed after every retry" in response.text
    assert ">503<" in response.text
    assert "https://other.example/in" not in response.text


def test_it_shows_the_last_20_deliveries(client, applicant):
    endpoint = make_endpoint(applicant)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=f"event.n{number:02d}", payload={})
        for number in range(25)
    )
    client.force_login(applicant)

    response = client.get(PAGE)

    shown = re.findall(r"event\.n\d\d", response.text)
    assert len(shown) == 20
    assert "event.n24" in shown and "event.n04" not in shown


@pytest.mark.parametrize("name", ["api_access:key_revoke", "api_access:webhook_disable"])
def test_it_answers_404_for_an_id_beyond_bigint(client, applicant, name):
    client.force_login(applicant)

    response = client.post(reverse(name, args=[2**64]))

    assert response.status_code == 404
