"""T26 in Debian's Chromium: the key flows run under the enforced Content-Security-Policy with
no violation at all (no inline script or style, no foreign source), for customers, reviewers
and policy staff in the admin.

Violations are collected twice: a `securitypolicyviolation` listener that an init script
installs in every document before the page's own scripts, and Chromium's console errors
("Refused to ... Content Security Policy"), which also catch a violation on a page that was
left before it could be read. A negative control proves the collector sees a violation.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from .conftest import enter_totp_code, sign_in

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || location.pathname}:${event.lineNumber}) ${event.sample || ""}`
  );
});
"""
# A valid 1x1 RGBA PNG (every chunk whole, CRCs right): documents are checked by content.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\x0bIDATx\x9cc\xf8\x0f\x04\x00\t\xfb\x03\xfd\xfb^k+\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
ATTESTED = {
    "attest_no_us_police": ["on"],
    "attest_no_mobile_realtime": ["on"],
    "attest_no_emotion_or_attributes": ["on"],
    "attest_accurate": ["on"],
}


@dataclass
class CspWatch:
    """Collects the CSP violations of every page the browser opens."""

    page: object
    seen: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.page.add_init_script(LISTEN)
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.seen.append(f"console on {self.page.url}: {message.text}")

    def check(self) -> None:
        """Read the violations of the page shown now."""
        self.page.wait_for_load_state("load")
        self.pages.append(self.page.url)
        found = self.page.evaluate("() => window.__cspViolations || null")
        assert found is not None, f"the listener is missing on {self.page.url}"
        self.seen.extend(f"{self.page.url}: {line}" for line in found)

    def assert_clean(self, *, pages: int) -> None:
        assert len(self.pages) >= pages, self.pages
        assert not self.seen, "CSP violations:\n" + "\n".join(self.seen)


@pytest.fixture
def flows(seed_policy, catalogues, settings, tmp_path, applicant, reviewer, submit):
    """A submitted application, a filled-in draft copied from it, and one waiting in the
    queue; built before the browser starts."""
    from reviews import services

    settings.DOCUMENTS_ROOT = str(tmp_path / "documents")
    now = timezone.now()
    membership = applicant.memberships.select_related("organization").get()
    in_review = submit(applicant, "Selfie check")
    decided = submit(applicant, "Door entry", use_case="touchless_access_control")
    services.review_act(
        actor=reviewer,
        application_id=decided.pk,
        kind="approve",
        reason="Access control with an opt-out.",
        now=now,
    )
    draft = services.application_copy(
        actor=applicant, membership=membership, source=in_review, now=now
    )
    services.application_save_step(
        actor=applicant,
        membership=membership,
        application=draft,
        step="declarations",
        raw=ATTESTED,
        version=draft.version,
        now=now,
    )
    return {"in_review": in_review.pk, "draft": draft.pk, "decided": decided.pk}


@pytest.mark.browser
def test_the_customer_flows_break_no_csp_rule(applicant, flows, page, live_server):
    from playwright.sync_api import expect

    base, watch = live_server.url, CspWatch(page)

    page.goto(f"{base}/accounts/login/")
    watch.check()
    sign_in(page, base, applicant.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Identity: applications")
    watch.check()
    page.goto(f"{base}/applications/new/")
    watch.check()

    # Every step of the draft, saved in turn, then the summary, its preview and submission.
    page.goto(f"{base}/applications/{flows['draft']}/edit/use_case/")
    for _ in range(6):
        watch.check()
        page.get_by_role("button", name="Save and continue").click()
    watch.check()
    page.get_by_role("link", name="Check my application").click()
    watch.check()
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"APP-\d+ was submitted"))
    watch.check()

    # The detail page, with an upload through the form.
    page.goto(f"{base}/applications/{flows['in_review']}/")
    watch.check()
    page.get_by_label("Supporting document").set_input_files(
        files=[{"name": "procedure.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("The document was added.")
    watch.check()
    page.goto(f"{base}/applications/{flows['decided']}/")
    watch.check()
    for path in ("/accounts/organization/", "/accounts/organization/members/", "/nowhere/"):
        page.goto(base + path)
        watch.check()

    watch.assert_clean(pages=17)


@pytest.mark.browser
def test_the_reviewer_flows_break_no_csp_rule(senior_reviewer, flows, page, live_server):
    from playwright.sync_api import expect

    base, watch = live_server.url, CspWatch(page)

    sign_in(page, base, senior_reviewer.email)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    watch.check()
    page.goto(f"{base}/review/?outcome=approve&sort=sla")
    watch.check()
    page.goto(f"{base}/review/{flows['in_review']}/")
    watch.check()
    page.get_by_role("button", name="Claim").click()
    watch.check()
    page.goto(f"{base}/review/{flows['decided']}/")
    watch.check()
    page.goto(f"{base}/review/metrics/")
    expect(page.get_by_role("table", name="Decisions in the last 30 days")).to_be_visible()
    expect(page.locator("svg").first).to_be_visible()  # the charts are on the page
    watch.check()

    watch.assert_clean(pages=6)


# Known, and to be fixed outside this file: the policy version page of the admin puts inline
# style attributes in its validity summary and rule conditions (reviews/admin/policy.py,
# format_html with style="...") and its draft buttons (templates/admin/reviews/policyversion/
# change_form.html). The browser refuses them (the page still works, unstyled). Once they
# are classes in a stylesheet, the last assertion of the admin test fails: drop this then.
@pytest.mark.browser
def test_the_admin_breaks_no_csp_rule(policy_staff, flows, page, live_server):
    base, watch = live_server.url, CspWatch(page)

    page.goto(f"{base}/admin/")
    watch.check()
    page.get_by_label("Email address").fill(policy_staff.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Log in").click()
    watch.check()
    enter_totp_code(page, policy_staff.otp_device)
    watch.check()
    page.get_by_role("link", name="Policy versions").click()
    watch.check()
    page.get_by_role("link", name="2024.05.1").click()  # a change form, read-only once published
    watch.check()
    page.goto(f"{base}/admin/reviews/capability/")
    watch.check()
    page.locator("#result_list tbody a").first.click()  # an editable change form
    watch.check()
    page.goto(f"{base}/admin/reviews/capability/add/")
    watch.check()
    page.goto(f"{base}/admin/reviews/application/?status__exact=in_review")
    watch.check()
    page.goto(f"{base}/admin/reviews/application/{flows['in_review']}/change/")
    watch.check()
    page.goto(f"{base}/admin/audit/auditevent/?q=application")
    watch.check()

    watch.assert_clean(pages=11)


@pytest.mark.browser
def test_the_watch_sees_a_violation(db, page, live_server):
    """Negative control: an inline script added to a page is refused, and reported."""
    watch = CspWatch(page)
    page.goto(f"{live_server.url}/accounts/login/")

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true;";
            document.body.append(script);
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    watch.check()

    assert page.evaluate("() => window.__inlineRan === undefined"), "the policy is enforced"
    assert any("script-src" in line for line in watch.seen), watch.seen
