"""Debian's Chromium driven by Playwright; data is built before the browser starts."""

import re
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
def catalogues(transactional_db):
    """Refill the capability catalogue and the reason codes, which a data migration installs
    and transactional tests' flushes remove: pages then look the same whatever ran before."""
    from importlib import import_module

    from django.apps import apps

    import_module("reviews.migrations.0004_catalogues").fill(apps, None)


@pytest.fixture
def page(live_server, seed_policy, catalogues):
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


def emailed_path(to: str, prefix: str) -> str:
    """Return the path of the last link starting with `prefix` that was emailed to `to`.

    Emails link to settings.SITE_URL, not to the live server, so tests open the path on
    the live server themselves.
    """
    from django.core import mail

    for message in reversed(mail.outbox):
        if to in message.to:
            found = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S+)", message.body)
            if found:
                return found.group(1)
    subjects = [(m.to, m.subject) for m in mail.outbox]
    raise AssertionError(f"No email to {to} links to {prefix}; outbox: {subjects}")


def sign_out(page) -> None:
    """Open the account menu in the navigation bar and sign out."""
    page.locator("nav .dropdown-toggle").last.click()
    page.get_by_role("button", name="Sign out").click()


def sign_up(page, base: str, *, full_name: str, email: str) -> None:
    """Fill in the sign-up form (the account only; no organization); the caller sends it."""
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Your full name").fill(full_name)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def submit_demo(seed_policy, catalogues, applicant, outsider, submit):
    """A few applications across two tenants, so policy runs have work to show. They are
    filed once the seed policy is back, so that each is assessed whatever test ran before."""
    submit(applicant, "Selfie check")
    submit(applicant, "Shopper moods", capabilities=["emotion_recognition"])
    submit(outsider, "Staff door", use_case="touchless_access_control")
