"""The export_policy command: a policy version as a JSON document assess can use."""

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from reviews.decision import parse_policy
from reviews.models import Policy, PolicyVersion, Rule
from reviews.seed import install_policy_document, load_seed_document


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_policy", *args, stdout=out)
    return out.getvalue()


def test_it_exports_the_published_seed_policy_with_its_rules(db):
    seed = load_seed_document()

    text = export()
    document = json.loads(text)

    assert document["rules"] == seed["rules"]
    assert document == seed
    assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert parse_policy(document).to_dict() == parse_policy(seed).to_dict()


def test_it_writes_the_document_to_the_output_file(db, tmp_path):
    path = tmp_path / "policy.json"

    out = export("--output", str(path))

    assert path.read_text(encoding="utf-8") == export()
    assert "Wrote face-restricted-use 2024.05.1 (published)" in out
    assert str(path) in out


def test_it_says_when_it_cannot_write_the_output_file(db, tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "policy.json"

    with pytest.raises(CommandError, match="No such file or directory") as raised:
        export("--output", str(path))

    assert str(raised.value).startswith(f"Cannot write {path}: ")


def test_it_exports_a_named_version_even_a_draft_without_escaping_text(db):
    draft = copy.deepcopy(load_seed_document())
    draft["version"] = "2024.06.1"
    draft["rules"][0]["explanation"] = "Reconnaissance faciale ({capabilities}) — interdite."
    install_policy_document(draft, models=(Policy, PolicyVersion, Rule), publish=False)

    text = export("--version", "2024.06.1")

    assert "Reconnaissance faciale ({capabilities}) — interdite." in text
    assert json.loads(text) == draft
    assert json.loads(export("--version", "2024.05.1"))["version"] == "2024.05.1"
    assert json.loads(export())["version"] == "2024.05.1"


def test_it_refuses_an_unknown_version_and_names_the_known_ones(db, tmp_path):
    path = tmp_path / "policy.json"

    with pytest.raises(CommandError) as raised:
        call_command("export_policy", "--version", "1999.01.1", output=str(path))

    assert str(raised.value) == (
        "Policy face-restricted-use has no version '1999.01.1'; it has: 2024.05.1."
    )
    assert not path.exists()


def test_it_refuses_when_no_version_is_published(db):
    PolicyVersion.objects.update(status=PolicyVersion.Status.RETIRED)

    with pytest.raises(CommandError, match="No policy version is published"):
        export()


def test_it_writes_a_file_that_assess_accepts(db, tmp_path):
    path = tmp_path / "policy.json"
    export("--output", str(path))
    facts = load_seed_document()["golden_cases"][0]["facts"]
    facts_path = tmp_path / "facts.jsonl"
    facts_path.write_text(json.dumps(facts) + "\n", encoding="utf-8")
    out = io.StringIO()

    call_command("assess", "--policy", str(path), str(facts_path), stdout=out)

    assert json.loads(out.getvalue())["policy"]["version"] == "2024.05.1"
