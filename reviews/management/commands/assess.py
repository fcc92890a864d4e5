"""Assess JSON lines of facts against the published policy or an exported policy file.

Each input line is a facts object, or an object with a "facts" key (the format of
examples.jsonl). Each output line is one compact JSON assessment, or an error naming the
input line and the fields at fault. The exit code is 1 when any line was bad and 2 when
the policy cannot be used.
"""

import json
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.decision import (
    CompiledPolicy,
    FactsError,
    PolicyError,
    compile_policy,
    evaluate,
    parse_facts,
    parse_policy,
)
from reviews.models import PolicyVersion
from reviews.policy import published_policy

ACTIVE = "active"
STDIN = "-"


class Command(BaseCommand):
    help = (
        "Assess JSON lines of facts (from FILEs, or stdin when none or '-' is given) and "
        "write one JSON assessment per line."
    )
    # The system checks connect to the database (JSONField support on SQLite), and
    # --policy PATH must run without one.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--policy",
            default=ACTIVE,
            help="'active' (the published version, the default) or the path of a policy "
            "file written by export_policy, which is used without touching the database.",
        )
        parser.add_argument("files", nargs="*", metavar="FILE", help="JSON lines of facts.")

    def handle(self, *args, **options):
        # Load the policy before reading any input, so a bad policy prints nothing to stdout.
        policy = self._policy(options["policy"])
        now = timezone.now()
        total = bad = 0
        try:
            for result in _results(policy, options["files"] or [STDIN], now):
                total += 1
                bad += "error" in result
                self.stdout.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
        except BrokenPipeError:
            # The reader left (`assess ... | head`): stop quietly, as Unix tools do; point
            # stdout at /dev/null so the flush at exit does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        if bad:
            raise CommandError(f"{bad} of {total} lines could not be assessed.", returncode=1)

    def _policy(self, name: str) -> CompiledPolicy:
        if name == ACTIVE:
            try:
                return published_policy()[1]
            except PolicyVersion.DoesNotExist as error:
                raise CommandError(str(error), returncode=2) from None
        try:
            return compile_policy(parse_policy(json.loads(Path(name).read_text("utf-8"))))
        except PolicyError as error:
            problems = [f"{path or 'policy'}: {message}" for path, message in error.errors]
        except OSError as error:
            problems = [f"cannot read it: {error.strerror or error}"]
        except ValueError as error:  # invalid JSON or UTF-8
            problems = [f"it is not JSON: {error}"]
        listing = "".join(f"\n  - {problem}" for problem in problems)
        raise CommandError(f"Cannot use the policy file {name}:{listing}", returncode=2)


def _results(policy: CompiledPolicy, files: list[str], now: datetime) -> Iterator[dict]:
    """Yield the result of each non-blank input line, reading one line at a time."""
    for name in files:
        try:
            label, stream = _open(name)
        except OSError as error:
            problem = f"cannot read the file: {error.strerror or error}"
            yield {"id": None, "line": name, "error": problem}
            continue
        with stream as lines:
            for lineno, line in enumerate(lines, start=1):
                if line.strip():
                    yield _assess(policy, f"{label}:{lineno}", line, now)


def _open(name: str) -> tuple[str, AbstractContextManager[IO]]:
    if name == STDIN:
        # Read bytes as from a file (a test's StringIO has no buffer, so text then), and
        # leave stdin open: '-' may be given twice.
        return "<stdin>", nullcontext(getattr(sys.stdin, "buffer", sys.stdin))
    return name, open(name, "rb")


def _assess(policy: CompiledPolicy, label: str, line: bytes | str, now: datetime) -> dict:
    """Return the assessment of one input line, or an error naming what is wrong with it."""
    try:
        text = line.decode("utf-8-sig") if isinstance(line, bytes) else line
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as error:
        return {"id": None, "line": label, "error": f"invalid UTF-8: {error.reason}"}
    except (ValueError, RecursionError) as error:
        return {"id": None, "line": label, "error": f"invalid JSON: {error}"}
    raw = data["facts"] if isinstance(data, dict) and "facts" in data else data
    try:
        assessment = evaluate(policy, parse_facts(raw), now=now)
    except FactsError as error:
        fact_id = raw.get("id") if isinstance(raw, dict) else None
        fact_id = fact_id if isinstance(fact_id, str) else None
        return {"id": fact_id, "line": label, "error": str(error)}
    return {
        "id": assessment.facts_id,
        "outcome": assessment.outcome.value,
        "score": assessment.score,
        "policy": {
            "key": policy.spec.policy,
            "version": assessment.policy_version,
            "hash": assessment.policy_hash,
        },
        "hits": [
            {"rule": hit.rule, "outcome": hit.outcome.value, "explanation": hit.explanation}
            for hit in assessment.hits
        ],
    }


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    # json.loads keeps the last of duplicate keys; facts must not say two things at once.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate field {key!r}")
        seen.add(key)
    return dict(pairs)
