"""An operator's switches on store-backed breakers and budgets, against a real redis-server
and real processes: a trip in one process makes every process fail fast, a reset closes the
breaker (or refills the budget) for all of them; Redis stopped midway leaves each process to
its local state (fail-open) or refuses everything (fail-closed), and the switch says it
reached this process only."""

from __future__ import annotations

import logging
import sys
import time
import typing as t
import uuid
from pathlib import Path

import pytest
from pertinax import CircuitBreaker, CircuitOpenError, RetryBudget
from pertinax.integrations.redis import RedisStore

from tests.support import redis_server
from tests.support.line_worker import LineWorker

WORKER = Path(__file__).parent / "support" / "redis_switch_worker.py"


@pytest.fixture(scope="module")
def server() -> t.Iterator[redis_server.Server]:
    with redis_server.running() as s:
        yield s


@pytest.fixture
def prefix() -> str:
    return f"{redis_server.ACL_PREFIX}:{uuid.uuid4().hex[:8]}"


class Worker(LineWorker):
    def __init__(
        self, url: str, prefix: str, *, fail_open: bool, log: Path, cluster: bool = False
    ) -> None:
        mode = ["1" if fail_open else "0", "cluster" if cluster else "single"]
        super().__init__([str(WORKER), url, prefix, "", *mode], log)


@pytest.fixture
def workers(tmp_path: Path) -> t.Iterator[t.Callable[..., list[Worker]]]:
    made: list[Worker] = []

    def start(
        n: int, url: str, prefix: str, *, fail_open: bool = True, cluster: bool = False
    ) -> list[Worker]:
        new = [
            Worker(
                url,
                prefix,
                fail_open=fail_open,
                cluster=cluster,
                log=tmp_path / f"w{len(made) + i}.log",
            )
            for i in range(n)
        ]
        made.extend(new)
        return new

    try:
        yield start
    finally:
        for w in made:
            w.stop()


def store_for(server: redis_server.Server, prefix: str, **options: t.Any) -> RedisStore:
    return RedisStore(server.url(), prefix=prefix, timeout=1.0, **options)


