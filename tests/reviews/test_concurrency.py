"""Reviewers acting on one application at the same moment: exactly one wins (PostgreSQL)."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import StaffGroup
from audit.models import AuditEvent
from reviews.models import Application, ReasonCode, ReviewAction
from reviews.services import ReviewError, review_act

from ..conftest import make_facts, staff


def race(workers: int, attempt) -> list:
    """Run `attempt(index)` in `workers` threads released together; return their results."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = ("ok", attempt(index))
        except Exception as error:  # every outcome, success or error, is a result here
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def contested(postgresql, seed_policy, applicant, organization):
    from reviews.services import application_submit

    application = application_submit(
        actor=applicant,
        organization=organization,
        role="owner",
        title="Contested",
        facts=make_facts(organization),
    )
    return Application.objects.get(pk=application.pk)


@pytest.mark.parametrize("workers", [8])
def test_it_lets_exactly_one_of_many_simultaneous_decisions_win(
    transactional_db, contested, workers
):
    reviewers = [
        staff(f"r{i}@gatehouse.example", StaffGroup.SENIOR_REVIEWER) for i in range(workers)
    ]
    # Transactional tests start from emptied tables: the catalogue's codes may be gone.
    code, _ = ReasonCode.objects.get_or_create(
        code="RACE", defaults={"title": "Race", "customer_text": "Refused."}
    )
    version = contested.version

    def attempt(index):
        kind = ("approve", "deny", "escalate")[index % 3]
        return review_act(
            actor=reviewers[index],
            application_id=contested.pk,
            kind=kind,
            reason=f"Decision {index}",
            now=timezone.now(),
            idempotency_key=uuid.uuid4(),
            version=version,
            reason_codes=[code] if kind == "deny" else (),
        )

    results = race(workers, attempt)

    winners = [r for r in results if r[0] == "ok"]
    losers = [r[1] for r in results if r[0] == "error"]
    assert len(winners) == 1
    assert len(losers) == workers - 1
    assert all(isinstance(error, ReviewError) for error in losers), losers
    assert all("already" in str(e) or "changed since you opened it" in str(e) for e in losers)
    assert ReviewAction.objects.filter(application=contested).count() == 1
    assert (
        AuditEvent.objects.filter(
            object_id=str(contested.pk),
            verb__in=["application.approved", "application.denied", "application.escalated"],
        ).count()
        == 1
    )


def lock_free_decide(*, actor, application_id: int, barrier: threading.Barrier) -> None:
    """A deliberately broken decide: check, then write, without a lock or a version check."""
    status = Application.objects.values_list("status", flat=True).get(pk=application_id)
    barrier.wait()  # every thread has read "in review" before anyone writes
    if status == "in_review":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO reviews_reviewaction (application_id, actor_id, kind, reason, "
                "internal_note, conditions, created_at) "
                "VALUES (%s, %s, 'escalate', 'x', '', '', now())",
                [application_id, actor.pk],
            )


def test_the_race_harness_catches_a_decide_without_a_lock(transactional_db, contested):
    """Negative control: the same harness must see several winners when nothing serializes."""
    workers = 4
    reviewers = [staff(f"n{i}@gatehouse.example", StaffGroup.REVIEWER) for i in range(workers)]
    between = threading.Barrier(workers)

    results = race(
        workers,
        lambda i: lock_free_decide(
            actor=reviewers[i], application_id=contested.pk, barrier=between
        ),
    )

    assert [r[0] for r in results] == ["ok"] * workers
    assert ReviewAction.objects.filter(application=contested).count() == workers
