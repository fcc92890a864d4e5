"""T28: the atheris targets in fuzz/ (upload checker, facts import, policy import).

PR tier: each target fuzzes for a few seconds in a scratch corpus, which proves the harness
runs, finds its seeds, executes inputs and exits 0; a planted crash proves a crash exits
non-zero and keeps the input. Nightly: each target fuzzes for FUZZ_SECONDS (default 600)
in its stored corpus, fuzz/corpus/<target>/, and must end without a crash.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"
TARGETS = ["upload", "facts", "policy"]
PR_SECONDS = 5


def fuzz(script: Path, seconds: int, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "FUZZ_SECONDS": str(seconds), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"still running after {timeout} s:\n{output[-3000:]}")
    return process.returncode, output


def runs(output: str) -> int:
    done = re.search(r"^Done (\d+) runs", output, re.M)
    return int(done.group(1)) if done else 0


def test_each_target_fuzzes_and_exits_cleanly(tmp_path):
    started = {
        target: fuzz(
            FUZZ / f"{target}.py",
            PR_SECONDS,
            FUZZ_CORPUS=str(tmp_path / target / "corpus"),
            FUZZ_ARTIFACTS=str(tmp_path / target / "crashes"),
        )
        for target in TARGETS
    }

    for target, process in started.items():
        code, output = finished(process, timeout=PR_SECONDS + 120)
        corpus = list((tmp_path / target / "corpus").iterdir())
        assert code == 0, f"{target} exited {code}:\n{output[-3000:]}"
        assert runs(output) > 100, f"{target} hardly ran:\n{output[-3000:]}"
        assert any(path.name.startswith("seed-") for path in corpus), target
        assert not list((tmp_path / target / "crashes").glob("crash-*")), target


def test_a_crash_exits_non_zero_and_keeps_the_input(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        f"import sys\nsys.path.insert(0, {str(FUZZ)!r})\nfrom harness import run\n\n"
        "def one(data):\n"
        "    if data.startswith(b'boom'):\n"
        "        raise RuntimeError('planted')\n\n"
        "run('planted', one, {'boom': b'boom!'})\n"
    )

    code, output = finished(
        fuzz(
            planted,
            PR_SECONDS,
            FUZZ_CORPUS=str(tmp_path / "corpus"),
            FUZZ_ARTIFACTS=str(tmp_path / "crashes"),
        ),
        timeout=PR_SECONDS + 60,
    )

    crashes = list((tmp_path / "crashes").glob("crash-*"))
    assert code != 0 and "RuntimeError: planted" in output, output[-3000:]
    assert [path.read_bytes()[:4] for path in crashes] == [b"boom"]


@pytest.mark.nightly
@pytest.mark.parametrize("target", TARGETS)
def test_the_target_survives_its_nightly_run(target):
    seconds = int(os.environ.get("FUZZ_SECONDS", "600"))

    code, output = finished(fuzz(FUZZ / f"{target}.py", seconds), timeout=seconds + 600)

    crashes = sorted((FUZZ / "crashes" / target).glob("crash-*"))
    assert code == 0, f"{target} crashed ({code}); inputs: {crashes}\n{output[-5000:]}"
    assert runs(output) > 0, output[-3000:]
