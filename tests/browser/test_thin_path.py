"""Walk the thin path in Debian's Chromium: sign up, verify, set up the organization, file,
review, see the outcome."""

import re

import pytest

from .conftest import emailed_path, shot, sign_in, sign_out, sign_up


@pytest.mark.browser
def test_it_walks_from_signup_to_a_visible_decision(reviewer, page, live_server):
    from playwright.sync_api import expect

    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    shot(page, "01-login")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create your Gatehouse account")).to_be_visible()
    sign_up(page, base, full_name="Alice Applicant", email="alice@acme.example")
    shot(page, "02-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    page.goto(base + emailed_path("alice@acme.example", "/accounts/verify/"))
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
    expect(page.get_by_role("heading", name="Set up your organization")).to_be_visible()
    page.get_by_label("Legal name").fill("Acme Identity")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Organization type").select_option("software_vendor")
    page.get_by_label("Email domain").fill("acme.example")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("Acme Identity is set up.")).to_be_visible()
    expect(page.get_by_role("heading", name="Members of Acme Identity")).to_be_visible()

    page.get_by_role("link", name="Applications").click()
    expect(page.get_by_role("heading", name="Acme Identity: applications")).to_be_visible()
    page.get_by_role("button", name="New application").click()

    # Step 1: use case.
    page.get_by_label("Title").fill("Selfie check at account opening")
    page.get_by_label("Use case").select_option("identity_verification")
    page.get_by_label("Description").fill(
        "New customers take a selfie that we compare 1:1 with their own passport photo."
    )
    shot(page, "03-application-form")
    page.get_by_role("button", name="Save and continue").click()
    # Step 2: for whom; the organization is the end user, so the rows stay empty.
    expect(page.get_by_role("heading", name=re.compile("For whom"))).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    # Step 3: capabilities (checked by value: the catalogue labels may change).
    expect(page.get_by_role("heading", name=re.compile("Capabilities"))).to_be_visible()
    page.locator("input[name=capabilities][value=face_verification]").check()
    page.locator("input[name=capabilities][value=face_liveness]").check()
    page.get_by_role("button", name="Save and continue").click()
    # Step 4: deployment, asked because the capabilities look at images.
    expect(page.get_by_role("heading", name=re.compile("Deployment"))).to_be_visible()
    page.locator("input[name=real_time][value=yes]").check()
    page.get_by_label("Source of images").select_option("user_device")
    page.get_by_label("Setting where images are captured").select_option("not_applicable")
    page.get_by_label("Countries of deployment").fill("GB")
    page.get_by_role("button", name="Save and continue").click()
    # Step 5: people and safeguards.
    expect(page.get_by_role("heading", name=re.compile("People and safeguards"))).to_be_visible()
    page.get_by_label("What are faces matched against?").select_option("identity_documents")
    page.get_by_label("Customers", exact=True).check()
    page.get_by_label("How do these people agree to it?").select_option("opt_in_with_alternative")
    page.locator("input[name=human_review][value=yes]").check()
    page.get_by_role("button", name="Save and continue").click()
    # Step 6: declarations; every statement must be confirmed.
    expect(page.get_by_role("heading", name=re.compile("declarations"))).to_be_visible()
    for box in page.locator("input[type=checkbox][name^=attest_]").all():
        box.check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="What you will submit")).to_be_visible()
    page.get_by_role("link", name="Check my application").click()
    expect(page.get_by_text("The policy would say:")).to_be_visible()
    shot(page, "03b-application-summary")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_text("was submitted for review")).to_be_visible()
    shot(page, "04-application-submitted")
    sign_out(page)

    sign_in(page, base, "riley@gatehouse.example")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_role("cell", name="Approvable")).to_be_visible()
    shot(page, "05-review-queue")
    page.get_by_role("link", name=re.compile(r"^APP-")).click()
    approve = page.locator("form[action$='/approve/']")
    approve.get_by_label("Message to the applicant").fill(
        "Identity verification with a branch alternative."
    )
    shot(page, "06-review-detail")
    approve.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"APP-\d+ approved"))
    sign_out(page)

    sign_in(page, base, "alice@acme.example")
    page.get_by_role("link", name=re.compile(r"^APP-")).click()
    expect(page.get_by_role("heading", name=re.compile("^Approved on"))).to_be_visible()
    expect(page.get_by_text("Identity verification with a branch alternative.")).to_be_visible()
    shot(page, "07-applicant-sees-decision")
