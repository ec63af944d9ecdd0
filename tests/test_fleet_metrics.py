"""Fleet-wide metrics through a real redis-server (password and ACL user): worker processes
publish their snapshots, on demand and periodically; the store sums every live one exactly; a
killed process drops out when its snapshot expires; the Django dashboard and pertinax_stats
show the fleet's figures with the number of processes, and fall back to this process's when
the store does not answer."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import typing as t
import uuid
from pathlib import Path

import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures
from pertinax.integrations.redis import RedisStore

from tests.support import redis_server
from tests.support.line_worker import LineWorker

WORKER = Path(__file__).parent / "support" / "redis_metrics_worker.py"
COUNTERS = ("calls", "first_try", "recovered", "gave_up", "attempts", "retries", "retried_calls")


@pytest.fixture(scope="module")
def server() -> t.Iterator[redis_server.Server]:
    with redis_server.running() as s:
        yield s


@pytest.fixture
def prefix() -> str:
    return f"{redis_server.ACL_PREFIX}:{uuid.uuid4().hex[:8]}"


def expected(ok: int, retried: int, gave_up: int) -> dict[str, int]:
    """The worker's scenario under stop_after_attempt(3): a first try; one failure then a
    result; three failures."""
    return {
        "calls": ok + retried + gave_up,
        "first_try": ok,
        "recovered": retried,
        "gave_up": gave_up,
        "attempts": ok + 2 * retried + 3 * gave_up,
        "retries": retried + 2 * gave_up,
        "retried_calls": retried + gave_up,
    }


def total(*parts: dict[str, int]) -> dict[str, int]:
    return {k: sum(p[k] for p in parts) for k in COUNTERS}


class Worker(LineWorker):
    def __init__(self, server: redis_server.Server, prefix: str, log: Path, **options: float):
        every, expire_after = options.get("every", 10.0), options.get("expire_after", 30.0)
        super().__init__([str(WORKER), server.url(), prefix, str(every), str(expire_after)], log)


@pytest.fixture
def workers(tmp_path: Path, server: redis_server.Server, prefix: str) -> t.Iterator[t.Any]:
    made: list[Worker] = []

    def start(n: int, **options: float) -> list[Worker]:
        new = [
            Worker(server, prefix, tmp_path / f"worker{len(made) + i}.log", **options)
            for i in range(n)
        ]
        made.extend(new)
        return new

    try:
        yield start
    finally:
        for w in made:
            w.stop()


def store_for(server: redis_server.Server, prefix: str) -> RedisStore:
    return RedisStore(server.url(), prefix=prefix, timeout=2.0)


def orders(fleet: dict[str, t.Any]) -> dict[str, t.Any]:
    return dict(fleet["operations"]["fleet.orders"])


def test_processes_publish_on_demand_and_the_reader_sums_them_exactly(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    fleet = workers(3)
    plans = [(i + 2, i + 1, 1) for i in range(3)]
    for w, plan in zip(fleet, plans, strict=True):
        w.send("calls {} {} {}".format(*plan))
        assert w.send("publish")["published"] is True
    store = store_for(server, prefix)
    seen = store.fleet_metrics()
    assert seen is not None
    assert seen["processes"] == 3 and seen["hosts"] == [socket.gethostname()]
    op = orders(seen)
    want = total(*(expected(*p) for p in plans))
    assert {k: op[k] for k in COUNTERS} == want
    assert op["duration"]["count"] == sum(op["duration"]["counts"]) == want["calls"]
    ended = want["first_try"] + want["recovered"] + want["gave_up"]
    assert op["success_rate"] == pytest.approx((want["first_try"] + want["recovered"]) / ended)
    assert op["retry_rate"] == pytest.approx(want["retried_calls"] / ended)
    assert op["give_up_rate"] == pytest.approx(want["gave_up"] / ended)

    # Publishing again replaces the process's snapshot: nothing is counted twice.
    fleet[0].send("calls 1 0 0")
    assert fleet[0].send("publish")["published"] is True
    again = store.fleet_metrics()
    assert again is not None and again["processes"] == 3
    assert orders(again)["calls"] == want["calls"] + 1
    # Every key lives under the store's prefix, and each one expires.
    client = store.client
    keys = sorted(k.decode() for k in client.scan_iter(match=f"{prefix}:*"))
    pids = sorted(str(w.process.pid) for w in fleet)
    assert keys == sorted(f"{prefix}:metrics:{socket.gethostname()}:{pid}" for pid in pids)
    assert all(0 < client.pttl(k) <= 30_000 for k in keys)


def wait_for(read: t.Callable[[], t.Any], done: t.Callable[[t.Any], bool]) -> t.Any:
    deadline = time.monotonic() + 20
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_periodic_publishing_and_a_killed_process_expiring(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    first, second = workers(2, every=0.1, expire_after=1.0)
    for w in (first, second):
        w.send("start")
    first.send("calls 3 1 0")
    second.send("calls 2 2 2")
    want = total(expected(3, 1, 0), expected(2, 2, 2))
    store = store_for(server, prefix)

    def calls(fleet: dict[str, t.Any] | None) -> int:
        return -1 if fleet is None else orders(fleet).get("calls", 0) if fleet["operations"] else 0

    seen = wait_for(store.fleet_metrics, lambda f: calls(f) == want["calls"])
    # The threads published without being asked, and the sum is exact.
    assert seen["processes"] == 2
    assert {k: orders(seen)[k] for k in COUNTERS} == want

    second.stop()  # no goodbye: its snapshot stays until it expires
    seen = wait_for(store.fleet_metrics, lambda f: f is not None and f["processes"] == 1)
    assert seen["processes"] == 1
    assert {k: orders(seen)[k] for k in COUNTERS} == expected(3, 1, 0)


def test_a_forked_child_publishes_as_itself(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    [parent] = workers(1, every=0.1, expire_after=5.0)
    parent.send("calls 1 1 0")
    parent.send("start")
    child = parent.send("fork")["child"]
    assert child != parent.process.pid
    store = store_for(server, prefix)
    # The child inherited the parent's counts (1 first try, 1 recovered) and made 2 calls.
    want = total(expected(1, 1, 0), expected(1, 1, 0), expected(2, 0, 0))
    seen = wait_for(
        store.fleet_metrics,
        lambda f: f is not None and f["processes"] == 2 and orders(f)["calls"] == want["calls"],
    )
    assert seen["processes"] == 2
    assert {k: orders(seen)[k] for k in COUNTERS} == want
    keys = {k.decode() for k in store.client.scan_iter(match=f"{prefix}:metrics:*:*")}
    assert {k.rsplit(":", 1)[1] for k in keys} == {str(parent.process.pid), str(child)}


def test_the_store_loads_the_idna_codec_before_any_thread_resolves_a_name() -> None:
    # Resolving a host name imports it on first use; a fork during that import in a
    # publisher's thread left the child unable to connect ("unknown encoding: idna"), which
    # made the test above fail now and then.
    code = (
        "import sys\n"
        "assert 'encodings.idna' not in sys.modules\n"
        "import pertinax.integrations.redis\n"
        "assert 'encodings.idna' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the Django app ---------------------------------------------------------------------------
def store_settings(url: str, prefix: str, **options: t.Any) -> dict[str, t.Any]:
    from django.conf import settings

    store = {"url": url, "prefix": prefix, "timeout": 2.0, "publish_every": 0, **options}
    return {**settings.PERTINAX, "store": store}


@pytest.mark.usefixtures("django_env", "clean_metrics")
def test_dashboard_and_stats_show_the_fleets_figures(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    import pertinax
    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    from tests.test_django_commands import command

    fleet = workers(2)
    plans = [(4, 1, 0), (1, 0, 2)]
    for w, plan in zip(fleet, plans, strict=True):
        w.send("calls {} {} {}".format(*plan))
        assert w.send("publish")["published"] is True
    workers_total = total(*(expected(*p) for p in plans))

    @pertinax.retry(name="fleet.orders", stop=pertinax.stop_after_attempt(3), reraise=True)
    def order() -> str:
        return "ok"

    order()  # this process: one first try, counted once the dashboard publishes it

    staff = User.objects.create_user("fleet-staff", password="pw", is_staff=True)
    try:
        browser = Client()
        browser.force_login(staff)
        with override_settings(PERTINAX=store_settings(server.url(), prefix)):
            # The command reads the fleet without publishing itself (it is not a worker).
            data = json.loads(command("pertinax_stats", "--json")[0])
            assert (data["scope"], data["processes"], data["prefix"]) == ("fleet", 2, prefix)
            [row] = [op for op in data["operations"] if op["operation"] == "fleet.orders"]
            assert {k: row[k] for k in ("calls", "attempts", "retries", "gave_up")} == {
                k: workers_total[k] for k in ("calls", "attempts", "retries", "gave_up")
            }
            out, _ = command("pertinax_stats", no_color=True)
            assert out.splitlines()[0] == (
                f"Fleet-wide figures: the sum over 2 live processes (store prefix {prefix}). "
                "Breakers and budgets: the fleet's, then this process's."
            )

            # The dashboard's process publishes itself, then shows the sum of all three.
            data = browser.get("/pertinax/data.json").json()
            assert (data["scope"], data["processes"]) == ("fleet", 3)
            [row] = [op for op in data["operations"] if op["operation"] == "fleet.orders"]
            assert row["calls"] == workers_total["calls"] + 1
            assert row["attempts"] == workers_total["attempts"] + 1
            html = browser.get("/pertinax/").content.decode()
            assert 'data-scope="fleet" data-processes="3"' in html
            assert "the sum over 3 live processes" in html
            cells = html.split('<tr data-operation="fleet.orders">', 1)[1].split("</tr>", 1)[0]
            assert f'<td class="calls">{workers_total["calls"] + 1}</td>' in cells
            assert json.loads(command("pertinax_stats", "--json")[0])["processes"] == 3

        # A store that does not answer: this process's figures, and the page says why.
        dead = f"redis://127.0.0.1:{redis_server.free_port()}/0"
        with override_settings(PERTINAX=store_settings(dead, prefix, timeout=0.2)):
            data = browser.get("/pertinax/data.json").json()
            assert (data["scope"], data["store"]) == ("process", "the metrics store did not answer")
            [row] = [op for op in data["operations"] if op["operation"] == "fleet.orders"]
            assert row["calls"] == 1
            html = browser.get("/pertinax/").content.decode()
            assert 'data-scope="process"' in html and "the metrics store did not answer" in html
    finally:
        staff.delete()


@pytest.mark.usefixtures("django_env", "clean_metrics")
def test_the_dashboard_and_stats_show_the_fleets_breakers_and_budgets(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    from tests.test_django_commands import command

    fleet = workers(2)
    for w in fleet:
        w.send("guard 3")
        assert w.send("publish")["published"] is True
    staff = User.objects.create_user("fleet-guard", password="pw", is_staff=True)
    try:
        browser = Client()
        browser.force_login(staff)
        with override_settings(PERTINAX=store_settings(server.url(), prefix)):
            from_command = json.loads(command("pertinax_stats", "--json")[0])
            from_page = browser.get("/pertinax/data.json").json()
        for data in (from_command, from_page):
            rows = {r["breaker"]: r for r in data["fleet_breakers"]}
            assert {"fleet.local", "fleet.shared"} <= set(rows)
            assert (rows["fleet.shared"]["state"], rows["fleet.shared"]["opened"]) == ("open", 1)
            assert rows["fleet.local"]["states"] == {"open": 2}
            budgets = {r["budget"]: r for r in data["fleet_budgets"]}
            assert budgets["fleet.shared"] == {
                "budget": "fleet.shared",
                "available": 0.0,
                "gave_up": 2,
                "retries": 4,
                "processes": 2,
                "shared": True,
            }
            assert budgets["fleet.local"]["available"] == 4.0
    finally:
        staff.delete()


@pytest.mark.usefixtures("django_env", "clean_metrics")
def test_the_app_publishes_in_the_background_while_the_store_is_set(
    server: redis_server.Server, prefix: str
) -> None:
    import threading

    import pertinax
    from django.test import override_settings
    from pertinax.integrations.django import fleet

    @pertinax.retry(name="fleet.background", stop=pertinax.stop_after_attempt(2))
    def ping() -> str:
        return "pong"

    ping()
    store = store_for(server, prefix)
    settings = store_settings(server.url(), prefix, publish_every=0.1, expire_after=5)

    def mine(seen: dict[str, t.Any] | None) -> int:
        ops = (seen or {}).get("operations", {})
        return int(ops.get("fleet.background", {}).get("calls", 0))

    with override_settings(PERTINAX=settings):
        found = fleet.current()
        assert found is not None and found[1].running
        assert mine(wait_for(store.fleet_metrics, lambda f: mine(f) == 1)) == 1
        ping()  # published by the thread, without a request
        assert mine(wait_for(store.fleet_metrics, lambda f: mine(f) == 2)) == 2
    # Leaving the settings stops the thread.
    assert fleet.current() is None and not found[1].running
    assert "pertinax-metrics-publisher" not in {th.name for th in threading.enumerate()}


@pytest.mark.usefixtures("django_env")
def test_the_store_setting_is_checked() -> None:
    from django.test import override_settings
    from pertinax.integrations.django.checks import check_settings

    bad = {"url": "http://cache", "publish_every": -1, "colour": "red"}
    with override_settings(PERTINAX={"store": bad}):
        found = sorted(m.msg for m in check_settings() if m.id == "pertinax.E013")
    assert found == [
        "PERTINAX['store'] has an unknown key 'colour'.",
        "PERTINAX['store']['publish_every']=-1 is not a number of seconds >= 0.",
        "PERTINAX['store']['url'] must be a redis://, rediss:// or unix:// URL.",
    ]
