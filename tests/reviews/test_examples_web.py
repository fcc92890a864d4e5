"""Every worked example, filed through the portal's form, is assessed as the policy expects."""

import pytest

from reviews.models import Assessment

from ..conftest import signup
from .examples import load_examples
from .portal_steps import file_through_steps

EXAMPLES = load_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["facts"]["id"] for e in EXAMPLES])
def test_it_assesses_the_example_filed_through_the_form(
    client, db, example, django_capture_on_commit_callbacks
):
    facts = example["facts"]
    organization = facts["organization"]
    user = signup(
        "applicant@example.org",
        organization.get("name", "Example organization"),
        country=organization["country"],
        org_type=organization["type"],
    )
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        application = file_through_steps(client, facts, facts["id"])

    application.refresh_from_db()
    assert application.status == "in_review"
    assessment = Assessment.objects.get()
    assert assessment.outcome == example["expected"]["outcome"]
    fired = {hit["rule"] for hit in assessment.hits}
    assert set(example["expected"]["rules"]) <= fired
