"""The Redis store on a real Redis Cluster (three primaries on loopback, the slots split between
them): every script declares the one key it touches, so a budget's or a breaker's script runs
on the node holding its key; breakers and budgets of several names live on different nodes
and are still shared exactly; an operator's trip reaches every process; fleet metrics find the
snapshots on every node."""

from __future__ import annotations

import json
import threading
import time
import typing as t
import uuid

import pytest
from pertinax import CircuitBreaker, CircuitOpenError, RetryBudget
from pertinax.integrations.redis import MetricsPublisher, RedisStore

from tests import test_redis_switches as switches
from tests.support import redis_server

workers = switches.workers  # the fixture starting worker processes

NAMES = [f"dep{i}" for i in range(12)]


@pytest.fixture(scope="module")
def cluster() -> t.Iterator[redis_server.Cluster]:
    with redis_server.running_cluster(3) as c:
        yield c


@pytest.fixture
def prefix() -> str:
    return f"{redis_server.ACL_PREFIX}:{uuid.uuid4().hex[:8]}"


def store_for(cluster: redis_server.Cluster, prefix: str, **options: t.Any) -> RedisStore:
    return RedisStore(cluster.url(), prefix=prefix, timeout=1.0, cluster=True, **options)


def nodes_holding(store: RedisStore, keys: list[str]) -> set[str]:
    client = store.client
    return {client.get_node_from_key(k).name for k in keys}


def test_budgets_and_breakers_on_every_node_are_shared_exactly(
    cluster: redis_server.Cluster, prefix: str
) -> None:
    one, two = store_for(cluster, prefix), store_for(cluster, prefix)
    budgets = [RetryBudget(n, ratio=0, capacity=5, store=one) for n in NAMES]
    others = [RetryBudget(n, ratio=0, capacity=5, store=two) for n in NAMES]
    paid = [0] * len(NAMES)

    def spend(i: int, budget: RetryBudget) -> None:
        for _ in range(4):
            if budget.withdraw():
                paid[i] += 1

    threads = [
        threading.Thread(target=spend, args=(i, b))
        for pair in zip(budgets, others, strict=True)
        for i, b in ((NAMES.index(pair[0].name), pair[0]), (NAMES.index(pair[1].name), pair[1]))
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # Each budget of 5 paid exactly 5 of the 8 retries asked, wherever its key lives.
    assert paid == [5] * len(NAMES)
    keys = [one.key("budget", n) for n in NAMES]
    assert len(nodes_holding(one, keys)) == 3
    assert all(one.budget_stats(n)["exhausted"] == 3 for n in NAMES)

    breakers = [CircuitBreaker(n, window=2, minimum_calls=2, open_for=60, store=one) for n in NAMES]
    mirrors = [CircuitBreaker(n, window=2, minimum_calls=2, open_for=60, store=two) for n in NAMES]
    for a, b in zip(breakers, mirrors, strict=True):
        a.record(a.acquire(), "failure")
        b.record(b.acquire(), "failure")  # the second failure in the shared window opens it
        with pytest.raises(CircuitOpenError):
            a.acquire()
    assert len(nodes_holding(one, [one.key("breaker", n) for n in NAMES])) == 3
    assert all(one.breaker_stats(n)["opened"] == 1 for n in NAMES)


def test_half_open_trials_go_to_one_store_on_a_cluster(
    cluster: redis_server.Cluster, prefix: str
) -> None:
    a = CircuitBreaker(
        "lease",
        window=1,
        minimum_calls=1,
        open_for=0.05,
        half_open_calls=1,
        store=store_for(cluster, prefix),
    )
    b = CircuitBreaker(
        "lease",
        window=1,
        minimum_calls=1,
        open_for=0.05,
        half_open_calls=1,
        store=store_for(cluster, prefix),
    )
    a.record(a.acquire(), "failure")
    time.sleep(0.1)
    trial = a.acquire()  # a holds the lease (in the breaker's own hash, on its node)
    with pytest.raises(CircuitOpenError, match="half-open"):
        b.acquire()
    a.record(trial, "success")
    b.record(b.acquire(), "success")
    assert (a.state, b.state) == ("closed", "closed")


def test_a_trip_reaches_every_process_on_a_cluster(
    cluster: redis_server.Cluster, prefix: str, workers: t.Any
) -> None:
    fleet = workers(2, cluster.url(), prefix, cluster=True)
    fleet[0].send("trip payments")
    assert fleet[1].send("call payments")["ran"] is False
    fleet[1].send("reset payments")
    assert fleet[0].send("call payments")["ran"] is True


def test_fleet_metrics_find_snapshots_on_every_node(
    cluster: redis_server.Cluster, prefix: str
) -> None:
    store = store_for(cluster, prefix)
    ops = {"op": {"calls": 2, "first_try": 2}}
    # Snapshots under many keys (as many processes would write them) spread over the nodes.
    keys = [f"{prefix}:metrics:host{i}:{i}" for i in range(12)]
    assert len(nodes_holding(store, keys)) == 3
    for key in keys:
        store.client.set(key, json.dumps({"host": "h", "pid": 1, "operations": ops}))
    assert MetricsPublisher(store).publish() is True
    seen = store.fleet_metrics()
    assert seen is not None and seen["processes"] == 13
    assert seen["operations"]["op"]["calls"] == 24


def test_an_unreachable_cluster_falls_back_to_local_state() -> None:
    store = RedisStore(
        f"redis://127.0.0.1:{redis_server.free_port()}/0", cluster=True, reconnect_after=60
    )
    budget = RetryBudget("nowhere", ratio=0, capacity=1, store=store)
    assert [budget.withdraw(), budget.withdraw()] == [True, False]
    breaker = CircuitBreaker("nowhere", store=store)
    breaker.trip()
    assert breaker.state == "open"
    assert store.fleet_metrics() is None
    assert repr(store) == f"RedisStore({store.url!r}, prefix='pertinax', cluster=True)"
