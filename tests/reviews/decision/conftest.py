"""Fixtures for the decision module: the seed policy and an assessor of facts.

Nothing here imports Django: these tests run with ``-p no:django``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from reviews.decision import compile_policy, evaluate, parse_facts, parse_policy

from .builders import NOW, facts_data

REPO = Path(__file__).resolve().parents[3]
SEED_PATH = REPO / "fixtures/policy/seed.json"


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def seed_doc() -> dict:
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_spec(seed_doc):
    return parse_policy(seed_doc)


@pytest.fixture(scope="session")
def compiled_seed(seed_spec):
    return compile_policy(seed_spec)


@pytest.fixture
def assess(compiled_seed):
    """Evaluate facts (given as changes to BASE_FACTS) against the seed policy."""

    def assess(**changes: object):
        return evaluate(compiled_seed, parse_facts(facts_data(**changes)), now=NOW)

    return assess
