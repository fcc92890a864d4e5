"""Every worked example, filed through the portal's form, is assessed as the policy expects."""

import pytest
from django.urls import reverse

from reviews.models import Assessment

from ..conftest import signup
from .examples import form_data, load_examples

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
        response = client.post(reverse("reviews:application_new"), form_data(facts, facts["id"]))

    assert response.status_code == 302, response.context["form"].errors
    assessment = Assessment.objects.get()
    assert assessment.outcome == example["expected"]["outcome"]
    fired = {hit["rule"] for hit in assessment.hits}
    assert set(example["expected"]["rules"]) <= fired
