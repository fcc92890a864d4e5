"""Debian's Chromium driven by Playwright; data is built before the browser starts."""

from pathlib import Path

import pytest

from ..conftest import PASSWORD
from ..services import CHROMIUM, chromium_available, unavailable

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server, seed_policy):
    if not chromium_available():
        unavailable("Chromium", "apt-get install -y chromium")
    # Build data before Playwright starts: inside its greenlet the ORM would open a second
    # connection that nobody closes.
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def shot(page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def submit_demo(applicant, outsider, submit):
    """A few applications across two tenants, so policy runs have work to show."""
    submit(applicant, "Selfie check")
    submit(applicant, "Shopper moods", capabilities=["emotion_recognition"])
    submit(outsider, "Staff door", use_case="touchless_access_control")
