"""Grant a PostgreSQL role what the app needs, and only SELECT and INSERT on the audit trail."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

AUDIT_TABLES = ("audit_auditevent", "audit_auditcheckpoint")


def grant_statements(role: str) -> list[sql.Composed]:
    """Return the GRANT/REVOKE statements that make `role` the application's database role."""
    role_id = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role_id),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            role_id
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role_id),
    ]
    for table in AUDIT_TABLES:
        statements += [
            sql.SQL("REVOKE ALL ON {} FROM {}").format(sql.Identifier(table), role_id),
            sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(sql.Identifier(table), role_id),
        ]
    return statements


class Command(BaseCommand):
    help = (
        "Grant ROLE (an existing PostgreSQL login role) the rights the app needs: all tables, "
        "but only SELECT and INSERT on the audit trail. Run it as the schema owner after "
        "every migrate; run the app as ROLE."
    )

    def add_arguments(self, parser):
        parser.add_argument("role")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL feature.")
        with connection.cursor() as cursor:
            for statement in grant_statements(role):
                cursor.execute(statement)
        self.stdout.write(f"{role} may now read and insert audit events, and never change them.")
