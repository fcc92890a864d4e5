"""The entitlements API: authentication, tenant isolation, parameters, and state changes."""

import json
import logging
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from entitlements import services
from entitlements.credentials import api_key_revoke
from entitlements.models import ApiKey, Entitlement

from .conftest import SUB_A, SUB_A2, SUB_B, UNUSED_SUB

CHECK = "api:entitlement_check"


def _check(api, secret, subscription=SUB_A, capability="face_verification"):
    return api(reverse(CHECK), secret, subscription=subscription, capability=capability)


# Authentication.


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-key",
        "Bearer gk_000000000000_guessed-secret",
        "Basic dXNlcjpwYXNz",
        "gk_000000000000_guessed-secret",
    ],
)
def test_it_answers_401_json_without_a_valid_key(client, approved, header):
    headers = {"Authorization": header} if header else {}

    response = client.get(
        reverse(CHECK), {"subscription": SUB_A, "capability": "face_verification"}, headers=headers
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "API key is required" in response.json()["detail"]


def test_it_refuses_a_key_with_the_right_prefix_but_a_wrong_secret(api, approved, key_a):
    kind, prefix, _secret = key_a.split("_", 2)

    response = _check(api, f"{kind}_{prefix}_{'x' * 43}")

    assert response.status_code == 401


def test_it_refuses_a_revoked_key_on_the_next_call(api, approved, applicant, key_a):
    assert _check(api, key_a).status_code == 200
    key = ApiKey.objects.get()

    api_key_revoke(
        actor=applicant, membership=applicant.memberships.get(), key_id=key.pk, now=timezone.now()
    )

    assert _check(api, key_a).status_code == 401
    assert AuditEvent.objects.filter(verb="api_key.revoked", object_id=str(key.pk)).count() == 1


def test_it_stores_only_a_hash_of_the_key(key_a):
    key = ApiKey.objects.get()

    assert key_a not in (key.key_hash, key.prefix)
    assert key_a.split("_", 2)[2] not in key.key_hash
    assert key.scope == "read"
    assert AuditEvent.objects.get(verb="api_key.created").payload["prefix"] == key.prefix


def test_it_lets_only_owners_and_admins_create_keys(colleague):
    from entitlements.credentials import CredentialError, api_key_create

    with pytest.raises(CredentialError, match="Only owners and admins"):
        api_key_create(
            actor=colleague, membership=colleague.memberships.get(), name="x", now=timezone.now()
        )


def test_it_refuses_a_key_name_it_would_have_to_cut(applicant):
    from entitlements.credentials import CredentialError, api_key_create

    with pytest.raises(CredentialError, match="at most 100 characters"):
        api_key_create(
            actor=applicant, membership=applicant.memberships.get(), name="k" * 101,
            now=timezone.now(),
        )  # fmt: skip
    assert not ApiKey.objects.exists()


def test_it_publishes_the_openapi_schema_without_a_key(client, db):
    response = client.get(reverse("api:openapi-json"))

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/entitlements/check" in paths
    assert "/api/v1/entitlements/{entitlement_id}" in paths
    assert "/api/v1/applications" in paths


# The check.


def test_it_allows_an_approved_capability_with_its_expiry_and_conditions(api, approved, key_a):
    response = _check(api, key_a)

    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is True
    assert body["reason"] == "active"
    expires = approved.expires_at  # JSON carries milliseconds
    assert datetime.fromisoformat(body["expires_at"]) == expires.replace(
        microsecond=expires.microsecond // 1000 * 1000
    )
    assert body["conditions"] == "Human review of every match."
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_it_refuses_a_capability_that_was_not_approved(api, approved, key_a):
    body = _check(api, key_a, capability="face_identification").json()

    assert (body["allowed"], body["reason"], body["entitlement_id"]) == (
        False,
        "no_entitlement",
        None,
    )


# Tenant isolation: another tenant's key sees nothing, and cannot tell what exists.


def test_it_answers_another_tenants_key_like_a_subscription_nobody_has(
    api, approved, approved_b, key_b
):
    foreign = _check(api, key_b, subscription=SUB_A)
    unknown = _check(api, key_b, subscription=UNUSED_SUB)
    own = _check(api, key_b, subscription=SUB_B)

    assert foreign.status_code == unknown.status_code == 200
    assert foreign.json() == unknown.json()
    assert foreign.json()["allowed"] is False
    assert own.json()["allowed"] is True


def test_it_lists_only_the_callers_own_entitlements(
    api, approved, approved_b, key_a, key_b, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):  # key, last-used, count, page: not one per row
        mine = api(reverse("api:entitlement_list"), key_a).json()
    theirs = api(reverse("api:entitlement_list"), key_b, subscription=SUB_A).json()

    assert mine["count"] == 4  # 2 subscriptions x 2 capabilities
    assert {(e["subscription"], e["capability"]) for e in mine["items"]} == {
        (SUB_A, "face_liveness"),
        (SUB_A, "face_verification"),
        (SUB_A2, "face_liveness"),
        (SUB_A2, "face_verification"),
    }
    assert theirs == {"count": 0, "items": [], "decision": None}


def test_it_answers_the_check_in_the_list_asked_for_one_pair(api, approved, approved_b, key_a):
    url = reverse("api:entitlement_list")

    own = api(url, key_a, subscription=SUB_A, capability="face_verification").json()
    foreign = api(url, key_a, subscription=SUB_B, capability="face_verification").json()
    unknown = api(url, key_a, subscription=UNUSED_SUB, capability="face_verification").json()
    check = _check(api, key_a).json()

    assert own["count"] == 1
    assert own["decision"] == check
    assert own["decision"]["allowed"] is True
    assert own["decision"]["expires_at"] == own["items"][0]["valid_until"]
    assert foreign == unknown  # another tenant's subscription looks like nobody's
    assert foreign["decision"]["allowed"] is False
    assert foreign["decision"]["reason"] == "no_entitlement"


def test_it_answers_404_for_another_tenants_entitlement_exactly_like_a_missing_one(
    api, approved, key_b
):
    foreign_id = Entitlement.objects.filter(application=approved).first().pk

    foreign = api(reverse("api:entitlement_detail", args=[foreign_id]), key_b)
    missing = api(reverse("api:entitlement_detail", args=[999_999]), key_b)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def test_it_shows_an_organization_its_applications_and_their_status(
    api, approved, approved_b, key_a, key_b
):
    listed = api(reverse("api:application_list"), key_a).json()
    foreign = api(reverse("api:application_detail", args=[approved.pk]), key_b)
    missing = api(reverse("api:application_detail", args=[999_999]), key_b)
    own = api(reverse("api:application_detail", args=[approved.pk]), key_a).json()

    assert [(a["reference"], a["status"]) for a in listed["items"]] == [
        (approved.reference, "approved")
    ]
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert own["expires_at"] is not None


def test_it_lets_a_service_token_check_any_organizations_subscription(
    api, approved, approved_b, service_token
):
    a = _check(api, service_token, subscription=SUB_A).json()
    b = _check(api, service_token, subscription=SUB_B).json()
    applications = api(reverse("api:application_list"), service_token).json()

    assert a["allowed"] and b["allowed"]
    assert applications == {"count": 0, "items": []}, "applications are the customer's view"


# Bad parameters: 400 with a message a developer can act on.


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (CHECK, {"capability": "face_verification"}, "subscription must be a lowercase GUID"),
        (CHECK, {"subscription": SUB_A}, "capability must be one of"),
        (
            CHECK,
            {"subscription": SUB_A.upper(), "capability": "face_verification"},
            "subscription must be a lowercase GUID",
        ),
        (CHECK, {"subscription": SUB_A, "capability": "mind_reading"}, "capability must be one of"),
        ("api:entitlement_list", {"limit": "0"}, "limit"),
        ("api:entitlement_list", {"status": "sort-of"}, "status"),
        ("api:application_list", {"offset": "-1"}, "offset"),
    ],
)
def test_it_answers_400_with_a_message_to_bad_parameters(api, key_a, name, params, message):
    response = api(reverse(name), key_a, **params)

    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.parametrize("bad_id", ["abc", "0", str(2**63), "1e3"])
