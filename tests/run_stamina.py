"""Run stamina's own test suite on pertinax.

stamina is the best-known library built on tenacity: it subclasses nothing but uses
`Retrying`, `AsyncRetrying`, `AttemptManager` and `RetryCallState` directly, stores its own
attribute on the state in its retry predicate and reads it back in its wait. Its suite,
run with `pertinax.install_as_tenacity()` in force, is a real project's check of the drop-in.

The sdist is downloaded from PyPI once into `.ci/cache/` (git-ignored); only its `tests/`
folder is unpacked, into a temporary directory. stamina itself is installed from the `test`
extra (same version).

    python tests/run_stamina.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "26.1.0"
REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE = REPO_ROOT / ".ci" / "cache"

SHIM = """\
import sys

import pertinax

pertinax.install_as_tenacity()


def pytest_sessionfinish(session, exitstatus):
    import stamina._core as core

    if core._t is not pertinax:
        print("run_stamina: stamina did not import pertinax as tenacity", file=sys.stderr)
        session.exitstatus = 1
"""


def sdist() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"stamina-{VERSION}.tar.gz"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-binary",
                ":all:",
                "--no-deps",
                f"stamina=={VERSION}",
                "-d",
                str(CACHE),
            ],
            check=True,
        )
    return path


def main() -> int:
    import stamina  # noqa: F401  (installed by the test extra; fail early if not)

    with tempfile.TemporaryDirectory(prefix="pertinax-stamina-") as tmp:
        root = Path(tmp)
        prefix = f"stamina-{VERSION}/tests/"
        with tarfile.open(sdist()) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
            for member in members:
                member.name = member.name[len(f"stamina-{VERSION}/") :]
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
                archive.extractall(root, members=members, filter="data")
            else:
                archive.extractall(root, members=members)
        (root / "pertinax_shim.py").write_text(SHIM)
        (root / "pytest.ini").write_text("[pytest]\n")
        print(f"run_stamina: stamina {VERSION}'s suite against pertinax", flush=True)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests",
                "-p",
                "pertinax_shim",
                "-p",
                "no:cacheprovider",
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        if done.returncode == 5:
            print("run_stamina: no tests were collected", file=sys.stderr)
            return 1
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
