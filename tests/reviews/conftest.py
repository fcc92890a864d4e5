"""Fixtures the policy tests share: the seed policy's published version and a draft of it."""

import pytest
from django.utils import timezone

from reviews.models import PolicyVersion
from reviews.services import policy_version_create_draft


@pytest.fixture
def published(db) -> PolicyVersion:
    return PolicyVersion.objects.get(status=PolicyVersion.Status.PUBLISHED)


@pytest.fixture
def draft(published, policy_staff) -> PolicyVersion:
    """A draft copy of the published version (test_intake.py's `draft` is an application)."""
    return policy_version_create_draft(
        actor=policy_staff, source_version_id=published.pk, version="2024.06", now=timezone.now()
    )
