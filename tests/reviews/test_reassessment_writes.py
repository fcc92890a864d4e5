"""Re-assessment's bulk writes: PostgreSQL's array statements and the ORM's bulk paths (the
embedded SQLite default) leave the same assessments and queue fields behind; the facts hash
is the documented canonical JSON, byte for byte."""

import hashlib
import json

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.models import Application, Assessment
from reviews.services import bulk, facts_hash, policy_version_publish
from tests.reviews.test_policy_lifecycle import _relax_emotion

PATHS = [
    pytest.param(True, id="postgresql-arrays"),
    pytest.param(False, id="orm-bulk"),
]


@pytest.fixture(params=PATHS)
def write_path(request, monkeypatch):
    fast = request.param
    if fast:
        request.getfixturevalue("postgresql")  # the array statements need it
    monkeypatch.setattr(bulk, "_fast", lambda: fast)
    return fast


def test_a_publish_leaves_the_same_queue_fields_and_assessments_on_either_path(
    write_path, draft, policy_staff, applicant, submit, django_capture_on_commit_callbacks
):
    moods = submit(applicant, "Moods", capabilities=["emotion_recognition"])
    selfie = submit(applicant, "Selfie check")
    _relax_emotion(draft)

    with django_capture_on_commit_callbacks(execute=True):
        run = policy_version_publish(actor=policy_staff, version_id=draft.pk, now=timezone.now())

    run.refresh_from_db()
    assert run.transitions == {"prohibited→approvable": 1, "approvable→approvable": 1}
    for application in (moods, selfie):
        application.refresh_from_db()
        latest = application.assessments.get(policy_version=draft)
        assert latest.result["policy"]["version"] == draft.version
        rules = "," + ",".join(hit["rule"] for hit in latest.hits) + ","
        assert (application.latest_outcome, application.latest_score) == (
            latest.outcome,
            latest.score,
        )
        assert application.latest_rules == rules
        assert latest.facts_hash == facts_hash(application.facts)
    assert moods.latest_outcome == "approvable"  # it was prohibited: the queue follows


def test_a_chunk_stored_twice_keeps_one_assessment_each_on_either_path(
    write_path, published, applicant, submit
):
    application = submit(applicant)
    first = application.assessments.get()
    row = (application.pk, first.facts_hash, "escalate", 40, {"outcome": "escalate"})

    bulk.assessments_insert(version_id=published.pk, assessed_at=timezone.now(), rows=[row])

    assert list(application.assessments.values_list("outcome", "score")) == [
        (first.outcome, first.score)  # the stored one stays as it is
    ]


def test_the_queue_fields_take_the_rows_given_on_either_path(write_path, applicant, submit):
    one, two = submit(applicant, "One"), submit(applicant, "Two")

    bulk.latest_update([(one.pk, "prohibited", 100, ",A,B,"), (two.pk, "escalate", 7, ",")])

    assert list(
        Application.objects.order_by("pk").values_list(
            "latest_outcome", "latest_score", "latest_rules"
        )
    ) == [("prohibited", 100, ",A,B,"), ("escalate", 7, ",")]
    assert Assessment.objects.count() == 2  # nothing else written


# What facts hold (the schema has no fractions), and the odd characters escaping touches.
TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["\x00\x1f\x7f", '"\\/', "\u2028\u2029\ufeff", "é", "😀", "A", "a"]
)
FACTS = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def _documented(facts) -> str:
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, FACTS, max_size=6))
def test_the_facts_hash_is_the_documented_canonical_json(facts):
    assert facts_hash(facts) == _documented(facts)


def test_the_facts_hash_takes_numbers_orjson_refuses_through_json():
    facts = {"huge": 2**70, "list": [1, -(2**65)]}

    assert facts_hash(facts) == _documented(facts)
