"""T28: property tests for every form, and a random-parameter fuzz over every URL pattern.

Each form test POSTs generated data through the real view as the persona who uses the form:
valid data from `hypothesis.extra.django.from_form`, the same with fields replaced, dropped or
added (hostile text: unicode, 10,000+ characters, control characters, NUL, RTL marks, numbers
out of range, lists where one value is expected, files where text is expected), and it checks
the three invariants of tests/fuzz_support.py: never a 5xx, never an unescaped canary, nothing
stored that skipped validation. Every example runs in a savepoint that is rolled back, so each
starts from the same world (tests/test_url_matrix.py builds it).

Forms covered: sign-up, sign-in, invited sign-up, password reset and change, two-factor setup
and code, new organization, organization profile with its end-customer and subscription
formsets, invite, role change, each application step (the parties formset included), a whole
application walked to submission and assessment, answer, document upload, the four reviewer
action forms, claim/release/assign, the queue's and the application list's filters, and, in the
admin, the rule form (inline in a policy version, with the version's own fields) and the
new-draft form. Then every URL pattern of the project (the admin's too) with random ids, query
strings, methods and bodies, as an applicant, a reviewer, policy staff, a session that owes its
second factor, and anonymously. EXAMPLES below says how many examples each test draws.

The canary is `<script>gatehouse-canary</script>` (and an attribute-breaking twin): it rides in
hostile text and, in a quarter of the examples, in one text value of otherwise valid data, so it
gets stored and shown on the pages that follow. No HTML answer may hold it unescaped, and each
test whose form echoes text must see it escaped at least once (proof the check saw input).

What the fuzzing found is pinned with `@example` (and, for whole URLs, in URL_REGRESSIONS), so
it fails on every run, not only when Hypothesis happens to draw it; what is found but not fixed
yet (in code this module does not own) has a strict xfail test that states the fix. A failing
test stops at its first failure, unshrunk (FUZZ_SHRINK=1 shrinks). A negative control proves
each check bites. PR: ≥ 200 examples a form, about 2 min 15 s on PostgreSQL; nightly: FUZZ_SCALE=10.
"""

import json
import os
import string
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import currently_in_test_context, event, example, given
from hypothesis import strategies as st
from hypothesis.extra.django import from_form

from accounts.forms import (
    EmailAuthenticationForm,
    EndCustomerForm,
    EndCustomerFormSet,
    InvitedSignupForm,
    InviteForm,
    OrganizationForm,
    RoleForm,
    SignupForm,
    SubscriptionForm,
    SubscriptionFormSet,
    TokenForm,
)
from accounts.models import EndCustomer, OrganizationType, Subscription, User
from accounts.tokens import invitation_token, verification_token
from reviews import choices
from reviews.admin.policy import DraftForm, RuleForm
from reviews.decision import validate_condition
from reviews.forms import (
    AnswerForm,
    ApproveForm,
    DenyForm,
    EscalateForm,
    QueueFilterForm,
    RequestInfoForm,
    draft_data_from_facts,
)
from reviews.forms.steps import (
    ATTESTATIONS,
    CapabilitiesStep,
    DeclarationsStep,
    DeploymentStep,
    PartiesStep,
    PeopleStep,
    StepContext,
    UseCaseStep,
)
from reviews.models import Application, Document, PolicyVersion, Rule
from reviews.services import information_request_create

from . import test_url_matrix
from .conftest import FACTS, PASSWORD
from .fuzz_support import (
    CANARY,
    CHARACTERS,
    SCALE,
    Checker,
    fetch,
    form_data,
    form_totals,
    fuzz_settings,
    hostile,
    huge_text,
    multipart,
    nasty_text,
    prefixed,
    server_failed,
    shows_escaped_canary,
    value,
)
from .reviews.portal_steps import step_posts
from .test_url_matrix import World, rolled_back

# The world of the URL matrix: two tenants, their applications, documents and invitations.
world = test_url_matrix.world

GET, POST = "GET", "POST"

# Examples per PR run: at least 200 for every form (T28); the whole-application walk, which
# posts six forms and submits, and the URL fuzz, which is not a form, draw fewer. The comment
# gives the cost of one example measured on the 2-core machine with PostgreSQL: the module takes
# about 2 min 15 s (132 s measured). FUZZ_SCALE multiplies them all (nightly: FUZZ_SCALE=10,
# 2,000 a form; test_the_whole_module_at_nightly_scale runs that).
EXAMPLES = {
    "signup": 200,  # 10 ms
    "login": 200,  # 13 ms
    "invited_signup": 200,  # 14 ms
    "password_reset": 200,  # 5 ms
    "password_change": 200,  # 9 ms
    "two_factor_setup": 200,  # 16 ms
    "two_factor_code": 200,  # 8 ms
    "organization_new": 200,  # 24 ms
    "organization_profile": 200,  # 64 ms: a 250-country select in every formset row
    "invite": 200,  # 16 ms
    "role": 200,  # 17 ms
    "application_step": 200,  # per step (6 steps), 15 ms
    "whole_application": 10,  # 110 ms: 6 steps, submit, assessment, both detail pages
    "answer": 200,  # 28 ms
    "document_upload": 200,  # 19 ms
    "reviewer_action": 200,  # per action (4 forms), 28 ms: the review page re-rendered
    "assignment": 200,  # 22 ms
    "queue_filters": 200,  # 22 ms
    "application_list_filters": 200,  # 12 ms
    "admin_rule": 200,  # 57 ms
    "admin_new_draft": 200,  # 20 ms
    "urls_owner": 150,  # 19 ms
    "urls_reviewer": 150,  # 20 ms
    "urls_policy": 60,  # 15 ms
    "urls_pending": 30,  # 22 ms
    "urls_anon": 30,  # 9 ms
}
FR = frozenset({"face_verification", "face_liveness"})


# FUZZ_STATS=1: print, after the module, how often each test's requests got each answer (how
# many examples passed validation, how many were refused). Inner @given functions are not
# pytest items, so --hypothesis-show-statistics cannot show it.
STATS: dict[str, Counter] = {}
_current: list[str] = [""]


