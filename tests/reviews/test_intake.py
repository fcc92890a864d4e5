"""Filing an application step by step: drafts, conditional questions, summary, submission."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reviews import services
from reviews.models import Application, Assessment

from ..conftest import make_facts
from .portal_steps import file_through_steps, step_posts


@pytest.fixture
def owner(client, applicant):
    client.force_login(applicant)
    return client


@pytest.fixture
def draft(owner, organization):
    owner.post(reverse("reviews:application_new"))
    return organization.applications.get()


def step_url(application, step):
    return reverse("reviews:application_step", args=[application.pk, step])


def post_step(client, application, step, data, nav="next"):
    application.refresh_from_db()
    return client.post(
        step_url(application, step), {**data, "version": application.version, "nav": nav}
    )


def test_it_files_an_application_through_the_steps_and_assesses_it(
    owner, organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = file_through_steps(owner, make_facts(organization), "Selfie check")

    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW
    assert application.facts == make_facts(organization)
    assert application.attestations == [
        "no_us_police",
        "no_mobile_realtime",
        "no_emotion_or_attributes",
        "accurate",
    ]
    assert Assessment.objects.get(application=application).outcome == "approvable"
    verbs = list(
        AuditEvent.objects.filter(
            object_id=str(application.pk), object_type="reviews.application"
        ).values_list("verb", flat=True)
    )
    assert verbs == ["application.draft_created", "application.submitted", "application.assessed"]


def test_it_starts_a_draft_only_by_post(owner, organization):
    page = owner.get(reverse("reviews:application_new"))

    assert page.status_code == 200
    assert not organization.applications.exists()


def test_it_keeps_invalid_input_and_shows_errors_next_to_the_fields(owner, draft):
    response = post_step(
        owner,
        draft,
        "use_case",
        {"title": "Door", "use_case": "", "description": "Badge photo check"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["use_case"]
    assert 'value="Door"' in response.text
    draft.refresh_from_db()
    assert draft.draft_data["use_case"]["description"] == ["Badge photo check"]
    again = owner.get(step_url(draft, "use_case"))
    assert "Badge photo check" in again.text and again.context["form"].errors["use_case"]


def test_it_resumes_where_the_applicant_left(owner, draft, organization):
    posts = step_posts(make_facts(organization), "Selfie")
    post_step(owner, draft, "use_case", posts["use_case"])
    post_step(owner, draft, "parties", posts["parties"], nav="save")

    response = owner.get(draft.get_absolute_url())

    assert response.url == step_url(draft, "parties")


def test_it_refuses_to_overwrite_a_colleagues_save(owner, draft, colleague, organization):
    from django.test import Client

    posts = step_posts(make_facts(organization), "Selfie")
    draft.refresh_from_db()
    stale_version = draft.version
    other = Client()
    other.force_login(colleague)
    other.post(step_url(draft, "use_case"), {**posts["use_case"], "version": stale_version})

    mine = {**posts["use_case"], "title": ["Mine"], "version": stale_version}
    response = owner.post(step_url(draft, "use_case"), mine)

    assert response.status_code == 400
    assert "A colleague saved this application while you were editing it" in response.text
    assert 'value="Mine"' in response.text
    draft.refresh_from_db()
    assert draft.draft_data["use_case"]["title"] == ["Selfie"]
    assert f'name="version" value="{draft.version}"' in response.text


def test_it_skips_camera_questions_and_the_gallery_when_they_do_not_apply(
    owner, draft, organization
):
    facts = make_facts(
        organization,
        capabilities=["text_generation"],
        use_case="document_processing",
        deployment={
            "real_time": False,
            "camera": "none",
            "environment": "not_applicable",
            "countries": [],
        },
    )
    posts = step_posts(facts, "Contracts")
    for step in ("use_case", "parties", "capabilities"):
        last = post_step(owner, draft, step, posts[step])

    people = owner.get(step_url(draft, "people"))

    assert last.url == step_url(draft, "people")
    assert "gallery" not in people.context["form"].fields
    assert "no_us_police" not in " ".join(
        owner.get(step_url(draft, "declarations")).context["form"].fields
    )


def test_it_requires_the_declarations(owner, draft, organization):
    posts = step_posts(make_facts(organization), "Selfie")
    for step in ("use_case", "parties", "capabilities", "deployment", "people"):
        post_step(owner, draft, step, posts[step])

    response = post_step(owner, draft, "declarations", {"attest_accurate": "on"})

    assert response.status_code == 400
    assert "You must confirm this statement to submit." in response.text
    assert "is not by or for a police department in the United States" in response.text


def test_it_previews_a_prohibited_outcome_with_the_reason(owner, draft, organization):
    facts = make_facts(organization, capabilities=["emotion_recognition"])
    for step, data in step_posts(facts, "Moods").items():
        post_step(owner, draft, step, data)

    summary = owner.get(reverse("reviews:application_summary", args=[draft.pk]) + "?preview=1")

    assert "This combination is prohibited because:" in summary.text
    assert "emotion" in summary.text.lower()
    assert not Assessment.objects.exists()


def test_it_lists_incomplete_steps_on_the_summary_and_refuses_to_submit(owner, draft):
    summary = owner.get(reverse("reviews:application_summary", args=[draft.pk]))
    submit = owner.post(
        reverse("reviews:application_submit", args=[draft.pk]), {"version": draft.version}
    )

    assert "Some steps need attention" in summary.text
    assert submit.url == reverse("reviews:application_summary", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_it_submits_once_however_often_the_button_is_pressed(
    owner, draft, organization, django_capture_on_commit_callbacks
):
    for step, data in step_posts(make_facts(organization), "Selfie").items():
        post_step(owner, draft, step, data)
    draft.refresh_from_db()
    url = reverse("reviews:application_submit", args=[draft.pk])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = owner.post(url, {"version": draft.version})
        second = owner.post(url, {"version": draft.version})

    assert first.url == second.url == draft.get_absolute_url()
    assert len(callbacks) == 1
    assert organization.applications.count() == 1
    assert AuditEvent.objects.filter(verb="application.submitted").count() == 1


def test_it_lists_applications_by_status_in_pages(
    owner, applicant, submit, django_assert_max_num_queries
):
    for index in range(30):
        submit(applicant, f"Use case {index}")
    owner.post(reverse("reviews:application_new"))

    with django_assert_max_num_queries(10):
        first = owner.get(reverse("reviews:application_list"))
    drafts = owner.get(reverse("reviews:application_list") + "?status=draft")
    second = owner.get(reverse("reviews:application_list") + "?page=2")

    assert len(first.context["applications"]) == 25
    assert len(second.context["applications"]) == 6
    assert [a.status for a in drafts.context["applications"]] == ["draft"]
    assert first.context["counts"] == {"draft": 1, "in_review": 30}


def test_it_answers_404_for_another_tenants_draft_and_step(client, outsider, draft):
    client.force_login(outsider)

    assert client.get(step_url(draft, "use_case")).status_code == 404
    assert client.post(reverse("reviews:application_submit", args=[draft.pk])).status_code == 404
    assert client.get(reverse("reviews:application_summary", args=[draft.pk])).status_code == 404


def test_it_answers_404_for_an_unknown_step(owner, draft):
    assert owner.get(step_url(draft, "nonsense")).status_code == 404


def _save(application, title: str, version: int):
    membership = application.organization.memberships.get(user=application.created_by)
    return services.application_save_step(
        actor=application.created_by,
        membership=membership,
        application=application,
        step="use_case",
        raw={"title": [title]},
        version=version,
        now=timezone.now(),
    )


def test_a_save_racing_a_colleagues_save_keeps_theirs(draft):
    """This save's page read the draft, then a colleague's save reached the database first."""
    read = Application.objects.get(pk=draft.pk)
    _save(Application.objects.get(pk=draft.pk), "Theirs", read.version)

    with pytest.raises(services.StaleDraftError):
        _save(read, "Mine", read.version)

    draft.refresh_from_db()
    assert draft.draft_data["use_case"] == {"title": ["Theirs"]}
    assert draft.version == read.version + 1


def test_a_save_racing_a_colleagues_submission_leaves_the_submission_alone(draft):
    read = Application.objects.get(pk=draft.pk)
    Application.objects.filter(pk=draft.pk).update(
        status=Application.Status.SUBMITTED, facts={}, submitted_at=timezone.now()
    )

    with pytest.raises(services.ReviewError, match="can no longer be edited"):
        _save(read, "Mine", read.version)

    draft.refresh_from_db()
    assert "use_case" not in draft.draft_data
