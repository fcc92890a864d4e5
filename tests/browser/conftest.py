"""Debian's Chromium driven by Playwright; data is built before the browser starts."""

import re
from pathlib import Path

import pytest

from ..conftest import PASSWORD
from ..services import CHROMIUM, chromium_available, unavailable

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# A tiny valid PNG: documents are recognized by their first bytes.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\x0bIDATx\x9cc\xf8\x0f\x04\x00\t\xfb\x03\xfd\xfb^k+\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
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


def totp_code(device) -> str:
    """Return the code an authenticator app shows now for the TOTP device (no query)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def enter_totp_code(page, device) -> None:
    """Answer the two-factor page, which follows the password for users with a device."""
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Confirm").click()


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


def axe_violations(page) -> list[dict]:
    """Run axe-core (vendored, see vendor/axe-core/README.md) on the page as it is now, and
    return its violations: dicts with id, impact, help, helpUrl and the offending nodes.

    The app's Content-Security-Policy (script-src 'self') refuses inline scripts, so
    `page.add_script_tag(content=...)` fails. `page.evaluate` runs the source through the
    DevTools protocol instead (Runtime.evaluate), which the page's CSP does not govern. So
    the page is checked with its real policy in force, inline styles blocked as in
    production, and no `bypass_csp` context that would show axe a different page.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "), html: n.html, summary: n.failureSummary,
                })),
            }));
        }"""
    )


def describe_violations(violations: list[dict]) -> str:
    """Return violations as readable lines: rule, impact, help, and each node's selector."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
            if node["summary"]:
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)