@pytest.fixture(autouse=True)
def _count_answers(request):
    _current[0] = request.node.name
    yield


@pytest.fixture(autouse=True, scope="module")
def _print_answers(request):
    yield
    if os.environ.get("FUZZ_STATS") == "1":
        plugins = request.config.pluginmanager
        reporter = plugins.get_plugin("terminalreporter")
        with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
            reporter.write_line("")
            for name, counts in STATS.items():
                shown = ", ".join(f"{answer}: {n}" for answer, n in counts.most_common(8))
                reporter.write_line(f"{name}: {shown}")


def run(checker: Checker, send, extra=None) -> None:
    """Send the example's requests in a savepoint rolled back afterwards; assert the invariants."""
    checker.begin()
    with rolled_back():
        replies = send()
        problems = checker.problems(replies, extra)
    answer = " then ".join(str(reply.status) for reply in replies)
    if currently_in_test_context():
        event(answer)
    STATS.setdefault(_current[0], Counter())[answer] += 1
    STATS[_current[0]]["canary shown escaped"] += shows_escaped_canary(replies)
    assert not problems, "\n".join(problems)


def assert_canary_reached_a_page(checker: Checker) -> None:
    """The fuzzed canary came back escaped at least once: the canary check looked at pages
    that show the input, and not only at refusals that never echo it (at full scale: a run
    with FUZZ_SCALE below 1 may draw too few examples to show it)."""
    if SCALE >= 1:
        assert checker.escaped, "no page showed the canary (escaped): the check saw no input"


def session(w: World, persona: str) -> str | None:
    return None if persona == "anon" else w.sessions[persona]


def _valid_and_hostile(strategy, fields) -> st.SearchStrategy[dict]:
    return hostile(strategy.map(form_data), fields)


# Accounts: sign-up, sign-in, passwords.

GOOD_PASSWORDS = st.sampled_from(["correct-horse-battery-staple-42", "Ünïcödé pässphrase 2024"])


def test_signup_form(world):
    checker = Checker.start()
    url = reverse("accounts:signup")
    valid = from_form(SignupForm, password=GOOD_PASSWORDS | st.text(CHARACTERS, max_size=80))

    @fuzz_settings(EXAMPLES["signup"])
    @given(_valid_and_hostile(valid, ["full_name", "email", "password"]))
    @example({"full_name": CANARY, "email": "new@example.com", "password": "x" * 20})
    @example({"full_name": "x" * 10_000, "email": "a\x00@example.com", "password": "\x00"})
    def check(data):
        run(checker, lambda: fetch(None, POST, url, data))

    check()
    assert_canary_reached_a_page(checker)


def test_login_form(world):
    checker = Checker.start()
    url = reverse("accounts:login")
    valid = from_form(
        EmailAuthenticationForm,
        form_kwargs={"request": None},
        username=st.sampled_from(["alice@acme.example", " ALICE@acme.example "])
        | st.emails()
        | st.text(CHARACTERS, max_size=60),
        password=st.just(PASSWORD) | st.text(CHARACTERS, max_size=40),
    )
    agents = st.just("Mozilla/5.0") | nasty_text

    @fuzz_settings(EXAMPLES["login"])
    @given(_valid_and_hostile(valid, ["username", "password", "next"]), agents)
    @example({"username": "a" * 300 + "@example.com", "password": "x"}, "Mozilla/5.0")
    @example({"username": CANARY, "password": "x", "next": "//evil.example"}, CANARY)
    @example({"username": "nobody@example.com", "password": "x"}, "Mozilla/5.0 \x00")
    def check(data, agent):
        run(checker, lambda: fetch(None, POST, url, data, headers={"User-Agent": agent}))

    check()
    assert_canary_reached_a_page(checker)


def test_invited_signup_form(world):
    checker = Checker.start()
    url = reverse("accounts:invitation_accept", args=[invitation_token(world.invitation_a)])
    valid = from_form(
        InvitedSignupForm,
        form_kwargs={"email": world.invitation_a.email},
        password=GOOD_PASSWORDS | st.text(CHARACTERS, max_size=40),
    )

    @fuzz_settings(EXAMPLES["invited_signup"])
    @given(_valid_and_hostile(valid, ["full_name", "password"]))
    @example({"full_name": CANARY, "password": "correct-horse-battery-staple-42"})
    def check(data):
        run(checker, lambda: fetch(None, POST, url, data))

    check()
    assert_canary_reached_a_page(checker)


def test_password_reset_form(world):
    checker = Checker.start()
    url = reverse("accounts:password_reset")
    emails = st.sampled_from(["alice@acme.example", "ALICE@ACME.EXAMPLE"]) | st.emails()

    @fuzz_settings(EXAMPLES["password_reset"])
    @given(hostile(st.fixed_dictionaries({"email": emails}), ["email"]))
    def check(data):
        run(checker, lambda: fetch(None, POST, url, data))

    check()
    assert_canary_reached_a_page(checker)


def test_password_change_form(world):
    checker = Checker.start()
    url = reverse("accounts:password_change")
    new = GOOD_PASSWORDS | st.text(CHARACTERS, max_size=40)
    valid = st.builds(
        lambda old, one, same, other: {
            "old_password": old,
            "new_password1": one,
            "new_password2": one if same else other,
        },
        st.just(PASSWORD) | st.text(CHARACTERS, max_size=30),
        new,
        st.booleans(),
        new,
    )

    @fuzz_settings(EXAMPLES["password_change"])
    @given(hostile(valid, ["old_password", "new_password1", "new_password2"]))
    def check(data):
        run(checker, lambda: fetch(world.sessions["owner"], POST, url, data))

    check()


# Two-factor sign-in: setting it up, and the code after the password.


@pytest.fixture
def pending(world) -> tuple[str, TOTPDevice]:
    """A session that signed in with a password and still owes its second factor."""
    user = User.objects.create_user(email="tess@acme.example", password=PASSWORD, full_name="Tess")
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client = Client()
    client.force_login(user)  # no `otp_device` on the user: the session stays unverified
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value, device


