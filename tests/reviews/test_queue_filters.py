"""The queue's organization filter: typed, by part of a name or by id, never a long list."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.services import membership_add

from ..conftest import signup


@pytest.fixture
def acme_application(applicant, submit):
    """Filed by Acme Identity (GB)."""
    return submit(applicant, "Selfie check")


@pytest.fixture
def other_application(outsider, submit):
    """Filed by Other Org (FR)."""
    return submit(outsider, "Door camera")


def queue(client, query: str):
    return client.get(reverse("reviews:queue") + "?" + query)


def titles(response) -> list[str]:
    return sorted(a.title for a in response.context["applications"])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Acme", ["Selfie check"]),
        ("acme identity", ["Selfie check"]),
        ("  IDENT ", ["Selfie check"]),
        ("other", ["Door camera"]),
        ("Org", ["Door camera"]),
        ("e", ["Door camera", "Selfie check"]),
    ],
)
def test_it_matches_part_of_an_organization_name_in_any_case(
    reviewer_client, acme_application, other_application, typed, expected
):
    response = queue(reviewer_client, f"organization={typed}")

    assert response.status_code == 200
    assert titles(response) == expected
    assert "No organization you review matches" not in response.text


def test_it_still_takes_an_organization_id_as_links_carry(
    reviewer_client, organization, acme_application, other_application
):
    response = queue(reviewer_client, f"organization={organization.pk}")

    assert titles(response) == ["Selfie check"]


def test_it_echoes_the_filter_and_keeps_it_in_the_page_links(
    reviewer_client, applicant, submit, acme_application
):
    for index in range(50):  # a second page
        submit(applicant, f"Use case {index}")

    response = queue(reviewer_client, "organization=acme&sort=sla")

    assert 'name="organization" value="acme"' in response.text
    assert "?organization=acme&amp;sort=sla&amp;page=2" in response.text


def test_it_renders_a_text_field_not_a_list_of_every_organization(
    reviewer_client, acme_application, other_application
):
    response = queue(reviewer_client, "")

    assert '<label class="form-label small mb-0" for="id_organization">' in response.text
    assert '<input type="text" name="organization"' in response.text
    assert "Other Org" not in response.text.split("<table")[0]  # only in the rows


def test_it_says_when_no_organization_matches(reviewer_client, acme_application):
    response = queue(reviewer_client, "organization=Nowhere+%26+Co")

    assert response.context["applications"] == []
    assert "No organization you review matches “Nowhere &amp; Co”." in response.text
    assert 'aria-describedby="id_organization_unmatched"' in response.text
    assert 'value="Nowhere &amp; Co"' in response.text


def test_it_is_quiet_when_the_organization_has_nothing_in_this_view(
    reviewer_client, acme_application
):
    response = queue(reviewer_client, "organization=acme&status=escalated")

    assert response.context["applications"] == []
    assert "No organization you review matches" not in response.text


def test_it_never_matches_an_organization_the_reviewer_belongs_to(
    reviewer_client, reviewer, applicant, organization, acme_application, other_application
):
    membership_add(actor=applicant, organization=organization, user=reviewer, role=Role.MEMBER)

    by_name = queue(reviewer_client, "organization=acme")
    by_id = queue(reviewer_client, f"organization={organization.pk}")

    assert by_name.context["applications"] == []
    assert by_id.context["applications"] == []
    assert "No organization you review matches “acme”." in by_name.text
    assert titles(queue(reviewer_client, "organization=other")) == ["Door camera"]


def test_it_treats_a_number_beyond_any_id_as_part_of_a_name(reviewer_client, submit):
    submit(signup("nina@n.example", "Studio 99999999999999999999"), "Long number")

    response = queue(reviewer_client, "organization=99999999999999999999")

    assert response.status_code == 200
    assert titles(response) == ["Long number"]


@pytest.mark.parametrize(
    "typed", ["100%", "_", "a\\b", "x" * 200, "Ünïcødé", "'; DROP TABLE x; --"]
)
def test_it_takes_wildcards_and_odd_text_literally(reviewer_client, acme_application, typed):
    response = reviewer_client.get(reverse("reviews:queue"), {"organization": typed})

    assert response.status_code == 200
    assert response.context["applications"] == []


def test_it_refuses_an_overlong_name_and_keeps_the_other_filters(reviewer_client, acme_application):
    response = reviewer_client.get(
        reverse("reviews:queue"), {"organization": "x" * 201, "country": "GB"}
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.text
    assert titles(response) == ["Selfie check"]


def test_it_marks_the_chosen_country_and_outcome(reviewer_client, acme_application):
    response = queue(reviewer_client, "country=GB&outcome=escalate")

    assert '<option value="GB" selected>United Kingdom</option>' in response.text
    assert '<option value="escalate" selected>' in response.text
    # Status and capability show their empty choice; sort has none, the browser shows its first.
    assert response.text.count(" selected>") == 4


def test_a_row_claims_its_application_through_the_one_claim_form(
    reviewer, acme_application, other_application
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    page = client.get(reverse("reviews:queue") + "?organization=acme").text
    claim = reverse("reviews:review_claim", args=[acme_application.pk])
    form = re.search(r'<form id="claim" method="post">(.*?)</form>', page).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))

    assert f'form="claim" formaction="{claim}">Claim' in page
    response = client.post(claim, fields)

    assert response.status_code == 302
    assert response.url == "/review/?organization=acme"
    acme_application.refresh_from_db()
    assert acme_application.assignee == reviewer
