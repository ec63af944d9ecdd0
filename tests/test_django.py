"""A Django project that retries: a management command (iterator mode and call form), a
function view under @retry and a class-based view under method_decorator, served through
Django's test client, with the project's LOGGING routing the logs.

`tests/support/django_project.py` runs in a child process per library (Django's settings, logging
and URL configuration are process-wide); everything it reports must be the same under
tenacity and pertinax, and pertinax's own events must reach the handler that LOGGING gave
the `pertinax` logger.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent / "support" / "django_project.py"


def run(lib: str) -> dict[str, t.Any]:
    done = subprocess.run(
        [sys.executable, str(PROJECT), lib],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, t.Any]]:
    return {lib: run(lib) for lib in ("tenacity", "pertinax")}


def test_the_project_behaves_as_with_tenacity(reports: dict[str, dict[str, t.Any]]) -> None:
    ours, theirs = dict(reports["pertinax"]), dict(reports["tenacity"])
    assert theirs.pop("pertinax_logs") == []
    ours.pop("pertinax_logs")
    assert ours == theirs
    assert ours["command"] == [
        "supplier ok after 3 attempts",
        "stock ok",
        "stock attempts: 2",
    ]
    assert ours["command_gave_up"] == "supplier refused"
    assert ours["price"] == [200, {"sku": "A-1", "price": "pricing ok"}]
    assert ours["stock"] == 500
    assert ours["price_statistics"] == 2
    # before_sleep_log through the app's logger: two retries, then three before giving up.
    assert (
        ours["logs"]
        == [
            [
                "shop",
                "WARNING",
                "Retrying <unknown> in 0 seconds as it raised ConnectionError: supplier refused.",
            ]
        ]
        * 5
    )


def test_pertinax_events_go_where_logging_sends_them(
    reports: dict[str, dict[str, t.Any]],
) -> None:
    events = [
        (name.split(".")[1], message) for name, _, message in reports["pertinax"]["pertinax_logs"]
    ]
    # A loop is named after the function running it, a call after the function called.
    assert ("recovered", "__main__.Command.handle: recovered after 3 attempts") in events
    assert ("recovered", "__main__.flaky.<locals>.call: recovered after 2 attempts") in events
    assert (
        "gave_up",
        "__main__.Command.handle: gave up after 4 attempts: "
        "the last raised ConnectionError: supplier refused",
    ) in events
    assert ("recovered", "__main__.price_view: recovered after 2 attempts") in events
    assert (
        "gave_up",
        "__main__.StockView.get: gave up after 2 attempts: "
        "the last raised ConnectionError: stock-view refused",
    ) in events
    assert [kind for kind, _ in events].count("retrying") == 2 + 1 + 3 + 1 + 1