def _current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_two_factor_setup_form(world):
    checker = Checker.start()
    url = reverse("accounts:two_factor")
    tokens = from_form(TokenForm).map(form_data)
    actions = st.fixed_dictionaries({}, optional={"action": st.just("disable") | value()})

    @fuzz_settings(EXAMPLES["two_factor_setup"])
    @given(hostile(tokens, ["token", "action"]), actions, st.sampled_from(["owner", "policy"]))
    @example({"token": CANARY}, {}, "owner")
    def check(data, action, persona):
        run(checker, lambda: fetch(world.sessions[persona], POST, url, {**data, **action}))

    check()
    assert_canary_reached_a_page(checker)


def test_two_factor_code_form(world, pending):
    checker = Checker.start()
    cookie, device = pending
    url = reverse("accounts:two_factor_verify")
    tokens = from_form(TokenForm, token=st.just("current") | st.from_regex(r"\A\d{6}\Z"))
    targets = st.sampled_from(["/review/", "https://evil.example/", "//evil.example", ""]) | value()

    def send(data, target):
        if data.get("token") == "current":
            data = {**data, "token": _current_code(device)}
        query = urlencode({"next": target}, doseq=True) if isinstance(target, str) else ""
        return fetch(cookie, POST, f"{url}?{query}", data)

    @fuzz_settings(EXAMPLES["two_factor_code"])
    @given(hostile(tokens.map(form_data), ["token"]), targets)
    @example({"token": "current"}, f"/review/?{CANARY}")
    @example({"token": "current"}, "nowhere")
    def check(data, target):
        run(checker, lambda: send(data, target))

    check()
    assert_canary_reached_a_page(checker)


# Organizations, members, invitations.

ORGANIZATION_FIELDS = ["name", "country", "org_type", "website", "email_domain"]


def test_organization_new_form(world):
    checker = Checker.start()
    url = reverse("accounts:organization_new")
    valid = from_form(OrganizationForm)

    @fuzz_settings(EXAMPLES["organization_new"])
    @given(_valid_and_hostile(valid, [*ORGANIZATION_FIELDS, "acts_for_end_customers"]))
    @example({"name": CANARY, "country": "GB", "org_type": "software_vendor"})
    def check(data):
        run(checker, lambda: fetch(world.sessions["owner"], POST, url, data))

    check()
    assert_canary_reached_a_page(checker)


def _rows(form_class, extra_fields: dict) -> st.SearchStrategy[list[dict]]:
    # Two rows exercise the formset as well as four, at half the rendering (100 ms a page).
    row = hostile(from_form(form_class, **extra_fields).map(form_data), [])
    return st.lists(row, max_size=2)


# Found by this fuzzing, reported, not fixed yet (accounts/forms.py is not this module's): two
# end customers with the same name (ignoring case) and country pass the formset, which has no
# duplicate check, and break the `endcustomer_unique` constraint: IntegrityError, a 500. Such
# rows are left out of the random draws until it is fixed; the strict xfail test
# test_the_same_end_customer_twice pins it and fails as XPASS once it is fixed.
def _same_end_customer_twice(rows: list[dict]) -> bool:
    keys = [
        (str(row.get("name", "")).strip().lower(), str(row.get("country", "")).strip().upper())
        for row in rows
        if isinstance(row.get("name"), str) and row["name"].strip()
    ]
    return len(keys) != len(set(keys))


@st.composite
def profile_posts(draw) -> dict:
    profile = draw(_valid_and_hostile(from_form(OrganizationForm), ORGANIZATION_FIELDS))
    customers = draw(_rows(EndCustomerForm, {}).filter(lambda r: not _same_end_customer_twice(r)))
    subscriptions = draw(
        _rows(SubscriptionForm, {"identifier": st.uuids().map(str) | st.text(max_size=40)})
    )
    totals = form_totals
    data = {
        **profile,
        **prefixed("customers", customers, total=draw(totals)),
        **prefixed("subscriptions", subscriptions, total=draw(totals)),
    }
    return {key: val for key, val in data.items() if val is not None}


def test_organization_profile_form(world):
    checker = Checker.start(EndCustomer, Subscription)
    url = reverse("accounts:organization")

    @fuzz_settings(EXAMPLES["organization_profile"])
    @given(profile_posts())
    @example(
        {
            "name": "Acme",
            "country": "GB",
            "org_type": "software_vendor",
            **prefixed("customers", [{"name": CANARY, "country": "FR", "org_type": "police"}]),
            **prefixed("subscriptions", [], total="51"),
        }
    )
    def check(data):
        run(checker, lambda: fetch(world.sessions["owner"], POST, url, data))

    check()
    assert_canary_reached_a_page(checker)


def test_the_same_end_customer_twice(world):
    checker = Checker.start(EndCustomer, Subscription)
    url = reverse("accounts:organization")
    rows = [{"name": name, "country": "GB", "org_type": "police"} for name in ("Met", "MET")]
    data = {
        "name": "Acme",
        "country": "GB",
        "org_type": "software_vendor",
        **prefixed("customers", rows),
        **prefixed("subscriptions", []),
    }

    run(checker, lambda: fetch(world.sessions["owner"], POST, url, data))


def test_invite_form(world):
    checker = Checker.start()
    url = reverse("accounts:members")
    valid = from_form(InviteForm, form_kwargs={"can_grant_owner": True})

    @fuzz_settings(EXAMPLES["invite"])
    @given(_valid_and_hostile(valid, ["email", "role"]))
    @example({"email": "x@example.com", "role": CANARY})
    def check(data):
        run(checker, lambda: fetch(world.sessions["owner"], POST, url, data))

    check()
    assert_canary_reached_a_page(checker)


def test_role_form(world):
    checker = Checker.start()
    url = reverse("accounts:member_role", args=[world.colleague_membership.pk])

    @fuzz_settings(EXAMPLES["role"])
    @given(_valid_and_hostile(from_form(RoleForm), ["role"]), st.sampled_from(["owner", "member"]))
    def check(data, persona):
        run(checker, lambda: fetch(world.sessions[persona], POST, url, data))

    check()


# The application's steps.


