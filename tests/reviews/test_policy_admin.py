"""Policy staff manage the policy in the Django admin; every change lands in the audit trail."""

import json

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from reviews.models import Capability, PolicyVersion, Reassessment, Rule


@pytest.fixture
def staff_client(client, policy_staff):
    client.force_login(policy_staff)
    return client


def change_url(version: PolicyVersion) -> str:
    return reverse("admin:reviews_policyversion_change", args=[version.pk])


def version_form(version: PolicyVersion, **rule_changes) -> dict:
    """Return the admin change form's POST data for the version, with some rules changed."""
    rules = list(version.rules.all())
    data = {
        "policy": version.policy_id,
        "version": version.version,
        "notes": version.notes,
        "golden_cases": json.dumps(version.golden_cases),
        "rules-TOTAL_FORMS": len(rules),
        "rules-INITIAL_FORMS": len(rules),
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
    }
    for index, rule in enumerate(rules):
        fields = {
            "id": rule.pk,
            "policy_version": version.pk,
            "order": rule.order,
            "rule_id": rule.rule_id,
            "title": rule.title,
            "outcome": rule.outcome,
            "weight": rule.weight,
            "clause": rule.clause,
            "source": rule.source,
            "explanation": rule.explanation,
            "condition": json.dumps(rule.condition),
        }
        if rule.active:
            fields["active"] = "on"
        fields.update(rule_changes.get(rule.rule_id, {}))
        data.update({f"rules-{index}-{name}": value for name, value in fields.items()})
    return data


def test_it_shows_the_published_version_read_only_with_its_checks(staff_client, published):
    response = staff_client.get(change_url(published))

    assert response.status_code == 200
    assert "Valid: 18 rules; all 20 golden cases pass." in response.text
    assert "some party" in response.text.lower()  # the condition, in words
    assert "Publish</button>" not in response.text
    assert 'name="rules-0-weight"' not in response.text


def test_it_offers_simulate_and_publish_on_a_draft(staff_client, draft):
    response = staff_client.get(change_url(draft))

    assert "Simulate on all applications" in response.text
    assert "Publish</button>" in response.text
    assert 'name="rules-0-weight"' in response.text


def test_it_shows_a_condition_error_next_to_the_field_and_keeps_the_input(staff_client, draft):
    bad = json.dumps({"eq": ["deployment.camera", "bodycam"]})

    response = staff_client.post(change_url(draft), version_form(draft, MINORS={"condition": bad}))

    assert response.status_code == 200
    assert "&#x27;bodycam&#x27; is not a value of deployment.camera" in response.text
    assert "bodycam" in response.text
    assert draft.rules.get(rule_id="MINORS").condition != json.loads(bad)


def test_it_saves_a_rule_change_and_records_what_changed(staff_client, draft, policy_staff):
    response = staff_client.post(change_url(draft), version_form(draft, MINORS={"weight": 45}))

    assert response.status_code == 302
    rule = draft.rules.get(rule_id="MINORS")
    assert rule.weight == 45
    event = AuditEvent.objects.get(verb="rule.changed")
    assert event.actor == policy_staff
    assert event.object_id == str(rule.pk)
    assert event.payload["changes"] == {"weight": [30, 45]}


def test_it_publishes_from_the_admin_and_shows_the_reassessment(
    staff_client, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:reviews_policyversion_publish", args=[draft.pk])
        )

    run = Reassessment.objects.get()
    assert response.url == reverse("admin:reviews_reassessment_change", args=[run.pk])
    page = staff_client.get(response.url)
    assert "Done" in page.text
    draft.refresh_from_db()
    assert draft.status == "published"


def test_it_explains_why_a_version_was_not_published(staff_client, draft):
    Rule.objects.filter(policy_version=draft, rule_id="EMOTION").update(active=False)

    response = staff_client.post(
        reverse("admin:reviews_policyversion_publish", args=[draft.pk]), follow=True
    )

    assert "Version 2024.06 was not published." in response.text
    assert "T17: expected prohibited" in response.text
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_it_drafts_a_new_version_and_refuses_a_taken_name(staff_client, published):
    url = reverse("admin:reviews_policyversion_draft", args=[published.pk])

    taken = staff_client.post(url, {"version": published.version})
    created = staff_client.post(url, {"version": "2025.01"})

    assert "already has a version with that name" in taken.text
    draft = PolicyVersion.objects.get(version="2025.01")
    assert created.url == change_url(draft)
    assert draft.rules.count() == 18


def test_it_simulates_from_the_admin_and_shows_progress(
    staff_client, draft, applicant, submit, django_capture_on_commit_callbacks
):
    submit(applicant)
    url = reverse("admin:reviews_policyversion_simulate", args=[draft.pk])

    with django_capture_on_commit_callbacks(execute=False) as pending:
        waiting = staff_client.post(url, follow=True)
    for callback in pending:
        callback()
    done = staff_client.get(waiting.redirect_chain[-1][0])

    assert "Waiting for a worker" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    assert "Done" in done.text and "1 of 1 applications (100%)" in done.text
    assert 'http-equiv="refresh"' not in done.text


def test_it_records_catalogue_edits(staff_client, policy_staff):
    capability = Capability.objects.get(code="face_liveness")
    url = reverse("admin:reviews_capability_change", args=[capability.pk])

    staff_client.post(
        url,
        {"label": "Presence check", "description": "A live person?", "order": 2, "active": "on"},
    )

    capability.refresh_from_db()
    assert capability.label == "Presence check"
    event = AuditEvent.objects.get(verb="capability.changed")
    assert event.payload["changes"]["label"] == ["Liveness", "Presence check"]


def test_it_keeps_the_audit_trail_read_only_in_the_admin(staff_client, applicant):
    event = AuditEvent.objects.filter(verb="user.signed_up").first()

    changelist = staff_client.get(reverse("admin:audit_auditevent_changelist"))
    page = staff_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    post = staff_client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"verb": "forged"}
    )

    assert changelist.status_code == 200 and "user.signed_up" in changelist.text
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert post.status_code == 403
    assert staff_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).verb == "user.signed_up"


def test_it_keeps_reviewers_and_plain_staff_from_the_policy(client, reviewer, draft):
    client.force_login(reviewer)
    assert client.get(change_url(draft)).status_code == 302  # to the admin login

    plain = User.objects.create_user(email="plain@gatehouse.example", password="x", is_staff=True)
    client.force_login(plain)
    publish = client.post(reverse("admin:reviews_policyversion_publish", args=[draft.pk]))
    assert publish.status_code in (403, 404)
    draft.refresh_from_db()
    assert draft.status == "draft"
