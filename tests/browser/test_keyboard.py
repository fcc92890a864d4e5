"""Without a mouse: sign in, start an application, fill and save its steps with the keyboard
alone (Tab, typing, Space, Enter), in Debian's Chromium. Every element that takes focus must
show it, and the fields must come in the order a person reads them."""

import re

import pytest

from ..conftest import PASSWORD
from .conftest import shot

FOCUSED = """() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
    return {
        tag: e.tagName.toLowerCase(),
        type: e.type || "",
        name: e.name || "",
        value: e.value || "",
        text: (e.innerText || (["submit", "button"].includes(e.type) ? e.value : "")).trim(),
        label: label.replace(/\\*$/, "").trim(),
        visible: !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length),
        ring: style.outlineStyle !== "none" || style.boxShadow !== "none",
    };
}"""


def _focused(page) -> dict:
    return page.evaluate(FOCUSED)


def _name(element: dict) -> str:
    return element["label"] or element["text"] or element["name"] or element["tag"]


def _tab(page, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab); the newly focused element must be visible and show focus."""
    page.keyboard.press(key)
    element = _focused(page)
    assert element["visible"], f"focus went to a hidden element: {element}"
    assert element["ring"], f"{_name(element)!r} has focus but shows no outline or ring"
    return element


def _tab_until(page, wanted, *, limit: int = 60) -> list[str]:
    """Press Tab until `wanted(element)` holds; return the names focus went through."""
    passed = []
    for _ in range(limit):
        element = _tab(page)
        passed.append(_name(element))
        if wanted(element):
            return passed
    raise AssertionError(f"Tab never reached it; focus went through {passed}")


def _button(text: str):
    return lambda e: e["type"] in ("submit", "button") and e["text"] == text


def _field(name: str, value: str | None = None):
    return lambda e: e["name"] == name and (value is None or e["value"] == value)


@pytest.mark.browser
def test_an_applicant_fills_and_saves_steps_with_the_keyboard_only(applicant, page, live_server):
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(f"{base}/accounts/login/")

    # The sign-in form puts the cursor in its first field.
    assert _focused(page)["label"] == "Email"
    page.keyboard.type(applicant.email)
    assert _tab(page)["label"] == "Password"
    page.keyboard.type(PASSWORD)
    assert _tab(page)["text"] == "Sign in"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Acme Identity: applications")).to_be_visible()

    # The first Tab reaches the skip link, which leads past the navigation bar.
    skip = _tab(page)
    assert skip["text"] == "Skip to main content", skip
    shot(page, "30-keyboard-skip-link", full_page=False)
    page.keyboard.press("Enter")
    assert _tab_until(page, _button("New application")) == ["New application"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 1 of 5: Use case")).to_be_visible()
    step_url = re.compile(rf"{re.escape(base)}/applications/(\d+)/edit/use_case/")
    expect(page).to_have_url(step_url)
    pk = step_url.match(page.url).group(1)

    # Step 1: the fields in reading order, then the main button.
    _tab_until(page, _field("title"))
    page.keyboard.type("Kiosk check-in by keyboard")
    use_case = _tab(page)
    assert use_case["label"] == "Use case", use_case
    page.keyboard.type("Identity")  # a closed select picks the option typed
    assert _focused(page)["value"] == "identity_verification"
    assert _tab(page)["label"] == "Description"
    page.keyboard.type("Visitors check in at a kiosk by matching a selfie to their own passport.")
    assert _tab(page)["text"] == "Save and continue"
    shot(page, "31-keyboard-use-case", full_page=False)
    page.keyboard.press("Enter")

    # Step 2 has nothing to add: Back comes before Save and continue.
    expect(page.get_by_role("heading", name=re.compile("For whom"))).to_be_visible()
    passed = _tab_until(page, _button("Save and continue"))
    assert passed[-2:] == ["Back", "Save and continue"], passed
    page.keyboard.press("Enter")

    # Step 3: Space ticks the checkboxes; the next one is one Tab away.
    expect(page.get_by_role("heading", name=re.compile("Capabilities"))).to_be_visible()
    _tab_until(page, _field("capabilities", "face_liveness"))
    page.keyboard.press("Space")
    assert _tab(page)["value"] == "face_verification"
    page.keyboard.press("Space")
    shot(page, "32-keyboard-capabilities", full_page=False)
    _tab_until(page, _button("Save draft and leave"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Acme Identity: applications")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Kiosk check-in by keyboard"))).to_be_visible()

    # The draft kept everything typed, and opening it resumes at the step last saved.
    page.goto(f"{base}/applications/{pk}/")
    expect(page).to_have_url(f"{base}/applications/{pk}/edit/capabilities/")
    expect(page.locator("input[name=capabilities][value=face_liveness]")).to_be_checked()
    expect(page.locator("input[name=capabilities][value=face_verification]")).to_be_checked()
    expect(page.locator("input[name=capabilities][value=face_detection]")).not_to_be_checked()
    page.goto(f"{base}/applications/{pk}/edit/use_case/")
    expect(page.get_by_label("Title")).to_have_value("Kiosk check-in by keyboard")
    expect(page.get_by_label("Use case")).to_have_value("identity_verification")
    expect(page.get_by_label("Description")).to_have_value(
        "Visitors check in at a kiosk by matching a selfie to their own passport."
    )
