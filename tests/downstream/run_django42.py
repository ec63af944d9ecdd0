"""Run the Django app's tests on Django 4.2 LTS, the oldest Django the app supports.

The test extra installs the newest Django (5.x), and `pytest tests` runs the Django tests on
it. This runner installs Django 4.2 once into `.ci/cache/django-4.2/` (`pip --target`), puts
that folder first on PYTHONPATH (the test site's runserver and manage.py children inherit
it), checks that 4.2 is the Django that imports, and runs the same Django test files again.

    python -m tests.downstream.run_django42
"""

import os
import subprocess
import sys

from tests.support import sdist

REQUIREMENT = "django>=4.2,<4.3"
TARGET = sdist.CACHE / "django-4.2"
# Every test file of the Django app (tests/test_django*.py), on 4.2 as on 5.x.
TESTS = sorted(
    str(p.relative_to(sdist.REPO_ROOT)) for p in sdist.REPO_ROOT.glob("tests/test_django*.py")
)


def log(message: str) -> None:
    print(f"run_django42: {message}", flush=True)


def install() -> None:
    if (TARGET / "django").is_dir():
        return
    log(f"installing {REQUIREMENT} into {TARGET.relative_to(sdist.REPO_ROOT)}")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(TARGET), REQUIREMENT],
        check=True,
    )


def main() -> int:
    install()
    path = os.pathsep.join(p for p in (str(TARGET), os.environ.get("PYTHONPATH", "")) if p)
    probe = subprocess.run(
        [sys.executable, "-c", "import django; print(django.get_version())"],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    version = probe.stdout.strip()
    if not version.startswith("4.2"):
        log(f"expected Django 4.2 first on the path, got {version}")
        return 1
    log(f"Django {version}: {len(TESTS)} test files")
    os.environ["PYTHONPATH"] = path
    return sdist.run_pytest(
        "run_django42", sys.executable, ["-q", "-p", "no:cacheprovider", *TESTS], sdist.REPO_ROOT
    )


if __name__ == "__main__":
    sys.exit(main())
