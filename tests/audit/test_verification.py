"""verify_audit finds every kind of tampering; exports verify offline; writers never fork."""

import io
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from audit.checkpoints import checkpoint_write
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import audit_record
from audit.verify import content_check_intact

from .tampering import behind_the_triggers, rewrite

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"


def verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def trail(applicant, outsider, submit):
    submit(applicant, "Selfie")
    submit(outsider, "Door", use_case="touchless_access_control")
    return list(AuditEvent.objects.order_by("seq"))


def test_it_verifies_an_untouched_trail(trail):
    code, message = verify()

    assert code == 0
    assert message.strip() == f"{len(trail)} events verified against 0 checkpoints."


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"payload": {"reason": "forged"}}, "was changed"),
        ({"occurred_at": datetime(2020, 1, 1, tzinfo=UTC)}, "was changed"),
        ({"actor_label": "someone@else"}, "was changed"),
        (None, "deleted, inserted or reordered"),
    ],
    ids=["payload", "time", "actor", "delete"],
)
def test_it_reports_the_first_broken_link(postgresql, trail, changes, expected):
    target = trail[2].seq
    if changes is None:
        behind_the_triggers("DELETE FROM audit_auditevent WHERE seq = %s", [target])
    else:
        rewrite(target, **changes)

    code, message = verify()

    assert code == 1
    first_broken = target if changes is not None else trail[3].seq
    assert message.startswith(f"Broken at event #{first_broken}: ")
    assert expected in message


def test_the_database_refuses_a_column_that_differs_from_the_hashed_content(postgresql, trail):
    with pytest.raises(IntegrityError, match="content_matches"), transaction.atomic():
        behind_the_triggers(
            "UPDATE audit_auditevent SET actor_label = 'someone@else' WHERE seq = %s",
            [trail[2].seq],
        )


def test_it_verifies_every_column_when_the_check_is_dropped(postgresql, trail):
    behind_the_triggers(
        "ALTER TABLE audit_auditevent DROP CONSTRAINT audit_auditevent_content_matches"
    )
    behind_the_triggers(
        "UPDATE audit_auditevent SET actor_label = 'someone@else' WHERE seq = %s",
        [trail[2].seq],
    )

    code, message = verify()

    assert code == 1
    assert message.startswith(f"Broken at event #{trail[2].seq}: its content does not match")
    assert "constraint audit_auditevent_content_matches is missing" in message


def test_an_intact_trail_without_its_check_still_fails_verification(postgresql, trail):
    behind_the_triggers(
        "ALTER TABLE audit_auditevent DROP CONSTRAINT audit_auditevent_content_matches"
    )

    code, message = verify()

    assert code == 1
    assert message.startswith(f"{len(trail)} events verified against 0 checkpoints. But ")


def test_the_check_in_the_code_is_the_one_the_migration_made(postgresql, trail):
    with connection.cursor() as cursor:
        assert content_check_intact(cursor.cursor)


def test_deep_verification_rebuilds_every_column(postgresql, trail):
    out = io.StringIO()
    call_command("verify_audit", "--deep", stdout=out)

    assert out.getvalue().strip() == f"{len(trail)} events verified against 0 checkpoints."


def test_it_catches_a_rewritten_chain_against_the_signed_checkpoint(postgresql, trail):
    checkpoint_write(now=timezone.now())
    # Rewrite the last event and re-hash it consistently: only the checkpoint can tell.
    last = trail[-1]
    rewrite(last.seq, rehash=True, verb="application.approved")

    code, message = verify()

    assert code == 1
    assert f"Event #{last.seq} differs from the signed checkpoint" in message


def test_it_catches_a_truncated_tail_against_the_checkpoint(postgresql, trail):
    checkpoint_write(now=timezone.now())
    behind_the_triggers("DELETE FROM audit_auditevent WHERE seq >= %s", [trail[-2].seq])

    code, message = verify()

    assert code == 1
    assert "was truncated or rewritten" in message


def test_it_refuses_a_forged_checkpoint(trail):
    checkpoint = checkpoint_write(now=timezone.now())
    AuditCheckpoint.objects.create(
        seq=checkpoint.seq,
        hash=checkpoint.hash,
        events=checkpoint.events + 5,
        created_at=timezone.now(),
        signature=checkpoint.signature,
    )

    code, message = verify()

    assert code == 1 and "bad signature" in message


def test_a_rolled_back_change_leaves_no_event(applicant):
    before = AuditEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=applicant, verb="application.approved", object_type="x", object_id=1)
        raise RuntimeError("the business write failed")

    assert AuditEvent.objects.count() == before


def test_it_exports_json_lines_that_verify_offline(trail, tmp_path):
    export = tmp_path / "trail.jsonl"
    call_command("export_audit", "--format", "jsonl", "--output", str(export))
    checkpoint = checkpoint_write(now=timezone.now())

    ok = subprocess.run(
        [sys.executable, SCRIPT, export, "--checkpoint", f"{checkpoint.seq}:{checkpoint.hash}"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = export.read_text().splitlines()
    record = json.loads(lines[3])
    record["payload"] = {"forged": True}
    lines[3] = json.dumps(record)
    export.write_text("\n".join(lines) + "\n")
    bad = subprocess.run(
        [sys.executable, SCRIPT, export], capture_output=True, text=True, check=False
    )

    assert ok.returncode == 0 and ok.stdout.strip() == f"{len(trail)} events verified"
    assert bad.returncode == 1 and "does not match its hash" in bad.stdout


def test_it_exports_one_organizations_events_as_safe_csv(trail, organization, tmp_path):
    audit_record(
        actor=None,
        verb="note",
        object_type="x",
        object_id=1,
        organization=organization,
        payload={"text": '=HYPERLINK("http://evil")'},
    )
    export = tmp_path / "acme.csv"

    call_command(
        "export_audit",
        "--format",
        "csv",
        "--organization",
        str(organization.pk),
        "--output",
        str(export),
    )

    text = export.read_text()
    rows = text.splitlines()[1:]
    assert rows and all(f",{organization.pk}," in row for row in rows)
    assert "Other Org" not in text


def test_it_keeps_the_csv_cells_from_becoming_formulas():
    from audit.export import _cell

    assert _cell("=SUM(A1)") == "'=SUM(A1)"
    assert _cell("@cmd") == "'@cmd"
    assert _cell("plain") == "plain"


def test_concurrent_writers_keep_one_unbroken_chain(transactional_db, postgresql, seed_policy):
    writers, per_writer = 6, 15
    barrier = threading.Barrier(writers)

    def write(index: int) -> None:
        try:
            barrier.wait()
            for n in range(per_writer):
                with transaction.atomic():
                    audit_record(
                        actor=None,
                        verb="test.concurrent",
                        object_type="t",
                        object_id=f"{index}-{n}",
                    )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert AuditEvent.objects.filter(verb="test.concurrent").count() == writers * per_writer
    code, message = verify()
    assert code == 0, message
    hashes = list(AuditEvent.objects.order_by("seq").values_list("prev_hash", "hash"))
    assert all(prev == hashes[i - 1][1] for i, (prev, _h) in enumerate(hashes) if i)
