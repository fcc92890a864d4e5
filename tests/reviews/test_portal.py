"""The customer side: filing an application and following it."""

import pytest
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from audit.selectors import audit_events_for_object
from reviews.models import Application, Assessment
from reviews.services import application_submit

from ..conftest import make_facts

FORM = {
    "title": "Selfie check at account opening",
    "capabilities": ["face_liveness", "face_verification"],
    "use_case": "identity_verification",
    "real_time": "yes",
    "camera": "user_device",
    "environment": "not_applicable",
    "countries": "gb, ie",
    "gallery": "identity_documents",
    "data_subjects": ["customers"],
    "consent": "opt_in_with_alternative",
    "human_review": "yes",
    "description": "Customers take a selfie that we compare 1:1 with their own passport photo.",
    "acting_for-TOTAL_FORMS": "3",
    "acting_for-INITIAL_FORMS": "0",
}


def end_customer(index: int, name: str, country: str, org_type: str) -> dict:
    return {
        f"acting_for-{index}-name": name,
        f"acting_for-{index}-country": country,
        f"acting_for-{index}-type": org_type,
    }


def test_it_files_an_application_and_assesses_it(
    client, applicant, django_capture_on_commit_callbacks
):
    client.force_login(applicant)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("reviews:application_new"), FORM)

    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == application.get_absolute_url()
    assert len(callbacks) == 1
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW
    assert application.facts["deployment"]["countries"] == ["GB", "IE"]
    assert application.facts["organization"] == {
        "name": "Acme Identity",
        "country": "GB",
        "type": "software_vendor",
    }
    assert Assessment.objects.get(application=application).outcome == "approvable"
    verbs = [event.verb for event in audit_events_for_object(application)]
    assert verbs == ["application.submitted", "application.assessed"]


def test_it_keeps_what_was_typed_and_shows_the_error_next_to_the_field(client, applicant):
    client.force_login(applicant)
    form = {**FORM, "capabilities": [], "countries": "GB, Britain"}

    response = client.post(reverse("reviews:application_new"), form)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "capabilities" in errors
    assert errors["countries"] == ["These are not two-letter country codes: BRITAIN."]
    assert "Selfie check at account opening" in response.text
    assert "compare 1:1 with their own passport photo" in response.text
    assert not Application.objects.exists()


def test_it_asks_for_the_end_customers_country_and_type(client, applicant):
    client.force_login(applicant)

    form = {**FORM, **end_customer(1, "City PD", "", "")}

    response = client.post(reverse("reviews:application_new"), form)

    assert "Give the end customer&#x27;s name, country and type." in response.text
    assert 'value="City PD"' in response.text
    assert not Application.objects.exists()


def test_it_treats_an_application_for_a_us_police_department_as_prohibited(
    client, applicant, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    form = {
        **FORM,
        "capabilities": ["face_identification"],
        **end_customer(0, "Northbank", "GB", "commercial"),
        **end_customer(2, "Springfield PD", "us", "police"),
    }

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:application_new"), form)

    assessment = Assessment.objects.get()
    assert [party["name"] for party in assessment.application.facts["acting_for"]] == [
        "Northbank",
        "Springfield PD",
    ]
    assert assessment.outcome == "prohibited"
    assert "US-POLICE-FR" in [hit["rule"] for hit in assessment.hits]


def test_it_lists_only_the_organizations_own_applications(client, applicant, outsider, submit):
    mine = submit(applicant, "Mine")
    submit(outsider, "Theirs")
    client.force_login(applicant)

    response = client.get(reverse("reviews:application_list"))

    assert list(response.context["applications"]) == [mine]
    assert "Theirs" not in response.text


@pytest.mark.parametrize("rows", [1, 25])
def test_it_lists_applications_in_a_constant_number_of_queries(
    client, applicant, submit, rows, django_assert_max_num_queries
):
    for index in range(rows):
        submit(applicant, f"Use case {index}")
    client.force_login(applicant)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("reviews:application_list"))

    assert len(response.context["applications"]) == rows


def test_it_shows_a_colleague_the_organizations_application(client, applicant, colleague, submit):
    application = submit(applicant)
    client.force_login(colleague)

    response = client.get(application.get_absolute_url())

    assert response.status_code == 200
    assert application.title in response.text


def test_it_answers_404_for_another_tenants_application(client, applicant, outsider, submit):
    application = submit(applicant)
    client.force_login(outsider)

    foreign = client.get(application.get_absolute_url())
    missing = client.get(reverse("reviews:application_detail", args=[application.pk + 1000]))

    assert foreign.status_code == 404
    assert missing.status_code == 404
    assert foreign.content == missing.content


def test_it_answers_404_to_a_reviewer_without_an_organization(client, reviewer, applicant, submit):
    application = submit(applicant)
    client.force_login(reviewer)

    assert client.get(application.get_absolute_url()).status_code == 404
    assert client.get(reverse("reviews:application_new")).status_code == 404


def test_it_schedules_no_assessment_when_the_transaction_rolls_back(
    applicant, organization, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        application_submit(
            actor=applicant,
            organization=organization,
            role="owner",
            title="Rolled back",
            facts=make_facts(organization),
        )
        raise RuntimeError("boom")

    assert callbacks == []
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(verb="application.submitted").exists()