VALID_PARTIES = prefixed(
    "acting_for",
    [{"name": f"Customer {CANARY}", "country": "us", "type": "police"}, {}, {}],
)
STEP_FIELDS = {
    "use_case": ["title", "use_case", "description"],
    "parties": [],
    "capabilities": ["capabilities"],
    "deployment": ["real_time", "camera", "environment", "countries"],
    "people": ["gallery", "data_subjects", "consent", "human_review", "consequential_decisions"],
    "declarations": ["subscriptions", *(f"attest_{key}" for key in ATTESTATIONS)],
}
STEP_NAMES = list(STEP_FIELDS)


def _parties(rows: list[dict], total) -> dict:
    data = prefixed("acting_for", rows, total=total)
    return {key: val for key, val in data.items() if val is not None}


def step_strategies(w: World) -> dict[str, tuple[st.SearchStrategy, st.SearchStrategy]]:
    """Return {step: (valid data, valid or hostile data)} for org A's draft."""
    context = StepContext(w.org_a, FR)
    kwargs = {"form_kwargs": {"context": context}}
    countries = st.one_of(
        st.lists(st.sampled_from(["GB", "ie", " US", "fr ", "DE"]), max_size=4).map(",".join),
        st.lists(st.sampled_from(["GB", "ie", " US", "fr ", "DE"]), max_size=4).map(",".join),
        st.text(max_size=40),
    )
    capabilities = st.lists(st.sampled_from([c for c, _ in choices.CAPABILITIES])).map(
        lambda chosen: sorted({*chosen, "face_verification"})
    )
    valid = {
        "use_case": from_form(UseCaseStep, **kwargs),
        "capabilities": from_form(CapabilitiesStep, **kwargs, capabilities=capabilities),
        "deployment": from_form(DeploymentStep, **kwargs, countries=countries),
        "people": from_form(PeopleStep, **kwargs),
        "declarations": from_form(DeclarationsStep, **kwargs, subscriptions=st.just([])),
    }
    strategies = {
        step: (form.map(form_data), _valid_and_hostile(form, STEP_FIELDS[step]))
        for step, form in valid.items()
    }
    party = st.fixed_dictionaries(
        {
            "name": st.text(CHARACTERS.filter(lambda c: c != "\x00"), min_size=1, max_size=200),
            "country": st.sampled_from(["us", "GB", " fr "]),
            "type": st.sampled_from([t for t, _ in OrganizationType.choices]),
        }
    )
    valid_rows = st.lists(party, max_size=4)
    rows = st.lists(hostile(party, ["name", "country", "type"]), max_size=4)
    strategies["parties"] = (
        st.builds(_parties, valid_rows, st.none()),
        st.one_of(
            st.builds(_parties, valid_rows, st.none()),
            st.builds(_parties, rows, form_totals),
        ),
    )
    return strategies


NAV = st.sampled_from(["next", "back", "save"]) | nasty_text


@pytest.mark.parametrize("step", STEP_NAMES)
def test_application_step_form(world, step):
    """Each step of a draft: the POST, then the step or the summary, which show what it kept."""
    draft = world.draft_a
    checker = Checker.start()
    owner = world.sessions["owner"]
    url = reverse("reviews:application_step", args=[draft.pk, step])
    summary = reverse("reviews:application_summary", args=[draft.pk]) + "?preview=1"
    versions = st.just(draft.version) | value()

    def send(data, version, nav, shown):
        # Not following the redirect: the step (which shows the flash message) and the
        # summary are what show the input kept; each example looks at one of them (both
        # pages render for ~100 examples a step), the pinned examples at both.
        replies = fetch(owner, POST, url, {**data, "version": version, "nav": nav}, follow=False)
        if replies[0].status == 302:
            for page in (url, summary) if shown == "both" else (shown,):
                replies += fetch(owner, GET, page)
        return replies

    @fuzz_settings(EXAMPLES["application_step"])
    @given(step_strategies(world)[step][1], versions, NAV, st.sampled_from([url, summary]))
    @example(
        {"title": "a\x00b", "use_case": "research", "description": "x"},
        draft.version,
        "next",
        "both",
    )
    @example({"description": CANARY, "title": CANARY}, draft.version, "save", "both")
    def check(data, version, nav, shown):
        run(checker, lambda: send(data, version, nav, shown))

    check()
    if step not in ("capabilities", "declarations"):  # choices only: no text to show
        assert_canary_reached_a_page(checker)


def _with_canaries(data: dict, where: list[str]) -> dict:
    return {
        key: (f"{val}{CANARY}" if key in where and isinstance(val, str) else val)
        for key, val in data.items()
    }


@st.composite
def whole_applications(draw, strategies) -> dict[str, dict]:
    """Every step's POST data: mostly valid, with canaries in the text, now and then hostile."""
    steps = {}
    for step in STEP_NAMES:
        valid, any_data = strategies[step]
        steps[step] = draw(st.one_of(valid, valid, valid, any_data))
    steps["use_case"] = _with_canaries(steps["use_case"], ["title", "description"])
    if draw(st.booleans()):
        long = draw(huge_text(5_000, 9_900))
        steps["use_case"] = {**steps["use_case"], "description": long + CANARY}
    return steps


def test_a_submitted_application_keeps_facts_that_parse(world, django_capture_on_commit_callbacks):
    """Walk every step with generated input, submit, assess; the stored facts parse (v1)."""
    draft = world.draft_a
    checker = Checker.start()
    owner, reviewer = world.sessions["owner"], world.sessions["reviewer"]

    def send(steps):
        replies = []
        for step in STEP_NAMES:
            version = Application.objects.get(pk=draft.pk).version
            url = reverse("reviews:application_step", args=[draft.pk, step])
            replies += fetch(owner, POST, url, {**steps[step], "version": version}, follow=False)
            if server_failed(replies):
                return replies
        version = Application.objects.get(pk=draft.pk).version
        with django_capture_on_commit_callbacks(execute=True):
            replies += fetch(
                owner,
                POST,
                reverse("reviews:application_submit", args=[draft.pk]),
                {"version": version},
            )
        if server_failed(replies):
            return replies
        if Application.objects.get(pk=draft.pk).status != "draft":
            replies += fetch(owner, GET, reverse("reviews:application_detail", args=[draft.pk]))
            replies += fetch(reviewer, GET, reverse("reviews:review_detail", args=[draft.pk]))
        return replies

    duplicated = step_posts(FACTS, f"Title {CANARY}")
    duplicated["people"]["data_subjects"] = ["customers", "customers"]

    @fuzz_settings(EXAMPLES["whole_application"])
    @given(whole_applications(step_strategies(world)))
    @example(step_posts(FACTS, f"Title {CANARY}"))
    @example(duplicated)
    def check(steps):
        run(checker, lambda: send(steps))

    check()
    assert_canary_reached_a_page(checker)


