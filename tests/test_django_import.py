"""``import pertinax`` never imports Django; the integration names its extra when Django is
missing, and imports without configured settings."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_import_pertinax_does_not_import_django() -> None:
    done = run(
        "import sys, pertinax\n"
        "from pertinax import policies, database_retry\n"
        "@database_retry\n"
        "def f(): return 1\n"
        "assert f() == 1\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'asgiref')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_django_the_error_names_the_extra() -> None:
    done = run(
        "import sys\n"
        "sys.modules['django'] = None\n"
        "try:\n"
        "    import pertinax.integrations.django\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'pertinax[django]'" in done.stdout


def test_the_modules_import_before_settings_are_configured() -> None:
    done = run(
        "import pertinax.integrations.django.middleware, pertinax.integrations.django.checks\n"
        "import pertinax.integrations.django.db, pertinax.integrations.django.commands\n"
        "import pertinax.integrations.django.apps, pertinax.integrations.django.conf\n"
        "from django.conf import settings\n"
        "print(settings.configured)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