def test_it_answers_400_to_an_id_that_is_not_one(api, key_a, bad_id):
    response = api(f"/api/v1/entitlements/{bad_id}", key_a)

    assert response.status_code == 400
    assert "entitlement_id" in response.json()["detail"]


# Rate limits and the call log.


def test_it_limits_calls_per_key(api, approved, key_a, key_b, settings):
    settings.ENTITLEMENTS_API_RATE_LIMIT = (3, 60)

    answers = [_check(api, key_a).status_code for _ in range(4)]
    other = _check(api, key_b)
    limited = _check(api, key_a)

    assert answers == [200, 200, 200, 429]
    assert int(limited["Retry-After"]) > 0
    assert other.status_code == 200, "each key has its own window"


def test_it_logs_every_call_without_the_secret(api, approved, key_a, caplog):
    with caplog.at_level(logging.INFO, logger="gatehouse.api"):
        _check(api, key_a)
        _check(api, None)

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gatehouse.api"]
    assert [(line["status"], line["path"]) for line in lines] == [
        (200, "/api/v1/entitlements/check"),
        (401, "/api/v1/entitlements/check"),
    ]
    prefix = ApiKey.objects.get().prefix
    assert lines[0]["principal"] == f"org:{approved.organization_id}:{prefix}"
    assert lines[1]["principal"] is None
    assert key_a.split("_", 2)[2] not in caplog.text


