"""The fleet's circuit breakers and retry budgets on the dashboard and in ``pertinax_stats``:
a real redis-server, three real worker processes publishing their snapshots, the page through
Django's test client, and the command run as a child process. Each table says whose figures
it shows (the fleet's, or this process's), and without a store the page is as before."""

from __future__ import annotations

import json
import os
import re
import typing as t
import uuid
from pathlib import Path

import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures

from tests.support import redis_server
from tests.support.line_worker import LineWorker

WORKER = Path(__file__).parent / "django_site" / "fleet_worker.py"
TAG = "fleetdash"


@pytest.fixture(scope="module")
def server() -> t.Iterator[redis_server.Server]:
    with redis_server.running() as s:
        yield s


@pytest.fixture
def prefix() -> str:
    return f"{redis_server.ACL_PREFIX}:{uuid.uuid4().hex[:8]}"


class Worker(LineWorker):
    """A child process holding breakers and budgets (tests/django_site/fleet_worker.py)."""

    def __init__(self, url: str, prefix: str, log: Path) -> None:
        super().__init__([str(WORKER), url, prefix], log)


def run_fleet(url: str, prefix: str, logs: Path) -> tuple[list[Worker], dict[str, t.Any]]:
    """Starts three workers, drives their breakers and budgets, has each publish, and returns
    them with what the fleet's rows must say (worked out from the calls made below)."""
    workers: list[Worker] = []
    try:
        for i in range(3):
            workers.append(Worker(url, prefix, logs / f"worker{i}.log"))
        first, second, third = workers
        # A breaker kept in each process: four failures open the first worker's (its fifth
        # call is refused); the others stay closed, with 1 failure in 3 calls and 0 in 4.
        assert first.send(f"breaker {TAG}.payments ffff")["state"] == "open"
        assert first.send(f"breaker {TAG}.payments f")["refused"] == 1
        assert second.send(f"breaker {TAG}.payments sfs")["state"] == "closed"
        assert third.send(f"breaker {TAG}.payments ssss")["state"] == "closed"
        # A breaker kept in the store: the fourth failure in the fleet opens it for everyone;
        # the third worker, which never saw a failure, is refused.
        first.send(f"breaker shared.{TAG}.inventory ff")
        assert second.send(f"breaker shared.{TAG}.inventory ff")["state"] == "open"
        assert third.send(f"breaker shared.{TAG}.inventory s")["refused"] == 1
        # Budgets of 5 retries: each process's own (2 + 5 paid, one refused), and one in the
        # store (3 + 2 paid, one refused).
        assert first.send(f"budget {TAG}.search 2")["paid"] == 2
        assert second.send(f"budget {TAG}.search 6")["paid"] == 5
        assert first.send(f"budget shared.{TAG}.search 3")["paid"] == 3
        assert second.send(f"budget shared.{TAG}.search 3")["paid"] == 2
        for w in workers:
            assert w.send("publish")["published"] is True
    except BaseException:
        for w in workers:
            w.stop()
        raise
    expected = {
        "breakers": {
            f"{TAG}.payments": {
                "state": "mixed",
                "shown": "mixed (2 closed, 1 open)",
                "processes": 3,
                "kept_in": "each process",
                "failure": "45.5% of 11",  # (4 + 1 + 0) failures in 4 + 3 + 4 calls
                "opened": 1,
                "rejected": 1,
            },
            f"shared.{TAG}.inventory": {
                "state": "open",
                "shown": "open",
                "processes": 3,
                "kept_in": "store",
                "failure": "-",  # its window is the store's, not a process's
                "opened": 1,
                "rejected": 1,
            },
        },
        "budgets": {
            f"{TAG}.search": {
                "available": "3",
                "retries": 7,
                "gave_up": 1,
                "processes": 2,
                "kept_in": "each process",
            },
            f"shared.{TAG}.search": {
                "available": "0",
                "retries": 5,
                "gave_up": 1,
                "processes": 2,
                "kept_in": "store",
            },
        },
    }
    return workers, expected


