"""Strategies, requests and invariants for the fuzz and property tests (tests/test_fuzz.py, T28).

Three invariants hold for every request the tests send:

* the answer is never a 5xx (nor an unhandled exception, which the test client turns into 500);
* a canary in the input never comes back unescaped in an HTML page (the answer itself and, for a
  redirect, the page it leads to, which shows the flash messages);
* every row the request wrote still passes its model's field validation (lengths, choices,
  validators), holds no NUL character, and stored facts still parse as facts format v1.
"""

import datetime
import os
import string
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from http.cookies import SimpleCookie

from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models.signals import post_save
from django.template import PartialTemplate, Template
from django.test import Client
from django.test.utils import _TestState
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from accounts.models import EndCustomer, Invitation, Membership, Organization, Subscription, User
from reviews.decision import FactsError, parse_facts
from reviews.models import (
    Application,
    Assessment,
    Document,
    InformationRequest,
    PolicyVersion,
    ReviewAction,
    Rule,
)

# Examples per test are multiplied by FUZZ_SCALE (nightly: FUZZ_SCALE=10). A failure is
# reported as drawn; FUZZ_SHRINK=1 shrinks it to a minimal example first (it can take minutes).
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
SHRINK = os.environ.get("FUZZ_SHRINK", "") == "1"
PHASES = tuple(Phase) if SHRINK else (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,  # nothing written into the shared working tree; failures print a blob
        print_blob=True,
        phases=PHASES,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


# Hostile input.

CANARY = "<script>gatehouse-canary</script>"
ATTRIBUTE_CANARY = "\"'><b data-gatehouse-canary=1>"
# What must never appear in an HTML answer: the canaries, unescaped.
MARKERS = ("<script>gatehouse-canary", "<b data-gatehouse-canary")
# How a page shows the canary when it escapes it: proof that fuzzed text reached the page.
ESCAPED = ("&lt;script&gt;gatehouse-canary", "&lt;b data-gatehouse-canary")

NASTY: tuple[str, ...] = (
    "",
    " ",
    CANARY,
    ATTRIBUTE_CANARY,
    f"{CANARY}{ATTRIBUTE_CANARY}",
    "\x00",
    "a\x00b",
    "\u202erevo\u202c",  # right-to-left override
    "\u200f\u2067rtl\u2069\u200e",  # RTL mark, isolates
    "\ufeffBOM",
    "\r\n\t\x0b\x0c\x1b[31m\x7f\x85",
    "\u0000\u0001\u0002\u001f",
    "\u2028\u2029",
    "²",  # str.isdigit() but not int()
    "٣",  # Arabic-Indic three: isdigit() and int() agree
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "null",
    "[]",
    "{}",
    "true",
    '{"a": [1, {"b": null}]}',
    "'; DROP TABLE accounts_user; --",
    "%s%n%x",
    "{{ 7|add:7 }}{% now 'Y' %}",
    "../../../../etc/passwd",
    "C:\\Windows\\system32",
    "javascript:alert(1)",
    "https://evil.example/",
    "//evil.example",
    "é" * 300,
    "\U0001d518\U0001d52b\U0001d526 \U0001f600\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "a\u0300" * 50,
    "ﷺ" * 30,  # expands under NFKC
)

CHARACTERS = st.characters(codec="utf-8")  # anything UTF-8 can carry: controls, NUL, RTL marks


def _repeat(seed: str, length: int) -> str:
    return (seed * (length // len(seed) + 1))[:length]


def huge_text(min_size: int = 10_000, max_size: int = 20_000) -> st.SearchStrategy[str]:
    return st.builds(
        _repeat, st.text(CHARACTERS, min_size=1, max_size=8), st.integers(min_size, max_size)
    )


def _around(prefix: str, middle: str, suffix: str) -> str:
    return f"{prefix}{middle}{suffix}"


nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(CHARACTERS, max_size=40),
    st.builds(
        _around,
        st.text(CHARACTERS, max_size=8),
        st.sampled_from((CANARY, ATTRIBUTE_CANARY)),
        st.text(CHARACTERS, max_size=8),
    ),
    huge_text(),
)

odd_numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from((0, -1, 2**31, 2**63, 10**30)),
).map(str)


# A formset's TOTAL_FORMS. No big numbers here: Django would build max_num + 1,000 forms, up
# to 26 s a request, and even the cap (51 rows of a 250-country select, 2 s) is too slow to
# draw at random: tests/test_fuzz.py checks the cap on the formsets themselves, cheaply, and
# posts it once in an explicit example.
form_totals = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from(["0", "1", "3", "-1", "", "abc", "3.5", "٣", "²", "1e3"]),
    st.text(CHARACTERS, max_size=5),
)


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The test client only sends names Django could store; tests/test_fuzz.py sends the rest
    # in hand-made multipart bodies.
    return SimpleUploadedFile(f"{name}.bin", content, content_type="application/octet-stream")


