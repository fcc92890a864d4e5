"""Walk the thin path in Debian's Chromium: sign up, file, review, see the outcome."""

import re

import pytest

from ..conftest import PASSWORD
from .conftest import shot, sign_in


@pytest.mark.browser
def test_it_walks_from_signup_to_a_visible_decision(reviewer, page, live_server):
    from playwright.sync_api import expect

    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    shot(page, "01-login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your full name").fill("Alice Applicant")
    page.get_by_label("Work email").fill("alice@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization's legal name").fill("Acme Identity")
    page.get_by_label("Country").fill("GB")
    page.get_by_label("Organization type").select_option("software_vendor")
    shot(page, "02-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Acme Identity: applications")).to_be_visible()

    page.get_by_role("link", name="New application").click()
    page.get_by_label("Title").fill("Selfie check at account opening")
    page.get_by_label("Use case").select_option("identity_verification")
    page.locator("#id_description").fill(
        "New customers take a selfie that we compare 1:1 with their own passport photo."
    )
    page.get_by_label("Face verification (1:1)").check()
    page.get_by_label("Liveness: check").check()
    page.locator("#id_real_time_0").check()
    page.get_by_label("Source of images").select_option("user_device")
    page.get_by_label("Environment").select_option("not_applicable")
    page.get_by_label("Countries of deployment").fill("GB")
    page.get_by_label("What faces are matched against").select_option("identity_documents")
    page.get_by_label("Customers", exact=True).check()
    page.get_by_label("Consent").select_option("opt_in_with_alternative")
    page.locator("#id_human_review_0").check()
    shot(page, "03-application-form")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_text("was submitted for review")).to_be_visible()
    shot(page, "04-application-submitted")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "riley@gatehouse.example")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_text("Approvable")).to_be_visible()
    shot(page, "05-review-queue")
    page.get_by_role("link", name=re.compile(r"^APP-")).click()
    page.locator("#id_approve-reason").fill("Identity verification with a branch alternative.")
    shot(page, "06-review-detail")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("was approved")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "alice@acme.example")
    page.get_by_role("link", name=re.compile(r"^APP-")).click()
    expect(page.get_by_role("heading", name=re.compile("^Approved on"))).to_be_visible()
    expect(page.get_by_text("Identity verification with a branch alternative.")).to_be_visible()
    shot(page, "07-applicant-sees-decision")
