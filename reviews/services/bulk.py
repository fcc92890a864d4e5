"""A re-assessment chunk's bulk writes: its new assessments and the applications' latest
outcome, score and rules.

On PostgreSQL each is one statement over arrays sent as binary parameters (`unnest`): the
ORM's `bulk_create` and `bulk_update` spent more time building and quoting their SQL than
the engine spent deciding (profile in docs/performance.md). Elsewhere (SQLite, the embedded
default) they are the ORM's bulk paths. Both must leave the same rows behind
(tests/reviews/test_reassessment_writes.py runs each on the same chunk).
"""

from collections.abc import Sequence
from datetime import datetime

import orjson
import psycopg
from django.db import connection

from ..models import Application, Assessment

# (application id, facts hash, outcome, score, the engine's result as JSON-able data)
AssessedRow = tuple[int, str, str, int, dict]
# (application id, latest outcome, latest score, latest rules as ",rule,rule,")
LatestRow = tuple[int, str, int, str]

_INSERT_ASSESSMENTS = """
INSERT INTO reviews_assessment
       (application_id, policy_version_id, facts_hash, outcome, score, result, assessed_at)
SELECT t.application_id, %s, t.facts_hash, t.outcome, t.score, t.result::jsonb, %s
  FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::int[], %b::text[])
       AS t(application_id, facts_hash, outcome, score, result)
    ON CONFLICT ON CONSTRAINT assessment_once DO NOTHING
"""

_UPDATE_LATEST = """
UPDATE reviews_application AS a
   SET latest_outcome = t.outcome, latest_score = t.score, latest_rules = t.rules
  FROM unnest(%b::bigint[], %b::text[], %b::int[], %b::text[]) AS t(id, outcome, score, rules)
 WHERE a.id = t.id
"""


def _fast() -> bool:
    return connection.vendor == "postgresql"


def _execute(sql: str, params: list) -> None:
    """Run one statement on Django's connection, in its transaction, its arrays sent as binary
    parameters (`%b`): Django's own cursor binds on the client, quoting every element."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)


def assessments_insert(*, version_id: int, assessed_at: datetime, rows: Sequence[AssessedRow]):
    """Store the chunk's assessments; one already stored for the same application, version
    and facts (a replayed chunk, or a submission assessed under the new version first) stays
    as it is."""
    if not rows:
        return
    if not _fast():
        Assessment.objects.bulk_create(
            [
                Assessment(
                    application_id=application_id,
                    policy_version_id=version_id,
                    facts_hash=hashed,
                    outcome=outcome,
                    score=score,
                    result=result,
                    assessed_at=assessed_at,
                )
                for application_id, hashed, outcome, score, result in rows
            ],
            ignore_conflicts=True,
        )
        return
    ids, hashes, outcomes, scores, results = (list(column) for column in zip(*rows, strict=True))
    documents = [orjson.dumps(result).decode() for result in results]
    _execute(
        _INSERT_ASSESSMENTS, [version_id, assessed_at, ids, hashes, outcomes, scores, documents]
    )


def latest_update(rows: Sequence[LatestRow]) -> None:
    """Set the applications' latest outcome, score and rules (the queue filters and sorts on
    them)."""
    if not rows:
        return
    if not _fast():
        applications = [
            Application(pk=pk, latest_outcome=outcome, latest_score=score, latest_rules=rules)
            for pk, outcome, score, rules in rows
        ]
        Application.objects.bulk_update(
            applications, ["latest_outcome", "latest_score", "latest_rules"]
        )
        return
    _execute(_UPDATE_LATEST, [list(column) for column in zip(*rows, strict=True)])
