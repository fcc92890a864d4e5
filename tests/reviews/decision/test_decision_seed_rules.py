"""Each rule of the seed policy, fired and not fired, including the boundary cases."""

from __future__ import annotations

import pytest

from reviews.decision import Outcome

US_POLICE = {"name": "Port Calloway Police Department", "country": "US", "type": "police"}
UK_POLICE = {"name": "Northvale Constabulary", "country": "GB", "type": "police"}
US_FEDERAL = {"name": "Federal Border Agency", "country": "US", "type": "federal_law_enforcement"}
US_VENDOR = {"name": "Bastion Secure Services LLC", "country": "US", "type": "commercial"}
ARMY = {"name": "Army Logistics Command", "country": "FR", "type": "military"}

FR_ID = {"capabilities": ["face_identification"]}
PATROL = {"deployment": {"real_time": True, "camera": "body_worn", "environment": "uncontrolled"}}
BOOKING_ROOM = {"deployment": {"real_time": True, "camera": "fixed", "environment": "controlled"}}

# (rule, changes to the base facts, whether the rule fires)
CASES = [
    ("US-POLICE-FR", {"organization": US_POLICE, **FR_ID}, True),
    ("US-POLICE-FR", {"organization": US_POLICE, "capabilities": ["celebrity_recognition"]}, True),
    ("US-POLICE-FR", {"organization": US_VENDOR, "acting_for": [US_POLICE], **FR_ID}, True),
    ("US-POLICE-FR", {"organization": US_POLICE, "capabilities": ["face_detection"]}, False),
    ("US-POLICE-FR", {"organization": US_FEDERAL, **FR_ID}, False),
    ("US-POLICE-FR", {"organization": UK_POLICE, **FR_ID}, False),
    ("US-POLICE-FR", {"organization": US_VENDOR, **FR_ID}, False),
    ("LE-MOBILE-REALTIME", {"organization": UK_POLICE, **FR_ID, **PATROL}, True),
    (
        "LE-MOBILE-REALTIME",
        {
            "organization": US_FEDERAL,
            "capabilities": ["face_verification"],
            "deployment": {
                "real_time": True,
                "camera": "drone",
                "environment": "publicly_accessible",
            },
        },
        True,
    ),
    (
        "LE-MOBILE-REALTIME",
        {
            "organization": UK_POLICE,
            **FR_ID,
            "deployment": {**PATROL["deployment"], "real_time": False},
        },
        False,
    ),
    ("LE-MOBILE-REALTIME", {"organization": UK_POLICE, **FR_ID, **BOOKING_ROOM}, False),
    (
        "LE-MOBILE-REALTIME",
        {
            "organization": UK_POLICE,
            **FR_ID,
            "deployment": {**PATROL["deployment"], "environment": "controlled"},
        },
        False,
    ),
    ("LE-MOBILE-REALTIME", {"organization": US_VENDOR, **FR_ID, **PATROL}, False),
    (
        "REALTIME-ID-NO-CONSENT",
        {
            **FR_ID,
            "consent": "notice_only",
            "deployment": {
                "real_time": True,
                "camera": "fixed",
                "environment": "publicly_accessible",
            },
        },
        True,
    ),
    ("REALTIME-ID-NO-CONSENT", {**FR_ID, "consent": "none", **PATROL}, True),
    ("REALTIME-ID-NO-CONSENT", {**FR_ID, "consent": "none", **BOOKING_ROOM}, False),
    ("REALTIME-ID-NO-CONSENT", {**FR_ID, "consent": "opt_in_with_alternative", **PATROL}, False),
    (
        "REALTIME-ID-NO-CONSENT",
        {"capabilities": ["face_verification"], "consent": "none", **PATROL},
        False,
    ),
    (
        "REALTIME-ID-NO-CONSENT",
        {"use_case": "surveillance_or_tracking", "consent": "mandatory"},
        True,
    ),
    (
        "REALTIME-ID-NO-CONSENT",
        {"use_case": "surveillance_or_tracking", "consent": "explicit"},
        False,
    ),
    ("EMOTION", {"capabilities": ["emotion_recognition"], "use_case": "marketing_analytics"}, True),
    ("EMOTION", {"capabilities": ["emotion_recognition"], "use_case": "accessibility"}, False),
    ("EMOTION", {"capabilities": ["face_detection"], "use_case": "marketing_analytics"}, False),
    (
        "EMOTION-ACCESSIBILITY",
        {"capabilities": ["emotion_recognition"], "use_case": "accessibility"},
        True,
    ),
    (
        "EMOTION-ACCESSIBILITY",
        {"capabilities": ["emotion_recognition"], "use_case": "research"},
        False,
    ),
    ("SENSITIVE-ATTRIBUTES", {"capabilities": ["face_attributes"]}, True),
    ("SENSITIVE-ATTRIBUTES", {"capabilities": ["biometric_categorisation"]}, True),
    ("SENSITIVE-ATTRIBUTES", {"capabilities": ["face_detection", "face_redaction"]}, False),
    ("SCRAPED-GALLERY", {**FR_ID, "gallery": "scraped_web"}, True),
    ("SCRAPED-GALLERY", {"capabilities": ["face_detection"], "gallery": "scraped_web"}, False),
    ("SCRAPED-GALLERY", {**FR_ID, "gallery": "watchlist"}, False),
    (
        "LE-FR-REVIEW",
        {"organization": UK_POLICE, "capabilities": ["face_verification"], **BOOKING_ROOM},
        True,
    ),
    ("LE-FR-REVIEW", {"organization": US_FEDERAL, **FR_ID}, True),
    ("LE-FR-REVIEW", {"organization": US_POLICE, **FR_ID}, False),
    ("LE-FR-REVIEW", {"organization": UK_POLICE, **FR_ID, "gallery": "scraped_web"}, False),
    ("LE-FR-REVIEW", {"organization": UK_POLICE, "capabilities": ["face_detection"]}, False),
    ("LE-FACE-PROCESSING", {"organization": US_POLICE, "capabilities": ["face_detection"]}, True),
    ("LE-FACE-PROCESSING", {"organization": UK_POLICE, "capabilities": ["face_redaction"]}, True),
    (
        "LE-FACE-PROCESSING",
        {"organization": US_POLICE, "capabilities": ["face_verification"]},
        False,
    ),
    ("LE-FACE-PROCESSING", {"organization": US_POLICE, "capabilities": ["text_generation"]}, False),
    ("LE-FACE-PROCESSING", {"organization": US_VENDOR, "capabilities": ["face_detection"]}, False),
    ("FR-USE-CASE-NOT-LISTED", {**FR_ID, "use_case": "research"}, True),
    ("FR-USE-CASE-NOT-LISTED", {**FR_ID, "use_case": "watchlist_alerting"}, True),
    ("FR-USE-CASE-NOT-LISTED", {**FR_ID, "use_case": "identity_verification"}, False),
    ("FR-USE-CASE-NOT-LISTED", {"capabilities": ["face_detection"], "use_case": "research"}, False),
    ("ID-WITHOUT-CONSENT", {**FR_ID, "consent": "notice_only"}, True),
    ("ID-WITHOUT-CONSENT", {**FR_ID, "consent": "none", **BOOKING_ROOM}, True),
    ("ID-WITHOUT-CONSENT", {**FR_ID, "consent": "none", **PATROL}, False),
    ("ID-WITHOUT-CONSENT", {**FR_ID, "consent": "opt_in_with_alternative"}, False),
    ("ID-WITHOUT-CONSENT", {"capabilities": ["face_verification"], "consent": "none"}, False),
    ("MANDATORY-ENROLMENT", {"capabilities": ["face_verification"], "consent": "mandatory"}, True),
    ("MANDATORY-ENROLMENT", {"capabilities": ["face_liveness"], "consent": "mandatory"}, False),
    ("MANDATORY-ENROLMENT", {"capabilities": ["face_verification"], "consent": "explicit"}, False),
    ("MINORS", {"capabilities": ["face_redaction"], "data_subjects": ["students", "minors"]}, True),
    ("MINORS", {"capabilities": ["text_generation"], "data_subjects": ["minors"]}, False),
    ("MINORS", {"capabilities": ["face_redaction"], "data_subjects": ["students"]}, False),
    ("SENSITIVE-USE", {"consequential_decisions": ["credit"]}, True),
    ("SENSITIVE-USE", {"consequential_decisions": []}, False),
    ("NO-HUMAN-REVIEW", {"consequential_decisions": ["housing"], "human_review": False}, True),
    ("NO-HUMAN-REVIEW", {"consequential_decisions": ["housing"], "human_review": True}, False),
    ("NO-HUMAN-REVIEW", {"consequential_decisions": [], "human_review": False}, False),
    ("MILITARY", {"organization": ARMY}, True),
    ("MILITARY", {"organization": US_VENDOR, "acting_for": [US_POLICE, ARMY]}, True),
    ("MILITARY", {"organization": US_VENDOR, "acting_for": [US_POLICE]}, False),
    ("DRIVER-MONITORING", {"use_case": "driver_monitoring"}, True),
    ("DRIVER-MONITORING", {"use_case": "document_processing"}, False),
    (
        "UNDECLARED-CAPABILITY",
        {"description": "The app tells staff who is this at the till."},
        True,
    ),
    ("UNDECLARED-CAPABILITY", {**FR_ID, "description": "The app tells staff who is this."}, False),
    ("UNDECLARED-CAPABILITY", {"description": "We write captions for photos."}, False),
]


