"""Run tenacity 9.2.1's own test suite against pertinax.

The suite is not copied into this repository: its sdist is downloaded from PyPI once,
cached (checked against a pinned SHA-256), and only its ``tests/`` package is unpacked
into a temporary directory. A ``conftest.py`` written beside it calls
``pertinax.install_as_tenacity()`` before any test module imports ``tenacity``, so every
``import tenacity`` in the suite gets pertinax even though the real tenacity is installed.

Usage::

    python -m tests.downstream.run_upstream                    # against pertinax (what `make test` runs)
    python -m tests.downstream.run_upstream --against tenacity # the same suite against real tenacity
    python -m tests.downstream.run_upstream -- -k wait -x      # anything after -- goes to pytest

The exit code is pytest's. "No tests collected" (pytest's 5) is reported as a failure.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import sdist

TENACITY_VERSION = "9.2.1"
SDIST_SHA256 = "a606b5c808d0cded4a359d5b9932d867ff2a6a6b64d37350260fd01bbdf83839"

# The upstream test files, run in this order. The async ones run once pertinax.asyncio
# provides AsyncRetrying (they need tornado and trio installed).
SYNC_FILES = ["test_tenacity.py", "test_after.py", "test_utils.py", "test_issue_478.py"]
ASYNC_FILES = ["test_asyncio.py", "test_tornado.py"]

# Upstream's own pytest configuration (its pyproject's [tool.pytest.ini_options]).
PYTEST_INI = """\
[pytest]
filterwarnings =
    once::DeprecationWarning
"""

REPO_ROOT = sdist.REPO_ROOT
DEFAULT_CACHE = sdist.CACHE
CONFTEST_SOURCE = Path(__file__).resolve().parent.parent / "support" / "upstream_conftest.py"
TARGET_ENV = "PERTINAX_UPSTREAM_TARGET"


def log(message: str) -> None:
    print(f"run_upstream: {message}", flush=True)


def unpack_tests(sdist_path: Path, dest: Path) -> Path:
    """Unpack only the sdist's flat ``tests/`` package into ``dest/tests``.

    The sdist's ``tenacity/`` sources are left out on purpose: sitting on ``sys.path``
    they would shadow both the shim and the installed tenacity.
    """
    sdist.extract(
        sdist_path,
        dest,
        lambda p: p.startswith("tests/") and p.count("/") == 1 and not p[6:].startswith("."),
    )
    tests_dir = dest / "tests"
    if not (tests_dir / "__init__.py").is_file():
        raise SystemExit(f"run_upstream: {sdist_path.name} has no tests/__init__.py")
    return tests_dir


def pertinax_has_asyncio() -> bool:
    try:
        module = importlib.import_module("pertinax.asyncio")
    except ImportError:
        return False
    return hasattr(module, "AsyncRetrying")


def select_files(against: str, sync_only: bool) -> list[str]:
    if sync_only:
        return list(SYNC_FILES)
    if against == "tenacity" or pertinax_has_asyncio():
        return SYNC_FILES + ASYNC_FILES
    log("pertinax.asyncio has no AsyncRetrying yet: skipping " + ", ".join(ASYNC_FILES))
    return list(SYNC_FILES)


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    pytest_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--against",
        choices=("pertinax", "tenacity"),
        default=os.environ.get(TARGET_ENV, "pertinax"),
        help="the implementation the suite imports as `tenacity` (default: pertinax)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"where the sdist is kept between runs (default: {DEFAULT_CACHE.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--sync-only", action="store_true", help="run only " + ", ".join(SYNC_FILES)
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory and print its path"
    )
    return parser.parse_args(argv), pytest_args


def main(argv: list[str]) -> int:
    args, pytest_args = parse_args(argv)
    sdist_path = sdist.fetch("tenacity", TENACITY_VERSION, SDIST_SHA256, args.cache_dir)
    files = select_files(args.against, args.sync_only)

    workdir = Path(tempfile.mkdtemp(prefix="pertinax-upstream-"))
    try:
        unpack_tests(sdist_path, workdir)
        (workdir / "pytest.ini").write_text(PYTEST_INI)
        shutil.copyfile(CONFTEST_SOURCE, workdir / "conftest.py")

        env = dict(os.environ)
        env[TARGET_ENV] = args.against
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-c",
            str(workdir / "pytest.ini"),
            "--rootdir",
            str(workdir),
            *[f"tests/{name}" for name in files],
            *pytest_args,
        ]
        log(f"tenacity {TENACITY_VERSION}'s suite against {args.against}: " + " ".join(files))
        returncode = subprocess.run(command, cwd=workdir, env=env, check=False).returncode
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    if returncode == 5:
        log("pytest collected no tests: treating that as a failure")
        return 1
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
