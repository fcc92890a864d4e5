"""The fixed-SQL reads and inserts of the hot paths (config/rows.py) give back exactly what the
ORM gives, on SQLite and on PostgreSQL alike."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Value
from django.db.transaction import TransactionManagementError
from django.http import Http404, HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.roles import Action
from accounts.selectors import SESSION_ORG_KEY, memberships_for_user
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_trail
from config.rows import for_update, insert
from reviews.models import Application, PolicyVersion
from reviews.policy import published_policy
from reviews.selectors import application_get_for_member


def _values(instance) -> dict:
    """Every column's value with its type (0 == False, but a bool must come back a bool)."""
    return {
        field.attname: (type(value := getattr(instance, field.attname)), value)
        for field in instance._meta.fields
    }


def _request_as(user, organization_id=None) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=user.pk)  # nothing read yet, as at a request's start
    request.session = {SESSION_ORG_KEY: organization_id} if organization_id else {}
    return request


@pytest.fixture
def submitted(applicant, submit):
    application = submit(applicant, "Façade check ✓")  # assessed: every column filled
    Application.objects.filter(pk=application.pk).update(
        subscriptions=["sub-1", "sub-2"], attestations=["no_police"], draft_data={"a": [1.5]}
    )
    return application


def test_an_application_read_by_fixed_sql_equals_the_orm_s(submitted, applicant):
    _membership, fixed = application_get_for_member(_request_as(applicant), submitted.pk)
    orm = Application.objects.get(pk=submitted.pk)

    assert _values(fixed) == _values(orm)
    assert isinstance(fixed.facts, dict) and fixed.subscriptions == ["sub-1", "sub-2"]
    assert fixed.submitted_at.tzinfo is not None and fixed.latest_score == orm.latest_score
    assert not fixed._state.adding and fixed._state.db == "default"


def test_the_application_alone_when_the_memberships_are_read_already(
    submitted, applicant, organization, django_assert_num_queries
):
    request = _request_as(applicant)
    memberships_for_user(request.user)

    with django_assert_num_queries(1):
        membership, application = application_get_for_member(request, submitted.pk)
        assert application.organization.name == organization.name

    assert membership.organization == organization
    assert _values(application) == _values(Application.objects.get(pk=submitted.pk))
    with pytest.raises(Http404):
        application_get_for_member(request, submitted.pk + 1000)


def test_another_organization_s_application_is_not_found(submitted, outsider):
    with pytest.raises(Http404):
        application_get_for_member(_request_as(outsider), submitted.pk)


def test_memberships_come_by_organization_name_with_their_organizations(
    applicant, organization, django_assert_num_queries
):
    for name in ("Zeta Labs", "Aardvark Works"):
        Membership.objects.create(
            user=applicant,
            organization=Organization.objects.create(
                name=name, country="FR", org_type="software_vendor"
            ),
            role="member",
        )
    expected = list(applicant.memberships.order_by("organization__name"))

    with django_assert_num_queries(1):
        found = memberships_for_user(applicant)
        names = [membership.organization.name for membership in found]
        assert [membership.user for membership in found] == [applicant] * 3
        assert memberships_for_user(applicant) is found  # read once per request

    assert names == sorted(names) and names[0] == "Aardvark Works"
    assert [_values(m) for m in found] == [_values(m) for m in expected]
    assert [_values(m.organization) for m in found] == [_values(m.organization) for m in expected]


def test_an_insert_writes_the_row_save_would_write(applicant, organization):
    now = timezone.now()
    fixed = insert(
        Application(
            organization=organization, created_by=applicant, title="Ünïcode", created_at=now
        )
    )
    saved = Application(
        organization=organization, created_by=applicant, title="Ünïcode", created_at=now
    )
    saved.save()

    assert fixed.pk is not None and not fixed._state.adding
    stored = _values(Application.objects.get(pk=fixed.pk))
    expected = _values(Application.objects.get(pk=saved.pk))
    assert {k: v for k, v in stored.items() if k not in ("id", "updated_at")} == {
        k: v for k, v in expected.items() if k not in ("id", "updated_at")
    }
    assert stored["status"] == (str, "draft") and stored["version"] == (int, 1)
    assert stored["draft_data"] == (dict, {})


def test_an_insert_of_a_value_the_database_computes_falls_back_to_save(applicant, organization):
    application = insert(
        Application(organization=organization, created_by=applicant, version=Value(7))
    )

    assert Application.objects.get(pk=application.pk).version == 7


def test_events_inserted_by_fixed_sql_keep_the_chain_verifiable(
    transactional_db, applicant, organization
):
    for number in range(3):
        audit_record(
            actor=applicant,
            verb="test.event",
            object_type="test",
            object_id=number,
            organization=organization,
            payload={"n": number, "text": "naïve ✓", "when": str(timezone.now() + timedelta(1))},
        )

    events = list(AuditEvent.objects.filter(verb="test.event"))
    assert [event.object_id for event in events] == ["0", "1", "2"]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    report = verify_trail(deep=True)  # every column checked against the hashed content
    assert report.ok, report.message
    assert report.events == AuditEvent.objects.count() >= 3


def test_the_published_version_comes_with_its_policy_and_its_long_texts_deferred(published):
    version, _policy = published_policy()
    orm = PolicyVersion.objects.select_related("policy").get(status="published")

    assert (version.pk, version.version, version.content_hash, version.published_at) == (
        orm.pk,
        orm.version,
        orm.content_hash,
        orm.published_at,
    )
    assert version.policy.key == orm.policy.key
    assert version.get_deferred_fields() == {"golden_cases", "notes"}
    assert version.golden_cases == orm.golden_cases  # read when asked for


@pytest.fixture
def second_organization(applicant) -> Organization:
    other = Organization.objects.create(name="Beta Vision", country="DE", org_type="commercial")
    Membership.objects.create(user=applicant, organization=other, role="owner")
    return other


def test_a_page_reads_the_current_membership_and_its_application_in_one_query(
    submitted, applicant, organization, second_organization, django_assert_num_queries
):
    request = _request_as(applicant, organization.pk)
    with django_assert_num_queries(1):
        membership, application = application_get_for_member(request, submitted.pk)
        assert application.organization.name == organization.name

    assert membership.organization == organization and membership.user == applicant
    assert _values(application) == _values(Application.objects.get(pk=submitted.pk))


def test_an_application_of_another_of_the_user_s_organizations_is_not_found_there(
    submitted, applicant, second_organization
):
    """The user is a member of both, but acts in the other one: as everywhere in the portal,
    only the current organization's applications are found."""
    with pytest.raises(Http404):
        application_get_for_member(_request_as(applicant, second_organization.pk), submitted.pk)


def test_the_role_is_checked_before_the_application_is_shown(submitted, applicant, organization):
    Membership.objects.filter(user=applicant).update(role="member")

    with pytest.raises(PermissionDenied):
        application_get_for_member(_request_as(applicant), submitted.pk, Action.MANAGE_MEMBERS)


@pytest.mark.parametrize("path", ["/applications/{}/", "/applications/{}/edit/use_case/"])
def test_an_id_beyond_what_the_database_holds_is_not_found(client, applicant, path):
    client.force_login(applicant)

    response = client.get(path.format(2**63))

    assert response.status_code == 404


def test_a_row_lock_outside_a_transaction_is_refused(transactional_db):
    """As the ORM's select_for_update() refuses: the lock would end with the statement."""
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            for_update()
        with transaction.atomic():
            assert for_update(of="a") == " FOR UPDATE OF a"
    else:  # SQLite locks the whole database for a write
        assert for_update() == ""
