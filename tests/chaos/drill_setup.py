"""Data for the outage drill, made inside the drill's own stack:

    DATABASE_URL=… python manage.py shell -c "from tests.chaos.drill_setup import main; main(200)"

Prints one JSON line: the applicant's session cookie and the drafts, each complete and ready
for its final "Submit" POST (which the drill sends while it breaks the services)."""

import json

from django.conf import settings
from django.test import Client
from django.utils import timezone

from reviews.services import application_create_draft
from tests.conftest import make_facts, signup
from tests.reviews.portal_steps import step_posts


def main(count: int) -> None:
    applicant = signup("drill@acme.example", "Drill Identity")
    membership = applicant.memberships.select_related("organization").get()
    facts = make_facts(membership.organization)
    drafts = []
    for n in range(count):
        title = f"Drill {n}"
        draft = application_create_draft(
            actor=applicant,
            membership=membership,
            now=timezone.now(),
            title=title,
            draft_data=step_posts(facts, title),
        )
        drafts.append({"id": draft.pk, "version": draft.version})
    client = Client()
    client.force_login(applicant)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    print(json.dumps({"session": cookie, "drafts": drafts}))
