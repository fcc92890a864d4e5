"""Run an atheris target: its corpus, its crashes, how long, and what counts as a crash.

Each target script (`upload.py`, `facts.py`, `policy.py`) calls `run` with a function that
takes the fuzzer's bytes and raises only for a bug: a parser's own refusal (DocumentRejected,
FactsError, PolicyError, ...) is caught there, anything else propagates and is a crash.

    .venv/bin/python fuzz/facts.py                    # FUZZ_SECONDS (default 600) of fuzzing
    FUZZ_SECONDS=30 .venv/bin/python fuzz/upload.py
    .venv/bin/python fuzz/facts.py fuzz/crashes/facts/crash-1234...   # replay an input

The corpus lives in fuzz/corpus/<target>/ (FUZZ_CORPUS overrides): the `seed-*` files are
kept in git and rewritten from the target's SEEDS when missing; what the fuzzer adds is
git-ignored. Crashing inputs go to fuzz/crashes/<target>/ (FUZZ_ARTIFACTS overrides).
The process exits 0 when the time is up without a crash, and non-zero on the first crash
(an unexpected exception, or an input that takes longer than FUZZ_TIMEOUT seconds, default
25). FUZZ_ARGS passes more libFuzzer flags (e.g. "-max_len=65536 -jobs=2").
"""

import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_ready() -> None:
    """Configure Django (the test settings: no database is touched) for targets that need it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def dictionary(name: str, tokens: Iterable[str]) -> Path:
    """Write a libFuzzer dictionary (words the mutator splices in) and return its path."""
    path = Path(tempfile.gettempdir()) / f"gatehouse-fuzz-{name}.dict"
    lines = [f'"{_escaped(token)}"' for token in sorted(set(tokens)) if token]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _escaped(token: str) -> str:
    return "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\x{byte:02x}"
        for byte in token.encode()
    )


def _corpus(name: str) -> Path:
    path = Path(os.environ.get("FUZZ_CORPUS") or ROOT / "fuzz" / "corpus" / name)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _artifacts(name: str) -> Path:
    path = Path(os.environ.get("FUZZ_ARTIFACTS") or ROOT / "fuzz" / "crashes" / name)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(
    name: str,
    test_one_input: Callable[[bytes], None],
    seeds: dict[str, bytes],
    *,
    dict_path: Path | None = None,
) -> None:
    """Fuzz `test_one_input` for FUZZ_SECONDS, or replay the input files given as arguments."""
    replay = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if replay:
        for path in replay:  # plain Python, so the traceback is the bug's own
            print(f"replaying {path}")
            test_one_input(Path(path).read_bytes())
        print(f"{len(replay)} inputs replayed without a crash")
        return
    corpus = _corpus(name)
    for seed_name, data in seeds.items():
        path = corpus / f"seed-{seed_name}"
        if not path.exists():
            path.write_bytes(data)
    seconds = int(os.environ.get("FUZZ_SECONDS", "600"))
    argv = [
        sys.argv[0],
        f"-max_total_time={seconds}",
        f"-timeout={int(os.environ.get('FUZZ_TIMEOUT', '25'))}",
        f"-artifact_prefix={_artifacts(name)}/",
        "-print_final_stats=1",
        *([f"-dict={dict_path}"] if dict_path else []),
        *shlex.split(os.environ.get("FUZZ_ARGS", "")),
        *sys.argv[1:],
        str(corpus),
    ]
    print(f"fuzzing {name} for {seconds} s; corpus {corpus}", flush=True)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
