"""Issue 6, in Debian's Chromium: an application the policy sends to a senior reviewer goes
from the portal through questions, an answer, an escalation and an approval with conditions,
and the applicant sees the outcome.

Filed through the steps: face verification of job applicants whose result feeds hiring
decisions (consequential decisions: employment), so the seed policy's SENSITIVE-USE rule
makes it *escalate* (score 30, below the four-eyes threshold: one senior approval decides).
"""

import re

import pytest

from .conftest import PNG, emailed_path, shot, sign_in, sign_out

TITLE = "Identity check before interviews"
QUESTION = "Who looks at a failed match before it affects a candidate?"
ANSWER = "A trained recruiter reviews every failed match and offers an in-person ID check."
NOTE = "Hiring decisions depend on it: a senior reviewer should decide."
REASON = "Identity verification with human review and an in-person alternative."
CONDITIONS = "Keep the in-person ID check for every candidate who asks for it."


def _file_the_escalate_case(page, base: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="New application").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Use case").select_option("identity_verification")
    page.get_by_label("Description").fill(
        "Candidates take a selfie that we compare 1:1 with the photo in their own passport "
        "before a remote interview. A recruiter sees the result."
    )
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("For whom"))).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("Capabilities"))).to_be_visible()
    page.locator("input[name=capabilities][value=face_verification]").check()
    page.locator("input[name=capabilities][value=face_liveness]").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("Deployment"))).to_be_visible()
    page.locator("input[name=real_time][value=yes]").check()
    page.get_by_label("Source of images").select_option("user_device")
    page.get_by_label("Setting where images are captured").select_option("not_applicable")
    page.get_by_label("Countries of deployment").fill("GB, IE")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("People and safeguards"))).to_be_visible()
    page.get_by_label("What are faces matched against?").select_option("identity_documents")
    page.get_by_label("Job applicants").check()
    page.get_by_label("How do these people agree to it?").select_option("opt_in_with_alternative")
    page.locator("input[name=human_review][value=yes]").check()
    page.get_by_label("Employment").check()
    shot(page, "40-journey-people-employment")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("declarations"))).to_be_visible()
    for box in page.locator("input[type=checkbox][name^=attest_]").all():
        box.check()
    page.get_by_role("button", name="Save and continue").click()

    # The preview says a senior reviewer will look, and why.
    page.get_by_role("link", name="Check my application").click()
    expect(page.get_by_text("The policy would say:")).to_contain_text("Escalate")
    expect(page.get_by_text("A reviewer will look closely because:")).to_be_visible()
    shot(page, "41-journey-summary-escalate")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"APP-\d+ was submitted"))
    shot(page, "42-journey-submitted")


@pytest.mark.browser
def test_questions_an_answer_an_escalation_and_a_conditional_approval(
    settings, tmp_path, applicant, reviewer, senior_reviewer, page, live_server
):
    from playwright.sync_api import expect

    settings.DOCUMENTS_ROOT = str(tmp_path)
    base = live_server.url

    # The applicant files the case through the portal.
    sign_in(page, base, applicant.email)
    _file_the_escalate_case(page, base)
    reference = re.search(r"APP-\d+", page.get_by_role("status").inner_text()).group(0)
    sign_out(page)

    # A reviewer finds it in the queue, recommended for escalation, and asks a question.
    sign_in(page, base, reviewer.email)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(reference))
    expect(row).to_contain_text("Escalate")
    expect(row).to_contain_text("In review")
    shot(page, "43-journey-queue")
    row.get_by_role("link", name=reference).click()
    expect(page.get_by_text("SENSITIVE-USE")).to_be_visible()
    ask = page.locator("form#form-request_info")
    ask.get_by_label("Questions").fill(QUESTION)
    shot(page, "44-journey-reviewer-asks")
    ask.get_by_role("button", name="Send questions").click()
    expect(page.get_by_role("status")).to_have_text(
        f"{reference} sent back to the applicant with your questions."
    )
    # Waiting on the applicant, it leaves the actionable queue.
    expect(page.get_by_role("link", name=reference)).to_have_count(0)
    sign_out(page)

    # The applicant follows the emailed link, sees the question, adds a document, answers.
    sign_in(page, base, applicant.email)
    page.goto(base + emailed_path(applicant.email, "/applications/"))
    expect(page.get_by_role("heading", name="The reviewer has questions")).to_be_visible()
    expect(page.get_by_text(QUESTION).first).to_be_visible()
    page.get_by_label("Supporting document").set_input_files(
        files=[{"name": "recruiter-procedure.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("The document was added.")
    expect(page.get_by_role("link", name="recruiter-procedure.png")).to_be_visible()
    page.get_by_label("Answer").fill(ANSWER)
    shot(page, "45-journey-applicant-answers")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your answer was sent; the application is assessed again."
    )
    expect(page.get_by_role("heading", name="The reviewer has questions")).to_have_count(0)
    expect(page.get_by_text(f"A: {ANSWER}")).to_be_visible()
    shot(page, "46-journey-answered")
    sign_out(page)

    # The reviewer reads the answer and escalates with a note for senior reviewers.
    sign_in(page, base, reviewer.email)
    page.get_by_role("link", name=reference).click()
    conversation = page.locator(".card", has=page.get_by_role("heading", name="Conversation"))
    expect(conversation).to_contain_text(QUESTION)
    expect(conversation).to_contain_text(ANSWER)
    expect(page.get_by_role("link", name="recruiter-procedure.png")).to_be_visible()
    escalate = page.locator("form#form-escalate")
    escalate.get_by_label("Note to senior reviewers").fill(NOTE)
    shot(page, "47-journey-reviewer-escalates")
    escalate.get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("status")).to_have_text(f"{reference} escalated to senior reviewers.")
    sign_out(page)

    # A senior reviewer sees the note and approves with conditions.
    sign_in(page, base, senior_reviewer.email)
    row = page.get_by_role("row", name=re.compile(reference))
    expect(row).to_contain_text("Escalated")
    row.get_by_role("link", name=reference).click()
    expect(page.get_by_text(NOTE)).to_be_visible()  # in the audit trail, for staff only
    approve = page.locator("form#form-approve")
    approve.get_by_label("Message to the applicant").fill(REASON)
    approve.get_by_label("Conditions").fill(CONDITIONS)
    shot(page, "48-journey-senior-approves")
    approve.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text(f"{reference} approved.")
    sign_out(page)

    # The applicant sees the decision, its reason and its conditions; never the staff note.
    sign_in(page, base, applicant.email)
    page.goto(base + emailed_path(applicant.email, "/applications/"))
    decision = page.locator(".alert", has=page.get_by_role("heading", name=re.compile("Approved")))
    expect(decision.get_by_role("heading")).to_have_text(re.compile(r"^Approved on \d+ \w+ \d{4}$"))
    expect(decision).to_contain_text(REASON)
    expect(decision).to_contain_text(f"Conditions: {CONDITIONS}")
    expect(decision).to_contain_text("The approval runs until")
    expect(page.get_by_text(NOTE)).to_have_count(0)
    shot(page, "49-journey-applicant-sees-decision")
    # The email says the same, and keeps the staff note out too.
    [approval] = [m for m in _outbox(applicant.email) if m.subject == f"{reference} is approved"]
    assert CONDITIONS in approval.body
    assert NOTE not in approval.body


def _outbox(to: str) -> list:
    from django.core import mail

    return [message for message in mail.outbox if to in message.to]
