"""Fleet-wide metrics merged: what adds up across processes is added (counters, duration
histograms, budget and breaker counts), rates are computed again from the sums, and a budget's
or breaker's shared state is read from the store; real worker processes publish through a real
redis-server, and the reader skips whatever under its prefix is not a snapshot."""

from __future__ import annotations

import time
import typing as t

import pytest
from pertinax.integrations.redis import sum_snapshots

from tests import test_fleet_metrics as publishing
from tests.support import redis_server

# The fixtures starting the server and the worker processes.
server, prefix, workers = publishing.server, publishing.prefix, publishing.workers
store_for = publishing.store_for


def test_the_reader_skips_what_is_not_a_snapshot_and_reads_only_its_own_prefix(
    server: redis_server.Server, prefix: str
) -> None:
    store = store_for(server, f"{prefix}:a*b")
    assert store.publish_metrics({"op": {"calls": 1}}) is True
    client = store.client
    # An older pertinax's index of snapshots (a sorted set), and a value that is not JSON.
    client.zadd(f"{prefix}:a*b:metrics:index", {"x": 1.0})
    client.set(f"{prefix}:a*b:metrics:junk", b"\xff not json")
    # A prefix the glob in our own would match, were it not escaped.
    other = store_for(server, f"{prefix}:aXb")
    assert other.publish_metrics({"op": {"calls": 100}}) is True
    seen = store.fleet_metrics()
    assert seen is not None
    assert (seen["processes"], seen["operations"]["op"]["calls"]) == (1, 1)
    assert (seen["budgets"], seen["breakers"]) == ({}, {})


def test_summing_snapshots() -> None:
    bounds = [0.1, 1.0]
    a = {
        "op": {
            "calls": 2,
            "first_try": 1,
            "gave_up": 1,
            "retry_sleep_seconds": 0.5,
            "success_rate": 0.5,
            "duration": {"bounds": bounds, "counts": [1, 1, 0], "sum": 0.6, "count": 2},
        }
    }
    b = {
        "op": {
            "calls": 2,
            "recovered": 2,
            "retried_calls": 2,
            "retry_sleep_seconds": 0.25,
            "duration": {"bounds": bounds, "counts": [0, 1, 1], "sum": 3.5, "count": 2},
        },
        "other": {"calls": 1},
    }
    summed = sum_snapshots([a, b])
    op = summed["op"]
    assert (op["calls"], op["first_try"], op["recovered"], op["gave_up"]) == (4, 1, 2, 1)
    assert op["retry_sleep_seconds"] == pytest.approx(0.75)
    assert op["duration"] == {"bounds": bounds, "counts": [1, 2, 1], "sum": 4.1, "count": 4}
    assert (op["success_rate"], op["retry_rate"], op["give_up_rate"]) == (0.75, 0.5, 0.25)
    assert summed["other"]["success_rate"] is None  # no call ended
    assert a["op"]["calls"] == 2 and a["op"]["duration"]["counts"] == [1, 1, 0]  # untouched


def test_budgets_and_breakers_are_merged_with_the_stores_shared_state(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    first, second = workers(2)
    for w in (first, second):
        w.send("guard 3")
        assert w.send("publish")["published"] is True
    seen = store_for(server, prefix).fleet_metrics()
    assert seen is not None and seen["processes"] == 2
    budgets, breakers = seen["budgets"], seen["breakers"]
    # Local budgets: each process paid 3 of its own 5; what the fleet can pay is the sum.
    assert budgets["fleet.local"] == {
        "processes": 2,
        "retries": 6,
        "exhausted": 0,
        "successes": 0,
        "available": 4.0,
        "shared": False,
    }
    # The shared budget held 4 for both: its tokens are read from the store, not summed.
    assert budgets["fleet.shared"] == {
        "processes": 2,
        "retries": 4,
        "exhausted": 2,
        "successes": 0,
        "available": 0.0,
        "shared": True,
    }
    local = breakers["fleet.local"]
    # Each local breaker opened after its own 2 failures and refused the third call.
    assert {k: local[k] for k in ("processes", "opened", "rejected", "state", "states")} == {
        "processes": 2,
        "opened": 2,
        "rejected": 2,
        "state": "open",
        "states": {"open": 2},
    }
    assert (local["window_calls"], local["failure_rate"], local["shared"]) == (4, 1.0, False)
    assert local["changed_at"] == pytest.approx(time.time(), abs=60)
    shared = breakers["fleet.shared"]
    # The shared one opened once, at the fourth failure in the fleet (the second process's
    # first); the first process last saw it closed, but the store says open.
    assert {k: shared[k] for k in ("opened", "rejected", "state", "states", "shared")} == {
        "opened": 1,
        "rejected": 2,
        "state": "open",
        "states": {"closed": 1, "open": 1},
        "shared": True,
    }


def test_merging_budgets_and_breakers() -> None:
    from pertinax.integrations.redis import merge_breakers, merge_budgets

    a = {
        "b": {
            "state": "closed",
            "opened": 1,
            "rejected": 0,
            "window_calls": 4,
            "failure_rate": 0.25,
            "changed_at": 10.0,
        }
    }
    b = {
        "b": {
            "state": "open",
            "opened": 2,
            "rejected": 5,
            "window_calls": 6,
            "failure_rate": 0.5,
            "changed_at": 20.0,
            "closed": True,
        }
    }
    merged = merge_breakers([a, b])["b"]
    # 1 + 3 failures over 10 calls; a bool is not a count.
    assert merged["failure_rate"] == pytest.approx(0.4)
    assert (merged["opened"], merged["rejected"], merged["closed"]) == (3, 5, 0)
    assert (merged["state"], merged["states"], merged["changed_at"]) == (
        "mixed",
        {"closed": 1, "open": 1},
        20.0,
    )
    assert merge_breakers([a, b], {"b": "half_open"})["b"]["state"] == "half_open"
    assert merge_breakers([{"idle": {"state": "closed"}}])["idle"]["failure_rate"] is None
    budgets = merge_budgets(
        [{"x": {"retries": 2, "exhausted": 1, "successes": 4, "available": 1.5}}] * 3
    )["x"]
    assert (budgets["retries"], budgets["available"], budgets["processes"]) == (6, 4.5, 3)
