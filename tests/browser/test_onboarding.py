"""Onboarding in Debian's Chromium: sign up, verify the address, set up the organization,
invite a colleague who joins from the emailed link, and see them among the members."""

import re

import pytest
from django.utils import timezone

from ..conftest import PASSWORD
from .conftest import emailed_path, shot, sign_in, sign_up


def _outbox_to(email: str) -> list:
    from django.core import mail

    return [message for message in mail.outbox if email in message.to]


@pytest.mark.browser
def test_an_owner_signs_up_sets_up_the_organization_and_a_colleague_joins(page, live_server):
    from playwright.sync_api import expect

    base = live_server.url

    # Sign up: the account only.
    sign_up(page, base, full_name="Alice Owner", email="alice@acme.example")
    shot(page, "20-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{base}/accounts/verify/")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.get_by_text("We sent a link to alice@acme.example.")).to_be_visible()
    shot(page, "21-verify-email-sent")
    [verification] = _outbox_to("alice@acme.example")
    assert verification.subject == "Confirm your email address for Gatehouse"

    # Until the address is verified, there is no organization to set up.
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/verify/")

    # Verify: the link from the email leads on to the organization form.
    page.goto(base + emailed_path("alice@acme.example", "/accounts/verify/"))
    expect(page).to_have_url(f"{base}/accounts/organization/new/")
    expect(page.get_by_role("status")).to_have_text("Your email address is verified.")
    expect(page.get_by_role("heading", name="Set up your organization")).to_be_visible()
    page.get_by_label("Legal name").fill("Acme Identity Ltd")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Organization type").select_option("software_vendor")
    page.get_by_label("Website").fill("https://acme.example")
    page.get_by_label("Email domain").fill("acme.example")
    page.get_by_label("Acts for end customers").check()
    shot(page, "22-organization-form")
    page.get_by_role("button", name="Create organization").click()

    # Members: the owner is alone and invites a colleague as a member.
    expect(page).to_have_url(f"{base}/accounts/organization/members/")
    expect(page.get_by_role("status")).to_have_text(
        "Acme Identity Ltd is set up. Invite your colleagues."
    )
    members = page.locator("table").first
    expect(members.get_by_role("row")).to_have_count(2)  # the header and the owner
    expect(members.get_by_role("row", name=re.compile("alice@acme.example"))).to_contain_text(
        "Owner"
    )
    page.get_by_label("Colleague's email").fill("colin@acme.example")
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_have_text(
        "An invitation is on its way to colin@acme.example."
    )
    invitations = page.locator("table").nth(1)
    pending = invitations.get_by_role("row", name=re.compile("colin@acme.example"))
    expect(pending).to_contain_text("Member")
    expect(pending).to_contain_text("invited by alice@acme.example")
    expect(pending.get_by_role("button", name="Revoke")).to_be_visible()
    shot(page, "24-members-pending-invitation")
    [invitation] = _outbox_to("colin@acme.example")
    assert invitation.subject == "Alice Owner invites you to Acme Identity Ltd on Gatehouse"

    # The colleague opens the link in a browser where nobody is signed in.
    link = emailed_path("colin@acme.example", "/accounts/invitations/")
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        colleague = context.new_page()
        colleague.set_default_timeout(15_000)
        colleague.goto(base + link)
        expect(colleague.get_by_role("heading", name="Join Acme Identity Ltd")).to_be_visible()
        expect(
            colleague.get_by_text("Alice Owner invites colin@acme.example to join as member.")
        ).to_be_visible()
        colleague.get_by_label("Your full name").fill("Colin Colleague")
        colleague.get_by_label("Password").fill(PASSWORD)
        shot(colleague, "25-invitation-acceptance")
        colleague.get_by_role("button", name="Create account and join").click()
        expect(colleague.get_by_role("status")).to_have_text("Welcome to Acme Identity Ltd.")
        expect(
            colleague.get_by_role("heading", name="Acme Identity Ltd: applications")
        ).to_be_visible()
        expect(colleague.get_by_role("navigation")).to_contain_text("colin@acme.example")
        shot(colleague, "26-colleague-joined")

        # The link works once.
        colleague.goto(base + link)
        expect(colleague.get_by_role("heading", name="This link does not work")).to_be_visible()
    finally:
        context.close()

    # The owner sees the colleague among the members, and no open invitation.
    page.reload()
    expect(members.get_by_role("row")).to_have_count(3)
    joined = members.get_by_role("row", name=re.compile("colin@acme.example"))
    expect(joined).to_contain_text("Colin Colleague")
    expect(joined.get_by_label("Role of colin@acme.example")).to_have_value("member")
    expect(invitations).to_contain_text("No open invitations.")
    shot(page, "27-members-after-acceptance")

    page.get_by_role("link", name="Organization profile").click()
    expect(page.get_by_role("heading", name="Acme Identity Ltd")).to_be_visible()
    expect(page.get_by_label("Legal name")).to_have_value("Acme Identity Ltd")
    expect(page.locator("#id_country")).to_have_value("GB")
    expect(page.get_by_label("Email domain")).to_have_value("acme.example")
    expect(page.get_by_label("Acts for end customers")).to_be_checked()
    shot(page, "28-organization-profile")


@pytest.fixture
def gmail_user(db):
    """A verified account on a personal email domain, with no organization."""
    from accounts.services import user_signup

    return user_signup(
        email="bob@gmail.com",
        full_name="Bob Personal",
        password=PASSWORD,
        verified_at=timezone.now(),
    )


@pytest.mark.browser
def test_a_personal_address_cannot_create_an_organization(gmail_user, page, live_server):
    from playwright.sync_api import expect

    base = live_server.url
    sign_in(page, base, gmail_user.email)
    expect(page).to_have_url(f"{base}/accounts/organization/new/")
    # The page says so before anything is typed ...
    expect(
        page.get_by_text("You signed up with gmail.com, a personal email provider")
    ).to_be_visible()
    page.get_by_label("Legal name").fill("Bob's Biometrics")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Organization type").select_option("commercial")
    page.get_by_role("button", name="Create organization").click()

    # ... and refuses it, above the form: no field can fix the address.
    name = page.get_by_label("Legal name")
    error = page.locator(".alert-block.alert-danger")
    expect(error).to_contain_text("gmail.com is a personal email provider")
    expect(error).to_contain_text("ask a colleague to invite you")
    # What was typed stays in the form.
    expect(name).to_have_value("Bob's Biometrics")
    expect(page.get_by_label("Country")).to_have_value("US")
    shot(page, "23-organization-form-error")
    # Still no organization: the navigation offers no organization pages.
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
