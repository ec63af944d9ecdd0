"""Run langchain-core's runnable tests on pertinax.

langchain-core's `Runnable.with_retry()` (`langchain_core/runnables/retry.py`) drives
tenacity in iterator mode: `for attempt in Retrying(...)` and `async for attempt in
AsyncRetrying(...)`, with `break` inside `with attempt:`, `retry_state.set_result`,
`RetryError` and `wait_exponential_jitter`. Its own unit tests for runnables (the retry
tests among them), language models and callbacks run here with
`pertinax.install_as_tenacity()` in force, and the run fails unless langchain-core really
got pertinax's classes.

langchain-core needs pydantic, langsmith and the like, whose versions would clash with this
project's test tools, so the run uses its own virtualenv under `.ci/cache/`, made once from
the pinned list below. pertinax reaches it through `PYTHONPATH`, from wherever the running
interpreter imports it. The tests come from langchain-core's sdist (the `tests/` folder and
the pytest settings in its `pyproject.toml`).

    python -m tests.downstream.run_langchain
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from tests.support import sdist

VERSION = "1.8.3"
SHA256 = "ce448f055dd2cf1db7def27d2b6c2902519369642e8b89d08255c7ca7abd6b36"

# langchain-core and its test group, pinned to a set that resolves on PyPI today.
REQUIREMENTS = [
    f"langchain-core=={VERSION}",
    "langchain-protocol==0.0.20",
    "langchain-tests==1.1.9",
    "langsmith==0.15.1",
    "pydantic==2.14.4",
    "numpy==2.4.6",
    "tenacity==9.2.1",
    "pytest==9.2.0",
    "pytest-asyncio==1.5.0",
    "pytest-benchmark==5.3.1",
    "pytest-codspeed==5.0.4",
    "pytest-mock==3.17.0",
    "pytest-recording==0.14.1",
    "pytest-socket==0.8.1",
    "pytest-xdist==3.8.0",
    "syrupy==5.5.3",
    "freezegun==1.5.5",
    "grandalf==0.8",
    "responses==0.26.3",
    "blockbuster==1.5.29",
    "vcrpy==8.5.0",
]

TEST_PATHS = [
    "tests/unit_tests/runnables",
    "tests/unit_tests/language_models",
    "tests/unit_tests/callbacks",
    "tests/unit_tests/fake",
]

# Loaded at interpreter start in every process of the run (pytest, its workers).
SITECUSTOMIZE = """\
import pertinax

pertinax.install_as_tenacity()
"""

# A pytest plugin that fails the run unless langchain-core's retry module holds pertinax's
# classes: a run on the real tenacity must not pass for one on pertinax.
CHECK = """\
import sys

import pertinax


def pytest_sessionfinish(session, exitstatus):
    from langchain_core.runnables import retry

    if retry.Retrying is not pertinax.Retrying or retry.AsyncRetrying is not pertinax.AsyncRetrying:
        print("run_langchain: langchain-core did not get pertinax as tenacity", file=sys.stderr)
        session.exitstatus = 1
"""


def log(message: str) -> None:
    print(f"run_langchain: {message}", flush=True)


def environment() -> Path:
    """The virtualenv's Python, made (once per pinned list) under `.ci/cache/`."""
    key = hashlib.sha256("\n".join([sys.version, *REQUIREMENTS]).encode()).hexdigest()[:12]
    home = sdist.CACHE / f"langchain-venv-{key}"
    python = home / "bin" / "python"
    if (home / "ready").is_file():
        return python
    log(f"making its virtualenv in {home}")
    venv.create(home, with_pip=True, clear=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + REQUIREMENTS,
        check=True,
    )
    (home / "ready").write_text("\n".join(REQUIREMENTS) + "\n")
    return python


def main() -> int:
    import pertinax

    python = environment()
    with tempfile.TemporaryDirectory(prefix="pertinax-langchain-") as tmp:
        root = Path(tmp)
        sdist.extract(
            sdist.fetch("langchain-core", VERSION, SHA256),
            root,
            lambda p: p.startswith("tests/") or p == "pyproject.toml",
        )
        # pertinax as the running interpreter has it (an editable build included), alone on
        # the path, with the shim and the check beside it.
        shim = root / "_shim"
        shim.mkdir()
        (shim / "pertinax").symlink_to(Path(pertinax.__file__).resolve().parent)
        (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
        (shim / "pertinax_check.py").write_text(CHECK)
        log(f"langchain-core {VERSION}'s tests against pertinax: " + " ".join(TEST_PATHS))
        return sdist.run_pytest(
            "run_langchain",
            python,
            [
                *TEST_PATHS,
                "-p",
                "pertinax_check",
                "-p",
                "no:cacheprovider",
                "-q",
                "--benchmark-disable",
                "--disable-socket",
                "--allow-unix-socket",
            ],
            cwd=root,
            pythonpath=shim,
        )


if __name__ == "__main__":
    sys.exit(main())
