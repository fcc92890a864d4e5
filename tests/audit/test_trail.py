import pytest

from audit.chain import GENESIS_HASH, event_hash
from audit.models import AuditEvent


def _fields(event: AuditEvent) -> dict:
    return {
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "organization_id": event.organization_id,
        "verb": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "payload": event.payload,
        "request_id": event.request_id,
        "ip": event.ip,
    }


def test_it_chains_every_event_to_the_previous_one(applicant, submit):
    submit(applicant)

    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 4
    previous = GENESIS_HASH
    for event in events:
        assert event.prev_hash == previous
        assert event.hash == event_hash(previous, _fields(event))
        previous = event.hash


def test_it_refuses_to_change_or_delete_an_event(applicant):
    event = AuditEvent.objects.first()

    event.verb = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="forged")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "user.signed_up"


def test_it_carries_the_request_id_of_the_request_that_caused_it(client, db):
    client.post(
        "/accounts/signup/",
        {
            "full_name": "Req Id",
            "email": "req@example.org",
            "password": "correct-horse-battery-staple",
            "organization_name": "Req Org",
            "country": "DE",
            "org_type": "commercial",
        },
        headers={"X-Request-ID": "trace-123"},
    )

    assert set(AuditEvent.objects.values_list("request_id", flat=True)) == {"trace-123"}
    assert AuditEvent.objects.first().ip == "127.0.0.1"
