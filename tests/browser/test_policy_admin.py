"""Policy staff draft, simulate and publish a policy version in the admin, in Chromium."""

import pytest

from .conftest import enter_totp_code, shot


@pytest.mark.browser
def test_it_drafts_simulates_and_publishes_a_version(policy_staff, submit_demo, page, live_server):
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(f"{base}/admin/")
    page.get_by_label("Email address").fill(policy_staff.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Log in").click()
    # Policy staff sign in with two factors: the code page follows, then the admin.
    enter_totp_code(page, policy_staff.otp_device)
    page.get_by_role("link", name="Policy versions").click()
    shot(page, "10-admin-policy-versions")
    page.get_by_role("link", name="2024.05.1").click()
    expect(page.get_by_text("Valid: 18 rules; all 20 golden cases pass.")).to_be_visible()
    shot(page, "11-admin-published-version", full_page=False)

    page.get_by_role("link", name="New draft from this version").click()
    page.get_by_label("Version").fill("2024.06")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft 2024.06 was created")).to_be_visible()
    page.get_by_role("button", name="Simulate on all applications").click()
    expect(page.get_by_text("Outcome transitions")).to_be_visible()
    expect(page.get_by_text("Done", exact=True)).to_be_visible()
    shot(page, "12-admin-simulation")

    page.go_back()
    page.reload()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2024.06 is published")).to_be_visible()
    shot(page, "13-admin-reassessment")