# A formset builds at most max_num forms, whatever TOTAL_FORMS says. Django's default cap is
# max_num + 1,000: one POST of the profile with both totals huge renders 2,100 rows with a
# 250-country select each (26 s, 12.9 MB measured), and the parties step 1,020 rows (2.4 s).


@pytest.mark.parametrize(
    ("formset", "prefix"),
    [
        (EndCustomerFormSet, "customers"),
        (SubscriptionFormSet, "subscriptions"),
        (PartiesStep, "acting_for"),
    ],
)
def test_formsets_never_build_more_forms_than_their_maximum(formset, prefix):
    @fuzz_settings(50)
    @given(st.integers(0, 10**30) | st.sampled_from([2**31, 2**63]))
    @example(10**20)
    def check(total):
        bound = formset(prefixed(prefix, [], total=str(total)), prefix=prefix)
        assert bound.total_form_count() <= bound.max_num + 1, (
            f"{prefix}-TOTAL_FORMS={total} builds {bound.total_form_count()} forms "
            f"(max_num {bound.max_num})"
        )

    check()


# Answers and documents.


@pytest.fixture
def asked(world, submit) -> Application:
    """Org A's application the reviewer asked questions about; its steps hold its facts."""
    application = submit(world.users["owner"], "Asked")
    Application.objects.filter(pk=application.pk).update(
        draft_data=draft_data_from_facts(application.facts, application.title)
    )
    information_request_create(
        actor=world.users["reviewer"],
        application_id=application.pk,
        questions="Which cameras?",
        now=timezone.now(),
    )
    application.refresh_from_db()
    assert application.status == "info_requested"
    return application


def test_answer_form(world, asked):
    """Answer the questions, after changing a step now and then (the facts are re-read)."""
    checker = Checker.start()
    owner = world.sessions["owner"]
    url = reverse("reviews:application_answer", args=[asked.pk])
    answers = _valid_and_hostile(from_form(AnswerForm, form_kwargs={"action": url}), ["answer"])
    strategies = step_strategies(world)
    edits = st.none() | st.one_of(
        *(st.tuples(st.just(step), strategies[step][1]) for step in ("use_case", "people"))
    )

    def send(data, edit):
        replies = []
        if edit is not None:
            step, posted = edit
            version = Application.objects.get(pk=asked.pk).version
            step_url = reverse("reviews:application_step", args=[asked.pk, step])
            replies += fetch(owner, POST, step_url, {**posted, "version": version}, follow=False)
            if server_failed(replies):
                return replies
        return replies + fetch(owner, POST, url, data)

    @fuzz_settings(EXAMPLES["answer"])
    @given(answers, edits)
    @example({"answer": CANARY}, None)
    @example({"answer": "a\x00b"}, None)
    @example(
        {"answer": "Yes."},
        (
            "people",
            {**step_posts(FACTS, "x")["people"], "data_subjects": ["customers", "customers"]},
        ),
    )
    def check(data, edit):
        run(checker, lambda: send(data, edit))

    check()
    assert_canary_reached_a_page(checker)


PDF = b"%PDF-1.7\n"
PNG = b"\x89PNG\r\n\x1a\n"


def _document_names() -> list[str]:
    return [d.name for d in Document.objects.all()]


def test_document_upload_form(world):
    checker = Checker.start()
    owner = world.sessions["owner"]
    url = reverse("reviews:document_upload", args=[world.app_a.pk])
    names = st.one_of(
        st.sampled_from(
            [
                "../../etc/passwd.pdf",
                "..\\..\\boot.ini",
                "a\x00.pdf",
                "\u202efdp.exe",
                f"{CANARY}.pdf",
                "x" * 300 + ".pdf",
                "ﷺ" * 150 + ".pdf",
                ".",
                "",
            ]
        ),
        st.text(CHARACTERS, max_size=60),
        huge_text(250, 400),
    )
    contents = st.builds(
        lambda head, tail: head + tail,
        st.sampled_from([PDF, PNG, b"\xff\xd8\xff", b"<html>", b""]),
        st.binary(max_size=256),
    )

    def text_fields(data: dict) -> dict:
        return {k: v for k, v in data.items() if k != "file" and not hasattr(v, "read")}

    def check_names() -> list[str]:
        bad = []
        for name in _document_names():
            shown = repr(name[:80])
            if not name or len(name) > 200 or any(c in name for c in "/\\"):
                bad.append(f"stored document name not cleaned: {shown}")
            elif any(unicodedata.category(c).startswith("C") for c in name):
                bad.append(f"stored document name keeps control/format characters: {shown}")
        return bad

    def send(name, content, extra):
        body, content_type = multipart(extra, {"file": (name, content)})
        return fetch(owner, POST, url, body=body, content_type=content_type)

    @fuzz_settings(EXAMPLES["document_upload"])
    @given(names, contents, hostile(st.just({}), ["file"]).map(text_fields))
    @example("\u202efdp.exe", PDF, {})
    @example(f"{CANARY}.pdf", PDF, {})
    @example(".", PDF, {})
    def check(name, content, extra):
        run(checker, lambda: send(name, content, extra), check_names)

    check()


# The reviewer's forms.

REVIEW_FORMS = {
    "approve": (ApproveForm, ["reason", "conditions", "expires_on"]),
    "deny": (DenyForm, ["reason", "reason_codes"]),
    "escalate": (EscalateForm, ["note"]),
    "request_info": (RequestInfoForm, ["questions"]),
}


