"""The decision module stays pure: no Django, standard library only, no clock, no eval."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import reviews.decision

PACKAGE = Path(reviews.decision.__file__).resolve().parent
REPO = PACKAGE.parents[1]
SOURCES = sorted(PACKAGE.glob("*.py"))

# Import every module of the package in a fresh interpreter and list what got loaded.
PROBE = """
import json, pkgutil, importlib, sys
before = set(sys.modules)
import reviews.decision as package
for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
print(json.dumps({"new": sorted(set(sys.modules) - before), "all": sorted(sys.modules)}))
"""


def test_it_imports_no_django_and_no_third_party_module():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)

    assert not [name for name in loaded["all"] if name.split(".")[0] == "django"]
    third_party = [
        name
        for name in loaded["new"]
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "reviews"
    ]
    assert third_party == []
    assert {f"reviews.decision.{path.stem}" for path in SOURCES if path.stem != "__init__"} <= set(
        loaded["new"]
    )


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


@pytest.mark.parametrize("path", SOURCES, ids=[path.name for path in SOURCES])
def test_it_imports_only_the_standard_library_in_source(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))

    for name in _imports(tree):
        top = name.split(".")[0]
        assert top != "django", f"{path.name} imports {name}"
        assert top in sys.stdlib_module_names or top == "__future__", f"{path.name}: {name}"


@pytest.mark.parametrize("path", SOURCES, ids=[path.name for path in SOURCES])
def test_it_never_evaluates_code_or_reads_the_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__"}, path.name
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"now", "utcnow", "today", "time", "monotonic"}, (
                f"{path.name}:{node.lineno} reads the clock"
            )


@pytest.mark.parametrize("path", SOURCES, ids=[path.name for path in SOURCES])
def test_it_keeps_modules_short(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


def test_it_exports_the_public_api():
    expected = {
        "Facts",
        "Party",
        "Deployment",
        "parse_facts",
        "FactsError",
        "ConditionError",
        "validate_condition",
        "describe_condition",
        "RuleSpec",
        "PolicySpec",
        "parse_policy",
        "PolicyError",
        "policy_content_hash",
        "CompiledPolicy",
        "compile_policy",
        "evaluate",
        "Assessment",
        "Hit",
        "Outcome",
        "vocabulary",
    }

    assert expected <= set(reviews.decision.__all__)
    for name in reviews.decision.__all__:
        assert hasattr(reviews.decision, name)