# State changes, reflected on the next call.


def test_it_grants_one_entitlement_per_subscription_and_capability_once(approved):
    again = services.grant_for_approval(application_id=approved.pk)

    rows = Entitlement.objects.filter(application=approved)
    assert again == []
    assert rows.count() == 4
    assert {row.valid_until for row in rows} == {approved.expires_at}
    assert {row.approval.kind for row in rows} == {"approve"}
    assert {row.use_case for row in rows} == {"identity_verification"}
    assert AuditEvent.objects.filter(verb="entitlement.granted").count() == 1


def test_it_grants_nothing_before_approval(applicant, submit):
    application = submit(applicant)

    assert services.grant_for_approval(application_id=application.pk) == []
    assert not Entitlement.objects.exists()


def test_it_reflects_a_revocation_on_the_next_call(
    api, approved, key_a, senior_reviewer, django_capture_on_commit_callbacks
):
    assert _check(api, key_a).json()["allowed"] is True

    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(
            actor=senior_reviewer,
            application_id=approved.pk,
            reason="Used on the general public, against the conditions.",
            now=timezone.now(),
        )

    body = _check(api, key_a).json()
    assert (body["allowed"], body["reason"]) == (False, "revoked")
    event = AuditEvent.objects.get(verb="entitlement.revoked")
    assert event.actor == senior_reviewer
    assert event.payload["reason"] == "Used on the general public, against the conditions."
    assert len(event.payload["entitlements"]) == 4
    assert [m.to for m in mail.outbox][-1] == [approved.created_by.email]
    assert "revoked" in mail.outbox[-1].subject
    assert "against the conditions" in mail.outbox[-1].body


def test_it_suspends_and_reinstates(api, approved, key_a, senior_reviewer):
    now = timezone.now()

    services.suspend(actor=senior_reviewer, application_id=approved.pk, reason="Audit.", now=now)
    suspended = _check(api, key_a).json()
    services.reinstate(
        actor=senior_reviewer, application_id=approved.pk, reason="Audit passed.", now=now
    )
    reinstated = _check(api, key_a).json()

    assert (suspended["allowed"], suspended["reason"]) == (False, "suspended")
    assert (reinstated["allowed"], reinstated["reason"]) == (True, "active")
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="entitlement.")
        .order_by("seq")
        .values_list("verb", flat=True)
    )
    assert verbs == ["entitlement.granted", "entitlement.suspended", "entitlement.reinstated"]