@pytest.mark.parametrize("kind", sorted(REVIEW_FORMS))
def test_reviewer_action_form(world, kind):
    """Each action form on org A's application; on success, either side's page shows the text."""
    application = world.app_a
    checker = Checker.start()
    form_class, fields = REVIEW_FORMS[kind]
    url = reverse(f"reviews:review_{kind}", args=[application.pk])
    valid = from_form(
        form_class,
        form_kwargs={"application": application, "action": url, "kind": kind},
        version=st.just(application.version) | st.integers(-5, 2**40),
    )
    reviewer, owner = world.sessions["reviewer"], world.sessions["owner"]

    pages = {
        "owner": (owner, reverse("reviews:application_detail", args=[application.pk])),
        "reviewer": (reviewer, reverse("reviews:review_detail", args=[application.pk])),
    }

    def send(data, side):
        # Not following the redirect to the queue: the review page shows the flash message.
        # Each example looks at one side's page, the pinned examples at both.
        replies = fetch(reviewer, POST, url, data, follow=False)
        if replies[0].status == 302:
            for cookie, page in pages.values() if side == "both" else [pages[side]]:
                replies += fetch(cookie, GET, page)
        return replies

    good = {
        "idempotency_key": "5b0c2f8e-6f3a-4e0e-9a57-0c1d8f1a2b3c",
        "version": application.version,
    }

    @fuzz_settings(EXAMPLES["reviewer_action"])
    @given(
        _valid_and_hostile(valid, ["idempotency_key", "version", *fields]),
        st.sampled_from(sorted(pages)),
    )
    @example({**good, **dict.fromkeys(fields, CANARY)}, "both")
    @example({**good, "reason_codes": ["99999999999999999999"], "reason": "x"}, "both")
    @example({**good, "version": "99999999999999999999", **dict.fromkeys(fields, "x")}, "both")
    def check(data, side):
        run(checker, lambda: send(data, side))

    check()
    assert_canary_reached_a_page(checker)


# Found by this fuzzing, reported, not fixed yet (in files this module does not own): a number
# of more than 4,300 digits, which Python refuses to convert (ValueError: a 500), in
# - an assignee id: `reviews.selectors.reviewer_get` calls int() on it;
# - a JSON field of the policy admin (a rule's condition, a version's golden cases): Django's
#   JSONField catches only JSONDecodeError, and `PrettyJSONField` only RecursionError.
# Such values are left out of those tests' random draws until fixed; the strict xfail tests
# test_a_reviewer_id_of_thousands_of_digits and test_a_json_number_of_thousands_of_digits
# pin them, and fail as XPASS once fixed: then they lose their marker and this filter goes.
def _known_finding(data: dict, names: Iterable[str]) -> bool:
    def too_long(value) -> bool:
        digits = value.strip().lstrip("-") if isinstance(value, str) else ""
        return len(digits) > 4300 and digits[:4301].isascii() and digits[:4301].isdigit()

    for name in names:
        values = data.get(name)
        if any(too_long(v) for v in (values if isinstance(values, list) else [values])):
            return True
    return False


def test_assignment_forms(world):
    """Claim, release and assign, with the `assignee` and `next` they read."""
    checker = Checker.start()
    pk = world.app_a.pk
    reviewers = [str(world.users[p].pk) for p in ("reviewer", "senior", "owner")]
    data = st.fixed_dictionaries(
        {},
        optional={
            "assignee": st.sampled_from(reviewers) | value(),
            "next": st.sampled_from(["/review/", "https://evil.example/", "//evil.example"])
            | value(),
        },
    ).filter(lambda data: not _known_finding(data, ["assignee"]))

    @fuzz_settings(EXAMPLES["assignment"])
    @given(
        st.sampled_from(["review_claim", "review_release", "review_assign"]),
        st.sampled_from(["reviewer", "senior"]),
        data,
    )
    @example("review_assign", "senior", {"assignee": "²"})
    @example("review_claim", "reviewer", {"next": f"/review/?{CANARY}"})
    @example("review_release", "reviewer", {"next": "nowhere"})
    def check(name, persona, data):
        url = reverse(f"reviews:{name}", args=[pk])
        run(checker, lambda: fetch(world.sessions[persona], POST, url, data))

    check()


def test_a_reviewer_id_of_thousands_of_digits(world):
    checker = Checker.start()
    url = reverse("reviews:review_assign", args=[world.app_a.pk])

    run(checker, lambda: fetch(world.sessions["senior"], POST, url, {"assignee": "9" * 4301}))


def test_a_json_number_of_thousands_of_digits(world):
    checker = Checker.start()
    published = PolicyVersion.objects.get(status="published")
    url = reverse("admin:reviews_policyversion_add")
    data = {"policy": str(published.policy_id), "version": "9", "golden_cases": "1" * 4301}

    run(
        checker,
        lambda: fetch(world.sessions["policy"], POST, url, {**data, **prefixed("rules", [])}),
    )


def _query(data: dict) -> str:
    return urlencode(data, doseq=True)


def test_queue_filters(world):
    checker = Checker.start()
    url = reverse("reviews:queue")
    valid = from_form(QueueFilterForm, assignee=st.sampled_from(["", "me", "none", "1"]))
    names = [
        "status",
        "outcome",
        "rule",
        "capability",
        "country",
        "organization",
        "assignee",
        "older_than",
        "sort",
        "page",
    ]
    text_only = _valid_and_hostile(valid, names).map(
        lambda data: {k: v for k, v in data.items() if not hasattr(v, "read")}
    )

    @fuzz_settings(EXAMPLES["queue_filters"])
    @given(text_only, st.sampled_from(["reviewer", "senior"]))
    @example({"assignee": "²"}, "reviewer")
    @example({"organization": "99999999999999999999", "rule": CANARY}, "senior")
    def check(data, persona):
        run(checker, lambda: fetch(world.sessions[persona], GET, f"{url}?{_query(data)}"))

    check()
    assert_canary_reached_a_page(checker)