def _case_id(case) -> str:
    rule, _, fires = case
    return f"{rule}-{'fires' if fires else 'quiet'}"


@pytest.mark.parametrize(("rule", "changes", "fires"), CASES, ids=[_case_id(c) for c in CASES])
def test_it_fires_each_seed_rule_exactly_when_its_conditions_hold(assess, rule, changes, fires):
    assert (rule in assess(**changes).rules) is fires


def test_it_covers_every_seed_rule_both_ways(seed_spec):
    covered = {(rule, fires) for rule, _, fires in CASES}

    for rule in seed_spec.rules:
        assert (rule.id, True) in covered
        assert (rule.id, False) in covered


@pytest.mark.parametrize(
    ("changes", "outcome", "rules"),
    [
        (
            {"organization": US_POLICE, "capabilities": ["face_detection"]},
            Outcome.ESCALATE,
            ("LE-FACE-PROCESSING",),
        ),
        (
            {"organization": US_FEDERAL, **FR_ID, "use_case": "apprehended_suspect_identification"},
            Outcome.ESCALATE,
            ("LE-FR-REVIEW",),
        ),
        (
            {
                "organization": US_VENDOR,
                "acting_for": [US_POLICE],
                **FR_ID,
                "use_case": "identity_verification",
            },
            Outcome.PROHIBITED,
            ("US-POLICE-FR",),
        ),
        (
            {"capabilities": ["emotion_recognition"], "use_case": "accessibility"},
            Outcome.ESCALATE,
            ("EMOTION-ACCESSIBILITY",),
        ),
        ({}, Outcome.APPROVABLE, ()),
    ],
    ids=[
        "us-police-detection",
        "us-federal-fr",
        "for-us-police",
        "emotion-accessibility",
        "benign",
    ],
)
def test_it_reaches_the_expected_outcome_on_boundary_cases(assess, changes, outcome, rules):
    assessment = assess(**changes)

    assert assessment.outcome is outcome
    assert assessment.rules == rules


def test_it_suppresses_law_enforcement_review_when_a_prohibition_fired(assess):
    assessment = assess(organization=UK_POLICE, **FR_ID, **PATROL)

    assert "LE-MOBILE-REALTIME" in assessment.rules
    assert "LE-FR-REVIEW" not in assessment.rules


def test_it_names_the_party_acted_for_in_the_explanation(assess):
    hit = assess(organization=US_VENDOR, acting_for=[US_POLICE], **FR_ID).hits[0]

    assert hit.rule == "US-POLICE-FR"
    assert "for Port Calloway Police Department, a police department in US:" in hit.explanation
    assert "Bastion" not in hit.explanation
