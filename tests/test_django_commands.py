"""The management commands: pertinax_stats (table, --json, --reset), pertinax_policies (wait
schedules), and a command base class and step decorator that report retries on the command's
own stderr."""

from __future__ import annotations

import io
import json
import typing as t

import pertinax
import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("django_env", "clean_metrics")


def command(name: str, *args: str, **options: t.Any) -> tuple[str, str]:
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def prices_traffic() -> None:
    """Three calls of ``shop.prices``: one first try, one recovered, one gave up."""
    failures = iter([0, 1, 9])
    state = {"left": 0}

    @pertinax.retry(
        name="shop.prices",
        stop=pertinax.stop_after_attempt(3),
        wait=pertinax.wait_fixed(0),
        reraise=True,
    )
    def fetch() -> str:
        if state["left"]:
            state["left"] -= 1
            raise ConnectionError("supplier refused")
        return "ok"

    for n in failures:
        state["left"] = n
        try:
            fetch()
        except ConnectionError:
            pass


def test_percentiles_from_the_histogram() -> None:
    from pertinax.integrations.django.stats import percentile

    histogram = {"bounds": [0.01, 0.1, 1.0], "counts": [5, 4, 1, 0]}
    assert percentile(histogram, 0.5) == pytest.approx(0.01)  # the 5th of 10 ends bucket 1
    assert percentile(histogram, 0.95) == pytest.approx(0.1 + 0.9 * 0.5)  # half into bucket 3
    assert percentile({"bounds": [1.0], "counts": [0, 2]}, 0.5) == 1.0  # the open bucket
    assert percentile({"bounds": [1.0], "counts": [0, 0]}, 0.5) is None


def test_stats_table_json_and_reset() -> None:
    from django.test import override_settings
    from pertinax import metrics

    alerts = {"shop.prices": {"retry_rate": 0.5, "min_calls": 2, "window": 60}}
    with override_settings(PERTINAX={**settings_pertinax(), "metrics": {"alerts": alerts}}):
        prices_traffic()
    out, _ = command("pertinax_stats")
    scope, header, row = out.splitlines()[:3]
    assert scope == "Figures of this process only (no PERTINAX['store'] for fleet-wide figures)."
    assert header.split()[:6] == ["operation", "calls", "success", "retry", "give-up", "p50"]
    cells = row.split()
    assert cells[:5] == ["shop.prices", "3", "66.7%", "66.7%", "33.3%"]
    assert "shop.prices: retry rate" in row  # the last alert

    out, _ = command("pertinax_stats", "--json")
    data = json.loads(out)
    assert data["scope"] == "process"
    [prices] = [op for op in data["operations"] if op["operation"] == "shop.prices"]
    histogram = metrics.snapshot()["shop.prices"]["duration"]
    assert prices["calls"] == 3 and prices["gave_up"] == 1
    assert prices["success_rate"] == pytest.approx(2 / 3)
    assert prices["give_up_rate"] == pytest.approx(1 / 3)
    assert sum(histogram["counts"]) == 3
    assert 0 < prices["p50_seconds"] <= prices["p95_seconds"]
    # The rule fired once in its window, at the second call (one of two retried).
    assert prices["last_alert"] == (
        "shop.prices: retry rate 0.500 over the last 60 seconds crossed the threshold 0.5 "
        "(1 of 2 calls)"
    )

    out, _ = command("pertinax_stats", "--reset")
    assert out.rstrip().endswith("Counts reset.")
    assert all(op.get("calls", 0) == 0 for op in metrics.snapshot().values())
    out, _ = command("pertinax_stats", "--json")
    assert all(
        op["calls"] == 0 and op["last_alert"] is None for op in json.loads(out)["operations"]
    )


def settings_pertinax() -> dict[str, t.Any]:
    from django.conf import settings

    return dict(settings.PERTINAX)


