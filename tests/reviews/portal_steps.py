"""File an application through the portal's steps, as a person would."""

from django.urls import reverse

from reviews.forms.steps import STEPS, StepContext, draft_data_from_facts
from reviews.models import Application


def step_posts(facts: dict, title: str) -> dict[str, dict]:
    """Return the POST data of each step that states these facts (with every declaration)."""
    data = draft_data_from_facts(facts, title)
    context = StepContext(organization=None, capabilities=frozenset(facts["capabilities"]))
    data["declarations"] = {f"attest_{key}": ["on"] for key in context.attestations()}
    return data


def file_through_steps(client, facts: dict, title: str = "Use case") -> Application:
    """Start a draft, post every relevant step, submit; return the application."""
    client.post(reverse("reviews:application_new"))
    application = Application.objects.order_by("-pk").first()
    posts = step_posts(facts, title)
    context = StepContext(organization=None, capabilities=frozenset(facts["capabilities"]))
    for step in STEPS:
        if not step.applies(context):
            continue
        application.refresh_from_db()
        response = client.post(
            reverse("reviews:application_step", args=[application.pk, step.key]),
            {**posts[step.key], "version": application.version, "nav": "next"},
        )
        assert response.status_code == 302, (step.key, _errors(response))
    application.refresh_from_db()
    response = client.post(
        reverse("reviews:application_submit", args=[application.pk]),
        {"version": application.version},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    return application


def _errors(response):
    form = response.context.get("form") if response.context else None
    if form is None:
        return response.status_code
    return getattr(form, "errors", None)
