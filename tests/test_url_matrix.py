"""Every URL of the project, against every persona and every tenant boundary.

T1 (foreign-object matrix) and T2 (role x view matrix) of the reliability and security test
plan. The URL patterns come from the resolver: a new URL fails
`test_it_has_a_row_for_every_url_pattern` until it has a spec in URLS and a row in
ROLE_MATRIX, and a row for a URL that is gone fails it too.

Every cell also checks the security log: a 403 or 404 answered to a signed-in persona writes
exactly one `authz_denied` audit event (actor, current organization, method, path, status,
view), and any other answer writes none.

Each test builds one world (two tenants, their objects, the staff) and sends every request in
a savepoint that is rolled back, so every cell starts from the same data.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, resolve_url
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode

from accounts.models import (
    EndCustomer,
    Invitation,
    Membership,
    Organization,
    Role,
    StaffGroup,
    Subscription,
    User,
)
from accounts.selectors import SESSION_ORG_KEY, membership_required
from accounts.services import invitation_create, membership_add
from accounts.tokens import invitation_token, verification_token
from audit.middleware import DENIALS_PER_WINDOW, _recorded_path
from audit.models import AuditEvent
from audit.services import audit_record
from entitlements.credentials import api_key_create, webhook_endpoint_create
from entitlements.models import ApiKey, Entitlement, WebhookEndpoint
from reviews.models import (
    Application,
    Assessment,
    Document,
    InformationRequest,
    ReasonCode,
    ReviewAction,
)
from reviews.services import application_create_draft, document_add

from .conftest import PASSWORD, staff

GET, POST = "GET", "POST"
MISSING = 999_999  # an id no row has
LOGIN = "login"  # a 302 to the sign-in page, with ?next= the requested path
PERSONAS = ("anon", "owner", "member", "outsider", "reviewer", "senior", "policy")
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DENIED = (403, 404)  # the answers that must leave one `authz_denied` event for a signed-in user
DENIAL_MIDDLEWARE = "audit.middleware.DenialAuditMiddleware"


@pytest.fixture(autouse=True)
def _denials_recorded(settings):
    """Install the denial recorder inside RequestContextMiddleware, where it belongs, for as
    long as config/settings/base.py does not list it (then this does nothing)."""
    if DENIAL_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        at = middleware.index("audit.middleware.RequestContextMiddleware") + 1
        settings.MIDDLEWARE = [*middleware[:at], DENIAL_MIDDLEWARE, *middleware[at:]]


# The world: org A (Acme Identity: owner `applicant`, member `colleague`) and org B (Other Org:
# owner `outsider`, an unverified member, and a reviewer and a senior reviewer who belong to
# it). Each has a submitted application with a document, a draft and an open invitation.


@dataclass
class World:
    users: dict[str, User]
    sessions: dict[str, str]
    org_a: Organization
    org_b: Organization
    app_a: Application
    draft_a: Application
    doc_a: Document
    colleague_membership: Membership
    invitation_a: Invitation
    newcomer: User
    app_b: Application
    draft_b: Application
    doc_b: Document
    owner_membership_b: Membership
    member_b: User
    member_membership_b: Membership
    invitation_b: Invitation
    key_a: ApiKey
    key_b: ApiKey
    endpoint_a: WebhookEndpoint
    endpoint_b: WebhookEndpoint


@pytest.fixture
def world(
    applicant, colleague, outsider, reviewer, senior_reviewer, policy_staff, submit, settings,
    tmp_path,
) -> World:  # fmt: skip
    settings.DOCUMENTS_ROOT = str(tmp_path / "documents")
    now = timezone.now()
    owner_a, owner_b = applicant.memberships.get(), outsider.memberships.get()
    org_a, org_b = owner_a.organization, owner_b.organization

    member_b = User.objects.create_user(
        email="bea@other.example", password=PASSWORD, full_name="Bea"
    )  # never verified: a forged verification link must not verify her
    member_membership_b = membership_add(
        actor=outsider, organization=org_b, user=member_b, role=Role.MEMBER
    )
    conflicted = staff("rita@other.example", StaffGroup.REVIEWER)
    conflicted_senior = staff("sean@other.example", StaffGroup.SENIOR_REVIEWER)
    for user in (conflicted, conflicted_senior):
        membership_add(actor=outsider, organization=org_b, user=user, role=Role.MEMBER)

    def documented(user, membership):
        application = submit(user, "Selfie check")
        upload = SimpleUploadedFile("dpia.pdf", PDF, content_type="application/pdf")
        document = document_add(
            actor=user, role=membership.role, application=application, upload=upload, now=now
        )
        draft = application_create_draft(actor=user, membership=membership, now=now)
        return application, document, draft

    app_a, doc_a, draft_a = documented(applicant, owner_a)
    app_b, doc_b, draft_b = documented(outsider, owner_b)
    invitation_a = invitation_create(
        actor=applicant, membership=owner_a, email="ivan@acme.example", role=Role.MEMBER, now=now
    )
    invitation_b = invitation_create(
        actor=outsider, membership=owner_b, email="ivy@other.example", role=Role.MEMBER, now=now
    )
    key_a = api_key_create(actor=applicant, membership=owner_a, name="CI", now=now)[0]
    key_b = api_key_create(actor=outsider, membership=owner_b, name="CI", now=now)[0]
    # IP literals: resolved without DNS, and public.
    endpoint_a = webhook_endpoint_create(
        actor=applicant, organization=org_a, url="https://93.184.215.14/a", now=now, role=Role.OWNER
    )[0]
    endpoint_b = webhook_endpoint_create(
        actor=outsider, organization=org_b, url="https://93.184.215.14/b", now=now, role=Role.OWNER
    )[0]
    newcomer = User.objects.create_user(
        email="nina@newco.example", password=PASSWORD, full_name="Nina"
    )

    users = {
        "owner": applicant,
        "member": colleague,
        "outsider": outsider,
        "reviewer": reviewer,
        "senior": senior_reviewer,
        "policy": policy_staff,
        "coi": conflicted,
        "coi_senior": conflicted_senior,
    }
    sessions = {}
    for persona, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return World(
        users=users,
        sessions=sessions,
        org_a=org_a,
        org_b=org_b,
        app_a=app_a,
        draft_a=draft_a,
        doc_a=doc_a,
        colleague_membership=colleague.memberships.get(),
        invitation_a=invitation_a,
        newcomer=newcomer,
        app_b=app_b,
        draft_b=draft_b,
        doc_b=doc_b,
        owner_membership_b=owner_b,
        member_b=member_b,
        member_membership_b=member_membership_b,
        invitation_b=invitation_b,
        key_a=key_a,
        key_b=key_b,
        endpoint_a=endpoint_a,
        endpoint_b=endpoint_b,
    )


# Request payloads: valid and, against a foreign object, harmful, so that a missing check
# would show up as a write.


def _version(pk: int) -> int:
    return Application.objects.filter(pk=pk).values_list("version", flat=True).first() or 1


def _review(**fields) -> Callable[["World", dict], dict]:
    def payload(w: World, kw: dict) -> dict:
        return {"idempotency_key": str(uuid.uuid4()), "version": _version(kw["pk"]), **fields}

    return payload


def _deny(w: World, kw: dict) -> dict:
    code = ReasonCode.objects.filter(active=True).values_list("pk", flat=True).first()
    return {**_review(reason="Not for this use.")(w, kw), "reason_codes": [code]}


def _upload(w: World, kw: dict) -> dict:
    return {"file": SimpleUploadedFile("planted.pdf", PDF, content_type="application/pdf")}


def _step(w: World, kw: dict) -> dict:
    return {
        "version": _version(kw["pk"]),
        "title": "Hijacked",
        "use_case": "identity_verification",
        "description": "Written by someone else.",
        "nav": "save",
    }


PROFILE = {
    "name": "Acme Identity",
    "country": "GB",
    "org_type": "software_vendor",
    "website": "https://acme.example",
    "email_domain": "acme.example",
    "customers-TOTAL_FORMS": "0",
    "customers-INITIAL_FORMS": "0",
    "subscriptions-TOTAL_FORMS": "0",
    "subscriptions-INITIAL_FORMS": "0",
}


def _forged_verification(user_id: int) -> str:
    """Return a verification token for the user, signed with a key that is not the site's."""
    signer = signing.TimestampSigner(
        key="not-the-secret-key", salt="gatehouse.accounts.verify-email"
    )
    return signer.sign_object({"u": user_id, "e": "x@example.com"})


