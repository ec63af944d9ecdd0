"""The guide's services, as runnable examples: each runs in a fresh interpreter, and the
tests check what its local servers saw, how many requests and when.

Each example writes that record with ``--report FILE``. Times are seconds from the
scenario's start (or its first request), on the example's monotonic clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, tmp_path: Path) -> tuple[typing.Any, str]:
    report = tmp_path / f"{name}.json"
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / f"{name}.py"), "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLES,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return json.loads(report.read_text()), done.stdout


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times[:-1], times[1:], strict=True)]


@pytest.fixture(scope="module")
def api_service(tmp_path_factory: pytest.TempPathFactory) -> tuple[typing.Any, str]:
    return run_example("api_service", tmp_path_factory.mktemp("api"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_api_service(api_service: tuple[typing.Any, str], mode: str) -> None:
    report, stdout = api_service
    seen = report[mode]
    by_route: dict[str, list[tuple[int, float]]] = {}
    for route, status, at in seen:
        by_route.setdefault(route, []).append((status, at))
    assert sorted(by_route) == ["GET /account", "GET /orders/404", "GET /orders/42", "POST /orders"]
    # 503 twice, then the answer: retried after the policy's (scaled) exponential waits.
    orders = by_route["GET /orders/42"]
    assert [status for status, _ in orders] == [503, 503, 200]
    first, second = gaps([at for _, at in orders])
    assert 0.05 <= first < 0.5 and 0.1 <= second < 0.6
    # Client errors: one request each.
    assert [status for status, _ in by_route["GET /orders/404"]] == [404]
    assert [status for status, _ in by_route["GET /account"]] == [401]
    # 429 with Retry-After: 1 -> the retry comes a second later, not after the 0.05 s
    # fallback.
    posts = by_route["POST /orders"]
    assert [status for status, _ in posts] == [429, 201]
    [wait] = gaps([at for _, at in posts])
    assert 1.0 <= wait < 1.5
    # Nothing else was asked: 3 + 1 + 1 + 2 requests.
    assert len(seen) == 7
    assert "retrying in 1.0 seconds" in stdout


def test_s3_uploader(tmp_path: Path) -> None:
    report, stdout = run_example("s3_uploader", tmp_path)
    outage = report["outage"]
    # The first attempt found no server (nothing seen); the retry 0.5 s later, after the
    # restart at 0.2 s, was the server's first request.
    assert outage["attempts"] == 2
    [(method, path, status, at)] = outage["seen"]
    assert (method, path, status) == ("PUT", "/invoices/2024/001.pdf", 200)
    assert 0.5 <= at < 1.5
    for name, expected_status in [("access_denied", 403), ("no_such_bucket", 404)]:
        part = report[name]
        assert part["attempts"] == 1, name
        assert [(m, s) for m, _, s, _ in part["seen"]] == [("PUT", expected_status)], name
    assert report["missing_file"] == {"attempts": 1, "seen": []}
    assert "(AccessDenied)" in stdout and "(NoSuchBucket)" in stdout
    assert "FileNotFoundError" in stdout


def test_cep_lookup(tmp_path: Path) -> None:
    report, _ = run_example("cep_lookup", tmp_path)

    def times(cep: str, provider: str) -> list[float]:
        return [at for _, at in report[cep]["seen"][provider]]

    found = report["01310-100"]
    assert found["result"]["street"] == "Avenida Paulista"
    assert found["attempts"] == 1
    # In order: down, then slow (which times out after 0.3 s), then good.
    [down], [slow], [good] = (times("01310-100", p) for p in ("down", "slow", "good"))
    assert down <= slow < good
    # The client's 0.3 s starts when it sends; the slow server notes the request when its
    # handler thread runs, which a busy machine can delay by a few milliseconds.
    assert good - slow >= 0.25
    unknown = report["99999-999"]
    assert unknown["result"] is None and unknown["attempts"] == 1
    assert [len(times("99999-999", p)) for p in ("down", "slow", "good")] == [1, 1, 1]
    # Every provider failed once: the whole round was retried, in the same order.
    hiccup = report["01310100"]
    assert hiccup["result"]["city"] == "São Paulo" and hiccup["attempts"] == 2
    rounds = [times("01310100", p) for p in ("down", "slow", "good")]
    assert [len(r) for r in rounds] == [2, 2, 2]
    assert rounds[0][0] < rounds[1][0] < rounds[2][0] < rounds[0][1] < rounds[1][1] < rounds[2][1]
    # The invalid CEP: one attempt, and no provider was asked.
    invalid = report["1234"]
    assert invalid["result"].startswith("ValueError") and invalid["attempts"] == 1
    assert invalid["seen"] == {"down": [], "slow": [], "good": []}


def test_retry_report(tmp_path: Path) -> None:
    report, stdout = run_example("retry_report", tmp_path)
    snapshot, seen = report["snapshot"], report["seen"]
    payments = snapshot["payments.charge"]
    assert (payments["calls"], payments["first_try"], payments["success_rate"]) == (20, 20, 1.0)
    inventory = snapshot["inventory.fetch"]
    # Every third inventory request fails once and is retried: all calls succeed.
    assert inventory["calls"] == 20 and inventory["success_rate"] == 1.0
    assert inventory["recovered"] == inventory["retries"] > 0
    assert seen["inventory"] == 20 + inventory["retries"] == inventory["attempts"]
    assert inventory["retry_rate"] == pytest.approx(inventory["recovered"] / 20)
    shipping = snapshot["shipping.quote"]
    assert (shipping["gave_up"], shipping["give_up_rate"], seen["shipping"]) == (20, 1.0, 60)
    catalog = snapshot["catalog.item"]
    assert (catalog["errors"], catalog["retries"], seen["catalog"]) == (20, 0, 20)
    [alert] = report["alerts"]
    assert alert["operation"] == "inventory.fetch" and alert["rate"] == "retry_rate"
    assert alert["value"] >= alert["threshold"] == 0.25
    assert "log: pertinax.alert: inventory.fetch" in stdout