def test_it_keeps_revocation_final(approved, senior_reviewer):
    now = timezone.now()
    services.revoke(actor=senior_reviewer, application_id=approved.pk, reason="No.", now=now)

    with pytest.raises(services.EntitlementError, match="no suspended entitlements"):
        services.reinstate(
            actor=senior_reviewer, application_id=approved.pk, reason="Oops", now=now
        )
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"revoked"}


@pytest.mark.parametrize("persona", ["reviewer", "applicant"])
def test_it_lets_only_senior_reviewers_revoke(request, approved, persona):
    actor = request.getfixturevalue(persona)

    with pytest.raises(services.EntitlementError, match="Only senior reviewers"):
        services.revoke(actor=actor, application_id=approved.pk, reason="x", now=timezone.now())
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"active"}
    assert not AuditEvent.objects.filter(verb="entitlement.revoked").exists()


def test_it_requires_a_reason(approved, senior_reviewer):
    with pytest.raises(services.EntitlementError, match="reason"):
        services.suspend(
            actor=senior_reviewer, application_id=approved.pk, reason="  ", now=timezone.now()
        )


def test_it_answers_expired_the_moment_the_approval_lapses(api, approved, key_a, time_machine):
    time_machine.move_to(approved.expires_at + timedelta(seconds=1))

    before_sweep = _check(api, key_a).json()
    expired = services.expire_due(now=timezone.now())
    again = services.expire_due(now=timezone.now())

    assert (before_sweep["allowed"], before_sweep["reason"]) == (False, "expired")
    assert (expired, again) == (4, 0)
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"expired"}
    assert AuditEvent.objects.filter(verb="entitlement.expired").count() == 1


def test_it_follows_the_application_when_it_expires(approved):
    from reviews.services import process_approval_expiry

    process_approval_expiry(now=approved.expires_at + timedelta(seconds=1))
    services.sync_for_application(application_id=approved.pk)

    assert set(Entitlement.objects.values_list("status", flat=True)) == {"expired"}


def test_it_flags_entitlements_for_rereview_after_a_policy_change(api, approved, key_a, settings):
    services.flag_for_rereview(
        application_id=approved.pk, reason="Policy 2 prohibits this.", now=timezone.now()
    )
    flagged = _check(api, key_a).json()
    settings.ENTITLEMENTS_REREVIEW_BLOCKS = True
    blocked = _check(api, key_a).json()

    assert (flagged["allowed"], flagged["reason"], flagged["under_rereview"]) == (
        True,
        "active_under_rereview",
        True,
    )
    assert (blocked["allowed"], blocked["reason"]) == (False, "under_rereview")
    assert AuditEvent.objects.filter(verb="entitlement.flagged_for_rereview").count() == 1
    services.flag_for_rereview(application_id=approved.pk, reason="again", now=timezone.now())
    assert AuditEvent.objects.filter(verb="entitlement.flagged_for_rereview").count() == 1


def test_it_syncs_a_flag_set_by_the_review_workflow(approved):
    from reviews.services import applications_flag_for_rereview

    applications_flag_for_rereview(
        organization=approved.organization, reason="Country changed.", now=timezone.now()
    )
    services.sync_for_application(application_id=approved.pk)

    assert set(Entitlement.objects.values_list("rereview_reason", flat=True)) == {
        "Country changed."
    }


def test_the_hot_path_sql_names_the_models_tables():
    from entitlements import selectors
    from entitlements.models import ServiceToken

    for model, sql in selectors._CREDENTIAL_SQL.items():
        assert f" FROM {model._meta.db_table} " in sql
    assert f" FROM {Entitlement._meta.db_table} " in selectors._CHECK_SQL
    assert ServiceToken in selectors._CREDENTIAL_SQL
