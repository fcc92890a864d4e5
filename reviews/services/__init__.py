"""Writes for applications and the policy; each records its audit event in the same transaction."""

from .applications import (
    ReviewError,
    application_assess,
    application_decide,
    application_submit,
    applications_flag_for_rereview,
    facts_hash,
)
from .policy import (
    PolicyPublishError,
    policy_object_deleted,
    policy_object_saved,
    policy_simulation_start,
    policy_simulation_step,
    policy_version_create_draft,
    policy_version_publish,
    reassessment_step,
)

__all__ = [
    "PolicyPublishError",
    "ReviewError",
    "application_assess",
    "application_decide",
    "application_submit",
    "applications_flag_for_rereview",
    "facts_hash",
    "policy_object_deleted",
    "policy_object_saved",
    "policy_simulation_start",
    "policy_simulation_step",
    "policy_version_create_draft",
    "policy_version_publish",
    "reassessment_step",
]
