"""The assess command: JSON lines of facts in, one assessment or error per line out."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reviews.models import PolicyVersion

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "policy" / "examples.jsonl"
EXAMPLE_LINES = EXAMPLES.read_text(encoding="utf-8").splitlines()
SEED_HASH_LENGTH = 64


def facts(line: int = 0, **overrides) -> dict:
    """Return the facts of an example, with some keys replaced."""
    return {**json.loads(EXAMPLE_LINES[line])["facts"], **overrides}


def jsonl(*rows) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assess(*args: str) -> tuple[list[dict], int]:
    """Run the command; return its output lines, parsed, and its exit code."""
    out = io.StringIO()
    try:
        call_command("assess", *args, stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    return [json.loads(line) for line in out.getvalue().splitlines()], code


@pytest.fixture
def exported(db, tmp_path) -> str:
    """Return the path of the published policy, exported to a file."""
    path = tmp_path / "policy.json"
    call_command("export_policy", output=str(path), verbosity=0)
    return str(path)


def test_it_gives_every_example_its_expected_outcome_and_rules(db):
    results, code = assess(str(EXAMPLES))

    assert code == 0
    assert len(results) == len(EXAMPLE_LINES) == 20
    wrong = []
    for line, result in zip(EXAMPLE_LINES, results, strict=True):
        example = json.loads(line)
        fired = [hit["rule"] for hit in result["hits"]]
        expected = example["expected"]
        if (
            result["id"] != example["facts"]["id"]
            or result["outcome"] != expected["outcome"]
            or not set(expected["rules"]) <= set(fired)
        ):
            wrong.append((example["facts"]["id"], expected, result["outcome"], fired))
    assert wrong == []


def test_it_writes_compact_assessments_with_keys_in_order(db):
    out = io.StringIO()
    call_command("assess", str(EXAMPLES), stdout=out)
    first = out.getvalue().splitlines()[0]
    result = json.loads(first)

    assert first == json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    assert list(result) == ["id", "outcome", "score", "policy", "hits"]
    assert result["id"] == "T01"
    assert result["outcome"] == "prohibited"
    assert result["score"] == 100
    assert list(result["policy"]) == ["key", "version", "hash"]
    assert result["policy"]["key"] == "face-restricted-use"
    assert result["policy"]["version"] == "2024.05.1"
    assert len(result["policy"]["hash"]) == SEED_HASH_LENGTH
    assert [list(hit) for hit in result["hits"]] == [["rule", "outcome", "explanation"]] * len(
        result["hits"]
    )
    assert result["hits"][0]["rule"] == "US-POLICE-FR"
    assert "Port Calloway Police Department" in result["hits"][0]["explanation"]


def test_it_accepts_bare_facts_and_gives_null_without_an_id(db, tmp_path):
    bare = facts(2)
    del bare["id"]
    results, code = assess(write(tmp_path, "bare.jsonl", jsonl(facts(0), bare)))

    assert code == 0
    assert [(r["id"], r["outcome"]) for r in results] == [
        ("T01", "prohibited"),
        (None, "prohibited"),
    ]


@pytest.mark.parametrize(
    ("bad", "error_id", "named"),
    [
        (facts(1, colour="blue"), "T03", "colour: unknown field"),
        (facts(1, consent="maybe"), "T03", "consent: 'maybe' is not one of"),
        ({"facts": facts(1, gallery="scraped")}, "T03", "gallery: 'scraped' is not one of"),
        (facts(1, deployment={"real_time": "yes"}), "T03", "deployment.real_time"),
        ('{"id": "T03", "consent": ', None, "invalid JSON"),
        ('{"id": "T03", "consent": "none", "consent": "explicit"}', None, "'consent'"),
        ("[1, 2]", None, "expected a JSON object, got array"),
        ('"just text"', None, "expected a JSON object, got string"),
        ('{"facts": 7}', None, "facts: expected a JSON object"),
    ],
    ids=[
        "unknown-key",
        "wrong-enum",
        "wrapped",
        "wrong-type",
        "invalid-json",
        "duplicate-key",
        "array",
        "string",
        "facts-not-object",
    ],
)
def test_it_reports_a_bad_line_and_still_assesses_the_others(db, tmp_path, bad, error_id, named):
    path = write(tmp_path, "input.jsonl", jsonl(facts(0), bad, facts(2)))

    results, code = assess(path)

    assert code == 1
    assert [r["id"] for r in results] == ["T01", error_id, "T05"]
    assert list(results[1]) == ["id", "line", "error"]
    assert results[1]["line"] == f"{path}:2"
    assert named in results[1]["error"]
    assert results[0]["outcome"] == results[2]["outcome"] == "prohibited"


def test_it_names_every_bad_field_of_a_line(db, tmp_path):
    bad = facts(0, consent="maybe", capabilities=["mind_reading"])
    del bad["use_case"]

    results, code = assess(write(tmp_path, "input.jsonl", jsonl(bad)))

    assert code == 1
    for field in ("consent", "capabilities[0]", "use_case"):
        assert f"{field}: " in results[0]["error"]


def test_it_reports_a_line_that_is_not_utf8(db, tmp_path):
    path = tmp_path / "input.jsonl"
    path.write_bytes(b'{"id": "\xff"}\n' + jsonl(facts(0)).encode())

    results, code = assess(str(path))

    assert code == 1
    assert results[0] == {"id": None, "line": f"{path}:1", "error": results[0]["error"]}
    assert "UTF-8" in results[0]["error"]
    assert results[1]["id"] == "T01"


def test_it_skips_blank_lines_but_counts_them(db, tmp_path):
    path = write(tmp_path, "input.jsonl", "\n" + jsonl(facts(0)) + "  \n\n" + "{oops\n\n")

    results, code = assess(path)

    assert code == 1
    assert [r["id"] for r in results] == ["T01", None]
    assert results[1]["line"] == f"{path}:5"


def test_it_exits_0_when_every_line_is_assessed(db, tmp_path):
    out = io.StringIO()

    call_command("assess", write(tmp_path, "ok.jsonl", jsonl(facts(0), facts(1))), stdout=out)

    assert len(out.getvalue().splitlines()) == 2


def test_it_reads_stdin_without_files(db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(jsonl(facts(0), "{oops")))

    results, code = assess()

    assert code == 1
    assert results[0]["id"] == "T01"
    assert results[1]["line"] == "<stdin>:2"


def test_it_reads_stdin_as_bytes_when_it_can(db, monkeypatch):
    raw = io.BytesIO("\ufeff".encode() + jsonl(facts(0)).encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw, encoding="utf-8"))

    results, code = assess("-")

    assert code == 0
    assert results[0]["id"] == "T01"


def test_it_reads_files_and_stdin_in_the_order_given(db, tmp_path, monkeypatch):
    first = write(tmp_path, "first.jsonl", jsonl(facts(0), facts(1)))
    last = write(tmp_path, "last.jsonl", jsonl(facts(3)))
    monkeypatch.setattr(sys, "stdin", io.StringIO(jsonl(facts(2))))

    results, code = assess(first, "-", last)

    assert code == 0
    assert [r["id"] for r in results] == ["T01", "T03", "T05", "T07"]


def test_it_reports_a_missing_file_and_reads_the_others(db, tmp_path):
    missing = str(tmp_path / "missing.jsonl")

    results, code = assess(missing, write(tmp_path, "ok.jsonl", jsonl(facts(0))))

    assert code == 1
    assert results[0] == {
        "id": None,
        "line": missing,
        "error": "cannot read the file: No such file or directory",
    }
    assert results[1]["id"] == "T01"


def test_it_writes_the_same_bytes_for_the_same_input(db, tmp_path):
    path = write(tmp_path, "input.jsonl", EXAMPLES.read_text(encoding="utf-8") + "{oops\n")
    runs = []
    for _ in range(2):
        out = io.StringIO()
        with pytest.raises(CommandError):
            call_command("assess", path, stdout=out)
        runs.append(out.getvalue())

    assert runs[0] == runs[1]
    assert runs[0].count("\n") == len(EXAMPLE_LINES) + 1


def test_it_gives_an_exported_policy_the_active_policys_results(
    exported, django_assert_num_queries
):
    active = io.StringIO()
    call_command("assess", "--policy", "active", str(EXAMPLES), stdout=active)
    from_file = io.StringIO()

    with django_assert_num_queries(0):
        call_command("assess", "--policy", exported, str(EXAMPLES), stdout=from_file)

    assert from_file.getvalue() == active.getvalue()
    assert from_file.getvalue().count("\n") == len(EXAMPLE_LINES)


def without_database(tmp_path: Path) -> dict:
    """Return an environment whose database cannot be opened: any query fails the process."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3",
    }


