"""The closed vocabularies of the facts format (v1) and the named groups rules refer to.

Every tuple keeps the order of `facts.schema.json`, so messages and renderings that list
allowed values are stable. A group is referenced from a condition as ``"@name"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

CAPABILITIES = (
    "face_detection",
    "face_redaction",
    "face_liveness",
    "face_verification",
    "face_identification",
    "celebrity_recognition",
    "face_attributes",
    "emotion_recognition",
    "biometric_categorisation",
    "vision_description",
    "text_generation",
    "speech_transcription",
    "speaker_recognition",
)

USE_CASES = (
    "identity_verification",
    "touchless_access_control",
    "personalization",
    "duplicate_or_blocked_users",
    "media_archive_search",
    "public_media_archive",
    "apprehended_suspect_identification",
    "emergency_response",
    "humanitarian_missing_persons",
    "watchlist_alerting",
    "surveillance_or_tracking",
    "marketing_analytics",
    "candidate_or_employee_assessment",
    "research",
    "accessibility",
    "content_generation",
    "document_processing",
    "driver_monitoring",
    "other",
)

CAMERAS = ("none", "fixed", "body_worn", "dash_mounted", "handheld", "drone", "user_device")

ENVIRONMENTS = ("controlled", "publicly_accessible", "uncontrolled", "not_applicable")

GALLERIES = (
    "none",
    "enrolled_with_consent",
    "identity_documents",
    "suspects_or_inmates",
    "watchlist",
    "scraped_web",
    "media_archive",
    "other",
)

DATA_SUBJECTS = (
    "employees",
    "customers",
    "general_public",
    "minors",
    "suspects",
    "detainees_or_inmates",
    "patients",
    "students",
    "job_applicants",
    "research_participants",
    "travellers",
    "historical_figures",
    "other",
)

CONSENTS = (
    "explicit",
    "opt_in_with_alternative",
    "mandatory",
    "notice_only",
    "none",
    "not_applicable",
)

CONSEQUENTIAL_DECISIONS = (
    "legal",
    "employment",
    "credit",
    "housing",
    "education",
    "healthcare",
    "insurance",
    "benefits",
    "access_to_services",
)

PARTY_TYPES = (
    "police",
    "federal_law_enforcement",
    "other_law_enforcement",
    "military",
    "government",
    "commercial",
    "software_vendor",
    "nonprofit",
    "academic",
    "healthcare",
    "school",
)

# How a party type reads in an explanation: "<name>, a police department in US".
PARTY_TYPE_LABELS = MappingProxyType(
    {
        "police": "a police department",
        "federal_law_enforcement": "a federal law enforcement agency",
        "other_law_enforcement": "a law enforcement body",
        "military": "a military organization",
        "government": "a government body",
        "commercial": "a company",
        "software_vendor": "a software vendor",
        "nonprofit": "a nonprofit organization",
        "academic": "an academic institution",
        "healthcare": "a healthcare organization",
        "school": "a school",
    }
)

# A domain names the set of values a fact may take; conditions check values against it.
DOMAINS = MappingProxyType(
    {
        "capability": CAPABILITIES,
        "use_case": USE_CASES,
        "camera": CAMERAS,
        "environment": ENVIRONMENTS,
        "gallery": GALLERIES,
        "data_subject": DATA_SUBJECTS,
        "consent": CONSENTS,
        "consequential_decision": CONSEQUENTIAL_DECISIONS,
        "party_type": PARTY_TYPES,
    }
)

FR_CAPABILITIES = ("face_verification", "face_identification", "celebrity_recognition")

FACE_PROCESSING = (
    "face_detection",
    "face_redaction",
    "face_liveness",
    "face_verification",
    "face_identification",
    "celebrity_recognition",
    "face_attributes",
    "emotion_recognition",
    "biometric_categorisation",
)

NON_FR_FACE_PROCESSING = tuple(c for c in FACE_PROCESSING if c not in FR_CAPABILITIES)

LAW_ENFORCEMENT = ("police", "federal_law_enforcement", "other_law_enforcement")

MOBILE_CAMERAS = ("body_worn", "dash_mounted", "handheld", "drone")

APPROVED_FR_USE_CASES = USE_CASES[:9]


@dataclass(frozen=True, slots=True)
class Group:
    """A named set of values of one domain, referenced in conditions as ``@name``."""

    name: str
    domain: str
    members: tuple[str, ...]
    label: str


GROUPS = MappingProxyType(
    {
        group.name: group
        for group in (
            Group("fr_capabilities", "capability", FR_CAPABILITIES, "face recognition"),
            Group("face_processing", "capability", FACE_PROCESSING, "face processing"),
            Group(
                "non_fr_face_processing",
                "capability",
                NON_FR_FACE_PROCESSING,
                "face processing other than recognition",
            ),
            Group("law_enforcement", "party_type", LAW_ENFORCEMENT, "law enforcement"),
            Group("mobile_cameras", "camera", MOBILE_CAMERAS, "mobile cameras"),
            Group(
                "approved_fr_use_cases",
                "use_case",
                APPROVED_FR_USE_CASES,
                "approved face-recognition use cases",
            ),
        )
    }
)
