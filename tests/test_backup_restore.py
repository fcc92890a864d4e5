"""Backups restore: a pg_dump of a database with real data and audit events, restored with
pg_restore into a fresh database, passes verify_audit there; a tampered restore does not."""

import glob
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from audit.checkpoints import checkpoint_write
from audit.models import AuditEvent
from reviews.models import Application, Assessment, ReviewAction
from reviews.services import application_decide

from .services import unavailable

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("audit_auditevent", "audit_auditcheckpoint", "reviews_application", "reviews_assessment")


def _postgres_tool(name: str) -> str:
    """Return the path of pg_dump or pg_restore (Debian keeps the newest off PATH at times)."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    found = candidates[-1] if candidates else shutil.which(name)
    if found is None:
        unavailable(name, "apt-get install postgresql-client")
    return found


def _url(database: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def history(postgresql, seed_policy, applicant, reviewer, submit):
    """Committed data with an audit trail: submissions, their assessments, a decision and a
    signed checkpoint, then more events after the checkpoint."""
    approved = submit(applicant, "Selfie check")
    application_decide(
        actor=reviewer,
        application_id=approved.pk,
        kind="approve",
        reason="Meets the policy.",
        now=timezone.now(),
    )
    checkpoint_write(now=timezone.now())
    submit(applicant, "Mood at checkout", capabilities=["emotion_recognition"])
    assert ReviewAction.objects.exists() and Assessment.objects.count() == 2
    return AuditEvent.objects.count()


@pytest.fixture
def restored(history, tmp_path):
    """Dump the test database with pg_dump -Fc and restore it into a fresh database."""
    source = connection.settings_dict["NAME"]
    target = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "gatehouse.dump"
    subprocess.run(
        [_postgres_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), _url(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            [
                _postgres_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-d",
                _url(target),
                str(dump),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield _url(target)
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_it_restores_a_backup_whose_audit_trail_still_verifies(history, restored):
    verified = _manage(restored, "verify_audit")
    migrations = _manage(restored, "migrate", "--check")

    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{history} events verified against 1 checkpoint" in verified.stdout
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    assert _counts(restored) == _counts(_url(connection.settings_dict["NAME"]))
    assert Application.objects.count() == 2


def test_it_catches_a_tampered_restore(history, restored):
    with psycopg.connect(restored, autocommit=True) as conn:
        # Tampering as the database owner, triggers off: what verify_audit exists to catch.
        deleted, following = conn.execute(
            "SELECT seq, (SELECT min(seq) FROM audit_auditevent a WHERE a.seq > e.seq) "
            "FROM audit_auditevent e WHERE verb = 'application.approved'"
        ).fetchone()
        conn.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        conn.execute("DELETE FROM audit_auditevent WHERE seq = %s", [deleted])
        conn.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")

    verified = _manage(restored, "verify_audit")

    assert verified.returncode == 1
    assert f"#{following}" in verified.stderr or f"#{deleted}" in verified.stderr, verified.stderr