def _forged_invitation(invitation_id: int) -> str:
    signer = signing.Signer(key="not-the-secret-key", salt="gatehouse.accounts.invitation")
    return signer.sign_object({"i": invitation_id, "n": "guessed"})


def _wrong_nonce_invitation(invitation_id: int) -> str:
    """Return a correctly signed token with a nonce the invitation does not have."""
    return signing.Signer(salt="gatehouse.accounts.invitation").sign_object(
        {"i": invitation_id, "n": "guessed"}
    )


def _uid(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


# The table: for each URL pattern, how to reach org A's object, what to POST, which methods the
# view accepts, and the foreign objects (org B's) to try it with.


@dataclass(frozen=True)
class Foreign:
    """Org B's object(s) for a URL, and the nonexistent ids its answer must be identical to."""

    what: str
    target: Callable[[World], dict]
    missing: Callable[[World], dict]
    personas: tuple[str, ...] = ("owner", "member")
    status: int = 404
    # A persona whose role is refused before any object is looked up gets the same answer
    # for every id, its own organization's included (see the invitation URLs).
    role_refused: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Url:
    methods: tuple[str, ...]
    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World, dict], dict] = lambda w, kw: {}
    foreign: tuple[Foreign, ...] = ()


def _pk(attr: str) -> Callable[[World], dict]:
    return lambda w: {"pk": getattr(w, attr).pk}


def _missing_pk(w: World) -> dict:
    return {"pk": MISSING}


PORTAL = ("owner", "member")
REVIEW = ("owner", "member", "coi", "coi_senior")  # coi: reviewers who belong to org B
TOKEN = ("anon", "owner", "member")

APP_B = Foreign("org B's application", _pk("app_b"), _missing_pk)
DRAFT_B = Foreign("org B's draft", _pk("draft_b"), _missing_pk)
REVIEW_B = Foreign("org B's application (reviewer URL)", _pk("app_b"), _missing_pk, REVIEW)
API_B = Foreign(
    "an entitlement id (API)",
    lambda w: {"entitlement_id": MISSING - 2},
    lambda w: {"entitlement_id": MISSING},
    status=401,
)


def _document(app: str, doc: str | None) -> Callable[[World], dict]:
    def kwargs(w: World) -> dict:
        document_pk = getattr(w, doc).pk if doc else MISSING
        return {"pk": getattr(w, app).pk if app else MISSING, "document_pk": document_pk}

    return kwargs


def _documents(personas: tuple[str, ...]) -> tuple[Foreign, ...]:
    return (
        Foreign("org B's document", _document("app_b", "doc_b"), _document("", None), personas),
        Foreign(
            "org B's document under org A's application",
            _document("app_a", "doc_b"),
            _document("app_a", None),
            personas,
        ),
    )


def _application_step(attr: str | None) -> Callable[[World], dict]:
    return lambda w: {"pk": getattr(w, attr).pk if attr else MISSING, "step": "use_case"}


def _invitation_urls() -> tuple[Foreign, ...]:
    return (
        Foreign(
            "org B's invitation",
            _pk("invitation_b"),
            _missing_pk,
            role_refused={"member": 403},  # members may not manage invitations at all
        ),
    )