@pytest.fixture
def fleet(server: redis_server.Server, prefix: str, tmp_path: Path) -> t.Iterator[dict[str, t.Any]]:
    workers, expected = run_fleet(server.url(), prefix, tmp_path)
    try:
        yield expected
    finally:
        for w in workers:
            w.stop()


def store_settings(url: str, prefix: str, **options: t.Any) -> dict[str, t.Any]:
    from django.conf import settings

    store = {"url": url, "prefix": prefix, "timeout": 2.0, "publish_every": 0, **options}
    return {**settings.PERTINAX, "store": store}


def rows(html: str, attribute: str) -> dict[str, dict[str, str]]:
    """The page's rows marked ``data-ATTRIBUTE="name"``: ``{name: {cell class: text}}``."""
    found = {}
    for name, body in re.findall(rf'<tr {attribute}="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        cells = re.findall(r'<td class="([\w-]+)[^"]*">(.*?)</td>', body, re.S)
        found[name] = {cls: text for cls, text in cells}
    return found


@pytest.fixture
def staff() -> t.Iterator[t.Any]:
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.create_user("fleet-dash", password="pw", is_staff=True)
    browser = Client()
    browser.force_login(user)
    yield browser
    user.delete()


@pytest.mark.usefixtures("django_env", "clean_metrics")
def test_the_page_shows_the_fleets_breakers_and_budgets_beside_this_process(
    server: redis_server.Server, prefix: str, fleet: dict[str, t.Any], staff: t.Any
) -> None:
    import pertinax
    from django.test import override_settings

    # This process holds a breaker too: it is shown as this process's, and, once the page
    # publishes this process's snapshot, as one more breaker of the fleet.
    mine = pertinax.CircuitBreaker(f"{TAG}.mine", window=4, minimum_calls=4)
    mine.record(mine.acquire(), "failure")
    with override_settings(PERTINAX=store_settings(server.url(), prefix)):
        html = staff.get("/pertinax/").content.decode()
        data = staff.get("/pertinax/data.json").json()
    assert 'data-scope="fleet" data-processes="4"' in html
    assert "shown for the fleet and for this server process" in html
    assert "The fleet: every breaker that the 4 live processes published." in html
    assert html.count(f'<h3 id="breakers-scope">This server process (pid {os.getpid()})') == 1
    assert html.count(f'<h3 id="budgets-scope">This server process (pid {os.getpid()})') == 1

    fleet_rows = rows(html, "data-fleet-breaker")
    for name, want in fleet["breakers"].items():
        row = fleet_rows[name]
        assert row["state"] == want["shown"]
        assert (row["processes"], row["kept-in"]) == (str(want["processes"]), want["kept_in"])
        assert row["failure-rate"] == want["failure"]
        assert (row["opened"], row["rejected"]) == (str(want["opened"]), str(want["rejected"]))
        assert row["changed-at"].endswith(" UTC")
    assert re.search(rf'data-fleet-breaker="{TAG}.payments" data-state="mixed"', html)
    assert fleet_rows[f"{TAG}.mine"]["processes"] == "1"
    assert fleet_rows[f"{TAG}.mine"]["failure-rate"] == "100.0% of 1"
    # Only this process's own breaker in its table: the workers' are not in it.
    own = rows(html, "data-breaker")
    assert f"{TAG}.mine" in own and not {f"{TAG}.payments", f"shared.{TAG}.inventory"} & set(own)

    budgets = rows(html, "data-fleet-budget")
    for name, want in fleet["budgets"].items():
        assert budgets[name] == {
            "budget": name,
            "available": want["available"],
            "retries": str(want["retries"]),
            "gave-up": str(want["gave_up"]),
            "processes": str(want["processes"]),
            "kept-in": want["kept_in"],
        }
    assert not {f"{TAG}.search", f"shared.{TAG}.search"} & set(rows(html, "data-budget"))

    # The page and the JSON say the same thing.
    by_name = {r["breaker"]: r for r in data["fleet_breakers"]}
    assert by_name[f"{TAG}.payments"]["states"] == {"closed": 2, "open": 1}
    assert by_name[f"{TAG}.payments"]["state"] == "mixed"


