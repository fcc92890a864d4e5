"""The database refuses to change or remove audit events (PostgreSQL triggers and privileges)."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent


@pytest.fixture
def event(applicant):
    return AuditEvent.objects.filter(verb="user.signed_up").get()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET verb = 'forged' WHERE seq = %s",
        "DELETE FROM audit_auditevent WHERE seq = %s",
        "TRUNCATE audit_auditevent CASCADE",
    ],
    ids=["update", "delete", "truncate"],
)
def test_it_refuses_update_delete_and_truncate_in_sql(
    transactional_db, postgresql, event, statement
):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.seq] if "%s" in statement else [])

    assert AuditEvent.objects.get(seq=event.seq).verb == "user.signed_up"


def test_it_refuses_changes_through_the_orm(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(seq=event.seq).update(verb="forged")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(seq=event.seq).delete()
    event.verb = "forged"
    with pytest.raises(PermissionError):
        event.save()


@pytest.fixture
def app_role(transactional_db, postgresql):
    """A login role set up the way operations run the app: `manage.py grant_app_role`."""
    name = f"gatehouse_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
    call_command("grant_app_role", name, stdout=open("/dev/null", "w"))  # noqa: SIM115
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{name}"')
        cursor.execute(f'DROP ROLE "{name}"')


def test_the_app_role_cannot_change_events_even_with_triggers_bypassed(app_role, event):
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=app_role,
        autocommit=True,
    ) as other:
        # The role may read and append ...
        assert other.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 0
        grants = {
            row[0]
            for row in other.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = 'audit_auditevent' AND grantee = %s",
                [app_role],
            )
        }
        assert grants == {"SELECT", "INSERT"}
        # ... and nothing else, whatever bypass it switches on.
        other.execute("SET pgtrigger.ignore = 'audit_auditevent:audit_auditevent_no_change'")
        for statement in (
            "UPDATE audit_auditevent SET verb = 'forged'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                other.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            other.execute("SET session_replication_role = replica")