URLS: dict[str, Url] = {
    "home": Url((GET,)),
    # Sign-up, sign-in and the links sent by email.
    "accounts:signup": Url((GET, POST)),
    "accounts:login": Url((GET, POST)),
    "healthz": Url((GET,)),
    "accounts:logout": Url((POST,)),
    "accounts:verify_email_sent": Url((GET,)),
    "accounts:verify_email_resend": Url((POST,)),
    "accounts:verify_email": Url(
        (GET,),
        kwargs=lambda w: {"token": verification_token(w.newcomer)},
        foreign=(
            Foreign(
                "a forged link for org B's unverified member",
                lambda w: {"token": _forged_verification(w.member_b.pk)},
                lambda w: {"token": _forged_verification(MISSING)},
                TOKEN,
                status=400,
            ),
        ),
    ),
    "accounts:invitation_accept": Url(
        (GET, POST),
        kwargs=lambda w: {"token": invitation_token(w.invitation_a)},
        foreign=(
            Foreign(
                "a forged link to org B's invitation",
                lambda w: {"token": _forged_invitation(w.invitation_b.pk)},
                lambda w: {"token": _forged_invitation(MISSING)},
                TOKEN,
                status=400,
            ),
            Foreign(
                "a signed link to org B's invitation with a guessed nonce",
                lambda w: {"token": _wrong_nonce_invitation(w.invitation_b.pk)},
                lambda w: {"token": _wrong_nonce_invitation(MISSING)},
                TOKEN,
                status=400,
            ),
        ),
    ),
    "accounts:password_reset": Url((GET, POST)),
    "accounts:password_reset_done": Url((GET,)),
    "accounts:password_reset_confirm": Url(
        (GET, POST),
        kwargs=lambda w: {
            "uidb64": _uid(w.users["owner"].pk),
            "token": default_token_generator.make_token(w.users["owner"]),
        },
        data=lambda w, kw: {
            "new_password1": "Hijacked-passw0rd!",
            "new_password2": "Hijacked-passw0rd!",
        },
        foreign=(
            # Django answers an invalid link with its "invalid link" page (200), never a form.
            Foreign(
                "a reset link for org B's owner with a guessed token",
                lambda w: {"uidb64": _uid(w.users["outsider"].pk), "token": "cnxx0-guessed"},
                lambda w: {"uidb64": _uid(MISSING), "token": "cnxx0-guessed"},
                TOKEN,
                status=200,
            ),
        ),
    ),
    "accounts:password_reset_complete": Url((GET,)),
    "accounts:password_change": Url((GET, POST)),
    "accounts:two_factor": Url((GET, POST)),
    "accounts:two_factor_verify": Url((GET, POST)),
    "accounts:password_change_done": Url((GET,)),
    # Organizations, members and invitations.
    "accounts:organization_new": Url((GET, POST)),
    "accounts:organization": Url((GET, POST), data=lambda w, kw: PROFILE),
    "accounts:organization_switch": Url(
        (POST,),
        kwargs=_pk("org_a"),
        foreign=(Foreign("org B", _pk("org_b"), _missing_pk),),
    ),
    "accounts:members": Url(
        (GET, POST), data=lambda w, kw: {"email": "nora@acme.example", "role": Role.MEMBER}
    ),
    "accounts:member_role": Url(
        (POST,),
        kwargs=_pk("colleague_membership"),
        data=lambda w, kw: {"role": Role.ADMIN},
        foreign=(
            Foreign("org B's owner's membership", _pk("owner_membership_b"), _missing_pk),
            Foreign("org B's member's membership", _pk("member_membership_b"), _missing_pk),
        ),
    ),
    "accounts:member_remove": Url(
        (POST,),
        kwargs=_pk("colleague_membership"),
        foreign=(
            Foreign("org B's owner's membership", _pk("owner_membership_b"), _missing_pk),
            Foreign("org B's member's membership", _pk("member_membership_b"), _missing_pk),
        ),
    ),
    "accounts:invitation_resend": Url(
        (POST,), kwargs=_pk("invitation_a"), foreign=_invitation_urls()
    ),
    "accounts:invitation_revoke": Url(
        (POST,), kwargs=_pk("invitation_a"), foreign=_invitation_urls()
    ),
    # The customer portal.
    "reviews:application_list": Url((GET,)),
    "reviews:application_new": Url((GET, POST)),
    "reviews:application_detail": Url((GET,), kwargs=_pk("app_a"), foreign=(APP_B,)),
    "reviews:application_step": Url(
        (GET, POST),
        kwargs=_application_step("draft_a"),
        data=_step,
        foreign=(Foreign("org B's draft", _application_step("draft_b"), _application_step(None)),),
    ),
    "reviews:application_summary": Url((GET,), kwargs=_pk("draft_a"), foreign=(DRAFT_B,)),
    "reviews:application_submit": Url(
        (POST,),
        kwargs=_pk("draft_a"),
        data=lambda w, kw: {"version": _version(kw["pk"])},
        foreign=(DRAFT_B,),
    ),
    "reviews:application_answer": Url(
        (POST,),
        kwargs=_pk("app_a"),
        data=lambda w, kw: {"answer": "Here is what you asked for."},
        foreign=(APP_B,),
    ),
    "reviews:application_withdraw": Url((POST,), kwargs=_pk("app_a"), foreign=(APP_B,)),
    "reviews:application_copy": Url((POST,), kwargs=_pk("app_a"), foreign=(APP_B,)),
    "reviews:application_reattest": Url((POST,), kwargs=_pk("app_a"), foreign=(APP_B,)),
    "reviews:document_upload": Url((POST,), kwargs=_pk("app_a"), data=_upload, foreign=(APP_B,)),
    "reviews:document_download": Url(
        (GET,), kwargs=_document("app_a", "doc_a"), foreign=_documents(PORTAL)
    ),
    # The reviewer dashboard.
    "reviews:queue": Url((GET,)),
    "reviews:metrics": Url((GET,)),
    "reviews:review_detail": Url((GET,), kwargs=_pk("app_a"), foreign=(REVIEW_B,)),
    "reviews:review_approve": Url(
        (POST,),
        kwargs=_pk("app_a"),
        data=_review(reason="Meets the policy.", conditions="", expires_on=""),
        foreign=(REVIEW_B,),
    ),
    "reviews:review_deny": Url((POST,), kwargs=_pk("app_a"), data=_deny, foreign=(REVIEW_B,)),
    "reviews:review_escalate": Url(
        (POST,), kwargs=_pk("app_a"), data=_review(note="Please look."), foreign=(REVIEW_B,)
    ),
    "reviews:review_request_info": Url(
        (POST,), kwargs=_pk("app_a"), data=_review(questions="Why?"), foreign=(REVIEW_B,)
    ),
    "reviews:review_claim": Url((POST,), kwargs=_pk("app_a"), foreign=(REVIEW_B,)),
    "reviews:review_release": Url((POST,), kwargs=_pk("app_a"), foreign=(REVIEW_B,)),
    "reviews:review_assign": Url(
        (POST,),
        kwargs=_pk("app_a"),
        data=lambda w, kw: {"assignee": w.users["reviewer"].pk},
        foreign=(REVIEW_B,),
    ),
    "reviews:review_document_download": Url(
        (GET,), kwargs=_document("app_a", "doc_a"), foreign=_documents(REVIEW)
    ),
    # Senior reviewers suspend, revoke or reinstate an approval's entitlements.
    "reviews:review_entitlements": Url((GET,), kwargs=_pk("app_a"), foreign=(REVIEW_B,)),
    **{
        f"reviews:review_entitlements_{action}": Url(
            (POST,),
            kwargs=_pk("app_a"),
            data=lambda w, kw: {"reason": "Misuse reported."},
            foreign=(REVIEW_B,),
        )
        for action in ("suspend", "revoke", "reinstate")
    },
    # The API access page: every member reads it; owners and admins change keys and webhooks;
    # a member's change is refused before any object is looked up (403).
    "api_access:index": Url((GET,)),
    "api_access:key_create": Url((POST,), data=lambda w, kw: {"name": "Planted key"}),
    "api_access:key_revoke": Url(
        (POST,),
        kwargs=_pk("key_a"),
        foreign=(
            Foreign("org B's API key", _pk("key_b"), _missing_pk, role_refused={"member": 403}),
        ),
    ),
    "api_access:webhook_create": Url(
        (POST,), data=lambda w, kw: {"url": "https://93.184.215.14/planted"}
    ),
    "api_access:webhook_disable": Url(
        (POST,),
        kwargs=_pk("endpoint_a"),
        foreign=(
            Foreign(
                "org B's webhook endpoint",
                _pk("endpoint_b"),
                _missing_pk,
                role_refused={"member": 403},
            ),
        ),
    ),
    # The entitlements API reads API keys and service tokens, never the session: every
    # persona's session gets 401, for org A's ids, org B's and missing ones alike.
    "api:api-root": Url((GET,)),
    "api:openapi-json": Url((GET,)),
    "api:entitlement_check": Url((GET,)),
    "api:entitlement_list": Url((GET,)),
    "api:entitlement_detail": Url(
        (GET,),
        kwargs=lambda w: {"entitlement_id": MISSING - 1},
        foreign=(API_B,),
    ),
    "api:application_list": Url((GET,)),
    "api:application_detail": Url(
        (GET,),
        kwargs=lambda w: {"application_id": w.app_a.pk},
        foreign=(
            Foreign(
                "org B's application (API)",
                lambda w: {"application_id": w.app_b.pk},
                lambda w: {"application_id": MISSING},
                status=401,
            ),
        ),
    ),
}