def command_lines(directory: Path, *args: str, **extra_env: str) -> list[str]:
    from djapp.server import manage

    return manage(directory, "pertinax_stats", "--no-color", *args, **extra_env).splitlines()


def table(lines: list[str], title: str) -> dict[str, dict[str, str]]:
    """The text table under ``title``: ``{first cell: cells}``, split on runs of 2+ spaces."""
    start = lines.index(title) + 1
    header = re.split(r"\s{2,}", lines[start].strip())
    found = {}
    for line in lines[start + 1 :]:
        if not line:
            break
        cells = re.split(r"\s{2,}", line.strip())
        found[cells[0]] = dict(zip(header, cells, strict=True))
    return found


def test_the_command_prints_the_fleets_tables(
    server: redis_server.Server, prefix: str, fleet: dict[str, t.Any], tmp_path: Path
) -> None:
    env = {"PERTINAX_TEST_STORE": server.url(), "PERTINAX_TEST_STORE_PREFIX": prefix}
    lines = command_lines(tmp_path, **env)
    # The command is not a worker: it reads the fleet without publishing itself.
    assert lines[0] == (
        f"Fleet-wide figures: the sum over 3 live processes (store prefix {prefix}). "
        "Breakers and budgets: the fleet's, then this process's."
    )
    breakers = table(lines, "Circuit breakers of the fleet (3 live processes):")
    assert set(breakers) == set(fleet["breakers"])
    for name, want in fleet["breakers"].items():
        row = breakers[name]
        failure, _, window = want["failure"].partition(" of ")
        assert row["state"] == want["shown"]
        assert (row["processes"], row["kept in"]) == (str(want["processes"]), want["kept_in"])
        assert (row["failure"], row["window"]) == (failure, window or "0")
        assert (row["opened"], row["refused"]) == (str(want["opened"]), str(want["rejected"]))
        assert row["last change"].endswith(" UTC")
    budgets = table(lines, "Retry budgets of the fleet (3 live processes):")
    assert set(budgets) == set(fleet["budgets"])
    for name, want in fleet["budgets"].items():
        assert budgets[name] == {
            "budget": name,
            "available": want["available"],
            "retries": str(want["retries"]),
            "give-ups": str(want["gave_up"]),
            "processes": str(want["processes"]),
            "kept in": want["kept_in"],
        }
    # The command's own process holds no breaker or budget: no table of its own.
    assert not [line for line in lines if "of this process:" in line]

    # Its JSON carries the same merged rows.
    data = json.loads("\n".join(command_lines(tmp_path, "--json", **env)))
    merged = {r["breaker"]: r for r in data["fleet_breakers"]}
    assert merged[f"{TAG}.payments"]["window_calls"] == 11
    assert merged[f"shared.{TAG}.inventory"]["state"] == "open"


def test_without_a_store_nothing_says_fleet(tmp_path: Path) -> None:
    lines = command_lines(tmp_path)
    assert lines[0] == (
        "Figures of this process only (no PERTINAX['store'] for fleet-wide figures)."
    )
    assert not [line for line in lines[1:] if "fleet" in line.lower()]


@pytest.mark.usefixtures("django_env", "clean_metrics")
@pytest.mark.parametrize("store", [None, "dead"])
def test_the_page_without_a_fleet_shows_this_process_only(store: str | None, staff: t.Any) -> None:
    import pertinax
    from django.test import override_settings

    mine = pertinax.RetryBudget(f"{TAG}.alone", ratio=0, capacity=2)
    assert mine.withdraw()
    settings = {}
    if store:
        dead = f"redis://127.0.0.1:{redis_server.free_port()}/0"
        settings["PERTINAX"] = store_settings(dead, "nobody", timeout=0.2)
    with override_settings(**settings):
        html = staff.get("/pertinax/").content.decode()
    assert 'data-scope="process"' in html
    for fleet_only in ("fleet-breakers", "fleet-budgets", "data-fleet-", "This server process ("):
        assert fleet_only not in html
    assert rows(html, "data-budget")[f"{TAG}.alone"]["available"] == "1"
