"""axe-core on every portal and reviewer page, in Debian's Chromium: no serious or critical
violation anywhere. Lesser ones (moderate, minor) are printed, not failed.

Each page is its own test. The data behind them is built once per test by `world` (pytest-
django empties the database after every live-server test), before the browser starts.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from ..conftest import PASSWORD
from .conftest import PNG, axe_violations, describe_violations, emailed_path, shot, sign_in

FAILING_IMPACTS = {"serious", "critical"}
ATTESTED = {f"attest_{key}": ["on"] for key in ("no_us_police", "no_mobile_realtime")} | {
    "attest_no_emotion_or_attributes": ["on"],
    "attest_accurate": ["on"],
}


@dataclass
class Visit:
    """Who opens which path, and the heading that proves the right page is shown."""

    who: str | None  # an email to sign in with, or None for nobody signed in
    path: str
    heading: str | re.Pattern


@dataclass
class World:
    visits: dict[str, Visit] = field(default_factory=dict)


def _membership(user):
    return user.memberships.select_related("organization").get()


@pytest.fixture
def world(
    seed_policy,
    catalogues,
    settings,
    tmp_path,
    applicant,
    colleague,
    outsider,
    reviewer,
    senior_reviewer,
    policy_staff,
    submit,
) -> World:
    """Every kind of page with something on it: applications in each state, a draft whose
    steps all apply, another with errors, an open question with a document, a pending
    invitation, decisions for the metrics. Only plain values leave this fixture."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Role
    from accounts.services import invitation_create, user_signup
    from reviews import services
    from reviews.models import Application, ReasonCode

    settings.DOCUMENTS_ROOT = str(tmp_path / "documents")
    (tmp_path / "documents").mkdir()
    now = timezone.now()
    membership = _membership(applicant)

    # Decided applications, so the list and the metrics have something to show.
    approved = submit(applicant, "Door entry")
    services.review_act(
        actor=reviewer,
        application_id=approved.pk,
        kind="approve",
        reason="Access control with an opt-out.",
        conditions="Keep the badge alternative at every door.",
        now=now,
    )
    denied = submit(applicant, "Shopper moods", capabilities=["emotion_recognition"])
    services.review_act(
        actor=reviewer,
        application_id=denied.pk,
        kind="deny",
        reason="Emotion recognition is prohibited.",
        reason_codes=list(ReasonCode.objects.filter(active=True)[:1]),
        now=now,
    )
    submit(outsider, "Staff door", use_case="touchless_access_control")

    # In review, approvable, overdue: the review page offers all four actions; the queue
    # shows the row in red.
    in_review = submit(applicant, "Selfie check")
    Application.objects.filter(pk=in_review.pk).update(sla_due_at=now - timedelta(days=2))
    # Escalate outcome, claimed by the reviewer: "My work" lists it.
    hiring = submit(applicant, "Hiring screen", consequential_decisions=["employment"])
    services.review_claim(actor=reviewer, application_id=hiring.pk, now=now)

    # Waiting on the applicant: an open question and a document.
    questioned = submit(applicant, "Branch kiosk")
    services.information_request_create(
        actor=reviewer,
        application_id=questioned.pk,
        questions="Where are the kiosks?\nWho sees the matches?",
        now=now,
    )
    services.document_add(
        actor=applicant,
        role=membership.role,
        application=questioned,
        upload=SimpleUploadedFile("dpia.png", PNG, content_type="image/png"),
        now=now,
    )

    # A draft whose every step applies and validates (copied, then declared).
    draft = services.application_copy(
        actor=applicant, membership=membership, source=in_review, now=now
    )
    draft = services.application_save_step(
        actor=applicant,
        membership=membership,
        application=draft,
        step="declarations",
        raw=ATTESTED,
        version=draft.version,
        now=now,
    )
    # A draft saved with errors: coming back shows them next to the fields.
    broken = services.application_create_draft(actor=applicant, membership=membership, now=now)
    services.application_save_step(
        actor=applicant,
        membership=membership,
        application=broken,
        step="use_case",
        raw={"title": [""], "use_case": [""], "description": [""]},
        version=broken.version,
        now=now,
    )

    invitation_create(
        actor=applicant, membership=membership, email="ivy@acme.example", role=Role.MEMBER, now=now
    )
    user_signup(email="uma@newco.example", full_name="Uma Unverified", password=PASSWORD)
    user_signup(
        email="nora@newco.example", full_name="Nora New", password=PASSWORD, verified_at=now
    )

    alice, sam, riley = applicant.email, senior_reviewer.email, reviewer.email
    title = re.compile(r"^(Copy of Selfie check|New application)")

    def step(key: str, pk: int = draft.pk) -> str:
        return f"/applications/{pk}/edit/{key}/"

    visits = {
        "login": Visit(None, "/accounts/login/", "Sign in to Gatehouse"),
        "signup": Visit(None, "/accounts/signup/", "Create your Gatehouse account"),
        "password-reset": Visit(None, "/accounts/password/reset/", re.compile("password")),
        "invitation": Visit(
            None,
            emailed_path("ivy@acme.example", "/accounts/invitations/"),
            "Join Acme Identity",
        ),
        "verify-email-sent": Visit("uma@newco.example", "/accounts/verify/", "Check your inbox"),
        "organization-new": Visit(
            "nora@newco.example", "/accounts/organization/new/", "Set up your organization"
        ),
        "organization-profile": Visit(alice, "/accounts/organization/", "Acme Identity"),
        "members": Visit(alice, "/accounts/organization/members/", "Members of Acme Identity"),
        "password-change": Visit(alice, "/accounts/password/change/", re.compile("password")),
        "two-factor-setup": Visit(alice, "/accounts/two-factor/", re.compile("Two-factor")),
        "two-factor-code": Visit(
            policy_staff.email, "/accounts/two-factor/verify/", "Enter your code"
        ),
        "application-start": Visit(alice, "/applications/new/", "File a use-case application"),
        "applications": Visit(alice, "/applications/", "Acme Identity: applications"),
        "step-use-case": Visit(alice, step("use_case"), title),
        "step-use-case-errors": Visit(alice, step("use_case", broken.pk), title),
        "step-parties": Visit(alice, step("parties"), title),
        "step-capabilities": Visit(alice, step("capabilities"), title),
        "step-deployment": Visit(alice, step("deployment"), title),
        "step-people": Visit(alice, step("people"), title),
        "step-declarations": Visit(alice, step("declarations"), title),
        "summary-preview": Visit(alice, f"/applications/{draft.pk}/summary/?preview=1", title),
        "status-open-question": Visit(
            alice, f"/applications/{questioned.pk}/", re.compile("Branch kiosk")
        ),
        "status-approved": Visit(alice, f"/applications/{approved.pk}/", re.compile("Door entry")),
        "status-denied": Visit(alice, f"/applications/{denied.pk}/", re.compile("Shopper moods")),
        "queue": Visit(riley, "/review/", "Review queue"),
        "queue-filtered": Visit(
            riley,
            "/review/?status=&outcome=escalate&capability=face_verification&country=GB"
            "&older_than=0&sort=sla",
            "Review queue",
        ),
        "queue-my-work": Visit(riley, "/review/?assignee=me", "Review queue"),
        "review-four-actions": Visit(sam, f"/review/{in_review.pk}/", re.compile("Selfie check")),
        "review-decided": Visit(sam, f"/review/{approved.pk}/", re.compile("Door entry")),
        "metrics": Visit(sam, "/review/metrics/", re.compile("Review metrics")),
    }
    return World(visits)