def test_a_trip_in_one_process_makes_every_process_fail_fast_and_a_reset_reopens_them(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    fleet = workers(3, server.url(), prefix)
    assert [w.send("call pay")["ran"] for w in fleet] == [True, True, True]

    tripped = fleet[0].send("trip pay")
    assert tripped["state"] == "open" and tripped["stats"]["opened"] == 1
    for w in fleet[1:]:
        answer = w.send("call pay")
        # The function did not run: the fleet's breaker refused it, for its whole wait.
        assert answer["ran"] is False
        assert 55 < answer["remaining"] <= 60
        assert answer["state"] == "open"
    store = store_for(server, prefix)
    assert store.breaker_stats("pay") == {
        "state": "open",
        "opened": 1,
        "half_opened": 0,
        "closed": 0,
    }

    reset = fleet[2].send("reset pay")
    assert reset["state"] == "closed" and reset["stats"]["closed"] == 1
    assert [w.send("call pay")["ran"] for w in fleet] == [True, True, True]
    assert store.breaker_stats("pay")["closed"] == 1
    # Each transition was counted once, by the process that made it.
    assert sum(w.send("acquire pay")["stats"]["opened"] for w in fleet) == 1


def test_a_reset_empties_the_fleets_window(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    [other] = workers(1, server.url(), prefix)
    here = CircuitBreaker(
        "win", window=4, minimum_calls=4, open_for=60, store=store_for(server, prefix)
    )
    for _ in range(4):
        here.record(here.acquire(), "failure")
    assert here.state == "open"
    assert other.send("acquire win")["allowed"] is False
    other.send("reset win")
    assert other.send("acquire win")["allowed"] is True  # a success, in the new window
    # The window it opened on is gone: two more failures of three are not enough...
    for _ in range(2):
        here.record(here.acquire(), "failure")
    assert here.state == "closed"
    # ... and the fourth outcome, a failure, makes 3 of 4.
    here.record(here.acquire(), "failure")
    assert here.state == "open"


def test_tripping_an_open_breaker_restarts_its_wait_and_counts_no_new_opening(
    server: redis_server.Server, prefix: str
) -> None:
    store = store_for(server, prefix)
    one = CircuitBreaker("again", open_for=60, store=store)
    two = CircuitBreaker("again", open_for=60, store=store)
    one.trip()
    one.trip()
    with pytest.raises(CircuitOpenError) as refused:
        two.acquire()
    assert refused.value.remaining > 59
    assert store.breaker_stats("again")["opened"] == 1
    assert one.stats()["opened"] == 1
    two.reset()
    two.reset()  # already closed: no second count
    assert store.breaker_stats("again")["closed"] == 1
    one.acquire()
    assert one.state == "closed"


def test_a_budget_reset_refills_the_shared_budget_for_every_process(
    server: redis_server.Server, prefix: str, workers: t.Any
) -> None:
    fleet = workers(2, server.url(), prefix)
    paid = [w.send("withdraw spend")["paid"] for w in fleet for _ in range(3)]
    assert paid.count(True) == 3  # capacity 3, shared by both processes
    store = store_for(server, prefix)
    assert store.budget_stats("spend")["available"] == 0.0
    fleet[0].send("budget-reset spend")
    stats = store.budget_stats("spend")
    assert (stats["retries"], stats["exhausted"]) == (0.0, 0.0)
    assert [fleet[1].send("withdraw spend")["paid"] for _ in range(4)] == [True] * 3 + [False]


# --- Redis stopped midway -------------------------------------------------------------------


def test_redis_stopped_fail_open_each_process_goes_by_its_local_state(
    prefix: str, workers: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_server.start()
    try:
        [a, b] = workers(2, server.url(), prefix, fail_open=True)
        a.send("trip down")
        assert b.send("call down")["ran"] is False  # through Redis
        here = CircuitBreaker("down", open_for=60, store=store_for(server, prefix))
        with pytest.raises(CircuitOpenError):
            here.acquire()
        server.stop()
        # Local states decide: a's says open (its trip), b's and this one's say closed.
        assert a.send("acquire down")["allowed"] is False
        assert b.send("call down")["ran"] is True
        with caplog.at_level(logging.WARNING, logger="pertinax.redis"):
            here.trip()  # reaches this process only, and says so
            with pytest.raises(CircuitOpenError):
                here.acquire()
        assert here.state == "open"
        lines = [r.getMessage() for r in caplog.records if r.name == "pertinax.redis"]
        assert any("circuit breaker down tripped in this process only" in m for m in lines)
        assert redis_server.ACL_PASSWORD not in caplog.text
        a.send("reset down")
        assert a.send("acquire down")["allowed"] is True
    finally:
        server.stop()


def test_redis_stopped_fail_closed_refuses_calls_even_after_a_reset(
    prefix: str, workers: t.Any
) -> None:
    server = redis_server.start()
    try:
        [a, b] = workers(2, server.url(), prefix, fail_open=False)
        assert b.send("call shut")["ran"] is True
        server.stop()
        assert b.send("call shut")["ran"] is False
        a.send("reset shut")
        # Failing closed wins over a switch Redis never heard.
        assert a.send("acquire shut")["allowed"] is False
        assert b.send("withdraw shut")["paid"] is False
        server = redis_server.start(port=server.port, directory=server.directory)
        # Back (and empty): the store decides again, after its short pause.
        deadline = time.monotonic() + 10
        while not a.send("acquire shut")["allowed"]:
            assert time.monotonic() < deadline, "no call admitted after Redis came back"
            time.sleep(0.05)
        assert b.send("call shut")["ran"] is True
    finally:
        server.stop()


def test_a_store_without_the_switches_still_switches_the_local_state() -> None:
    class OldStore:
        """A store written to the four-method protocol only."""

        def budget_withdraw(self, budget: RetryBudget) -> None:
            return None

        def budget_deposit(self, budget: RetryBudget, successes: int) -> None:
            return None

        def breaker_acquire(self, breaker: CircuitBreaker) -> None:
            return None

        def breaker_record(self, breaker: CircuitBreaker, trial: bool, outcome: str) -> None:
            return None

    breaker = CircuitBreaker("old", open_for=60, store=OldStore())
    breaker.trip()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    breaker.reset()
    breaker.acquire()
    budget = RetryBudget("old", ratio=0, capacity=1, store=OldStore())
    assert [budget.withdraw(), budget.withdraw()] == [True, False]
    budget.reset()
    assert budget.withdraw() is True


def test_a_store_that_raises_in_a_switch_loses_nothing(
    server: redis_server.Server, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(RedisStore):
        def breaker_trip(self, breaker: CircuitBreaker) -> t.NoReturn:
            raise RuntimeError("store bug")

    breaker = CircuitBreaker("bug", open_for=60, store=Broken(server.url(), prefix=prefix))
    reported: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))
    breaker.trip()
    assert [str(e) for e in reported] == ["store bug"]
    assert breaker.state == "open"  # the local state took the switch
    assert breaker.stats()["opened"] == 1