# Pages anyone may open signed out. Every other URL sends a visitor to the sign-in page.
PUBLIC = {
    "accounts:signup",
    "accounts:login",
    "accounts:logout",  # signing out while signed out just lands on the sign-in page
    "accounts:verify_email",
    "accounts:invitation_accept",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "healthz",  # for load balancers; it reveals only whether the services answer
    # The API: its own authentication answers 401, never a sign-in page (docs/api.md).
    "api:api-root",
    "api:openapi-json",
    "api:entitlement_check",
    "api:entitlement_list",
    "api:entitlement_detail",
    "api:application_list",
    "api:application_detail",
}

# T2: the status each persona gets, by method, on org A's objects (the payloads above).
# L: a redirect to the sign-in page. Owner and member are Acme's (org A); outsider owns org B;
# reviewer, senior (reviewer) and policy (staff) belong to no organization.
L = LOGIN
# fmt: off
ROLE_MATRIX: dict[str, dict[str, tuple]] = {
    #                                          anon owner member outsider reviewer senior policy
    "home":                             {GET:  (L,   302,  302,   302,     302,     302,   302),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "accounts:signup":                  {GET:  (200, 302,  302,   302,     302,     302,   302),
                                         POST: (200, 302,  302,   302,     302,     302,   302)},
    "accounts:login":                   {GET:  (200, 302,  302,   302,     302,     302,   302),
                                         POST: (200, 302,  302,   302,     302,     302,   302)},
    "healthz":                          {GET:  (200, 200,  200,   200,     200,     200,   200),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "accounts:logout":                  {GET:  (405, 405,  405,   405,     405,     405,   405),
                                         POST: (302, 302,  302,   302,     302,     302,   302)},
    # Only the colleague and the staff have unverified addresses.
    "accounts:verify_email_sent":       {GET:  (L,   302,  200,   302,     200,     200,   200),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "accounts:verify_email_resend":     {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   302,     302,     302,   302)},
    "accounts:verify_email":            {GET:  (302, 302,  302,   302,     302,     302,   302),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "accounts:invitation_accept":       {GET:  (200, 200,  200,   200,     200,     200,   200),
                                         POST: (400, 409,  409,   409,     409,     409,   409)},
    "accounts:password_reset":          {GET:  (200, 200,  200,   200,     200,     200,   200),
                                         POST: (200, 200,  200,   200,     200,     200,   200)},
    "accounts:password_reset_done":     {GET:  (200, 200,  200,   200,     200,     200,   200),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "accounts:password_reset_confirm":  {GET:  (302, 302,  302,   302,     302,     302,   302),
                                         POST: (302, 302,  302,   302,     302,     302,   302)},
    "accounts:password_reset_complete": {GET:  (200, 200,  200,   200,     200,     200,   200),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "accounts:password_change":         {GET:  (L,   200,  200,   200,     200,     200,   200),
                                         POST: (L,   200,  200,   200,     200,     200,   200)},
    "accounts:password_change_done":    {GET:  (L,   200,  200,   200,     200,     200,   200),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    # An empty POST is a wrong code; policy staff already have their authenticator.
    "accounts:two_factor":              {GET:  (L,   200,  200,   200,     200,     200,   200),
                                         POST: (L,   400,  400,   400,     400,     400,   400)},
    # Nobody here has a pending second factor, so the code page sends them on.
    "accounts:two_factor_verify":       {GET:  (L,   302,  302,   302,     302,     302,   302),
                                         POST: (L,   302,  302,   302,     302,     302,   302)},
    "accounts:organization_new":        {GET:  (L,   200,  200,   200,     200,     200,   200),
                                         POST: (L,   200,  200,   200,     200,     200,   200)},
    # A member sees the profile read-only; their POST changes nothing and shows why.
    "accounts:organization":            {GET:  (L,   200,  200,   200,     404,     404,   404),
                                         POST: (L,   302,  200,   302,     404,     404,   404)},
    "accounts:organization_switch":     {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    # A member's invitation is refused with the form hidden (tests/accounts/test_members.py).
    "accounts:members":                 {GET:  (L,   200,  200,   200,     404,     404,   404),
                                         POST: (L,   302,  400,   302,     404,     404,   404)},
    # The target is the colleague's own membership: a member may leave, not promote themself
    # (refused with a message on the members page).
    "accounts:member_role":             {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "accounts:member_remove":           {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "accounts:invitation_resend":       {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  403,   404,     404,     404,   404)},
    "accounts:invitation_revoke":       {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  403,   404,     404,     404,   404)},
    "reviews:application_list":         {GET:  (L,   200,  200,   200,     404,     404,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:application_new":          {GET:  (L,   200,  200,   200,     404,     404,   404),
                                         POST: (L,   302,  302,   302,     404,     404,   404)},
    "reviews:application_detail":       {GET:  (L,   200,  200,   404,     404,     404,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:application_step":         {GET:  (L,   200,  200,   404,     404,     404,   404),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "reviews:application_summary":      {GET:  (L,   200,  200,   404,     404,     404,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:application_submit":       {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "reviews:application_answer":       {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   400,  400,   404,     404,     404,   404)},
    "reviews:application_withdraw":     {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "reviews:application_copy":         {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "reviews:application_reattest":     {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "reviews:document_upload":          {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  302,   404,     404,     404,   404)},
    "reviews:document_download":        {GET:  (L,   200,  200,   404,     404,     404,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:queue":                    {GET:  (L,   404,  404,   404,     200,     200,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    # Senior reviewers and policy staff only.
    "reviews:metrics":                  {GET:  (L,   404,  404,   404,     404,     200,   200),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:review_detail":            {GET:  (L,   404,  404,   404,     200,     200,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:review_approve":           {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_deny":              {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_escalate":          {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_request_info":      {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_claim":             {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_release":           {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_assign":            {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     302,     302,   404)},
    "reviews:review_document_download": {GET:  (L,   404,  404,   404,     200,     200,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    # Senior reviewers only; org A's application is not approved, so there is nothing to change.
    "reviews:review_entitlements":      {GET:  (L,   404,  404,   404,     404,     200,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    "reviews:review_entitlements_suspend": {GET: (L, 405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     404,     409,   404)},
    "reviews:review_entitlements_revoke": {GET: (L,  405,  405,   405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     404,     409,   404)},
    "reviews:review_entitlements_reinstate": {GET: (L, 405, 405,  405,     405,     405,   405),
                                         POST: (L,   404,  404,   404,     404,     409,   404)},
    "api_access:index":                 {GET:  (L,   200,  200,   200,     404,     404,   404),
                                         POST: (L,   405,  405,   405,     405,     405,   405)},
    # The new secret is shown in the answer to the POST (200, Cache-Control: no-store).
    "api_access:key_create":            {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   200,  403,   200,     404,     404,   404)},
    "api_access:key_revoke":            {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  403,   404,     404,     404,   404)},
    "api_access:webhook_create":        {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   200,  403,   200,     404,     404,   404)},
    "api_access:webhook_disable":       {GET:  (L,   405,  405,   405,     405,     405,   405),
                                         POST: (L,   302,  403,   404,     404,     404,   404)},
    # The API: sessions are not credentials; the schema is public, the root has no page.
    "api:api-root":                     {GET:  (404, 404,  404,   404,     404,     404,   404),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "api:openapi-json":                 {GET:  (200, 200,  200,   200,     200,     200,   200),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "api:entitlement_check":            {GET:  (401, 401,  401,   401,     401,     401,   401),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "api:entitlement_list":             {GET:  (401, 401,  401,   401,     401,     401,   401),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "api:entitlement_detail":           {GET:  (401, 401,  401,   401,     401,     401,   401),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "api:application_list":             {GET:  (401, 401,  401,   401,     401,     401,   401),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
    "api:application_detail":           {GET:  (401, 401,  401,   401,     401,     401,   401),
                                         POST: (405, 405,  405,   405,     405,     405,   405)},
}
# fmt: on


# Sending requests.


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint that is always rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@dataclass(frozen=True)
class Denial:
    """An `authz_denied*` audit event a request wrote."""

    verb: str
    actor: int | None
    organization: int | None
    object_type: str
    payload: dict


@dataclass(frozen=True)
class Response:
    status: int
    location: str
    content_type: str
    body: str
    error: str
    session_org: int | None
    denials: tuple[Denial, ...] = ()

    def describe(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{self.status}{where}{f' ({self.error})' if self.error else ''}"


def send(w: World, persona: str, method: str, path: str, data: dict) -> Response:
    """Send one request as the persona and return what came back, body read."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    client = Client(raise_request_exception=False)
    if persona != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[persona]
    response = client.get(path) if method == GET else client.post(path, data)
    # Reading a streamed body to the end closes it; the client has closed the others already
    # (closing again would fire request_finished and close the database connection).
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Response(
        status=response.status_code,
        location=response.get("Location", ""),
        content_type=response.get("Content-Type", ""),
        body=_normalized(body),
        error=repr(response.exc_info[1]) if response.exc_info else "",
        session_org=client.session.get(SESSION_ORG_KEY) if persona != "anon" else None,
        denials=tuple(
            Denial(*row)
            for row in AuditEvent.objects.filter(seq__gt=last, verb__startswith="authz_denied")
            .order_by("seq")
            .values_list("verb", "actor", "organization", "object_type", "payload")
        ),
    )


def _current_organization(w: World, persona: str) -> int | None:
    """Return the organization a persona acts in (each belongs to at most one here)."""
    organizations = set(w.users[persona].memberships.values_list("organization", flat=True))
    return organizations.pop() if len(organizations) == 1 else None


def denial_problems(
    w: World, persona: str, method: str, path: str, name: str, response: Response
) -> list[str]:
    """Return how the security log of one request differs from one event per refusal."""
    if persona == "anon" or response.status not in DENIED:
        if response.denials:
            return [f"{response.status} wrote {len(response.denials)} authz_denied event(s)"]
        return []
    if len(response.denials) != 1:
        return [f"{response.status}: expected 1 authz_denied event, got {len(response.denials)}"]
    expected = Denial(
        verb="authz_denied",
        actor=w.users[persona].pk,
        organization=_current_organization(w, persona),
        object_type="http",
        payload={"method": method, "path": path, "status": response.status, "view": name},
    )
    if response.denials[0] != expected:
        return [f"authz_denied event {response.denials[0]}, expected {expected}"]
    return []


_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _normalized(body: bytes) -> str:
    """Return the body with its per-response CSRF tokens blanked, so bodies can be compared."""
    return _CSRF.sub(r"\1-\2", body.decode("utf-8", errors="replace"))


def _login_redirect(path: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': path}, safe='/')}"


# What a request may not touch: every tenant row, and the audit trail (except security events
# about the refusal itself, which the plan asks for).

TENANT_MODELS = (
    Organization,
    Membership,
    Invitation,
    EndCustomer,
    Subscription,
    User,
    Application,
    Assessment,
    ReviewAction,
    ReviewAction.reason_codes.through,
    InformationRequest,
    Document,
    ApiKey,
    WebhookEndpoint,
    Entitlement,
)


def tenant_rows() -> dict[str, dict]:
    rows = {
        model._meta.label: {row["id"]: row for row in model.objects.order_by("pk").values()}
        for model in TENANT_MODELS
    }
    events = AuditEvent.objects.exclude(verb__startswith="security.").exclude(
        verb__startswith="authz"
    )
    rows["audit.AuditEvent"] = {
        seq: (verb, org, obj)
        for seq, verb, org, obj in events.values_list("seq", "verb", "organization", "object_id")
    }
    return rows


def changes(before: dict, after: dict) -> list[str]:
    found = []
    for label, old in before.items():
        new = after[label]
        added = sorted(new.keys() - old.keys())
        removed = sorted(old.keys() - new.keys())
        changed = sorted(pk for pk in old.keys() & new.keys() if old[pk] != new[pk])
        for kind, pks in (("added", added), ("removed", removed), ("changed", changed)):
            if pks:
                found.append(f"{label} {kind} {pks}")
    return found


# The resolver.


def _serves_files(pattern: URLPattern) -> bool:
    """Return whether the pattern serves static or media files (django.conf.urls.static)."""
    route = str(pattern.pattern).lstrip("^")
    prefixes = [url.lstrip("/") for url in (settings.STATIC_URL, settings.MEDIA_URL) if url]
    return any(prefix and route.startswith(prefix) for prefix in prefixes)


def url_patterns(resolver=None, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Yield (namespace:name, pattern) for every pattern of the project but the admin site's."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or entry.app_name == "admin":
                continue
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from url_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and not _serves_files(entry):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, entry


# The meta-tests: the tables cover exactly the project's URLs, and agree with themselves.


def test_it_has_a_row_for_every_url_pattern():
    patterns = dict(url_patterns())

    assert None not in patterns, "a URL pattern without a name cannot be listed in the tables"
    unlisted = sorted(set(patterns) - set(URLS))
    stale = sorted(set(URLS) - set(patterns))
    assert not unlisted, f"URL patterns without an entry in URLS: {unlisted}"
    assert not stale, f"URLS names patterns that no longer exist: {stale}"
    assert set(ROLE_MATRIX) == set(URLS)


def test_it_tries_foreign_objects_on_every_url_that_takes_an_id():
    for name, pattern in url_patterns():
        takes_object = bool(pattern.pattern.converters)
        assert takes_object == bool(URLS[name].foreign), (
            f"{name}: kwargs {sorted(pattern.pattern.converters)} but "
            f"{len(URLS[name].foreign)} foreign cases"
        )


def test_it_keeps_the_role_matrix_consistent():
    for name, row in ROLE_MATRIX.items():
        assert set(row) == {GET, POST}, name
        for method, cells in row.items():
            assert len(cells) == len(PERSONAS), f"{name} {method}"
            anon, *signed_in = cells
            assert (anon == LOGIN) == (name not in PUBLIC), f"{name} {method}: anon is {anon}"
            if method not in URLS[name].methods:
                assert set(signed_in) == {405}, f"{name} does not accept {method}"


# T2, anonymous column: sign in first, unless the page is public.


@pytest.mark.parametrize("name", sorted(URLS))
def test_it_sends_anonymous_visitors_to_sign_in(world, name):
    spec = URLS[name]
    kwargs = spec.kwargs(world)
    path = reverse(name, kwargs=kwargs)
    wrong = []
    for method in (GET, POST):
        expected = ROLE_MATRIX[name][method][0]
        with rolled_back():
            response = send(world, "anon", method, path, spec.data(world, kwargs))
        if expected == LOGIN:
            if response.status != 302 or response.location != _login_redirect(path):
                wrong.append(f"{method}: expected the sign-in redirect, got {response.describe()}")
        elif response.status != expected or response.status not in (200, 302, 400, 401, 404, 405):
            wrong.append(f"{method}: expected {expected}, got {response.describe()}")
        if response.denials:
            wrong.append(f"{method}: an anonymous visit wrote {response.denials}")

    assert not wrong, f"{name} ({path}):\n" + "\n".join(wrong)


# T2: every signed-in persona on every URL, GET and POST, against org A's objects.


def role_matrix_problems(w: World, name: str) -> list[str]:
    """Return the cells of the name's ROLE_MATRIX row that the signed-in personas miss."""
    spec = URLS[name]
    kwargs = spec.kwargs(w)
    path = reverse(name, kwargs=kwargs)
    wrong = []
    for method in (GET, POST):
        for persona, expected in zip(PERSONAS, ROLE_MATRIX[name][method], strict=True):
            if persona == "anon":
                continue  # test_it_sends_anonymous_visitors_to_sign_in
            with rolled_back():
                response = send(w, persona, method, path, spec.data(w, kwargs))
            if response.status != expected:
                wrong.append(
                    f"{method} as {persona}: expected {expected}, got {response.describe()}"
                )
            for problem in denial_problems(w, persona, method, path, name, response):
                wrong.append(f"{method} as {persona}: {problem}")
    return [f"{name} ({path}): {problem}" for problem in wrong]


@pytest.mark.parametrize("name", sorted(URLS))
def test_it_answers_each_role_as_the_matrix_says(world, name):
    wrong = role_matrix_problems(world, name)

    assert not wrong, "\n".join(wrong)


# T1: org A's people (and a reviewer who belongs to org B) ask for org B's objects.


def foreign_object_problems(w: World, name: str) -> list[str]:
    """Return how the URL treats org B's objects differently from nonexistent ones."""
    spec = URLS[name]
    before = tenant_rows()
    outbox = len(mail.outbox)
    wrong = []
    for case in spec.foreign:
        target, missing = case.target(w), case.missing(w)
        foreign_path, missing_path = reverse(name, kwargs=target), reverse(name, kwargs=missing)
        for persona in case.personas:
            expected = case.role_refused.get(persona, case.status)
            for method in spec.methods:
                cell = f"{name}: {method} {case.what} as {persona}"
                with rolled_back():
                    response = send(w, persona, method, foreign_path, spec.data(w, target))
                    writes = changes(before, tenant_rows()) if response.status != 500 else []
                with rolled_back():
                    control = send(w, persona, method, missing_path, spec.data(w, missing))
                if response.status != expected:
                    wrong.append(f"{cell}: expected {expected}, got {response.describe()}")
                for sent, sent_path in ((response, foreign_path), (control, missing_path)):
                    for problem in denial_problems(w, persona, method, sent_path, name, sent):
                        wrong.append(f"{cell} ({sent_path}): {problem}")
                if (response.status, response.content_type, response.body) != (
                    control.status,
                    control.content_type,
                    control.body,
                ):
                    wrong.append(
                        f"{cell}: answers {response.describe()} ({len(response.body)} chars), "
                        f"but a missing id gets {control.describe()} ({len(control.body)} chars)"
                    )
                if writes:
                    wrong.append(f"{cell}: wrote {writes}")
                if response.session_org == w.org_b.pk and persona in PORTAL:
                    wrong.append(f"{cell}: switched the session to org B")
                if len(mail.outbox) != outbox:
                    sent = [message.subject for message in mail.outbox[outbox:]]
                    del mail.outbox[outbox:]
                    wrong.append(f"{cell}: sent mail {sent}")
    return wrong


@pytest.mark.parametrize("name", sorted(n for n, spec in URLS.items() if spec.foreign))
def test_it_answers_foreign_objects_exactly_like_missing_ones(world, name):
    wrong = foreign_object_problems(world, name)

    assert not wrong, "\n".join(wrong)


# Redirects chosen by the request stay on the site (ASVS 5.1.5: no open redirects).


@pytest.mark.parametrize(
    "name", ["reviews:review_claim", "reviews:review_release", "reviews:review_assign"]
)
def test_it_never_redirects_off_site_after_an_assignment(world, name):
    spec = URLS[name]
    kwargs = spec.kwargs(world)
    data = {**spec.data(world, kwargs), "next": "https://evil.example/login"}

    with rolled_back():
        response = send(world, "senior", POST, reverse(name, kwargs=kwargs), data)

    assert response.status == 302
    assert url_has_allowed_host_and_scheme(response.location, allowed_hosts={"testserver"}), (
        f"{name} redirects to {response.location}"
    )


# A refused form answers 400 however little it carries.


def test_it_answers_400_to_an_empty_profile_form(world):
    with rolled_back():
        response = send(world, "owner", POST, reverse("accounts:organization"), {})

    assert response.status == 400, "an empty POST is a bound, invalid form like any other"


# Negative controls: break a chokepoint on purpose; the matrices must notice.


def _unscoped_application(request, pk, action=None):
    membership = membership_required(request, action)
    return membership, get_object_or_404(Application.objects.select_related("organization"), pk=pk)


def _unscoped_invitation(*, organization, pk):
    return get_object_or_404(Invitation, pk=pk)


def _unscoped_document(*, application, pk):
    return get_object_or_404(Document, pk=pk)


@pytest.mark.parametrize(
    ("chokepoint", "broken", "name", "symptoms"),
    [
        (
            "reviews.selectors.application_get_for_member",
            _unscoped_application,
            "reviews:application_copy",  # withdraw's service scopes its lock again
            ["expected 404, got 302", "reviews.Application added"],
        ),
        (
            "accounts.selectors.invitation_get_for_user",
            _unscoped_invitation,
            "accounts:invitation_revoke",
            ["expected 404, got 302", "wrote ['accounts.Invitation changed"],
        ),
        (
            "reviews.selectors.document_get",
            _unscoped_document,
            "reviews:document_download",
            ["expected 404, got 200", "but a missing id gets 404"],
        ),
    ],
)
def test_it_notices_a_chokepoint_that_forgets_the_tenant(
    world, monkeypatch, chokepoint, broken, name, symptoms
):
    monkeypatch.setattr(chokepoint, broken)

    found = "\n".join(foreign_object_problems(world, name))

    for symptom in symptoms:
        assert symptom in found


def test_it_notices_a_reviewer_page_open_to_customers(world, monkeypatch):
    monkeypatch.setattr("reviews.views.reviewer._reviewer_or_404", lambda request: None)

    found = role_matrix_problems(world, "reviews:queue")

    assert any("GET as owner: expected 404, got 200" in problem for problem in found)


def test_it_notices_a_refusal_that_is_not_recorded(world, monkeypatch):
    monkeypatch.setattr("audit.middleware._record_denial", lambda request, user, status: None)

    found = role_matrix_problems(world, "reviews:queue")

    assert any(
        "GET as owner: 404: expected 1 authz_denied event, got 0" in problem for problem in found
    )
    assert not any("as reviewer" in problem for problem in found), "200s need no event"


# The security log of refusals (T2: one `authz_denied` event per 403/404 to a signed-in user).


def test_it_records_a_refusal_after_the_views_transaction_rolled_back(
    transactional_db, client, applicant, monkeypatch
):
    """With ATOMIC_REQUESTS the view's writes roll back with the 404; the event stays."""
    monkeypatch.setitem(connections["default"].settings_dict, "ATOMIC_REQUESTS", True)

    def write_then_refuse(request, pk, action=None):
        audit_record(actor=applicant, verb="test.view_wrote", object_type="http", object_id="")
        raise Http404("No such application.")

    monkeypatch.setattr("reviews.selectors.application_get_for_member", write_then_refuse)
    client.force_login(applicant)

    response = client.get(reverse("reviews:application_detail", args=[MISSING]))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(verb="test.view_wrote").exists()
    event = AuditEvent.objects.get(verb="authz_denied")
    assert event.actor == applicant
    assert event.organization == applicant.memberships.get().organization
    assert event.request_id == response["X-Request-ID"]
    assert event.payload == {
        "method": "GET",
        "path": f"/applications/{MISSING}/",
        "status": 404,
        "view": "reviews:application_detail",
    }


def test_it_records_nothing_when_nobody_is_signed_in(client, db):
    missing_page = client.get("/wp-login.php")
    missing_object = client.get(reverse("reviews:application_detail", args=[MISSING]))

    assert (missing_page.status_code, missing_object.status_code) == (404, 302)
    assert not AuditEvent.objects.filter(verb__startswith="authz_denied").exists()


def test_it_records_the_path_without_the_query_string(client, applicant):
    client.force_login(applicant)

    response = client.get("/no-such-page/?reset_token=s3cr3t&next=/x")
    client.get("/favicon.ico")  # asked for by browsers themselves: not somebody probing

    assert response.status_code == 404
    event = AuditEvent.objects.get(verb__startswith="authz_denied")
    assert event.payload == {"method": "GET", "path": "/no-such-page/", "status": 404, "view": ""}
    assert "s3cr3t" not in str(event.payload)


def test_it_masks_secrets_carried_in_the_path(db):
    path = reverse("accounts:invitation_accept", kwargs={"token": "sealed.s3cr3t-token"})
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)

    recorded = _recorded_path(request)

    assert "s3cr3t" not in recorded
    assert recorded == path.replace("sealed.s3cr3t-token", "<token>")


def test_it_caps_refusals_per_user_per_minute(client, applicant, outsider, time_machine):
    time_machine.move_to("2026-03-02 09:00:05Z", tick=False)
    client.force_login(applicant)

    for _ in range(DENIALS_PER_WINDOW + 10):
        assert client.get("/no-such-page/").status_code == 404
    flood = list(AuditEvent.objects.filter(actor=applicant).values_list("verb", flat=True))
    client.force_login(outsider)
    client.get("/no-such-page/")
    time_machine.move_to("2026-03-02 09:01:01Z", tick=False)
    client.force_login(applicant)
    client.get("/no-such-page/")

    assert flood.count("authz_denied") == DENIALS_PER_WINDOW
    assert flood.count("authz_denied_suppressed") == 1
    suppressed = AuditEvent.objects.get(verb="authz_denied_suppressed")
    assert suppressed.payload["limit"] == DENIALS_PER_WINDOW
    assert AuditEvent.objects.filter(actor=outsider, verb="authz_denied").count() == 1
    assert AuditEvent.objects.filter(actor=applicant, verb="authz_denied").count() == (
        DENIALS_PER_WINDOW + 1
    ), "a new minute records again"


# Refusals answered with something other than 403 (issue #8): the action is refused, but the
# answer is a 200, 302 or 400 page with a message, so no `authz_denied` event records it. The
# cells stay in ROLE_MATRIX as they are; this table makes them visible, and fails when a view
# starts answering 403 (then move the cell to 403 in ROLE_MATRIX and drop it here).
REFUSED_WITHOUT_403 = {
    # A member's POST of the profile form: the read-only page again, "Only owners and admins".
    ("accounts:organization", "member"): 200,
    # A member's invitation: the members page without the form, 400.
    ("accounts:members", "member"): 400,
    # A member promoting themself: back to the members page with an error message.
    ("accounts:member_role", "member"): 302,
}


@pytest.mark.parametrize(("name", "persona"), sorted(REFUSED_WITHOUT_403))
def test_it_lists_refusals_that_are_not_answered_403(world, name, persona):
    spec = URLS[name]
    kwargs = spec.kwargs(world)
    path = reverse(name, kwargs=kwargs)
    before = tenant_rows()

    with rolled_back():
        response = send(world, persona, POST, path, spec.data(world, kwargs))
        writes = changes(before, tenant_rows())

    assert response.status == REFUSED_WITHOUT_403[name, persona]
    assert ROLE_MATRIX[name][POST][PERSONAS.index(persona)] == response.status
    assert not writes, "the refusal is real: nothing changed"
    assert response.denials == (), "and the security log does not see it"
