"""Run stamina's own test suite on pertinax.

stamina is the best-known library built on tenacity: it subclasses nothing but uses
`Retrying`, `AsyncRetrying`, `AttemptManager` and `RetryCallState` directly, stores its own
attribute on the state in its retry predicate and reads it back in its wait. Its suite,
run with `pertinax.install_as_tenacity()` in force, is a real project's check of the drop-in.

The sdist is downloaded from PyPI once into `.ci/cache/` (git-ignored); only its `tests/`
folder is unpacked, into a temporary directory. stamina itself is installed from the `test`
extra (same version).

    python -m tests.downstream.run_stamina
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.support import sdist

VERSION = "26.1.0"
SHA256 = "0214d05fdf5102c518194a4aac7520ce53cf660550ae3b940701aad88cf50c17"

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


def main() -> int:
    import stamina  # noqa: F401  (installed by the test extra; fail early if not)

    with tempfile.TemporaryDirectory(prefix="pertinax-stamina-") as tmp:
        root = Path(tmp)
        sdist.extract(
            sdist.fetch("stamina", VERSION, SHA256), root, lambda p: p.startswith("tests/")
        )
        (root / "pertinax_shim.py").write_text(SHIM)
        (root / "pytest.ini").write_text("[pytest]\n")
        print(f"run_stamina: stamina {VERSION}'s suite against pertinax", flush=True)
        return sdist.run_pytest(
            "run_stamina",
            sys.executable,
            ["tests", "-p", "pertinax_shim", "-p", "no:cacheprovider"],
            cwd=root,
            pythonpath=root,
        )


if __name__ == "__main__":
    sys.exit(main())
