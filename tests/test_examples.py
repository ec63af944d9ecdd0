"""The examples and the README's code cannot rot: each runs in a fresh interpreter.

Every script in examples/ must exit cleanly and print what it should; every ```python
block of README.md must run without error, with warnings turned into errors (as a user's
``python -W error`` would), so a deprecation or an unclosed socket fails here too. Their waits are a few hundredths of a second,
so nothing is patched.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
README_BLOCKS = re.findall(
    r"^```python\n(.*?)^```$", (REPO_ROOT / "README.md").read_text(), re.S | re.M
)

# The full expected stdout of the examples whose output is deterministic.
EXPECTED_STDOUT = {
    "quickstart.py": [
        "attempt 1 failed with ConnectionError('server busy (call 1)'); waiting 0.01s",
        "attempt 2 failed with ConnectionError('server busy (call 2)'); waiting 0.02s",
        "result: 'hello, world' after 3 attempts",
    ],
}


def run_python(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def test_examples_exist() -> None:
    assert "quickstart.py" in {path.name for path in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path: Path) -> None:
    result = run_python([str(path)], cwd=path.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip(), f"{path.name} printed nothing"
    expected = EXPECTED_STDOUT.get(path.name)
    if expected is not None:
        assert result.stdout.splitlines() == expected


def test_readme_has_python_blocks() -> None:
    assert len(README_BLOCKS) >= 2


@pytest.mark.parametrize(
    "code", README_BLOCKS, ids=[f"block{i}" for i in range(len(README_BLOCKS))]
)
def test_readme_block_runs(code: str, tmp_path: Path) -> None:
    result = run_python(["-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # A warning raised in a finalizer cannot fail the run; Python only reports it.
    assert "Exception ignored" not in result.stderr, result.stderr
