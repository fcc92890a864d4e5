"""Schemathesis over the published OpenAPI schema, through the WSGI app (T28).

Every operation, with valid and invalid parameters generated from the schema: no 5xx, every
answer conforms to the schema (status, content type, body), and a call without the key is
refused (`ignored_auth`).
"""

import secrets

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from entitlements.credentials import hash_secret
from entitlements.models import ApiKey

from .conftest import SUB_A

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


# Cases are generated (with their headers) before fixtures run, so the key is fixed here and
# the fixture stores its hash for Acme.
KEY = f"gk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


@schema.auth()
class BearerKey:
    """Give every generated request the key, as schemathesis's own auth (so negative cases
    about the Authorization header stay negative)."""

    def get(self, case, context):
        return KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def bearer(approved, approved_b, organization):
    """A world with two tenants' entitlements; Acme's key."""
    # Test setup: a key with a known secret (api_key_create would choose its own).
    ApiKey.objects.create(
        organization=organization, name="schemathesis", prefix=KEY.split("_")[1],
        key_hash=hash_secret(KEY),
    )  # fmt: skip
    return {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(autouse=True)
def _keep_the_test_transactions_connection():
    """Test setup only: the WSGI handler closes the connection after each request, which
    would end the test's transaction; Django's own test client disconnects this too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_answers_every_generated_request_without_a_server_error(case, bearer):
    case.call_and_validate()


def test_it_answers_a_known_case_through_the_same_harness(bearer):
    operation = schema["/api/v1/entitlements/check"]["GET"]
    case = operation.Case(query={"subscription": SUB_A, "capability": "face_verification"})

    response = case.call_and_validate(headers=bearer)

    assert response.json()["allowed"] is True
