"""The SLA clock, the overdue digest, and the metrics page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reviews.models import Application
from reviews.services import application_decide, information_request_create
from reviews.services.applications import add_business_days
from reviews.tasks import send_sla_digest


def test_it_counts_business_days():
    friday = datetime(2026, 11, 27, 9, tzinfo=UTC)

    assert add_business_days(friday, 1).weekday() == 0
    assert add_business_days(friday, 5) == datetime(2026, 12, 4, 9, tzinfo=UTC)


def test_it_sets_the_sla_by_outcome(applicant, submit, settings):
    approvable = submit(applicant, "Selfie")
    prohibited = submit(applicant, "Moods", capabilities=["emotion_recognition"])

    for application, days in ((approvable, 5), (prohibited, 3)):
        expected = add_business_days(application.submitted_at, days)
        assert application.sla_due_at == expected


def test_it_pauses_the_clock_while_waiting_on_the_applicant(
    applicant, reviewer, submit, django_capture_on_commit_callbacks
):
    from accounts.models import Membership
    from reviews.services import information_request_answer

    application = submit(applicant)
    due = application.sla_due_at
    information_request_create(
        actor=reviewer, application_id=application.pk, questions="?", now=timezone.now()
    )
    application.refresh_from_db()
    Application.objects.filter(pk=application.pk).update(
        sla_paused_at=application.sla_paused_at - timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        information_request_answer(
            actor=applicant,
            membership=Membership.objects.get(user=applicant),
            application_id=application.pk,
            answer="Here.",
            facts=application.facts,
            now=timezone.now(),
        )

    application.refresh_from_db()
    assert application.status == "in_review"
    assert timedelta(days=2) <= application.sla_due_at - due < timedelta(days=2, minutes=1)


def test_it_emails_senior_reviewers_the_overdue_applications(
    applicant, submit, senior_reviewer, reviewer
):
    late = submit(applicant, "Late one")
    submit(applicant, "On time")
    Application.objects.filter(pk=late.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))

    assert send_sla_digest() == 1

    assert [m.to for m in mail.outbox] == [[senior_reviewer.email]]
    assert "Late one" in mail.outbox[0].body and "On time" not in mail.outbox[0].body
    assert mail.outbox[0].subject == "1 application past their review deadline"


def test_it_highlights_overdue_rows_in_the_queue(client, reviewer, applicant, submit):
    late = submit(applicant, "Late one")
    Application.objects.filter(pk=late.pk).update(sla_due_at=timezone.now() - timedelta(days=1))
    client.force_login(reviewer)

    page = client.get(reverse("reviews:queue") + "?sort=sla")

    assert 'class="table-danger"' in page.text and "Overdue" in page.text


def test_it_shows_metrics_with_charts_to_senior_reviewers(
    client, senior_reviewer, reviewer, applicant, submit
):
    selfie = submit(applicant, "Selfie")
    moods = submit(applicant, "Moods", capabilities=["emotion_recognition"])
    application_decide(
        actor=reviewer, application_id=selfie.pk, kind="approve", reason="ok", now=timezone.now()
    )
    application_decide(
        actor=reviewer, application_id=moods.pk, kind="deny", reason="no", now=timezone.now()
    )
    client.force_login(senior_reviewer)

    page = client.get(reverse("reviews:metrics"))

    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    figures = page.context["figures"]
    assert figures["decided"] == 2
    assert dict(figures["outcomes"]) == {"approved": 1, "denied": 1}
    emotion = next(row for row in figures["overrules"] if row["rule"] == "EMOTION")
    assert (emotion["denied"], emotion["against"]) == (1, 0)


@pytest.mark.parametrize("persona", ["reviewer", "applicant"])
def test_it_hides_metrics_from_others(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("reviews:metrics")).status_code == 404


def test_it_escapes_labels_in_charts():
    from reviews.charts import bar_chart

    svg = bar_chart([("<script>x</script>", 3)], title="T")

    assert "<script>" not in svg and "&lt;script&gt;" in svg