def test_policies_and_their_wait_schedules() -> None:
    out, _ = command("pertinax_policies")
    assert [line for line in out.splitlines() if not line.startswith(" ")] == [
        "api",
        "database",
        "file_upload",
    ]
    data = {p["name"]: p for p in json.loads(command("pertinax_policies", "--json")[0])}
    # djapp's RETRY_CONFIG: 10 attempts, exponential 0.1 * 2**(n-1), from 0.1 to 1 second.
    database = data["database"]
    assert database["attempts"] == 10
    expected = [min(max(0.1 * 2 ** (n - 1), 0.1), 1.0) for n in range(1, 10)]
    assert [lo for lo, _ in database["schedule"]] == pytest.approx(expected)
    assert [hi for _, hi in database["schedule"]] == pytest.approx(expected)
    assert data["api"]["attempts"] == 3 and data["api"]["schedule"] == [[0, 0], [0, 0]]
    # The built-in file_upload preset: 3 attempts, 3 * 2**(n-1) from 2 to 60 seconds.
    assert data["file_upload"]["schedule"] == [[3, 3], [6, 6]]
    assert "  waits: 0.1s, 0.2s, 0.4s, 0.8s, 1s, 1s, 1s, 1s, 1s" in out.splitlines()
    assert "  attempts: 10" in out.splitlines()


def test_a_retry_command_reports_each_retry_on_its_stderr() -> None:
    from djapp.management.commands.flaky_sync import STATE

    STATE.update(calls=0, steps=0)
    out, err = command("flaky_sync", failures=2, step_failures=1)
    assert out.strip() == "synced after 3 calls"
    assert err.splitlines() == [
        "flaky_sync.handle: attempt 1 raised ConnectionError: backend refused call 1; "
        "retrying in 0 seconds",
        "flaky_sync.handle: attempt 2 raised ConnectionError: backend refused call 2; "
        "retrying in 0 seconds",
        "save: attempt 1 raised TimeoutError: save timed out (step 1); retrying in 0.1 seconds",
    ]


def test_the_report_uses_the_commands_style() -> None:
    from djapp.management.commands.flaky_sync import STATE

    STATE.update(calls=0, steps=0)
    _, err = command("flaky_sync", failures=1, force_color=True)
    assert err.startswith("\x1b[") and "attempt 1 raised ConnectionError" in err
    STATE.update(calls=0, steps=0)
    _, err = command("flaky_sync", failures=1, no_color=True)
    assert "\x1b[" not in err


def test_a_retry_command_gives_up_with_the_users_error() -> None:
    from djapp.management.commands.flaky_sync import STATE

    STATE.update(calls=0, steps=0)
    with pytest.raises(ConnectionError, match="backend refused call 3"):
        command("flaky_sync", failures=5)
    assert STATE["calls"] == 3


def test_stats_show_breakers_and_budgets() -> None:
    from tests.test_django_dashboard import open_a_breaker

    made = open_a_breaker("cmd")
    out, _ = command("pertinax_stats", no_color=True)
    lines = out.splitlines()
    [payments] = [
        line.split() for line in lines if line.startswith("cmd.payments ") and "open" in line
    ]
    assert payments[:6] == ["cmd.payments", "open", "100.0%", "4", "1", "1"]
    assert payments[-1] == "UTC"  # the last change, as a UTC time
    [search] = [line.split() for line in lines if line.startswith("cmd.search ")]
    assert search == ["cmd.search", "closed", "50.0%", "4", "0", "0", "-"]
    [budget] = [
        line.split() for line in lines if line.startswith("cmd.payments ") and "open" not in line
    ]
    assert budget == ["cmd.payments", "0", "1", "2"]
    headers = [line.split() for line in lines if line.startswith(("breaker ", "budget "))]
    assert headers == [
        ["breaker", "state", "failure", "window", "opened", "refused", "last", "change"],
        ["budget", "available", "retries", "give-ups"],
    ]

    data = json.loads(command("pertinax_stats", "--json")[0])
    breakers = {b["breaker"]: b for b in data["breakers"]}
    assert breakers["cmd.payments"]["state"] == "open"
    assert made["before"] <= breakers["cmd.payments"]["changed_at"] <= made["after"]
    assert {b["budget"]: b["gave_up"] for b in data["budgets"]}["cmd.payments"] == 2