def scalar(valid: st.SearchStrategy | None = None) -> st.SearchStrategy:
    options = [nasty_text, odd_numbers]
    if valid is not None:
        options.insert(0, valid)
    return st.one_of(*options)


def value(valid: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """A POSTed value: a valid one, hostile text, a number, several values, or a file."""
    one = scalar(valid)
    return st.one_of(
        one,
        one,
        one,
        st.lists(one, min_size=2, max_size=4),  # a list where one value is expected
        st.builds(_upload, st.text(string.ascii_letters, max_size=20), st.binary(max_size=64)),
    )


# Fields an attacker adds to any form (mass assignment: T3 has the full story).
HOSTILE_FIELDS = (
    "organization",
    "org",
    "status",
    "state",
    "score",
    "reviewer",
    "assignee",
    "decided_at",
    "is_staff",
    "is_superuser",
    "id",
    "pk",
    "created_by",
    "version",
)


def _merge(valid: dict, changes: dict, dropped: Iterable[str]) -> dict:
    data = {key: val for key, val in valid.items() if key not in set(dropped)}
    data.update(changes)
    return data


def _canaried(data: dict, pick: int) -> dict:
    """The data with the canary added to one of its text values (valid text stays text)."""
    texts = sorted(key for key, val in data.items() if isinstance(val, str))
    if not texts:
        return data
    key = texts[pick % len(texts)]
    return {**data, key: f"{data[key]}{CANARY}"}


def hostile(valid: st.SearchStrategy[dict], fields: Iterable[str]) -> st.SearchStrategy[dict]:
    """Valid form data as it is, with the canary in one text value, or with fields replaced,
    added or dropped."""
    names = sorted({*fields, *HOSTILE_FIELDS})
    changed = st.builds(
        _merge,
        valid,
        st.dictionaries(st.sampled_from(names), value(), min_size=1, max_size=4),
        st.sets(st.sampled_from(names), max_size=2),
    )
    canaried = st.builds(_canaried, valid, st.integers(0, 50))
    return st.one_of(valid, canaried, changed, changed)


def as_post(data: dict) -> dict:
    """Turn a form's cleaned-style data (what `from_form` draws) into what a browser POSTs."""
    posted = {}
    for key, raw in data.items():
        if raw is None or raw is False:
            continue  # an unticked checkbox or an empty optional field is simply not sent
        posted[key] = [_encode(i) for i in raw] if isinstance(raw, list | tuple) else _encode(raw)
    return posted


def _encode(raw):
    if raw is True:
        return "on"
    if isinstance(raw, datetime.date | datetime.time):
        return raw.isoformat()
    if isinstance(raw, uuid.UUID | Decimal | int | float):
        return str(raw)
    if isinstance(raw, models.Model):
        return str(raw.pk)
    if isinstance(raw, File) and not isinstance(raw, SimpleUploadedFile):
        raw.seek(0)
        return SimpleUploadedFile(raw.name or "file", raw.read())
    return raw


def form_data(form) -> dict:
    """The POST data of a form drawn by `hypothesis.extra.django.from_form`."""
    return as_post({**form.data, **form.files})


def prefixed(prefix: str, rows: list[dict], *, total=None, initial="0") -> dict:
    """A formset's POST data: the management form and the rows under their prefixes."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)) if total is None else total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": val for key, val in row.items()})
    return data


def multipart(fields: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """Encode a multipart body by hand, so that any file name reaches the server as typed."""
    boundary = f"fuzz{uuid.uuid4().hex}"
    out = []
    for name, raw in fields.items():
        for item in raw if isinstance(raw, list) else [raw]:
            out.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    for name, (filename, content) in files.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


# Requests.


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int
    location: str
    content_type: str
    body: str
    error: str

    def describe(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{self.method} {_short(self.path)} answered {self.status}{where}"


def _short(text: str, limit: int = 160) -> str:
    text = repr(text)[1:-1]
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


def _reply(method: str, path: str, response) -> Reply:
    # Reading a streamed body to the end closes it; never close a response twice (that would
    # fire request_finished and close the test's database connection).
    body = b"".join(response.streaming_content) if response.streaming else response.content
    error = ""
    if response.exc_info:
        kind, exception, _tb = response.exc_info
        error = f"{kind.__name__}: {exception}"
    return Reply(
        method=method,
        path=path,
        status=response.status_code,
        location=response.get("Location", ""),
        content_type=response.get("Content-Type", ""),
        body=body.decode("utf-8", errors="replace"),
        error=error,
    )


_clients: list[Client] = []


def _client() -> Client:
    """One test client for the whole module, its cookies cleared for every request.

    Building a client builds its handler, and WhiteNoise's middleware then scans every static
    file: 15 ms a request, more than most views take.
    """
    if not _clients:
        _clients.append(Client(raise_request_exception=False))
    client = _clients[0]
    client.cookies = SimpleCookie()
    return client


@contextmanager
def _templates_as_in_production() -> Iterator[None]:
    """Render templates without the test runner's instrumentation.

    Under test, every template render (each option of a select widget included) sends a
    signal that the test client answers by copying the context: a third of a fuzz request.
    The fuzz tests read no `response.context`, so they render with Django's own method.
    """
    saved = getattr(_TestState, "saved_data", None)
    if saved is None:
        yield
        return
    instrumented = Template._render, PartialTemplate._render
    Template._render, PartialTemplate._render = saved.template_render, saved.partial_template_render
    try:
        yield
    finally:
        Template._render, PartialTemplate._render = instrumented


def fetch(
    session: str | None,
    method: str,
    path: str,
    data=None,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    headers: dict | None = None,
    follow: bool = True,
) -> list[Reply]:
    """Send one request with the session cookie; follow a local redirect once with a GET."""
    with _templates_as_in_production():
        return _fetch(session, method, path, data, body, content_type, headers or {}, follow)


def _fetch(session, method, path, data, body, content_type, headers, follow) -> list[Reply]:
    client = _client()
    if session:
        client.cookies[django_settings.SESSION_COOKIE_NAME] = session
    if body is not None:
        response = client.generic(
            method, path, body, content_type=content_type or "", headers=headers
        )
    elif method == "GET":
        response = client.get(path, data, headers=headers)
    elif method == "POST":
        response = client.post(path, data or {}, headers=headers)
    else:
        response = client.generic(method, path, headers=headers)
    replies = [_reply(method, path, response)]
    location = replies[0].location
    if follow and 300 <= replies[0].status < 400 and location.startswith("/"):
        replies.append(_reply("GET", location, client.get(location, headers=headers)))
    return replies


def shows_escaped_canary(replies: list[Reply]) -> bool:
    return any("html" in r.content_type and any(m in r.body for m in ESCAPED) for r in replies)


def reply_problems(replies: list[Reply]) -> list[str]:
    problems = []
    for reply in replies:
        if reply.status >= 500:
            problems.append(f"{reply.describe()}: {reply.error or 'server error'}")
        if "html" in reply.content_type:
            for marker in MARKERS:
                at = reply.body.find(marker)
                if at >= 0:
                    around = reply.body[max(0, at - 120) : at + 60]
                    problems.append(f"{reply.describe()}: unescaped canary: …{around!r}…")
    return problems


def server_failed(replies: list[Reply]) -> bool:
    """Whether a reply is a 5xx; then the transaction may be aborted: query nothing more."""
    return any(reply.status >= 500 for reply in replies)


# What is stored.

CHECKED_MODELS: tuple[type[models.Model], ...] = (
    User,
    Organization,
    EndCustomer,
    Subscription,
    Membership,
    Invitation,
    Application,
    Assessment,
    ReviewAction,
    InformationRequest,
    Document,
    PolicyVersion,
    Rule,
)
# Fields whose emptiness is not the point here (drafts have no title yet, and so on).
IGNORED_CODES = {"blank", "required", "null"}
NOT_VALIDATED = {"password", "draft_data"}  # a hash; a draft's raw input, kept by design


def row_problems(model: type[models.Model], rows: Iterable[models.Model]) -> set[str]:
    """Return what fails validation in the rows, one string per row and field."""
    problems = set()
    label = model._meta.label
    for row in rows:
        try:
            row.clean_fields(exclude=NOT_VALIDATED)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                codes = sorted({e.code or "invalid" for e in errors} - IGNORED_CODES)
                if codes:
                    shown = _short(str(getattr(row, field, "")), 80)
                    problems.add(f"{label} #{row.pk} {field} {codes}: {shown}")
        for field in row._meta.concrete_fields:
            if field.name in NOT_VALIDATED:
                continue
            stored = getattr(row, field.attname)
            if isinstance(stored, str) and "\x00" in stored:
                problems.add(f"{label} #{row.pk} {field.name} holds a NUL: {_short(stored, 80)}")
        facts = getattr(row, "facts", None) if model in (Application, Assessment) else None
        if facts is not None:
            try:
                parse_facts(facts)
            except FactsError as error:
                problems.add(f"{label} #{row.pk} facts do not parse: {error}")
    return problems


# Rows saved during an example (post_save); tables written in bulk are scanned whole instead.
_written: set[tuple[type[models.Model], object]] = set()


def _remember(sender, instance, **kwargs) -> None:
    if sender in CHECKED_MODELS:
        _written.add((sender, instance.pk))


post_save.connect(_remember, dispatch_uid="tests.fuzz_support.remember")


def written_problems() -> set[str]:
    problems = set()
    for model in CHECKED_MODELS:
        pks = {pk for kind, pk in _written if kind is model}
        if pks:
            problems |= row_problems(model, model.objects.filter(pk__in=pks))
    return problems


def scanned_problems(tables: Iterable[type[models.Model]]) -> set[str]:
    problems = set()
    for model in tables:
        problems |= row_problems(model, model.objects.all())
    return problems


@dataclass
class Checker:
    """Collect what a request breaks: status, canaries, and the rows it wrote or changed."""

    tables: tuple[type[models.Model], ...]
    baseline: set[str]
    escaped: int = 0  # examples whose pages showed the canary, escaped

    @classmethod
    def start(cls, *tables: type[models.Model]) -> "Checker":
        """Check the rows each example saves, and every row of `tables` (for bulk writes)."""
        return cls(tables=tables, baseline=scanned_problems(tables))

    def begin(self) -> None:
        _written.clear()
        cache.clear()  # rate-limit counters live in the cache, outside the rolled-back savepoint

    def problems(
        self, replies: list[Reply], extra: Callable[[], list[str]] | None = None
    ) -> list[str]:
        found = reply_problems(replies)
        self.escaped += shows_escaped_canary(replies)
        if server_failed(replies):
            return found
        stored = written_problems() | (scanned_problems(self.tables) - self.baseline)
        found += sorted(stored)
        if extra is not None:
            found += extra()
        return found