def test_application_list_filters(world):
    checker = Checker.start()
    url = reverse("reviews:application_list")
    data = st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(Application.Status.values) | value(),
            "page": st.sampled_from(["1", "2", "last"]) | value(),
        },
    ).map(lambda data: {k: v for k, v in data.items() if not hasattr(v, "read")})

    @fuzz_settings(EXAMPLES["application_list_filters"])
    @given(data)
    def check(data):
        run(checker, lambda: fetch(world.sessions["owner"], GET, f"{url}?{_query(data)}"))

    check()


# The policy admin: rules (the inline RuleForm of a policy version) and new drafts.


def _deep(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"not": ' * depth + '{"eq": ["use_case", "research"]}' + "}" * depth


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


def test_rule_form_in_the_admin(world):
    """Policy staff add a draft version with one rule; a saved rule's condition validates."""
    checker = Checker.start()
    published = PolicyVersion.objects.get(status="published")
    conditions = list(published.rules.values_list("condition", flat=True))
    url = reverse("admin:reviews_policyversion_add")
    policy = world.sessions["policy"]
    condition_text = st.one_of(
        st.sampled_from(conditions).map(json.dumps),
        json_values.map(json.dumps),
        st.builds(_deep, st.sampled_from([50, 5_000, 100_000]), st.sampled_from(["list", "not"])),
        nasty_text,
    )
    rule = from_form(
        RuleForm, condition=condition_text, rule_id=st.from_regex(r"\A[A-Z0-9-]{1,20}\Z")
    )
    rule_fields = [*RuleForm._meta.fields]
    version = st.fixed_dictionaries(
        {
            "policy": st.just(str(published.policy_id)),
            "version": st.text(string.ascii_letters + string.digits + ".", min_size=1, max_size=12),
            "notes": st.text(CHARACTERS, max_size=50),
            "golden_cases": st.just("[]") | condition_text,
        }
    )

    def build(version_data, rule_data):
        return {**version_data, **prefixed("rules", [rule_data])}

    def check_rules() -> list[str]:
        bad = []
        for saved in Rule.objects.exclude(policy_version=published).filter(
            policy_version__status="draft"
        ):
            try:
                validate_condition(saved.condition)
            except Exception as error:  # any failure is the finding
                bad.append(f"rule {saved.rule_id!r} saved with an invalid condition: {error}")
        return bad

    def send(data):
        replies = fetch(policy, POST, url, data)
        if server_failed(replies):
            return replies
        created = PolicyVersion.objects.filter(status="draft").exclude(pk=published.pk).first()
        if replies[0].status == 302 and created is not None:
            change = reverse("admin:reviews_policyversion_change", args=[created.pk])
            replies += fetch(policy, GET, change)
        return replies

    @fuzz_settings(EXAMPLES["admin_rule"])
    @given(
        st.builds(
            build,
            hostile(version, ["version", "notes", "golden_cases"]),
            hostile(rule.map(form_data), rule_fields),
        ).filter(lambda data: not _known_finding(data, ["golden_cases", "rules-0-condition"]))
    )
    @example(
        {
            "policy": str(published.policy_id),
            "version": "9",
            "golden_cases": "[]",
            **prefixed(
                "rules",
                [
                    {
                        "order": "1",
                        "rule_id": "A",
                        "title": CANARY,
                        "outcome": "deny",
                        "weight": "1",
                        "clause": CANARY,
                        "source": "x",
                        "explanation": CANARY,
                        "condition": _deep(100_000, "list"),
                    }
                ],
            ),
        }
    )
    def check(data):
        run(checker, lambda: send(data), check_rules)

    check()
    assert_canary_reached_a_page(checker)


def test_new_draft_form_in_the_admin(world):
    checker = Checker.start()
    published = PolicyVersion.objects.get(status="published")
    url = reverse("admin:reviews_policyversion_draft", args=[published.pk])
    valid = from_form(DraftForm, form_kwargs={"policy": published.policy})

    @fuzz_settings(EXAMPLES["admin_new_draft"])
    @given(_valid_and_hostile(valid, ["version"]))
    def check(data):
        run(checker, lambda: fetch(world.sessions["policy"], POST, url, data, follow=False))

    check()
    assert_canary_reached_a_page(checker)


# Every URL pattern, every method, random parameters, query strings and bodies.


def all_patterns(resolver=None, prefix=()) -> list[tuple[str, tuple]]:
    """Return (name, the patterns from the root to the view) for every URL, the admin's too."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        chain = (*prefix, entry.pattern)
        if isinstance(entry, URLResolver):
            found += all_patterns(entry, chain)
        elif isinstance(entry, URLPattern):
            found.append((entry.name or entry.lookup_str, chain))
    return found


def _path_part(draw, pattern, known: dict) -> str:
    """Draw a string for one pattern of the chain: its route with drawn kwargs, or its regex."""
    route = getattr(pattern, "_route", None)
    if route is None:  # a regex pattern (the admin's app index and catch-all)
        return draw(st.from_regex(pattern.regex, fullmatch=True)).lstrip("^")
    out = route
    for name, converter in pattern.converters.items():
        kind = type(converter).__name__
        if kind == "IntConverter":
            raw = draw(
                st.sampled_from(known["ids"])
                | st.integers(0, 2**70).map(str)
                | st.sampled_from(["0", "00042", "2147483648", "9223372036854775808"])
            )
        elif name in known:
            raw = draw(st.sampled_from(known[name]) | nasty_text)
        elif kind == "SlugConverter":
            raw = draw(st.from_regex(r"\A[-a-zA-Z0-9_]+\Z"))
        else:
            raw = draw(nasty_text | st.sampled_from(known["ids"]))
        marker = next(
            part.split(">")[0]
            for part in route.split("<")[1:]
            if part.split(">")[0].split(":")[-1] == name
        )
        out = out.replace(f"<{marker}>", quote(raw or "x", safe=""))
    return out


scalar_text = nasty_text.filter(lambda s: len(s) < 3000)
HOSTILE_OR_COMMON = (
    "version",
    "idempotency_key",
    "reason",
    "title",
    "email",
    "role",
    "next",
    "assignee",
    "file",
    "answer",
    "csrfmiddlewaretoken",
    "post",
    "action",
    "_selected_action",
    "index",
)


@st.composite
def random_requests(draw, patterns, known) -> tuple[str, str, dict]:
    name, chain = draw(patterns)
    path = "/" + "".join(_path_part(draw, pattern, known) for pattern in chain)
    query = draw(
        st.just("")
        | st.dictionaries(
            st.sampled_from(["page", "status", "next", "assignee", "q", "preview", "o", "e"])
            | st.text(max_size=8),
            scalar_text,
            max_size=4,
        ).map(lambda data: urlencode(data))
        | st.sampled_from(
            ["%ff%fe=%c0%af", "a=%00", "page=-1&page=2", "&&==&", "_changelist_filters=%25"]
        )
    )
    method = draw(
        st.sampled_from([GET, GET, POST, POST, "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    )
    body = draw(
        st.none()
        | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(list(HOSTILE_OR_COMMON)), value(), max_size=6
        )
        | st.tuples(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=xyz",
                    "multipart/form-data",
                    "application/json",
                    "text/plain; charset=utf-16",
                ]
            ),
            st.binary(max_size=300)
            | st.sampled_from(
                [
                    b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--xyz--',
                    b"%ff=%00&a",
                ]
            ),
        )
    )
    return name, method, {"path": f"{path}?{query}" if query else path, "body": body}


@pytest.mark.parametrize(
    ("persona", "examples"),
    [
        (persona, EXAMPLES[f"urls_{persona}"])
        for persona in ("owner", "reviewer", "policy", "pending", "anon")
    ],
)
def test_random_requests_to_every_url_pattern(world, pending, persona, examples):
    """Applicant, reviewer, policy staff, half signed in, anonymous: no 5xx, whatever they send."""
    checker = Checker.start()
    patterns = all_patterns()
    ours = [p for p in patterns if not p[0].startswith("admin") and "admin" not in str(p[1][0])]
    admin = [p for p in patterns if p not in ours]
    known = {
        "ids": sorted(
            {
                str(pk)
                for pk in (
                    world.app_a.pk,
                    world.app_b.pk,
                    world.draft_a.pk,
                    world.doc_a.pk,
                    world.doc_b.pk,
                    world.org_a.pk,
                    world.org_b.pk,
                    world.invitation_a.pk,
                    world.colleague_membership.pk,
                    *(user.pk for user in world.users.values()),
                )
            }
        ),
        "token": [
            invitation_token(world.invitation_a),
            verification_token(world.newcomer),
            default_token_generator.make_token(world.users["owner"]),
        ],
        "uidb64": [urlsafe_base64_encode(force_bytes(world.users["owner"].pk))],
        "step": STEP_NAMES,
    }
    requests = random_requests(st.sampled_from(ours) | st.sampled_from(admin), known)
    cookie = pending[0] if persona == "pending" else session(world, persona)

    def send(method, request):
        body = request["body"]
        if isinstance(body, tuple):
            content_type, raw = body
            return fetch(cookie, method, request["path"], body=raw, content_type=content_type)
        if method in (GET, POST):
            path = request["path"]
            return fetch(cookie, method, path, body if method == POST else None)
        return fetch(cookie, method, request["path"])

    @fuzz_settings(examples)
    @given(requests)
    def check(drawn):
        _name, method, request = drawn
        run(checker, lambda: send(method, request))

    check()


# What the URL fuzz found, pinned: (persona, method, path) that must not answer 5xx.
URL_REGRESSIONS = {
    "a reviewer opens a draft (no assessment yet)": ("reviewer", GET, "/review/{draft}/"),
    "an applicant withdraws a draft": ("owner", POST, "/applications/{draft}/withdraw/"),
    "policy staff open the QR code of a missing TOTP device": (
        "policy",
        GET,
        "/admin/otp_totp/totpdevice/999999/qrcode/",
    ),
    "policy staff open the config of a missing TOTP device": (
        "policy",
        GET,
        "/admin/otp_totp/totpdevice/999999/config/",
    ),
}


@pytest.mark.parametrize("case", sorted(URL_REGRESSIONS))
def test_url_regressions(world, case):
    persona, method, path = URL_REGRESSIONS[case]
    checker = Checker.start()
    path = path.format(draft=world.draft_a.pk)
    run(
        checker,
        lambda: fetch(world.sessions[persona], method, path, {} if method == POST else None),
    )


# Negative controls: the checks notice an unescaped canary, a row stored without validation,
# and a 5xx.


def test_the_checks_notice_what_they_look_for(world, monkeypatch):
    checker = Checker.start()

    def reflect(request, *args, **kwargs):  # a template that forgot to escape
        return HttpResponse(f"<p>{request.GET.get('q', '')}</p>")

    monkeypatch.setattr("reviews.views.portal.render", reflect)
    url = f"{reverse('reviews:application_list')}?{urlencode({'q': CANARY})}"
    with pytest.raises(AssertionError, match="unescaped canary"):
        run(checker, lambda: fetch(world.sessions["owner"], GET, url))

    def store_unparsable_facts():
        application = Application.objects.get(pk=world.app_a.pk)
        application.facts = {"not": "facts"}
        application.save(update_fields=["facts"])
        return fetch(world.sessions["owner"], GET, reverse("home"))

    with pytest.raises(AssertionError, match="facts do not parse"):
        run(checker, store_unparsable_facts)

    monkeypatch.setattr("reviews.views.portal.render", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(AssertionError, match="answered 500: ZeroDivisionError"):
        run(
            checker,
            lambda: fetch(world.sessions["owner"], GET, reverse("reviews:application_list")),
        )


# Nightly: this module again, ten times the examples (2,000 a form), in a process of its own
# with a database of its own (this session holds the test database of DATABASE_URL).


@pytest.mark.nightly
def test_the_whole_module_at_nightly_scale(tmp_path):
    env = {**os.environ, "FUZZ_SCALE": os.environ.get("FUZZ_SCALE", "10")}
    if env.get("DATABASE_URL", "").startswith("postgres"):
        base, _slash, name = env["DATABASE_URL"].rpartition("/")
        env["DATABASE_URL"] = f"{base}/{name.split('?')[0]}_fuzz_nightly"

    done = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider", "-x"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=3 * 3600,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
