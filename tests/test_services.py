"""When CI requires the real services, the suite must be running on them."""

import os

import pytest
from django.db import connection

from .services import services_required


@pytest.mark.skipif(not services_required(), reason="only meaningful with REQUIRE_SERVICES=1")
def test_it_runs_on_postgresql_when_services_are_required(db):
    assert connection.vendor == "postgresql", (
        f"REQUIRE_SERVICES=1 but the tests run on {connection.vendor}; set DATABASE_URL"
    )
    assert os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