def test_it_needs_no_database_with_a_policy_file(exported, tmp_path):
    bad = write(tmp_path, "input.jsonl", jsonl(facts(0), facts(0, consent="maybe")))

    result = subprocess.run(
        [sys.executable, "manage.py", "assess", "--policy", exported, bad],
        cwd=REPO,
        env=without_database(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["T01", "T01"]
    assert "Traceback" not in result.stderr
    assert "1 of 2 lines could not be assessed" in result.stderr


def test_it_stops_quietly_when_the_reader_goes_away(exported, tmp_path):
    # Far more output than a pipe buffers, so the command is still writing when `head` quits.
    many = write(tmp_path, "many.jsonl", EXAMPLES.read_text(encoding="utf-8") * 20)
    command = [sys.executable, "manage.py", "assess", "--policy", exported, many]
    env = without_database(tmp_path)

    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        first = process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read()

    assert json.loads(first)["id"] == "T01"
    assert process.returncode == 1
    assert stderr == b""


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"rules": [{"weight": 500}]}, "rules[0].weight: expected an integer 0 to 100"),
        ({"format": "other/9"}, "format: unsupported format 'other/9'"),
        ({"title": None, "extra": 1}, "extra: unknown field"),
        ({"rules": [{"condition": {"bogus": []}}]}, "rules[0].condition"),
    ],
    ids=["weight", "format", "unknown-field", "condition"],
)
def test_it_refuses_a_broken_policy_file_with_exit_code_2(exported, tmp_path, document, named):
    policy = json.loads(Path(exported).read_text(encoding="utf-8"))
    for key, value in document.items():
        if key == "rules":
            policy["rules"][0].update(value[0])
        else:
            policy[key] = value
    path = write(tmp_path, "broken.json", json.dumps(policy))
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("assess", "--policy", path, str(EXAMPLES), stdout=out)

    assert raised.value.returncode == 2
    assert f"Cannot use the policy file {path}" in str(raised.value)
    assert named in str(raised.value)
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("text", "named"),
    [(None, "No such file or directory"), ("{not json", "it is not JSON"), ("[]", "policy: ")],
    ids=["missing", "not-json", "not-object"],
)
def test_it_refuses_an_unreadable_policy_file_with_exit_code_2(db, tmp_path, text, named):
    path = tmp_path / "policy.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("assess", "--policy", str(path), str(EXAMPLES), stdout=out)

    assert raised.value.returncode == 2
    assert named in str(raised.value)
    assert out.getvalue() == ""


def test_it_exits_2_without_output_when_no_policy_is_published(db):
    PolicyVersion.objects.update(status=PolicyVersion.Status.RETIRED)
    out = io.StringIO()

    with pytest.raises(CommandError, match="No policy version is published") as raised:
        call_command("assess", str(EXAMPLES), stdout=out)

    assert raised.value.returncode == 2
    assert out.getvalue() == ""