PAGES = [
    "login",
    "signup",
    "password-reset",
    "invitation",
    "verify-email-sent",
    "organization-new",
    "organization-profile",
    "members",
    "password-change",
    "two-factor-setup",
    "two-factor-code",
    "application-start",
    "applications",
    "step-use-case",
    "step-use-case-errors",
    "step-parties",
    "step-capabilities",
    "step-deployment",
    "step-people",
    "step-declarations",
    "summary-preview",
    "status-open-question",
    "status-approved",
    "status-denied",
    "queue",
    "queue-filtered",
    "queue-my-work",
    "review-four-actions",
    "review-decided",
    "metrics",
]


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_serious_accessibility_violation(name, world, page, live_server):
    from playwright.sync_api import expect

    base = live_server.url
    visit = world.visits[name]
    if visit.who:
        sign_in(page, base, visit.who)
    response = page.goto(base + visit.path)
    assert response is not None and response.status == 200, (name, response and response.status)
    expect(page).to_have_url(base + visit.path)
    expect(page.get_by_role("heading", level=1)).to_have_text(visit.heading)
    shot(page, f"a11y-{name}")

    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(f"\n{name}: lesser axe violations (not failed):\n{describe_violations(others)}")
    assert not failing, f"{name}:\n{describe_violations(failing)}"


@pytest.mark.browser
def test_the_review_page_shows_all_four_action_forms(world, page, live_server):
    """The page checked above really carries the four forms, so axe saw them."""
    from playwright.sync_api import expect

    visit = world.visits["review-four-actions"]
    sign_in(page, live_server.url, visit.who)
    page.goto(live_server.url + visit.path)
    for kind in ("approve", "deny", "request_info", "escalate"):
        # form#…: crispy-bootstrap5 repeats the form's id on the checkbox group of the deny form.
        expect(page.locator(f"form#form-{kind}")).to_be_visible()


@pytest.mark.browser
def test_the_metrics_charts_give_their_numbers_in_text(world, page, live_server):
    """A chart is an image with a title; the numbers are in a table screen readers read."""
    from playwright.sync_api import expect

    visit = world.visits["metrics"]
    sign_in(page, live_server.url, visit.who)
    page.goto(live_server.url + visit.path)
    decisions = page.get_by_role("table", name="Decisions in the last 30 days")
    expect(decisions.get_by_role("row", name="Approved 1")).to_have_count(1)
    expect(decisions.get_by_role("row", name="Denied 1")).to_have_count(1)
    rules = page.get_by_role("table", name="Top rule hits, last 30 days")
    expect(rules.get_by_role("row", name="EMOTION 1")).to_have_count(1)
    queue = page.get_by_role("table", name="Open applications per day, last 30 days")
    expect(queue.get_by_role("row")).to_have_count(32)  # the header and 31 days
